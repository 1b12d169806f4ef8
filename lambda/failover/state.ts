/**
 * The failover controller's vocabulary and state: weights and positions, settings, what a run
 * keeps between invocations (and how it is read back, strictly), and the hold-down.
 */
import { CLOCK_MARGIN_MS } from "./context";
import { CALL_TIMEOUTS_MS } from "./runtime";

export type FailbackPolicy = "automatic" | "manual";

/** Weights of the two groups in the listener's forward action (ALB range 0..999). */
export interface Weights {
    readonly active: number;
    readonly failover: number;
}

export const ACTIVE_WEIGHTS: Weights = { active: 100, failover: 0 };
export const FAILOVER_WEIGHTS: Weights = { active: 0, failover: 100 };

/**
 * Which group receives traffic. "split" is an operator's own mix (both > 0); "none" means both
 * weights are 0, which only a hand edit produces.
 */
export type Position = "active" | "failover" | "split" | "none";

export function positionOf(weights: Weights): Position {
    if (weights.active > 0 && weights.failover === 0) return "active";
    if (weights.active === 0 && weights.failover > 0) return "failover";
    if (weights.active > 0 && weights.failover > 0) return "split";
    return "none";
}

/** Same position means "already there": 1/0 and 100/0 both send everything to the active group. */
export function samePosition(a: Weights, b: Weights): boolean {
    return positionOf(a) === positionOf(b);
}

export function formatWeights(weights: Weights): string {
    return `${weights.active}/${weights.failover}`;
}

export interface ControllerSettings {
    readonly failback: FailbackPolicy;
    /** The failback delay before any flapping: the hold-down's first step. */
    readonly failbackAfterSeconds: number;
    /** The hold-down doubles up to this many times (2: 300 → 600 → 1,200 s). */
    readonly maxHoldDownLevel: number;
    /** Polls in a row that a move needs (failover: unhealthy; failback: healthy). */
    readonly confirmations: number;
    /** Two samples count as consecutive only if at least this far apart. */
    readonly pollIntervalSeconds: number;
}

export const DEFAULT_SETTINGS: ControllerSettings = {
    failback: "automatic",
    failbackAfterSeconds: 300,
    maxHoldDownLevel: 2,
    confirmations: 1,
    pollIntervalSeconds: 1,
};

/** A failover less than this long after the last failback is flapping: the next hold-down doubles. */
export const FLAP_WINDOW_MS = 3_600_000;

/** Problems reported (log + notification) once per episode instead of on every poll. */
export type NoticeKind = "both_unhealthy" | "failover_group_unhealthy" | "listener_misconfigured" | "manual_weights";

/** What must outlive one run (kept in the controller's DynamoDB item). */
export interface PersistedState {
    /** The active group has been healthy since the controller first watched it (a new stack boots first). */
    readonly armed: boolean;
    /** An operator holds traffic on the failover group: no automatic failback. */
    readonly hold: boolean;
    /** Where the controller last put traffic or accepted it to be; another position is a hand edit. */
    readonly lastPosition: Position | null;
    /** Start of the active group's current healthy streak while traffic is on the failover group. */
    readonly activeHealthySince: number | null;
    /** The episode already reported. */
    readonly reported: NoticeKind | null;
    /** How many times the failback delay has doubled (0 = `failbackAfterSeconds`). */
    readonly holdDownLevel: number;
    /** When traffic last went back to the active group (for the flapping rule). */
    readonly lastFailbackAt: number | null;
}

export const EMPTY_PERSISTED: PersistedState = {
    armed: false,
    hold: false,
    lastPosition: null,
    activeHealthySince: null,
    reported: null,
    holdDownLevel: 0,
    lastFailbackAt: null,
};

/**
 * A move the lease holder is about to make, written to the item (on condition that it holds the
 * lease) before its ModifyListener. When the listener then shows that position although the state
 * that follows from the move was never saved (the call's reply was lost, the run died or lost its
 * lease), the move is the controller's own, not an operator's hand edit.
 */
export interface PendingMove {
    readonly kind: "failover" | "failback";
    /** When the move was decided (ms since epoch). */
    readonly at: number;
    readonly byOperator: boolean;
    /** The active group's healthy targets when it was decided (an operator's failback onto a dead group disarms). */
    readonly activeHealthy: number | null;
}

/**
 * When a pending move is settled: at the first listener read made this long after it was
 * recorded. Its ModifyListener is sent once the record has landed (within the DynamoDB call's
 * limit) and ends within its own limit (one attempt: the write client does not retry);
 * CLOCK_MARGIN_MS allows for the reader being another run on another clock. A read after that
 * shows what the move did: carried out (the move is the controller's) or not (it is forgotten).
 * Before that, a read that does not show it leaves it pending; without a read it stays pending,
 * however long that takes (no wall-clock limit).
 */
export const PENDING_SETTLE_MS = CALL_TIMEOUTS_MS.db + CALL_TIMEOUTS_MS.elbWrite + CLOCK_MARGIN_MS;

/** A pending move as the item holds it (JSON), or null when absent or malformed. */
export function parsePending(raw: string | undefined): PendingMove | null {
    if (raw === undefined) return null;
    try {
        const v = JSON.parse(raw) as Record<string, unknown>;
        if (
            (v.kind === "failover" || v.kind === "failback") &&
            typeof v.at === "number" &&
            Number.isFinite(v.at) &&
            typeof v.byOperator === "boolean" &&
            (v.activeHealthy === null || typeof v.activeHealthy === "number")
        ) {
            return {
                kind: v.kind,
                at: v.at,
                byOperator: v.byOperator,
                activeHealthy: v.activeHealthy as number | null,
            };
        }
    } catch {
        // fall through: an unreadable pending move is none
    }
    return null;
}

export interface ControllerState extends PersistedState {
    /** False while the saved state could not be read: see the module's last rule. */
    readonly known: boolean;
    /** Consecutive samples (at least one poll interval apart) with no healthy active target. */
    readonly activeUnhealthyPolls: number;
    /** Consecutive samples with a healthy active target. */
    readonly activeHealthyPolls: number;
    /** Consecutive samples with no healthy failover target. */
    readonly failoverUnhealthyPolls: number;
    /** Time of the last sample that counted, per group. */
    readonly activeSampledAt: number | null;
    readonly failoverSampledAt: number | null;
    /** A move this run or its predecessor started and whose outcome no saved state records yet. */
    readonly pending: PendingMove | null;
}

/** What a move (or a fresh start) resets: the counters, and the pending move it carried out. */
export const NO_COUNTERS = {
    activeUnhealthyPolls: 0,
    activeHealthyPolls: 0,
    failoverUnhealthyPolls: 0,
    activeSampledAt: null,
    failoverSampledAt: null,
    pending: null,
};

/** A run's state once its saved state has been read. */
export function stateFrom(persisted: PersistedState): ControllerState {
    return { ...persisted, ...NO_COUNTERS, known: true };
}

/** A run's state while its saved state is unknown (unreadable): protect traffic, change nothing else. */
export const UNKNOWN_STATE: ControllerState = { ...EMPTY_PERSISTED, ...NO_COUNTERS, known: false };

/** The state to keep. */
export function persisted(state: ControllerState): PersistedState {
    const { armed, hold, lastPosition, activeHealthySince, reported, holdDownLevel, lastFailbackAt } = state;
    return { armed, hold, lastPosition, activeHealthySince, reported, holdDownLevel, lastFailbackAt };
}

/**
 * Saved state read after the run started (the first reads failed): what was saved, plus what
 * this run learned meanwhile that cannot be wrong (the active group was seen healthy: armed).
 */
export function mergeLoaded(current: ControllerState, loaded: PersistedState): ControllerState {
    return {
        ...current,
        ...loaded,
        armed: loaded.armed || current.armed,
        // The streak this run observed is the only one it can vouch for.
        activeHealthySince: current.activeHealthySince,
        known: true,
    };
}

/** One poll. Health: healthy targets, `null` when unknown, `undefined` when not read at this poll. */

/** The failback delay at a hold-down level, in seconds. */
export function holdDownSeconds(settings: ControllerSettings, level: number): number {
    return settings.failbackAfterSeconds * 2 ** Math.min(level, settings.maxHoldDownLevel);
}

const POSITIONS: readonly Position[] = ["active", "failover", "split", "none"];
const NOTICE_KINDS: readonly NoticeKind[] = [
    "both_unhealthy",
    "failover_group_unhealthy",
    "listener_misconfigured",
    "manual_weights",
];

/**
 * Reads a saved state strictly: anything that is not a well-formed state is `null` (unknown),
 * never a default; the caller then treats the state as unreadable rather than empty.
 */
export function parsePersisted(value: unknown): PersistedState | null {
    if (typeof value !== "object" || value === null) return null;
    const v = value as Record<string, unknown>;
    const time = (x: unknown) => x === null || (typeof x === "number" && Number.isFinite(x) && x >= 0);
    if (
        typeof v.armed !== "boolean" ||
        typeof v.hold !== "boolean" ||
        !(v.lastPosition === null || POSITIONS.includes(v.lastPosition as Position)) ||
        !time(v.activeHealthySince) ||
        !(v.reported === null || NOTICE_KINDS.includes(v.reported as NoticeKind)) ||
        typeof v.holdDownLevel !== "number" ||
        !Number.isInteger(v.holdDownLevel) ||
        v.holdDownLevel < 0 ||
        !time(v.lastFailbackAt)
    ) {
        return null;
    }
    return {
        armed: v.armed,
        hold: v.hold,
        lastPosition: v.lastPosition as Position | null,
        activeHealthySince: v.activeHealthySince as number | null,
        reported: v.reported as NoticeKind | null,
        holdDownLevel: v.holdDownLevel,
        lastFailbackAt: v.lastFailbackAt as number | null,
    };
}

/** A saved state as the table holds it (JSON), or null when absent or not a well-formed state. */
export function parseSaved(raw: string | undefined): PersistedState | null {
    if (raw === undefined) return null;
    try {
        return parsePersisted(JSON.parse(raw));
    } catch {
        return null;
    }
}

/**
 * The listener tag value of ha-webstack 0.1 (`v1 since=... hold=1 armed=1`), for the one-time
 * migration: the hold and the armed flag carry over, the failback clock restarts.
 */
export function parseLegacyTag(value: string | null | undefined): PersistedState {
    const parts = (value ?? "").trim().split(/\s+/);
    if (parts[0] !== "v1") return EMPTY_PERSISTED;
    const fields = new Set(parts.slice(1));
    return { ...EMPTY_PERSISTED, hold: fields.has("hold=1"), armed: fields.has("armed=1") };
}

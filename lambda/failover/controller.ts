/**
 * Decision logic of the active-passive failover controller: a small, pure state machine.
 *
 * No AWS SDK here, no clock, no I/O: the handler observes the listener and both target groups,
 * hands the observation to `decide()`, and carries out the move it returns. Keeping the rules
 * pure lets the tests walk through long health sequences in microseconds and lets a reader see
 * every rule in one place.
 *
 * Rules (see ARCHITECTURE.md, "Load balancer"):
 * - Fail over (weights 0/100) once the active group has had no healthy target for
 *   `confirmations` consecutive polls, and only if the failover group has >= 1 healthy target.
 *   If both groups are dead nothing moves (moving traffic between dead groups gains nothing)
 *   and "both groups unhealthy" is reported once per episode, not on every poll.
 * - Failback `automatic`: back to 100/0 once the active group has been continuously healthy for
 *   `failbackAfterSeconds` while traffic is on the failover group. Any unhealthy poll restarts
 *   the timer. `manual`: never back by itself.
 * - The position (which group serves) is always read from the listener's actual weights, so an
 *   operator's change in the console or CLI is respected rather than fought.
 */

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
    readonly failbackAfterSeconds: number;
    readonly confirmations: number;
}

export const DEFAULT_SETTINGS: ControllerSettings = {
    failback: "automatic",
    failbackAfterSeconds: 300,
    confirmations: 2,
};

/** Problems that are reported (log + notification) once per episode instead of on every poll. */
export type NoticeKind = "both_unhealthy" | "failover_group_unhealthy";

export interface ControllerState {
    /** Consecutive polls in which the active group had no healthy target. Not persisted. */
    readonly activeUnhealthyPolls: number;
    /**
     * Consecutive polls in which the active group had a healthy target. Not persisted. A failback
     * needs `confirmations` of them, like a failover needs as many unhealthy ones, so that two
     * automatic moves are never closer than one confirmation window (even with a failback delay of 0).
     */
    readonly activeHealthyPolls: number;
    /** Consecutive polls in which the failover group had no healthy target. Not persisted. */
    readonly failoverUnhealthyPolls: number;
    /**
     * Time (ms since epoch) of the first poll of the active group's current healthy streak.
     * Only tracked while traffic is on the failover group: that is the only time the failback
     * window matters, and not tracking it otherwise means no state to persist in normal operation.
     */
    readonly activeHealthySince: number | null;
    /**
     * An operator failed over by hand: no automatic move away from the failover group until
     * an operator fails back (or traffic is back on the active group by any other means).
     */
    readonly hold: boolean;
    /** The notice already reported for the ongoing episode, so it is not repeated every poll. */
    readonly reported: NoticeKind | null;
    /**
     * The active group has had a healthy target since the controller started watching this
     * listener. Until then nothing fails over: on a fresh stack both pools boot at once, and the
     * failover pool coming up a few seconds first must not count as a failure of the active one.
     */
    readonly armed: boolean;
}

export const INITIAL_STATE: ControllerState = {
    activeUnhealthyPolls: 0,
    activeHealthyPolls: 0,
    failoverUnhealthyPolls: 0,
    activeHealthySince: null,
    hold: false,
    reported: null,
    armed: false,
};

/** One complete poll. A poll that failed (unknown health) never reaches `decide()`. */
export interface Observation {
    /** ms since epoch */
    readonly time: number;
    readonly activeHealthy: number;
    readonly failoverHealthy: number;
    /** As read from the listener at this poll. */
    readonly weights: Weights;
}

export type MoveKind = "failover" | "failback";

export interface Move {
    readonly kind: MoveKind;
    readonly to: Weights;
}

export interface Notice {
    readonly kind: NoticeKind;
    readonly message: string;
}

export interface Decision {
    /** State after this poll, before the move is carried out (see `afterMove`). */
    readonly state: ControllerState;
    readonly move: Move | null;
    /** Why: for logs, notifications and `status`. */
    readonly reason: string;
    /** Set only on the poll that first sees the problem. */
    readonly notice: Notice | null;
}

const FAILOVER_MOVE: Move = { kind: "failover", to: FAILOVER_WEIGHTS };
const FAILBACK_MOVE: Move = { kind: "failback", to: ACTIVE_WEIGHTS };

function plural(n: number, word: string): string {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * One step of the state machine: fold a complete observation into the state and say whether
 * traffic must move. Pure.
 */
export function decide(state: ControllerState, obs: Observation, settings: ControllerSettings): Decision {
    const position = positionOf(obs.weights);
    const activeDown = obs.activeHealthy < 1;
    const failoverDown = obs.failoverHealthy < 1;
    const activeUnhealthyPolls = activeDown ? state.activeUnhealthyPolls + 1 : 0;
    const activeHealthyPolls = activeDown ? 0 : state.activeHealthyPolls + 1;
    const failoverUnhealthyPolls = failoverDown ? state.failoverUnhealthyPolls + 1 : 0;
    const onFailover = position === "failover";
    const failoverServes = obs.weights.failover > 0;

    // A reported problem stays "reported" until the raw health shows it is over, not merely until
    // a poll fails to re-confirm it (a new invocation restarts the streaks, and must not re-report).
    const stillHolds = (kind: NoticeKind | null): boolean =>
        (kind === "both_unhealthy" && activeDown && failoverDown) ||
        (kind === "failover_group_unhealthy" && failoverServes && failoverDown && !activeDown);

    const next: ControllerState = {
        activeUnhealthyPolls,
        activeHealthyPolls,
        failoverUnhealthyPolls,
        // The failback window runs only while traffic is on the failover group; any unhealthy
        // poll of the active group restarts it.
        activeHealthySince: onFailover && !activeDown ? (state.activeHealthySince ?? obs.time) : null,
        // A hold protects an operator's failover; once traffic is elsewhere it has nothing to protect.
        hold: onFailover ? state.hold : false,
        reported: stillHolds(state.reported) ? state.reported : null,
        armed: state.armed || !activeDown,
    };

    const activeServes = obs.weights.active > 0;
    const health0 = `active group ${obs.activeHealthy} healthy, failover group ${obs.failoverHealthy} healthy`;
    if (!next.armed && activeServes && activeDown) {
        return stay(
            next,
            `active group not healthy once since the controller started watching (a new stack still booting?): ` +
                `no failover until it has been; ${health0}`,
        );
    }
    const activeConfirmedDown = activeServes && activeUnhealthyPolls >= settings.confirmations;
    const failoverConfirmedDown = failoverServes && failoverUnhealthyPolls >= settings.confirmations;
    const health = health0;

    // Both serving groups dead (or the serving one dead and the other one too): nowhere to go.
    if ((activeConfirmedDown || failoverConfirmedDown) && activeDown && failoverDown) {
        return withNotice(
            next,
            "both_unhealthy",
            `both groups unhealthy: no healthy target in the active or the failover group ` +
                `(weights ${formatWeights(obs.weights)} left as they are)`,
        );
    }

    if (activeConfirmedDown) {
        // failoverDown is false here: the branch above took the both-dead case.
        return move(
            next,
            FAILOVER_MOVE,
            `active group has had no healthy target for ${plural(activeUnhealthyPolls, "consecutive poll")}; ` +
                `failover group has ${obs.failoverHealthy} healthy`,
        );
    }

    if (failoverConfirmedDown) {
        // Traffic is (partly) on a dead failover group while the active group is healthy. Under the
        // automatic policy that is a failback that need not wait for the timer: the timer guards
        // against returning too early to a flapping group, not against leaving a dead one.
        const reason =
            `failover group has had no healthy target for ${plural(failoverUnhealthyPolls, "consecutive poll")}; ` +
            `active group has ${obs.activeHealthy} healthy`;
        if (settings.failback === "automatic" && !next.hold) return move(next, FAILBACK_MOVE, reason);
        const why = next.hold ? "failover is held by an operator" : "failback policy is manual";
        return withNotice(
            next,
            "failover_group_unhealthy",
            `${reason}; not moving because ${why}: invoke {"action":"failback"} to move traffic back`,
        );
    }

    if (onFailover) {
        if (next.activeHealthySince === null) {
            return stay(next, `on failover group; active group not healthy yet (${health})`);
        }
        const healthyForMs = obs.time - next.activeHealthySince;
        const healthyFor = `active group healthy for ${Math.floor(healthyForMs / 1000)} s`;
        if (settings.failback === "manual") {
            return stay(next, `on failover group; ${healthyFor}; failback policy is manual`);
        }
        if (next.hold) {
            return stay(next, `on failover group, held by an operator; ${healthyFor}; automatic failback suspended`);
        }
        if (healthyForMs < settings.failbackAfterSeconds * 1000) {
            return stay(
                next,
                `on failover group; ${healthyFor} of ${settings.failbackAfterSeconds} s needed for failback`,
            );
        }
        if (activeHealthyPolls < settings.confirmations) {
            return stay(
                next,
                `on failover group; ${healthyFor}, healthy for ${activeHealthyPolls}/${settings.confirmations} polls before failback`,
            );
        }
        return move(
            next,
            FAILBACK_MOVE,
            `${healthyFor} (failback after ${settings.failbackAfterSeconds} s); ${health}`,
        );
    }

    if (position === "none") {
        return stay(
            next,
            `listener sends no traffic (weights 0/0); set the weights by hand or invoke a manual action; ${health}`,
        );
    }
    if (activeServes && activeDown) {
        return stay(
            next,
            `active group unhealthy for ${activeUnhealthyPolls}/${settings.confirmations} polls before failover; ${health}`,
        );
    }
    return stay(next, `${position === "split" ? "split weights" : "on active group"}; ${health}`);
}

function move(state: ControllerState, m: Move, reason: string): Decision {
    return { state: { ...state, reported: null }, move: m, reason, notice: null };
}

function stay(state: ControllerState, reason: string): Decision {
    return { state, move: null, reason, notice: null };
}

function withNotice(state: ControllerState, kind: NoticeKind, message: string): Decision {
    const first = state.reported !== kind;
    return {
        state: { ...state, reported: kind },
        move: null,
        reason: message,
        notice: first ? { kind, message } : null,
    };
}

/**
 * State once a move has been carried out. Only applied when ModifyListener succeeded: after a
 * failed call the old state makes the next poll decide (and try) the same move again.
 * Resetting the streaks also keeps a listener read that lags behind the write from triggering
 * the same move twice in a row.
 */
export function afterMove(state: ControllerState, m: Move, options: { hold?: boolean } = {}): ControllerState {
    return {
        activeUnhealthyPolls: m.kind === "failover" ? 0 : state.activeUnhealthyPolls,
        activeHealthyPolls: m.kind === "failover" ? 0 : state.activeHealthyPolls,
        failoverUnhealthyPolls: m.kind === "failback" ? 0 : state.failoverUnhealthyPolls,
        activeHealthySince: null,
        hold: m.kind === "failover" && options.hold === true,
        reported: null,
        armed: state.armed || m.kind === "failback",
    };
}

// ---------------------------------------------------------------------------------------------
// Manual operator actions
// ---------------------------------------------------------------------------------------------

export type ManualActionName = "failover" | "failback" | "status";

export interface ManualRequest {
    readonly action: ManualActionName;
    /** Move even if the destination group has no healthy target (or its health is unknown). */
    readonly force: boolean;
}

/** Health may be unknown (null) when DescribeTargetHealth failed. */
export interface ManualObservation {
    readonly activeHealthy: number | null;
    readonly failoverHealthy: number | null;
    readonly weights: Weights;
}

export interface ManualDecision {
    readonly move: Move | null;
    /** The request was refused (guard) or invalid: nothing changes. */
    readonly refused: boolean;
    readonly message: string;
    /** State to persist if the move succeeds (or at once when there is no move). */
    readonly state: ControllerState;
}

/**
 * An operator's `failover` / `failback` / `status`. Moving to a group without a healthy target
 * is refused unless `force` is set: the same guard the automatic path applies.
 */
export function decideManual(state: ControllerState, request: ManualRequest, obs: ManualObservation): ManualDecision {
    if (request.action === "status") {
        return { move: null, refused: false, message: describeStatus(obs), state };
    }
    const m = request.action === "failover" ? FAILOVER_MOVE : FAILBACK_MOVE;
    const groupName = request.action === "failover" ? "failover" : "active";
    const destinationHealthy = request.action === "failover" ? obs.failoverHealthy : obs.activeHealthy;

    if (samePosition(obs.weights, m.to)) {
        // Nothing to change on the listener; a manual failover still records the operator's hold
        // so that automatic failback does not undo the operator's decision.
        const held = request.action === "failover" ? { ...state, hold: true } : { ...state, hold: false };
        return {
            move: null,
            refused: false,
            message: `already on the ${groupName} group (weights ${formatWeights(obs.weights)}); nothing changed`,
            state: held,
        };
    }
    if (!request.force && (destinationHealthy === null || destinationHealthy < 1)) {
        const what =
            destinationHealthy === null
                ? `the health of the ${groupName} group is unknown (DescribeTargetHealth failed)`
                : `the ${groupName} group has no healthy target`;
        return {
            move: null,
            refused: true,
            message:
                `refused: ${what}; traffic stays at weights ${formatWeights(obs.weights)}. ` +
                `Invoke {"action":"${request.action}","force":true} to move anyway.`,
            state,
        };
    }
    const forced = request.force && (destinationHealthy === null || destinationHealthy < 1) ? " (forced)" : "";
    return {
        move: m,
        refused: false,
        message: `manual ${request.action}${forced}: weights ${formatWeights(obs.weights)} -> ${formatWeights(m.to)}`,
        state: afterMove(state, m, { hold: request.action === "failover" }),
    };
}

function describeStatus(obs: ManualObservation): string {
    const count = (n: number | null) => (n === null ? "unknown" : String(n));
    return (
        `position ${positionOf(obs.weights)} (weights ${formatWeights(obs.weights)}); ` +
        `active group ${count(obs.activeHealthy)} healthy, failover group ${count(obs.failoverHealthy)} healthy`
    );
}

// ---------------------------------------------------------------------------------------------
// Persistence between invocations
// ---------------------------------------------------------------------------------------------

/**
 * Only what must outlive one invocation is persisted: the failback window (longer than an
 * invocation), the operator's hold and the notice already sent. Streak counters are not: a new
 * invocation starts ~5 s after the last one ended, and restarting a streak only delays a move
 * by one poll, never causes a wrong one.
 *
 * Encoded for a listener tag value, whose allowed characters are letters, digits, spaces and
 * `_ . : / = + - @` (no JSON).
 */
export interface PersistedState {
    readonly activeHealthySince: number | null;
    /** When the healthy streak was last observed; bounds the unobserved gap between runs. */
    readonly checkedAt: number | null;
    readonly hold: boolean;
    readonly reported: NoticeKind | null;
    readonly armed: boolean;
}

const FORMAT_VERSION = "v1";
const NOTICE_KINDS: readonly NoticeKind[] = ["both_unhealthy", "failover_group_unhealthy"];

/** `null` = nothing worth persisting (only before the active group was first seen healthy). */
export function serializeState(state: ControllerState, now: number): string | null {
    const parts: string[] = [];
    if (state.activeHealthySince !== null) parts.push(`since=${state.activeHealthySince}`, `checked=${now}`);
    if (state.hold) parts.push("hold=1");
    if (state.reported !== null) parts.push(`reported=${state.reported}`);
    // Written once, when the active group is first seen healthy; stable afterwards.
    if (state.armed) parts.push("armed=1");
    return parts.length === 0 ? null : [FORMAT_VERSION, ...parts].join(" ");
}

/** Lenient: an unreadable value yields the empty state (the safe default: the timer restarts). */
export function parseState(value: string | undefined | null): PersistedState {
    const empty: PersistedState = {
        activeHealthySince: null,
        checkedAt: null,
        hold: false,
        reported: null,
        armed: false,
    };
    if (!value) return empty;
    const [version, ...parts] = value.trim().split(/\s+/);
    if (version !== FORMAT_VERSION) return empty;
    const fields = new Map(parts.map((p) => p.split("=", 2) as [string, string]));
    const time = (key: string): number | null => {
        const raw = fields.get(key);
        return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : null;
    };
    const reported = fields.get("reported");
    return {
        activeHealthySince: time("since"),
        checkedAt: time("checked"),
        hold: fields.get("hold") === "1",
        reported: NOTICE_KINDS.find((k) => k === reported) ?? null,
        armed: fields.get("armed") === "1",
    };
}

/**
 * State at the start of an invocation. A healthy streak is only trusted if it was observed
 * recently: after a gap (schedule disabled, invocations failing) "continuously healthy" is
 * unproven, so the failback window starts again.
 */
export function restoreState(persisted: PersistedState, now: number, maxUnobservedGapMs: number): ControllerState {
    const recent =
        persisted.checkedAt !== null && now - persisted.checkedAt <= maxUnobservedGapMs && persisted.checkedAt <= now;
    const streak = recent ? persisted.activeHealthySince : null;
    return {
        ...INITIAL_STATE,
        activeHealthySince: streak,
        // A saved streak proves at least one healthy poll (the one that saved it).
        activeHealthyPolls: streak !== null ? 1 : 0,
        hold: persisted.hold,
        reported: persisted.reported,
        armed: persisted.armed,
    };
}

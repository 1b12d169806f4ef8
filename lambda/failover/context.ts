/** What a run of the controller works with, and what it reports. */
import type { FailoverConfig } from "./config";
import type { Move, Weights } from "./controller";
import type { Calls, Clock, LogRecord } from "./runtime";

/** Never start a poll with less than this left: the handover (or release) and a notification follow. */
export const STOP_RESERVE_MS = 8_000;
/** The holder moves traffic only while its lease is valid for longer than this. */
export const LEASE_SAFETY_MS = 3_000;
/** A waiting successor reads the lease this often, */
export const SUCCESSOR_POLL_MS = 250;
/**
 * and this often for SUCCESSOR_FAST_WINDOW_MS once the holder has renewed since the successor's
 * mark (it knows of the successor, and hands over after its next poll that finds the active group
 * healthy: within a poll interval and a read, or a renewal period when the group looks down).
 */
export const SUCCESSOR_FAST_POLL_MS = 50;
export const SUCCESSOR_FAST_WINDOW_MS = 1_500;
/** A successor mark older than this belongs to a run that is gone: another run may take its place. */
export const SUCCESSOR_STALE_MS = 30_000;
/** Heartbeats (the controller-down alarm counts them) are logged this often. */
export const HEARTBEAT_MS = 10_000;
/**
 * An operator's request is taken by a holder only this young; the operator waits this long for
 * the answer, then withdraws it. A request older than that is never acted on.
 */
export const REQUEST_TTL_MS = 12_000;
/** Allowance for the clocks of two invocations to differ (Lambda's are NTP-synchronised). */
export const CLOCK_MARGIN_MS = 2_000;
/** Once a holder has taken a request, how long the operator waits for its answer (the moves' calls, the save, SNS). */
export const ANSWER_WAIT_MS = 20_000;

export type Trigger = "schedule" | "alarm" | "manual";

export interface RunContext {
    readonly config: FailoverConfig;
    readonly calls: Calls;
    readonly clock: Clock;
    readonly log: (record: LogRecord) => void;
    /** This invocation's id (Lambda's request id). */
    readonly runId: string;
    /** Time left before Lambda stops the invocation. */
    readonly remainingMs: () => number;
}

export interface MoveOutcome {
    readonly kind: Move["kind"];
    readonly from: Weights;
    readonly to: Weights;
    readonly ok: boolean;
    readonly at: number;
    readonly error?: string;
    /** The call failed in a way that leaves its outcome unknown (a timeout, a lost reply): it may have landed. */
    readonly unknown?: boolean;
}

export interface RunSummary {
    readonly ok: boolean;
    readonly trigger: Trigger;
    /** How the run ended: handed over, released, lease lost, or never held it. */
    readonly ended: "handed_over" | "released" | "lease_lost" | "not_holder" | "already_covered";
    readonly polls: number;
    readonly pollErrors: number;
    readonly moves: MoveOutcome[];
    readonly lastReason: string | null;
}

/** The state a holder starts from, once it has the item. */

/** What a run of the controller works with, and what it reports. */
import type { FailoverConfig } from "./config";
import type { Move, Weights } from "./controller";
import { CALL_TIMEOUTS_MS, FIRST_DB_CALL_TIMEOUT_MS, type Calls, type Clock, type LogRecord } from "./runtime";

/** What the handler keeps back from every call's timeout: no call outlasts the run's time less this. */
export const CALL_MARGIN_MS = 1_000;

const { elb, elbWrite, db, sns } = CALL_TIMEOUTS_MS;

/**
 * Letting the lease go: the release, which carries the state save, started early enough that the
 * per-call cap ({@link CALL_MARGIN_MS}) still leaves it its whole timeout. Notifications still on
 * their way (`LeaseHolder.later`) are not waited for here: each was capped when it started, so it
 * ends before the Lambda timeout on its own.
 */
export const FINISH_MS = db + CALL_MARGIN_MS;

/**
 * The longest a renewal and the operator's request it finds can take: the renewal (a cold
 * client's first call), the state's second read (the listener's tags), the request's claim, its
 * reads (at once), the move's lease check, ModifyListener, the state saved, the notification and
 * the answer written. Defaults: 1 + 0.5 + 0.3 + 0.5 + 0.3 + 0.5 + 0.3 + 3 + 0.3 = 6.7 s.
 */
export const RENEWAL_STEP_MS = FIRST_DB_CALL_TIMEOUT_MS + elb + db + elb + db + elbWrite + db + sns + db;

/**
 * The longest one poll can take: the wait for it (up to twice the interval, on the failover
 * group), its reads, the second round after the active group looked down (its lease check runs
 * alongside), the listener read a failback by timer needs, the lease check's second try (when the
 * first got no answer), ModifyListener, the state saved, and up to four notifications (a move
 * confirmed later, the move, a hand edit and one more notice).
 * Defaults: 1.6 + 3 × 0.5 + 0.3 + 0.5 + 0.3 + 4 × 3 = 16.2 s.
 */
export function pollStepMs(config: Pick<FailoverConfig, "pollIntervalSeconds">): number {
    return 2 * config.pollIntervalSeconds * 1000 + 3 * elb + db + elbWrite + db + 4 * sns;
}

/**
 * A holder starts no step of its loop (a renewal with its request, a poll) with less than this
 * left, so the release still fits after it: {@link FINISH_MS} and the longer of the two steps.
 * Defaults: 1.3 + 16.2 = 17.5 s, inside the 20 s the Lambda timeout leaves after `maxRunSeconds`.
 */
export function stopReserveMs(config: Pick<FailoverConfig, "pollIntervalSeconds">): number {
    return FINISH_MS + Math.max(RENEWAL_STEP_MS, pollStepMs(config));
}
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
/**
 * A successor reads fast from its mark on for this long too: the holder peeks at the item with
 * each poll that no renewal came just before (see `LeaseHolder.startPeek`; with a poll interval
 * longer than the renewal period, the renewals find it first), so it hands over within that
 * interval, a poll's reads (one lost and read again) and the peek, with no renewal to show the
 * successor that it knows. Defaults: 0.8 + 2 × 0.5 + 2 × 0.3 = 2.4 s.
 */
export function successorFirstFastMs(config: Pick<FailoverConfig, "pollIntervalSeconds" | "renewSeconds">): number {
    return Math.min(config.pollIntervalSeconds, config.renewSeconds) * 1000 + 2 * elb + 2 * db;
}
/**
 * After a handover, the old holder watches the item this long for the new holder's
 * acknowledgement (a renewal it writes as soon as it reads the handover, alongside its first
 * poll; see `acknowledgeHandover`), reading it every {@link HANDOVER_WATCH_POLL_MS}. With none by
 * then, and the item as the handover left it, the successor is taken to be gone (it crashed, or
 * lost its network while it waited) and the old holder takes the lease back and carries on: a gap
 * of seconds, not the rest of the lease and the next schedule. The successor's wait between
 * reads, the read that shows the handover (or, when it gave up waiting at that moment, its last
 * read, the mark's removal and the read after it), the acknowledgement and its second try (when
 * the first got no answer), and the old holder's read that sees it; and a margin of one more
 * wait and read of the successor's (one that failed). Nothing else the successor does (its first
 * poll, the notifications it sends) comes before the acknowledgement. A successor that was alive
 * after all loses nothing but its run: it finds the lease lost, having moved nothing.
 * Defaults: 0.25 + 3 × 0.3 + 2 × 0.3 + 0.3 + (0.25 + 0.3) = 2.6 s.
 */
export const HANDOVER_CONFIRM_MS = SUCCESSOR_POLL_MS + 3 * db + 2 * db + db + (SUCCESSOR_POLL_MS + db);
export const HANDOVER_WATCH_POLL_MS = 250;
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
/**
 * A DynamoDB write that got no answer (a timeout, a lost reply) is assumed to land, if it ever
 * does, within this of its start: its timeout and 2 s for a request still in flight when the
 * client gave up (an assumption: AWS publishes no bound). Until then a removal of a pending move
 * proves nothing about an unanswered record of it, which may land after the removal.
 */
export const LATE_WRITE_MS = db + 2_000;
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

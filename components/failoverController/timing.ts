/**
 * How fast the controller moves traffic: the settings, and the worst case they add up to. The
 * same settings drive `npm run bench:failover`, which measures the controller against a simulated
 * ALB; the bound here must never be below what it measures (a test holds it to that).
 */
import { DEFAULT_CONFIG } from "../../lambda/failover/config";
import { SUCCESSOR_FAST_POLL_MS } from "../../lambda/failover/context";
import { CALL_TIMEOUTS_MS } from "../../lambda/failover/runtime";
import { HEALTH_CHECK } from "../shared/healthCheck";

/** The controller's timing; every value feeds {@link failoverCallSeconds} and {@link failoverTimeSeconds}. */
export interface FailoverTiming {
    /** ALB health-check interval (s). */
    healthCheckIntervalSeconds: number;
    /** Failed checks before the ALB marks a target unhealthy. */
    unhealthyThreshold: number;
    /** How long a check of a hung server waits before it fails (s). */
    healthCheckTimeoutSeconds: number;
    /** How often the controller reads the active group's health (s). */
    pollIntervalSeconds: number;
    /** Polls with no healthy active target before it moves traffic. */
    confirmations: number;
    /** How long a poll's ELB read may take before it counts as lost (s): `CALL_TIMEOUTS_MS.elb`. */
    readTimeoutSeconds: number;
    /** How long a DynamoDB call may take (s): `CALL_TIMEOUTS_MS.db`. */
    dbTimeoutSeconds: number;
    /** How often a successor reads the item once the holder knows of it (s): `SUCCESSOR_FAST_POLL_MS`. */
    successorFastPollSeconds: number;
    /** ModifyListener's round trip and its reaching every ALB node: AWS publishes no figure, so an allowance (s). */
    propagationSeconds: number;
}

export const DEFAULT_TIMING: FailoverTiming = {
    healthCheckIntervalSeconds: HEALTH_CHECK.intervalSeconds,
    unhealthyThreshold: HEALTH_CHECK.unhealthyThreshold,
    healthCheckTimeoutSeconds: HEALTH_CHECK.timeoutSeconds,
    pollIntervalSeconds: DEFAULT_CONFIG.pollIntervalSeconds,
    confirmations: DEFAULT_CONFIG.confirmations,
    readTimeoutSeconds: CALL_TIMEOUTS_MS.elb / 1000,
    dbTimeoutSeconds: CALL_TIMEOUTS_MS.db / 1000,
    successorFastPollSeconds: SUCCESSOR_FAST_POLL_MS / 1000,
    propagationSeconds: 5,
};

/**
 * How much later than one poll interval a successor's first poll can come after the holder's
 * last: the holder hands over right after a poll that found the active group healthy (that poll's
 * read took up to the read timeout, so the next poll was due `pollInterval - readTimeout` later),
 * then the handover's write, the successor's wait between its reads of the item and the read that
 * finds the lease its own. Defaults: 0.3 + 0.05 + 0.3 - (0.8 - 0.5) = 0.35 s.
 */
export function handoverSeconds(t: FailoverTiming = DEFAULT_TIMING): number {
    return Math.max(
        0,
        2 * t.dbTimeoutSeconds + t.successorFastPollSeconds - (t.pollIntervalSeconds - t.readTimeoutSeconds),
    );
}

/**
 * What the controller's own calls add once its poll that can see the pool dead is due: that
 * poll's read of the active group takes up to the read timeout, and either it saw the group down
 * (then one more round, up to the read timeout again: the failover group, the listener and the
 * move's lease check at once) or it got no answer (then it reads again at once, everything and the
 * lease check together: up to the read timeout again); and a handover can come just before it
 * ({@link handoverSeconds}). Defaults: 2 × 0.5 + 0.35 = 1.35 s. `npm run bench:failover` sweeps
 * every call up to its timeout, with and without that lost poll, and a handover at every moment;
 * each further lost poll adds a poll interval.
 */
export function apiSeconds(t: FailoverTiming = DEFAULT_TIMING): number {
    return 2 * t.readTimeoutSeconds + handoverSeconds(t);
}

/**
 * Worst case from the whole active pool dying to the controller's ModifyListener call: the ALB
 * marks a server out after `unhealthyThreshold` failed checks `healthCheckIntervalSeconds` apart,
 * the first of which can start up to one interval after the death and, for a hung server, ends
 * only at its timeout; the controller's poll that sees it can come one poll interval later (more
 * polls with `confirmations` > 1); then {@link apiSeconds}. Defaults: 5 × 2 + 3 + 0.8 + 1.35 =
 * 15.15, so 15.2 s (rounded up to tenths: a bound).
 */
export function failoverCallSeconds(t: FailoverTiming = DEFAULT_TIMING): number {
    return upToTenths(
        t.healthCheckIntervalSeconds * t.unhealthyThreshold +
            t.healthCheckTimeoutSeconds +
            t.pollIntervalSeconds * t.confirmations +
            apiSeconds(t),
    );
}

/** Worst case to traffic on the failover group: {@link failoverCallSeconds} plus the propagation allowance (20.2 s). */
export function failoverTimeSeconds(t: FailoverTiming = DEFAULT_TIMING): number {
    return upToTenths(failoverCallSeconds(t) + t.propagationSeconds);
}

/** Rounded up to tenths (never below the sum; 1e-9 absorbs floating-point noise such as 15.000000000000002). */
const upToTenths = (x: number) => Math.ceil(x * 10 - 1e-9) / 10;

/** A run that sees no successor stops after this long; the Lambda timeout leaves it room to finish. */
export const MAX_RUN_SECONDS = DEFAULT_CONFIG.maxRunSeconds;
export const FUNCTION_TIMEOUT_SECONDS = MAX_RUN_SECONDS + 20;

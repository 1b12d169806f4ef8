/**
 * How fast the controller moves traffic: the settings, and the worst case they add up to. The
 * same settings drive `npm run bench:failover`, which measures the controller against a simulated
 * ALB; the bound here must never be below what it measures (a test holds it to that).
 */
import { DEFAULT_CONFIG } from "../../lambda/failover/config";
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
    propagationSeconds: 5,
};

/**
 * What the controller's own calls add once its poll that can see the pool dead is due: that
 * poll's reads may be lost (a timeout: the next poll comes one interval later), and the poll that
 * does see it takes up to the read timeout, its reads bringing what the move needs (the failover
 * group, the listener; the move's lease check runs alongside). Defaults: 1 + 0.8 = 1.8 s.
 * `npm run bench:failover` sweeps every call up to its timeout, with and without that lost poll,
 * and a handover at every moment; more than one lost poll adds a poll interval each.
 */
export function apiSeconds(t: FailoverTiming = DEFAULT_TIMING): number {
    return t.pollIntervalSeconds + t.readTimeoutSeconds;
}

/**
 * Worst case from the whole active pool dying to the controller's ModifyListener call: the ALB
 * marks a server out after `unhealthyThreshold` failed checks `healthCheckIntervalSeconds` apart,
 * the first of which can start up to one interval after the death and, for a hung server, ends
 * only at its timeout; the controller's poll that sees it can come one poll interval later (more
 * polls with `confirmations` > 1); then {@link apiSeconds}. Defaults: 5 × 2 + 3 + 1 + 1.8 = 15.8 s.
 */
export function failoverCallSeconds(t: FailoverTiming = DEFAULT_TIMING): number {
    return tenths(
        t.healthCheckIntervalSeconds * t.unhealthyThreshold +
            t.healthCheckTimeoutSeconds +
            t.pollIntervalSeconds * t.confirmations +
            apiSeconds(t),
    );
}

/** Worst case to traffic on the failover group: {@link failoverCallSeconds} plus the propagation allowance (20.8 s). */
export function failoverTimeSeconds(t: FailoverTiming = DEFAULT_TIMING): number {
    return tenths(failoverCallSeconds(t) + t.propagationSeconds);
}

const tenths = (x: number) => Math.round(x * 10) / 10;

/** A run that sees no successor stops after this long; the Lambda timeout leaves it room to finish. */
export const MAX_RUN_SECONDS = DEFAULT_CONFIG.maxRunSeconds;
export const FUNCTION_TIMEOUT_SECONDS = MAX_RUN_SECONDS + 20;

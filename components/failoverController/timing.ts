/**
 * How fast the controller moves traffic: the settings, and the worst case they add up to. The
 * same settings drive `npm run bench:failover`, which measures the controller against a simulated
 * ALB; the bound here must never be below what it measures (a test holds it to that).
 */
import { DEFAULT_CONFIG } from "../../lambda/failover/config";
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
    /** The reads of one poll and the ones a move needs (the failover group, the listener), slow calls included (s). */
    apiSeconds: number;
    /** ModifyListener's round trip and its reaching every ALB node: AWS publishes no figure, so an allowance (s). */
    propagationSeconds: number;
}

export const DEFAULT_TIMING: FailoverTiming = {
    healthCheckIntervalSeconds: HEALTH_CHECK.intervalSeconds,
    unhealthyThreshold: HEALTH_CHECK.unhealthyThreshold,
    healthCheckTimeoutSeconds: HEALTH_CHECK.timeoutSeconds,
    pollIntervalSeconds: DEFAULT_CONFIG.pollIntervalSeconds,
    confirmations: DEFAULT_CONFIG.confirmations,
    apiSeconds: 1,
    propagationSeconds: 5,
};

/**
 * Worst case from the whole active pool dying to the controller's ModifyListener call: the ALB
 * marks a server out after `unhealthyThreshold` failed checks `healthCheckIntervalSeconds` apart,
 * the first of which can start up to one interval after the death and, for a hung server, ends
 * only at its timeout; the controller's poll that sees it can come one poll interval later (more
 * polls with `confirmations` > 1); then the reads the move needs. Defaults: 5 × 2 + 3 + 1 + 1 = 15 s.
 */
export function failoverCallSeconds(t: FailoverTiming = DEFAULT_TIMING): number {
    return (
        t.healthCheckIntervalSeconds * t.unhealthyThreshold +
        t.healthCheckTimeoutSeconds +
        t.pollIntervalSeconds * t.confirmations +
        t.apiSeconds
    );
}

/** Worst case to traffic on the failover group: {@link failoverCallSeconds} plus the propagation allowance (20 s). */
export function failoverTimeSeconds(t: FailoverTiming = DEFAULT_TIMING): number {
    return failoverCallSeconds(t) + t.propagationSeconds;
}

/** A run that sees no successor stops after this long; the Lambda timeout leaves it room to finish. */
export const MAX_RUN_SECONDS = DEFAULT_CONFIG.maxRunSeconds;
export const FUNCTION_TIMEOUT_SECONDS = MAX_RUN_SECONDS + 20;

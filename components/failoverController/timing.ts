/** How fast the controller moves traffic: the settings, and the worst case they add up to. */
import { HEALTH_CHECK } from "../shared/healthCheck";

/** The controller's timing; every value feeds {@link failoverTimeSeconds}. */
export interface FailoverTiming {
    /** ALB health-check interval (s). */
    healthCheckIntervalSeconds: number;
    /** Failed checks before the ALB marks a target unhealthy. */
    unhealthyThreshold: number;
    /** How often the controller polls DescribeTargetHealth (s). */
    pollIntervalSeconds: number;
    /** Consecutive polls with no healthy active target before it moves traffic. */
    confirmations: number;
    /** ModifyListener round trip and propagation to the ALB nodes (s). */
    apiAllowanceSeconds: number;
}

export const DEFAULT_TIMING: FailoverTiming = {
    healthCheckIntervalSeconds: HEALTH_CHECK.intervalSeconds,
    unhealthyThreshold: HEALTH_CHECK.unhealthyThreshold,
    pollIntervalSeconds: 5,
    confirmations: 2,
    apiAllowanceSeconds: 5,
};

/**
 * Worst-case time from the last good response of the active group to traffic on the failover
 * group: the ALB needs interval × threshold to mark the servers unhealthy; the controller then
 * needs `confirmations` polls, the first of which can come up to one poll interval late; then the
 * API call. With the defaults: 5 × 2 + 5 × 2 + 5 = 25 s (an alarm-driven flip takes 75-135 s).
 */
export function failoverTimeSeconds(t: FailoverTiming = DEFAULT_TIMING): number {
    return (
        t.healthCheckIntervalSeconds * t.unhealthyThreshold +
        t.pollIntervalSeconds * t.confirmations +
        t.apiAllowanceSeconds
    );
}

/**
 * How long each scheduled invocation polls: the schedule starts one a minute, so polls at 0, 5,
 * ..., 55 s leave no gap longer than one poll interval between two runs.
 */
export const RUN_SECONDS = 58;

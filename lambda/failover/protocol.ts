/**
 * What the failover controller's code shares with the components that deploy and watch it
 * (`components/failoverController/`, `components/monitoring/`): its environment variables, the
 * DynamoDB item that holds its lease and state, the listener tag an earlier version kept its
 * state in, and the events it logs. One definition for both sides, so that a rename changes both
 * or fails to compile (an IAM condition naming an old key would deny the writes in silence, and a
 * metric filter on an old event name would count nothing).
 *
 * No imports: esbuild bundles this into the function, and the components import it as it is.
 */

/** The function's environment variables (set by the component, read by `loadConfig`). */
export const ENV = {
    listenerArn: "LISTENER_ARN",
    activeTargetGroupArn: "ACTIVE_TARGET_GROUP_ARN",
    failoverTargetGroupArn: "FAILOVER_TARGET_GROUP_ARN",
    topicArn: "TOPIC_ARN",
    tableName: "TABLE_NAME",
    failback: "FAILBACK",
    failbackAfterSeconds: "FAILBACK_AFTER_SECONDS",
    maxHoldDownLevel: "MAX_HOLD_DOWN_LEVEL",
    pollIntervalSeconds: "POLL_INTERVAL_SECONDS",
    confirmations: "CONFIRMATIONS",
    standbyCheckSeconds: "STANDBY_CHECK_SECONDS",
    leaseSeconds: "LEASE_SECONDS",
    renewSeconds: "RENEW_SECONDS",
    minRunSeconds: "MIN_RUN_SECONDS",
    maxRunSeconds: "MAX_RUN_SECONDS",
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** The DynamoDB table's partition key, and the one item the controller keeps there. */
export const TABLE_KEY = "id";
export const CONTROLLER_ITEM_ID = "controller";

/**
 * Tag on the HTTPS listener where ha-webstack 0.1 kept the controller's state. Read once, when the
 * table has no state yet, so that an upgraded stack keeps its hold and armed flag.
 */
export const STATE_TAG_KEY = "ha-webstack:failover-state";

/** The `event` field of each JSON line the controller logs (one line per event, on stdout). */
export const LOG_EVENTS = [
    // Traffic moved, or a move failed / was refused.
    "failover",
    "failback",
    "failover_failed",
    "failback_failed",
    // A failed move tried again (by a later poll) and failing again: logged, not alerted again.
    "move_retry",
    "status_failed",
    "failover_refused",
    "failback_refused",
    // Problems reported once per episode, and changes nobody asked the controller for.
    "both_unhealthy",
    "failover_group_unhealthy",
    "listener_misconfigured",
    "manual_weights",
    "hand_edit",
    // Reading health, the lease and the state.
    "poll_error",
    "lease_acquired",
    "lease_lost",
    // A successor handed the lease showed no sign of life: the old holder took it back.
    "handover_reclaimed",
    "lease_error",
    "state_load_failed",
    "state_save_failed",
    // Invocations.
    "heartbeat",
    "alarm_trigger",
    "run_complete",
    "invalid_event",
    "config_error",
    "unexpected_error",
] as const;

export type LogEvent = (typeof LOG_EVENTS)[number];

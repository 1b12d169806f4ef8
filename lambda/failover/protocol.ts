/**
 * What the failover controller's code shares with the components that deploy and watch it
 * (`components/failoverController/`, `components/monitoring/`): the listener tag that holds the
 * controller's state and the events it logs. One definition for both sides, so that a rename
 * changes both or fails to compile (an IAM condition naming the old tag key would otherwise deny
 * every state write in silence, and a metric filter on an old event name would count nothing).
 *
 * No imports: esbuild bundles this into the function, and the components import it as it is.
 */

/** Tag on the HTTPS listener holding the state that must outlive one invocation (see controller.ts). */
export const STATE_TAG_KEY = "ha-webstack:failover-state";

/** The `event` field of each JSON line the controller logs (one line per event, on stdout). */
export const LOG_EVENTS = [
    // Traffic moved, or a move failed / was refused.
    "failover",
    "failback",
    "failover_failed",
    "failback_failed",
    "status_failed",
    "failover_refused",
    "failback_refused",
    // Problems reported once per episode.
    "both_unhealthy",
    "failover_group_unhealthy",
    // Reading health, reading and saving the state.
    "poll_error",
    "state_load_failed",
    "state_save_failed",
    // Invocations.
    "alarm_trigger",
    "run_complete",
    "invalid_event",
    "config_error",
    "unexpected_error",
] as const;

export type LogEvent = (typeof LOG_EVENTS)[number];

// Monitoring: alarms on every tier, the dashboard, the alert topic and the servers' log groups.
export { ALARMS, type AlarmKind, CONTROLLER_LOG_METRICS, type ControllerLogMetric } from "./alarms";
export * from "./args";
export { Monitoring } from "./monitoring";
export { rolloutAlarmKeys } from "./loadBalancerAlarms";
export { rateExpression } from "./metrics";
export * from "./serverLogs";
export { type MonitoringSettings, validateMonitoringArgs } from "./settings";
export { DEFAULT_THRESHOLDS, type Thresholds } from "./thresholds";

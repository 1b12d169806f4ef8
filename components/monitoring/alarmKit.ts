/**
 * What every alarm definition is made of: the fields of one alarm, the shape of an entry of the
 * alarm table, the evaluation windows, and the metrics counted from the failover controller's log.
 */
import type { LogEvent } from "../../lambda/failover/protocol";
import { MetricSpec, PERIOD, RateSpec, Tier } from "./metrics";
import type { MonitoringSettings } from "./settings";

export type ComparisonOperator =
    | "GreaterThanThreshold"
    | "GreaterThanOrEqualToThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold";

/** One alarm to create, as a definition builds it. */
export interface AlarmFields {
    /** The alarm's name after the prefix (`<namePrefix>-<key>`), unique in the stack. */
    key: string;
    /** What the alarm firing means, in a sentence. */
    meaning: string;
    /** What to do: the first checks and commands. */
    runbook: string;
    /** The metric compared with the threshold; or `rate`, a share of requests in %. */
    metric?: MetricSpec;
    rate?: RateSpec;
    comparisonOperator: ComparisonOperator;
    threshold: number;
    evaluationPeriods: number;
    datapointsToAlarm: number;
    treatMissingData: "missing" | "ignore" | "breaching" | "notBreaching";
}

/** An entry of the alarm table. */
export interface AlarmDefinition {
    tier: Tier;
    /** The alarms of this kind for a stack: one per subject (a target group, a pool, a replica), or none. */
    build(s: MonitoringSettings): AlarmFields[];
}

/** M of N minutes for conditions that must last (CPU, 5xx rates, latency, database): one spike does not page. */
export const sustained = (s: MonitoringSettings) => ({
    evaluationPeriods: s.thresholds.evaluationPeriods,
    datapointsToAlarm: s.thresholds.datapointsToAlarm,
});

/** N minutes in a row for conditions that are outages (no healthy server, failed status checks, replication stopped). */
export const critical = (s: MonitoringSettings) => ({
    evaluationPeriods: s.thresholds.criticalEvaluationPeriods,
    datapointsToAlarm: s.thresholds.criticalEvaluationPeriods,
});

/** The first minute an event is counted. */
export const once = { evaluationPeriods: 1, datapointsToAlarm: 1 };

/** The metrics counted from the failover controller's JSON log lines (`{"event": ...}`). */
export const CONTROLLER_LOG_METRICS = {
    failovers: { metricName: "Failovers", label: "failovers", events: ["failover"] },
    failbacks: { metricName: "Failbacks", label: "failbacks", events: ["failback"] },
    moveFailures: {
        metricName: "MoveFailures",
        label: "move failures",
        events: ["failover_failed", "failback_failed"],
    },
    // The handler never throws (a throw would be retried), so Lambda's Errors metric misses these.
    controllerFaults: { metricName: "ControllerFaults", label: "faults", events: ["config_error", "unexpected_error"] },
    pollErrors: { metricName: "PollErrors", label: "poll errors", events: ["poll_error"] },
} as const satisfies Record<string, { metricName: string; label: string; events: readonly LogEvent[] }>;

export type ControllerLogMetric = keyof typeof CONTROLLER_LOG_METRICS;

/** The CloudWatch Logs filter pattern matching the lines of a log metric. */
export function logMetricPattern(metric: ControllerLogMetric): string {
    const events: readonly LogEvent[] = CONTROLLER_LOG_METRICS[metric].events;
    const terms = events.map((event) => `$.event = "${event}"`);
    return terms.length === 1 ? `{ ${terms[0]} }` : `{ ${terms.map((t) => `(${t})`).join(" || ")} }`;
}

/** The metric a log metric filter publishes (namespace of this stack, no dimensions). */
export function logMetric(s: MonitoringSettings, metric: ControllerLogMetric): MetricSpec {
    const { metricName, label } = CONTROLLER_LOG_METRICS[metric];
    return { namespace: s.metricNamespace, metricName, dimensions: {}, stat: "Sum", period: PERIOD, label };
}

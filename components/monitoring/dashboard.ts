/**
 * The CloudWatch dashboard of {@link Monitoring}: every alarm's state on top, then one row per
 * tier graphing the metrics its alarms read (by {@link AlarmKind}, never by metric name), with
 * the alarm thresholds drawn in.
 */
import * as pulumi from "@pulumi/pulumi";
import { AlarmKind, AlarmSpec, alarmsOf, ControllerLogMetric, logMetric } from "./alarms";
import { MetricSpec, NAMESPACES, PERIOD, rateExpression, Tier, TIERS } from "./metrics";
import type { MonitoringSettings } from "./settings";

/** One graph: its title, its metric lines, and a horizontal line at the alarm threshold. */
interface Widget {
    title: string;
    metrics: unknown[][];
    annotation?: { value: number; label: string };
}

const TIER_TITLES: Record<Tier, string> = {
    loadBalancer: "Load balancer",
    servers: "Servers",
    database: "Database",
    failoverController: "Failover controller",
};

const TIER_NOTES: Record<Tier, string> = {
    loadBalancer: "Healthy and unhealthy servers per target group, 5xx rates, p99 response time.",
    servers: "EC2 metrics per Auto Scaling group (pool).",
    database: "RDS primary, and lag per read replica.",
    failoverController: "The Lambda function, and the moves and faults counted from its log lines.",
};

/** A metric line of a dashboard widget: [namespace, name, dim, value, ..., options]. */
export function metricLine(m: MetricSpec, options: Record<string, unknown> = {}): unknown[] {
    const dims = Object.entries(m.dimensions).flatMap(([k, v]) => [k, v]);
    return [m.namespace, m.metricName, ...dims, { stat: m.stat, period: m.period, label: m.label, ...options }];
}

/** The graphs of one tier's row; empty when the stack has no alarm of that tier. */
function tierWidgets(tier: Tier, s: MonitoringSettings, specs: readonly AlarmSpec[]): Widget[] {
    /** The lines of the alarms of these kinds. */
    const lines = (...kinds: AlarmKind[]) => alarmsOf(specs, ...kinds).map((a) => metricLine(a.metric!));
    /** A line at the threshold of the (first) alarm of this kind. */
    const thresholdOf = (kind: AlarmKind, label = "alarm") => {
        const alarm = alarmsOf(specs, kind)[0];
        return alarm ? { value: alarm.threshold, label } : undefined;
    };
    const counted = (...metrics: ControllerLogMetric[]) => metrics.map((m) => metricLine(logMetric(s, m)));
    const widgets: Widget[] = [];
    const add = (widget: Widget) => widget.metrics.length > 0 && widgets.push(widget);

    switch (tier) {
        case "loadBalancer": {
            add({
                title: "Healthy servers per target group",
                metrics: lines("noHealthyHosts", "noStandby"),
                annotation: { value: 1, label: "alarm below 1" },
            });
            add({ title: "Unhealthy servers per target group", metrics: lines("unhealthyHosts") });
            const rates = alarmsOf(specs, "elb5xxRate", "target5xxRate");
            if (rates.length > 0) {
                add({
                    title: "5xx (% of requests) and requests",
                    metrics: [
                        ...rates.map((a, i) => metricLine(a.rate!.errors, { id: `m${i}`, visible: false })),
                        metricLine(rates[0].rate!.requests, { id: "req", yAxis: "right" }),
                        ...rates.map((a, i) => [
                            {
                                expression: rateExpression(`m${i}`, "req", a.rate!.minRequests),
                                label: a.rate!.label,
                                id: `e${i}`,
                            },
                        ]),
                    ],
                    annotation: { value: Math.min(...rates.map((a) => a.threshold)), label: "alarm" },
                });
            }
            add({
                title: "Response time p99 (s)",
                metrics: lines("p99ResponseTime"),
                annotation: thresholdOf("p99ResponseTime"),
            });
            break;
        }
        case "servers":
            add({
                title: "CPU per pool (%)",
                metrics: lines("serverCpuHigh"),
                annotation: thresholdOf("serverCpuHigh"),
            });
            add({
                title: "Failed status checks per pool",
                metrics: lines("serverStatusCheckFailed"),
                annotation: thresholdOf("serverStatusCheckFailed"),
            });
            break;
        case "database":
            add({
                title: "Primary CPU (%)",
                metrics: lines("dbPrimaryCpuHigh"),
                annotation: thresholdOf("dbPrimaryCpuHigh"),
            });
            add({
                title: "Primary free storage (bytes)",
                metrics: lines("dbPrimaryLowFreeStorage"),
                annotation: thresholdOf("dbPrimaryLowFreeStorage"),
            });
            add({
                title: "Primary connections",
                metrics: lines("dbPrimaryConnectionsHigh"),
                annotation: thresholdOf("dbPrimaryConnectionsHigh"),
            });
            add({
                title: "Replica lag (s; -1 = replication stopped)",
                metrics: lines("dbReplicaLagHigh", "dbReplicationStopped"),
                annotation: thresholdOf("dbReplicaLagHigh"),
            });
            break;
        case "failoverController": {
            const invocations: MetricSpec = {
                namespace: NAMESPACES.lambda,
                metricName: "Invocations",
                dimensions: { FunctionName: s.failoverController!.functionName },
                stat: "Sum",
                period: PERIOD,
                label: "invocations",
            };
            add({
                title: "Controller invocations and errors",
                metrics: [metricLine(invocations), ...lines("controllerErrors")],
            });
            add({ title: "Traffic moves", metrics: counted("failovers", "failbacks", "moveFailures") });
            add({ title: "Controller faults and failed polls", metrics: counted("controllerFaults", "pollErrors") });
            break;
        }
    }
    return widgets;
}

/** The dashboard's JSON body: the alarms' states on top, then one row per tier (a text header, then its graphs side by side). */
export function dashboardBody(opts: {
    region: pulumi.Output<string>;
    settings: MonitoringSettings;
    specs: readonly AlarmSpec[];
    alarmArns: pulumi.Output<string>[];
}): pulumi.Output<string> {
    const { region, settings, specs, alarmArns } = opts;
    const alarmRows = 1 + Math.ceil(alarmArns.length / 6);
    const widgets: Record<string, unknown>[] = [
        // One tile per alarm, six to a line.
        {
            type: "alarm",
            x: 0,
            y: 0,
            width: 24,
            height: alarmRows,
            properties: { title: "Alarms", alarms: alarmArns },
        },
    ];
    let y = alarmRows;
    for (const tier of TIERS.filter((t) => specs.some((a) => a.tier === t))) {
        widgets.push({
            type: "text",
            x: 0,
            y,
            width: 24,
            height: 1,
            properties: { markdown: `## ${TIER_TITLES[tier]} — ${TIER_NOTES[tier]}` },
        });
        y += 1;
        const row = tierWidgets(tier, settings, specs);
        const width = Math.floor(24 / row.length);
        row.forEach((w, i) =>
            widgets.push({
                type: "metric",
                x: i * width,
                y,
                width,
                height: 6,
                properties: {
                    title: w.title,
                    region,
                    view: "timeSeries",
                    stacked: false,
                    period: PERIOD,
                    metrics: w.metrics,
                    ...(w.annotation ? { annotations: { horizontal: [w.annotation] } } : {}),
                },
            }),
        );
        y += 6;
    }
    return pulumi.jsonStringify({ start: "-PT3H", periodOverride: "inherit", widgets });
}

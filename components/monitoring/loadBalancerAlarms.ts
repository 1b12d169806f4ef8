/** The load balancer's alarms: healthy and unhealthy servers per target group, 5xx rates, p99 latency. */
import { AlarmDefinition, critical, sustained } from "./alarmKit";
import { MetricSpec, NAMESPACES, PERIOD } from "./metrics";
import type { MonitoringSettings } from "./settings";

const ELB = NAMESPACES.loadBalancer;

const instanceChecks =
    "On an instance: aws ssm start-session --target <id>; curl -s localhost/healthz; systemctl status nginx ha-webstack-app; " +
    "tail /var/log/ha-webstack/app.log (or the app log group). ";

const targetGroupDimensions = (s: MonitoringSettings, arnSuffix: MonitoringSettings["loadBalancer"]["arnSuffix"]) => ({
    TargetGroup: arnSuffix,
    LoadBalancer: s.loadBalancer.arnSuffix,
});

const requests = (s: MonitoringSettings): MetricSpec => ({
    namespace: ELB,
    metricName: "RequestCount",
    dimensions: { LoadBalancer: s.loadBalancer.arnSuffix },
    stat: "Sum",
    period: PERIOD,
    label: "requests",
});

/** Alarm keys other components name (a pool's rollout stops when one of them fires). */
export const ALB_5XX_RATE_KEY = "alb-5xx-rate";
export const ALB_TARGET_5XX_RATE_KEY = "alb-target-5xx-rate";
export const unhealthyHostsKey = (role: string) => `alb-${role}-unhealthy-hosts`;

/**
 * The alarms a pool's instance refresh watches: its own target group's unhealthy servers, and the
 * load balancer's two 5xx rates (a failover pool's change is the active pool's change too).
 */
export function rolloutAlarmKeys(targetGroupRole: string): string[] {
    return [unhealthyHostsKey(targetGroupRole), ALB_5XX_RATE_KEY, ALB_TARGET_5XX_RATE_KEY];
}

export const LOAD_BALANCER_ALARMS = {
    noHealthyHosts: {
        tier: "loadBalancer",
        build: (s) =>
            s.targetGroups
                .filter((group) => group.role !== "failover")
                .map((group) => ({
                    key: `alb-${group.role}-no-healthy-hosts`,
                    meaning:
                        `No healthy server in the ${group.role} target group` +
                        (group.role === "active"
                            ? " (unless the controller moved traffic to the failover group)"
                            : "") +
                        ": the ALB fails open and keeps sending requests to its unhealthy servers, so users get " +
                        "502/504 or whatever the broken servers answer (503 only when no server is registered at all).",
                    runbook:
                        `EC2 console, Auto Scaling group of the ${group.role} pool: activity (launch failures?) and instances (status checks). ` +
                        instanceChecks +
                        (group.role === "active"
                            ? "Check the failover-happened alarm and the controller's logs."
                            : "More servers or another AZ: serversPerPool, azCount."),
                    metric: {
                        namespace: ELB,
                        metricName: "HealthyHostCount",
                        dimensions: targetGroupDimensions(s, group.arnSuffix),
                        stat: "Minimum",
                        period: PERIOD,
                        label: `${group.role} healthy`,
                    },
                    comparisonOperator: "LessThanThreshold",
                    threshold: 1,
                    ...critical(s),
                    // Reported every minute while health checks run, traffic or not: no data means the
                    // group left the load balancer or has no target, which is no healthier.
                    treatMissingData: "breaching",
                })),
    },
    noStandby: {
        tier: "loadBalancer",
        build: (s) =>
            s.targetGroups
                .filter((group) => group.role === "failover")
                .map((group) => ({
                    key: "alb-failover-no-standby",
                    meaning:
                        "No standby: no server of the failover target group passes its health check, so the controller has nowhere to fail over to.",
                    runbook:
                        "EC2 console, Auto Scaling group of the failover pool: activity (launch failures?) and instances (status checks). " +
                        instanceChecks +
                        "The active group keeps serving meanwhile.",
                    metric: {
                        namespace: ELB,
                        metricName: "HealthyHostCount",
                        dimensions: targetGroupDimensions(s, group.arnSuffix),
                        stat: "Minimum",
                        period: PERIOD,
                        label: "failover healthy",
                    },
                    comparisonOperator: "LessThanThreshold",
                    threshold: 1,
                    ...critical(s),
                    treatMissingData: "breaching",
                })),
    },
    unhealthyHosts: {
        tier: "loadBalancer",
        build: (s) =>
            s.targetGroups.map((group) => ({
                key: unhealthyHostsKey(group.role),
                meaning: `At least one server of the ${group.role} target group fails its health check (${group.role === "failover" ? "the standby pool is degraded" : "capacity is reduced"}).`,
                runbook:
                    "The Auto Scaling group replaces a server the load balancer finds unhealthy (ELB health checks): it should clear within minutes. " +
                    "If it does not: target group > Targets shows the failure reason; check the instance with aws ssm start-session, curl -s localhost/healthz, the nginx error and app log groups.",
                metric: {
                    namespace: ELB,
                    metricName: "UnHealthyHostCount",
                    dimensions: targetGroupDimensions(s, group.arnSuffix),
                    stat: "Maximum",
                    period: PERIOD,
                    label: `${group.role} unhealthy`,
                },
                comparisonOperator: "GreaterThanThreshold",
                threshold: 0,
                ...critical(s),
                treatMissingData: "notBreaching",
            })),
    },
    elb5xxRate: {
        tier: "loadBalancer",
        build: (s) => [
            {
                key: ALB_5XX_RATE_KEY,
                meaning: `More than ${s.thresholds.elb5xxPercent}% of requests got a 5xx generated by the load balancer itself (502/503/504: connection refused or timed out, or no server registered).`,
                runbook:
                    "Look at the healthy-host alarms first (an unhealthy group still gets traffic: 502/504); 503 = no server registered; " +
                    "otherwise nginx or the app: nginx error log group, app log group, p99 latency.",
                rate: {
                    errors: {
                        namespace: ELB,
                        metricName: "HTTPCode_ELB_5XX_Count",
                        dimensions: { LoadBalancer: s.loadBalancer.arnSuffix },
                        stat: "Sum",
                        period: PERIOD,
                        label: "ELB 5xx",
                    },
                    requests: requests(s),
                    minRequests: s.thresholds.errorRateMinRequests,
                    label: "ELB 5xx (% of requests)",
                },
                comparisonOperator: "GreaterThanThreshold",
                threshold: s.thresholds.elb5xxPercent,
                ...sustained(s),
                treatMissingData: "notBreaching",
            },
        ],
    },
    target5xxRate: {
        tier: "loadBalancer",
        build: (s) => [
            {
                key: ALB_TARGET_5XX_RATE_KEY,
                meaning: `More than ${s.thresholds.target5xxPercent}% of requests got a 5xx from the servers (nginx or the app).`,
                runbook:
                    "App log group (tracebacks, database errors: GET /readyz on a server), nginx error log group; did a deployment just roll the pools?",
                rate: {
                    errors: {
                        namespace: ELB,
                        metricName: "HTTPCode_Target_5XX_Count",
                        dimensions: { LoadBalancer: s.loadBalancer.arnSuffix },
                        stat: "Sum",
                        period: PERIOD,
                        label: "target 5xx",
                    },
                    requests: requests(s),
                    minRequests: s.thresholds.errorRateMinRequests,
                    label: "Target 5xx (% of requests)",
                },
                comparisonOperator: "GreaterThanThreshold",
                threshold: s.thresholds.target5xxPercent,
                ...sustained(s),
                treatMissingData: "notBreaching",
            },
        ],
    },
    p99ResponseTime: {
        tier: "loadBalancer",
        build: (s) => [
            {
                key: "alb-p99-response-time",
                meaning: `The slowest 1% of requests take more than ${s.thresholds.p99ResponseTimeSeconds} s in the servers.`,
                runbook:
                    "Server CPU and database alarms (CPU, connections, replica lag); slow requests in the nginx access log group (field rt) with Logs Insights.",
                metric: {
                    namespace: ELB,
                    metricName: "TargetResponseTime",
                    dimensions: { LoadBalancer: s.loadBalancer.arnSuffix },
                    stat: "p99",
                    period: PERIOD,
                    label: "p99",
                },
                comparisonOperator: "GreaterThanThreshold",
                threshold: s.thresholds.p99ResponseTimeSeconds,
                ...sustained(s),
                // No requests, no response time.
                treatMissingData: "notBreaching",
            },
        ],
    },
} satisfies Record<string, AlarmDefinition>;

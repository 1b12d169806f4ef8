import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    APP_LOG_DROP_IN_PATH,
    APP_LOG_FILE,
    APP_LOGROTATE_PATH,
    CLOUDWATCH_AGENT_CONFIG_PATH,
    cloudWatchAgentConfig,
    cloudWatchAgentUserData,
    DEFAULT_THRESHOLDS,
    Monitoring,
    MonitoringArgs,
    rateExpression,
    serverLogGroupNames,
    serverLogsPolicyDocument,
} from "../components/monitoring";
import { renderUserData, USER_DATA_LIMIT } from "../components/serverPool/userData";
import { emailAddress } from "../components/shared/validation";
import { CONTROLLER_LOG_METRICS, ControllerLogMetric, logMetricPattern } from "../components/monitoring/alarms";
import { LOG_EVENTS } from "../lambda/failover/protocol";
import { Evaluation, evaluate, RegisteredResource } from "../scripts/offline";
import { expectRejectedBeforeCreate, ofType, only } from "./helpers";
import { BootKit, makeBootKit, runBootSync } from "./support/boot";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";
const TOPIC = "aws:sns/topic:Topic";
const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";
const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

const LB = "app/web-alb-5e1f2a3/0123456789abcdef";
const ACTIVE_TG = "targetgroup/act-a1b2c3/1111111111111111";
const FAILOVER_TG = "targetgroup/fo-d4e5f6/2222222222222222";
const ACTIVE_ASG = "web-active-asg-7c1d2e3";
const FAILOVER_ASG = "web-failover-asg-9f8e7d6";
const PRIMARY = "web-db-primary";
const FUNCTION = "fc-fn-4a5b6c7";
const CONTROLLER_LOGS = "/ha-webstack/test/failover-controller-20240101";

const base: MonitoringArgs = {
    loadBalancer: { arnSuffix: LB },
    targetGroups: [
        { role: "active", arnSuffix: ACTIVE_TG },
        { role: "failover", arnSuffix: FAILOVER_TG },
    ],
    autoScalingGroups: [
        { role: "active", name: ACTIVE_ASG },
        { role: "failover", name: FAILOVER_ASG },
    ],
};
const replicas = (n: number) => Array.from({ length: n }, (_, i) => `web-db-replica-${i + 1}`);
const full: MonitoringArgs = {
    ...base,
    alertEmail: "ops@example.com",
    database: { primaryIdentifier: PRIMARY, replicaIdentifiers: replicas(1), allocatedStorageGb: 20 },
    failoverController: { functionName: FUNCTION, logGroupName: CONTROLLER_LOGS },
};

const GIVEN_TOPIC = "arn:aws:sns:us-east-1:123456789012:ops-alerts";
const CMK = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const THRESHOLDS = {
    serverCpuPercent: 70,
    elb5xxPercent: 1.5,
    target5xxPercent: 2,
    errorRateMinRequests: 50,
    p99ResponseTimeSeconds: 0.5,
    databaseCpuPercent: 90,
    freeStorageBytes: 5 * 1024 ** 3,
    databaseConnections: 200,
    replicaLagSeconds: 30,
    evaluationPeriods: 10,
    datapointsToAlarm: 10,
    criticalEvaluationPeriods: 3,
    controllerPollErrorsPerMinute: 3,
};

/**
 * Every variant under test, each a Monitoring named after its key, all evaluated in ONE program
 * (stack "test", so the default name prefix is <key>-test): the mock harness costs ~150 ms per
 * evaluation, not per resource. `variant(key)` picks one component's children.
 */
const ACTIVE_ACTIVE: MonitoringArgs = {
    loadBalancer: { arnSuffix: LB },
    targetGroups: [{ role: "web", arnSuffix: ACTIVE_TG }],
    serverLogs: false,
};
const VARIANTS: Record<string, MonitoringArgs> = {
    mon: full,
    base,
    aa: ACTIVE_ACTIVE,
    r0: { ...ACTIVE_ACTIVE, database: { primaryIdentifier: PRIMARY, replicaIdentifiers: replicas(0) } },
    r3: { ...ACTIVE_ACTIVE, database: { primaryIdentifier: PRIMARY, replicaIdentifiers: replicas(3) } },
    thr: {
        loadBalancer: { arnSuffix: LB },
        targetGroups: [{ role: "active", arnSuffix: ACTIVE_TG }],
        autoScalingGroups: [{ role: "active", name: ACTIVE_ASG }],
        database: { primaryIdentifier: PRIMARY, replicaIdentifiers: replicas(1) },
        failoverController: { functionName: FUNCTION, logGroupName: CONTROLLER_LOGS },
        serverLogs: false,
        thresholds: THRESHOLDS,
    },
    detailed: {
        ...ACTIVE_ACTIVE,
        autoScalingGroups: [{ role: "active", name: ACTIVE_ASG }],
        serverDetailedMonitoring: true,
    },
    given: { ...ACTIVE_ACTIVE, alertEmail: "ops@example.com", topicArn: GIVEN_TOPIC },
    kms: { ...ACTIVE_ACTIVE, topicKmsKeyId: CMK },
    pfx: { ...ACTIVE_ACTIVE, namePrefix: "shop-prod" },
    fn: { ...ACTIVE_ACTIVE, failoverController: { functionName: FUNCTION } },
    roles: { ...ACTIVE_ACTIVE, serverLogs: true, serverRoleNames: ["web-active-role", "web-failover-role"] },
    ret: { ...ACTIVE_ACTIVE, serverLogs: true, serverLogRetentionDays: 90, logGroupPrefix: "/shop/prod" },
};

type Variant = Evaluation & { key: string };
let all: Evaluation;
function variant(key: string): Variant {
    const parent = `ha-webstack:index:Monitoring::${key}`;
    return {
        key,
        resources: all.resources.filter((r) => r.parentUrn?.endsWith(parent)),
        outputs: all.outputs[key] as Record<string, unknown>,
    };
}

/** A single Monitoring "mon" (for the validation cases: they fail before creating anything). */
const build = (args: MonitoringArgs) => evaluate(() => new Monitoring("mon", args), { stack: "test" });

const alarmsOf = (ev: Evaluation) => ofType(ev, ALARM);
function alarm(v: Variant, key: string): RegisteredResource {
    const found = alarmsOf(v).filter((a) => a.name === `${v.key}-${key}`);
    if (found.length !== 1) {
        throw new Error(
            `expected one alarm ${v.key}-${key}, found ${alarmsOf(v)
                .map((a) => a.name)
                .join(", ")}`,
        );
    }
    return found[0];
}
const topicArnOf = (ev: Evaluation) => only(ev, TOPIC).state.arn;

/** What each alarm watches, with the args of `full`. */
const EXPECTED: Record<
    string,
    {
        namespace: string;
        metricName: string;
        stat: string;
        dimensions: Record<string, string>;
        operator: string;
        threshold: number;
        missing: string;
    }
> = {
    "alb-active-no-healthy-hosts": {
        namespace: "AWS/ApplicationELB",
        metricName: "HealthyHostCount",
        stat: "Minimum",
        dimensions: { TargetGroup: ACTIVE_TG, LoadBalancer: LB },
        operator: "LessThanThreshold",
        threshold: 1,
        missing: "breaching",
    },
    "alb-failover-no-standby": {
        namespace: "AWS/ApplicationELB",
        metricName: "HealthyHostCount",
        stat: "Minimum",
        dimensions: { TargetGroup: FAILOVER_TG, LoadBalancer: LB },
        operator: "LessThanThreshold",
        threshold: 1,
        missing: "breaching",
    },
    "alb-active-unhealthy-hosts": {
        namespace: "AWS/ApplicationELB",
        metricName: "UnHealthyHostCount",
        stat: "Maximum",
        dimensions: { TargetGroup: ACTIVE_TG, LoadBalancer: LB },
        operator: "GreaterThanThreshold",
        threshold: 0,
        missing: "notBreaching",
    },
    "alb-failover-unhealthy-hosts": {
        namespace: "AWS/ApplicationELB",
        metricName: "UnHealthyHostCount",
        stat: "Maximum",
        dimensions: { TargetGroup: FAILOVER_TG, LoadBalancer: LB },
        operator: "GreaterThanThreshold",
        threshold: 0,
        missing: "notBreaching",
    },
    "alb-p99-response-time": {
        namespace: "AWS/ApplicationELB",
        metricName: "TargetResponseTime",
        stat: "p99",
        dimensions: { LoadBalancer: LB },
        operator: "GreaterThanThreshold",
        threshold: 2,
        missing: "notBreaching",
    },
    "servers-active-status-check-failed": {
        namespace: "AWS/EC2",
        metricName: "StatusCheckFailed",
        stat: "Maximum",
        dimensions: { AutoScalingGroupName: ACTIVE_ASG },
        operator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        missing: "notBreaching",
    },
    "servers-failover-status-check-failed": {
        namespace: "AWS/EC2",
        metricName: "StatusCheckFailed",
        stat: "Maximum",
        dimensions: { AutoScalingGroupName: FAILOVER_ASG },
        operator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        missing: "notBreaching",
    },
    "servers-active-cpu-high": {
        namespace: "AWS/EC2",
        metricName: "CPUUtilization",
        stat: "Average",
        dimensions: { AutoScalingGroupName: ACTIVE_ASG },
        operator: "GreaterThanThreshold",
        threshold: 80,
        missing: "missing",
    },
    "servers-failover-cpu-high": {
        namespace: "AWS/EC2",
        metricName: "CPUUtilization",
        stat: "Average",
        dimensions: { AutoScalingGroupName: FAILOVER_ASG },
        operator: "GreaterThanThreshold",
        threshold: 80,
        missing: "missing",
    },
    "db-primary-cpu-high": {
        namespace: "AWS/RDS",
        metricName: "CPUUtilization",
        stat: "Average",
        dimensions: { DBInstanceIdentifier: PRIMARY },
        operator: "GreaterThanThreshold",
        threshold: 80,
        missing: "missing",
    },
    "db-primary-low-free-storage": {
        namespace: "AWS/RDS",
        metricName: "FreeStorageSpace",
        stat: "Minimum",
        dimensions: { DBInstanceIdentifier: PRIMARY },
        operator: "LessThanThreshold",
        // 10% of 20 GiB
        threshold: 2147483648,
        missing: "missing",
    },
    "db-primary-connections-high": {
        namespace: "AWS/RDS",
        metricName: "DatabaseConnections",
        stat: "Maximum",
        dimensions: { DBInstanceIdentifier: PRIMARY },
        operator: "GreaterThanThreshold",
        threshold: 60,
        missing: "missing",
    },
    "db-replica-1-lag-high": {
        namespace: "AWS/RDS",
        metricName: "ReplicaLag",
        stat: "Maximum",
        dimensions: { DBInstanceIdentifier: "web-db-replica-1" },
        operator: "GreaterThanThreshold",
        threshold: 60,
        missing: "missing",
    },
    "db-replica-1-replication-stopped": {
        namespace: "AWS/RDS",
        metricName: "ReplicaLag",
        stat: "Minimum",
        dimensions: { DBInstanceIdentifier: "web-db-replica-1" },
        operator: "LessThanOrEqualToThreshold",
        threshold: -1,
        missing: "breaching",
    },
    "controller-errors": {
        namespace: "AWS/Lambda",
        metricName: "Errors",
        stat: "Sum",
        dimensions: { FunctionName: FUNCTION },
        operator: "GreaterThanThreshold",
        threshold: 0,
        missing: "notBreaching",
    },
    "failover-happened": {
        namespace: "HaWebstack/mon-test",
        metricName: "Failovers",
        stat: "Sum",
        dimensions: {},
        operator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        missing: "notBreaching",
    },
    "failover-move-failed": {
        namespace: "HaWebstack/mon-test",
        metricName: "MoveFailures",
        stat: "Sum",
        dimensions: {},
        operator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        missing: "notBreaching",
    },
    "controller-faults": {
        namespace: "HaWebstack/mon-test",
        metricName: "ControllerFaults",
        stat: "Sum",
        dimensions: {},
        operator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        missing: "notBreaching",
    },
    "controller-blind": {
        namespace: "HaWebstack/mon-test",
        metricName: "PollErrors",
        stat: "Sum",
        dimensions: {},
        operator: "GreaterThanOrEqualToThreshold",
        threshold: 6,
        missing: "notBreaching",
    },
};
const RATE_ALARMS = ["alb-5xx-rate", "alb-target-5xx-rate"];

/** [namespace, metricName, dimensions] of every metric an alarm reads. */
function alarmMetrics(
    a: RegisteredResource,
): { namespace: string; metricName: string; dimensions: Record<string, string> }[] {
    if (a.inputs.metricQueries) {
        return a.inputs.metricQueries
            .filter((q: any) => q.metric)
            .map((q: any) => ({
                namespace: q.metric.namespace,
                metricName: q.metric.metricName,
                dimensions: q.metric.dimensions ?? {},
            }));
    }
    return [{ namespace: a.inputs.namespace, metricName: a.inputs.metricName, dimensions: a.inputs.dimensions ?? {} }];
}

describe("Monitoring", () => {
    let ev: Variant;
    beforeAll(async () => {
        all = await evaluate(
            () =>
                Object.fromEntries(
                    Object.entries(VARIANTS).map(([key, args]) => {
                        const m = new Monitoring(key, args);
                        return [
                            key,
                            {
                                topicArn: m.topicArn,
                                dashboardUrl: m.dashboardUrl,
                                dashboardName: m.dashboardName,
                                alarmCount: m.alarms.length,
                                logGroupNames: m.logGroupNames,
                            },
                        ];
                    }),
                ),
            { stack: "test" },
        );
        ev = variant("mon");
    });

    it("should keep each component's resources apart (unique URNs, every one under its component)", () => {
        expect(new Set(all.resources.map((r) => r.urn)).size).toBe(all.resources.length);
        const children = Object.keys(VARIANTS).flatMap((k) => variant(k).resources);
        expect(children.length).toBe(all.resources.filter((r) => r.custom).length);
    });

    describe("alarms", () => {
        it("should create exactly the alarms of the tiers it was given, named <name>-<stack>-<what>", () => {
            expect(
                alarmsOf(ev)
                    .map((a) => a.inputs.name.replace(/^mon-test-/, ""))
                    .sort(),
            ).toEqual([...Object.keys(EXPECTED), ...RATE_ALARMS].sort());
            expect(ev.outputs.alarmCount).toBe(alarmsOf(ev).length);
            // Alarm names are unique per account and region; resource names unique per stack.
            expect(new Set(alarmsOf(ev).map((a) => a.urn)).size).toBe(alarmsOf(ev).length);
        });

        it.each(Object.keys(EXPECTED))("%s: watches the right metric of the right resource", (key) => {
            const e = EXPECTED[key];
            const a = alarm(ev, key);
            expect(a.inputs).toMatchObject({
                namespace: e.namespace,
                metricName: e.metricName,
                comparisonOperator: e.operator,
                threshold: e.threshold,
                treatMissingData: e.missing,
            });
            expect(a.inputs.dimensions ?? {}).toEqual(e.dimensions);
            if (e.stat.startsWith("p")) {
                expect(a.inputs.extendedStatistic).toBe(e.stat);
                expect(a.inputs.statistic).toBeUndefined();
            } else {
                expect(a.inputs.statistic).toBe(e.stat);
                expect(a.inputs.extendedStatistic).toBeUndefined();
            }
            expect(a.inputs.metricQueries).toBeUndefined();
        });

        it("should notify the topic on ALARM and on OK, describe what the alarm means with a runbook, and decide on missing data", () => {
            const topic = topicArnOf(ev);
            for (const a of alarmsOf(ev)) {
                expect(a.inputs.alarmActions).toEqual([topic]);
                expect(a.inputs.okActions).toEqual([topic]);
                expect(a.inputs.insufficientDataActions).toBeUndefined();
                expect(a.inputs.alarmDescription).toMatch(/^[A-Z].+\. Runbook: .+/);
                expect(a.inputs.alarmDescription.length).toBeLessThanOrEqual(1024);
                expect(["missing", "notBreaching", "breaching"]).toContain(a.inputs.treatMissingData);
                expect(a.inputs.datapointsToAlarm).toBeLessThanOrEqual(a.inputs.evaluationPeriods);
                expect(a.inputs.tags).toMatchObject({ Name: a.inputs.name });
                const period = a.inputs.period ?? a.inputs.metricQueries?.find((q: any) => q.metric)?.metric.period;
                // Server CPU waits for 5-minute data under basic monitoring (see below).
                expect(period).toBe(
                    a.inputs.metricName === "CPUUtilization" && a.inputs.namespace === "AWS/EC2" ? 300 : 60,
                );
            }
        });

        it("should page on critical conditions after 2 minutes and on sustained ones after 3 of 5", () => {
            for (const key of [
                "alb-active-no-healthy-hosts",
                "alb-failover-no-standby",
                "servers-active-status-check-failed",
                "db-replica-1-replication-stopped",
                "controller-blind",
            ]) {
                expect(alarm(ev, key).inputs).toMatchObject({ evaluationPeriods: 2, datapointsToAlarm: 2 });
            }
            for (const key of [
                "alb-5xx-rate",
                "alb-target-5xx-rate",
                "alb-p99-response-time",
                "db-primary-cpu-high",
                "db-replica-1-lag-high",
            ]) {
                expect(alarm(ev, key).inputs).toMatchObject({ evaluationPeriods: 5, datapointsToAlarm: 3 });
            }
            for (const key of ["failover-happened", "failover-move-failed", "controller-faults", "controller-errors"]) {
                expect(alarm(ev, key).inputs).toMatchObject({ evaluationPeriods: 1, datapointsToAlarm: 1 });
            }
            // p99 on few requests is noise: ignore low sample counts.
            expect(alarm(ev, "alb-p99-response-time").inputs.evaluateLowSampleCountPercentiles).toBe("ignore");
        });

        it.each([
            ["alb-5xx-rate", "HTTPCode_ELB_5XX_Count", 5],
            ["alb-target-5xx-rate", "HTTPCode_Target_5XX_Count", 5],
        ])(
            "%s: alarms on %s as a %% of RequestCount, zero-filled, not on an idle load balancer",
            (key, metricName, threshold) => {
                const a = alarm(ev, key);
                expect(a.inputs).toMatchObject({
                    comparisonOperator: "GreaterThanThreshold",
                    threshold,
                    treatMissingData: "notBreaching",
                });
                for (const field of [
                    "namespace",
                    "metricName",
                    "period",
                    "statistic",
                    "extendedStatistic",
                    "dimensions",
                ]) {
                    expect(a.inputs[field]).toBeUndefined();
                }
                const q = a.inputs.metricQueries;
                expect(q).toEqual([
                    {
                        id: "errors",
                        label: expect.any(String),
                        returnData: false,
                        metric: {
                            namespace: "AWS/ApplicationELB",
                            metricName,
                            dimensions: { LoadBalancer: LB },
                            stat: "Sum",
                            period: 60,
                        },
                    },
                    {
                        id: "requests",
                        label: "requests",
                        returnData: false,
                        metric: {
                            namespace: "AWS/ApplicationELB",
                            metricName: "RequestCount",
                            dimensions: { LoadBalancer: LB },
                            stat: "Sum",
                            period: 60,
                        },
                    },
                    {
                        id: "rate",
                        label: expect.stringContaining("% of requests"),
                        expression: "IF(FILL(requests, 0) >= 10, 100 * FILL(errors, 0) / FILL(requests, 1), 0)",
                        returnData: true,
                    },
                ]);
                expect(q.filter((x: any) => x.returnData)).toHaveLength(1);
            },
        );

        it.each([0, 1, 3])("should give each of %i replicas a lag alarm and a replication-stopped alarm", (n) => {
            const e = variant(n === 1 ? "mon" : `r${n}`);
            const lag = alarmsOf(e).filter((a) => a.inputs.metricName === "ReplicaLag");
            expect(lag).toHaveLength(2 * n);
            for (let i = 1; i <= n; i++) {
                const high = alarm(e, `db-replica-${i}-lag-high`);
                const stopped = alarm(e, `db-replica-${i}-replication-stopped`);
                expect(high.inputs.dimensions).toEqual({ DBInstanceIdentifier: `web-db-replica-${i}` });
                expect(stopped.inputs.dimensions).toEqual({ DBInstanceIdentifier: `web-db-replica-${i}` });
                expect(stopped.inputs).toMatchObject({
                    statistic: "Minimum",
                    comparisonOperator: "LessThanOrEqualToThreshold",
                    threshold: -1,
                });
            }
            // The primary's alarms do not depend on the replicas.
            expect(alarmsOf(e).filter((a) => a.inputs.dimensions?.DBInstanceIdentifier === PRIMARY)).toHaveLength(3);
        });

        it("should create no database alarm without a database, no controller alarm or metric filter without a controller", () => {
            const e = variant("base");
            expect(alarmsOf(e).filter((a) => a.inputs.namespace === "AWS/RDS")).toEqual([]);
            expect(alarmsOf(e).filter((a) => /^base-(controller|failover)-/.test(a.name))).toEqual([]);
            expect(
                alarmsOf(e).filter(
                    (a) => a.inputs.namespace === "AWS/Lambda" || a.inputs.namespace?.startsWith("HaWebstack"),
                ),
            ).toEqual([]);
            expect(ofType(e, FILTER)).toEqual([]);
            expect(alarmsOf(e)).toHaveLength(11);
        });

        it("should alarm on 'no healthy server' for the single group of active-active, and on no server alarms without pools", () => {
            const e = variant("aa");
            expect(
                alarmsOf(e)
                    .map((a) => a.inputs.name)
                    .sort(),
            ).toEqual(
                [
                    "alb-web-no-healthy-hosts",
                    "alb-web-unhealthy-hosts",
                    "alb-5xx-rate",
                    "alb-target-5xx-rate",
                    "alb-p99-response-time",
                ]
                    .map((k) => `aa-test-${k}`)
                    .sort(),
            );
            expect(alarm(e, "alb-web-no-healthy-hosts").inputs.alarmDescription).toMatch(
                /No healthy server in the web target group/,
            );
        });

        it("should take every threshold from the args, and size the free-storage alarm in bytes without allocated storage", () => {
            const e = variant("thr");
            expect(alarm(e, "servers-active-cpu-high").inputs.threshold).toBe(70);
            expect(alarm(e, "alb-5xx-rate").inputs.threshold).toBe(1.5);
            expect(alarm(e, "alb-5xx-rate").inputs.metricQueries[2].expression).toBe(
                rateExpression("errors", "requests", 50),
            );
            expect(alarm(e, "alb-target-5xx-rate").inputs.threshold).toBe(2);
            expect(alarm(e, "alb-p99-response-time").inputs.threshold).toBe(0.5);
            expect(alarm(e, "db-primary-cpu-high").inputs).toMatchObject({
                threshold: 90,
                evaluationPeriods: 10,
                datapointsToAlarm: 10,
            });
            expect(alarm(e, "db-primary-low-free-storage").inputs.threshold).toBe(5 * 1024 ** 3);
            expect(alarm(e, "db-primary-connections-high").inputs.threshold).toBe(200);
            expect(alarm(e, "db-replica-1-lag-high").inputs.threshold).toBe(30);
            expect(alarm(e, "alb-active-no-healthy-hosts").inputs).toMatchObject({
                evaluationPeriods: 3,
                datapointsToAlarm: 3,
            });
            expect(alarm(e, "controller-blind").inputs.threshold).toBe(3);
            // Basic monitoring: 10 minutes of CPU are two 5-minute periods.
            expect(alarm(e, "servers-active-cpu-high").inputs).toMatchObject({
                period: 300,
                evaluationPeriods: 2,
                datapointsToAlarm: 2,
            });
        });

        it("should evaluate server CPU every minute when the launch templates have detailed monitoring", () => {
            const e = variant("detailed");
            expect(alarm(e, "servers-active-cpu-high").inputs).toMatchObject({
                period: 60,
                evaluationPeriods: 5,
                datapointsToAlarm: 3,
            });
            const basic = variant("base");
            expect(alarm(basic, "servers-active-cpu-high").inputs).toMatchObject({
                period: 300,
                evaluationPeriods: 1,
                datapointsToAlarm: 1,
            });
        });

        it("should prefix names with namePrefix so two stacks in one account do not overwrite each other's alarms", () => {
            const e = variant("pfx");
            expect(alarmsOf(e).every((a) => a.inputs.name.startsWith("shop-prod-"))).toBe(true);
            expect(only(e, DASHBOARD).inputs.dashboardName).toBe("shop-prod");
        });
    });

    describe("failover controller", () => {
        it("should count moves, failed moves, faults and failed polls from its JSON log lines, in a namespace of this stack", () => {
            const filters = ofType(ev, FILTER);
            expect(filters.map((f) => [f.inputs.name, f.inputs.pattern, f.inputs.metricTransformation.name])).toEqual([
                ["mon-test-failovers", '{ $.event = "failover" }', "Failovers"],
                ["mon-test-failbacks", '{ $.event = "failback" }', "Failbacks"],
                [
                    "mon-test-move-failures",
                    '{ ($.event = "failover_failed") || ($.event = "failback_failed") }',
                    "MoveFailures",
                ],
                [
                    "mon-test-controller-faults",
                    '{ ($.event = "config_error") || ($.event = "unexpected_error") }',
                    "ControllerFaults",
                ],
                ["mon-test-poll-errors", '{ $.event = "poll_error" }', "PollErrors"],
            ]);
            for (const f of filters) {
                expect(f.inputs.logGroupName).toBe(CONTROLLER_LOGS);
                expect(f.inputs.metricTransformation).toEqual({
                    name: expect.any(String),
                    namespace: "HaWebstack/mon-test",
                    value: "1",
                    unit: "Count",
                });
            }
            // Every alarm on a counted metric reads a metric some filter publishes.
            const published = new Set(
                filters.map((f) => `${f.inputs.metricTransformation.namespace}/${f.inputs.metricTransformation.name}`),
            );
            for (const a of alarmsOf(ev).filter((x) => x.inputs.namespace?.startsWith("HaWebstack"))) {
                expect(published).toContain(`${a.inputs.namespace}/${a.inputs.metricName}`);
            }
        });

        it("should read the function's default log group when none is given", () => {
            const e = variant("fn");
            expect(new Set(ofType(e, FILTER).map((f) => f.inputs.logGroupName))).toEqual(
                new Set([`/aws/lambda/${FUNCTION}`]),
            );
        });

        it("should build each filter pattern from the events it counts", () => {
            expect(logMetricPattern("failovers")).toBe('{ $.event = "failover" }');
            expect(logMetricPattern("moveFailures")).toBe(
                '{ ($.event = "failover_failed") || ($.event = "failback_failed") }',
            );
            for (const metric of Object.keys(CONTROLLER_LOG_METRICS) as ControllerLogMetric[]) {
                for (const event of CONTROLLER_LOG_METRICS[metric].events) expect(LOG_EVENTS).toContain(event);
            }
        });
    });

    describe("topic", () => {
        it("should create a topic only CloudWatch alarms of this account may publish to, left unencrypted (alias/aws/sns would block them)", () => {
            const topic = only(ev, TOPIC);
            expect(topic.inputs.kmsMasterKeyId).toBeUndefined();
            const policy = JSON.parse(only(ev, TOPIC_POLICY).inputs.policy);
            expect(only(ev, TOPIC_POLICY).inputs.arn).toBe(topic.state.arn);
            expect(policy.Statement).toEqual([
                {
                    Sid: "CloudWatchAlarmsPublish",
                    Effect: "Allow",
                    Principal: { Service: "cloudwatch.amazonaws.com" },
                    Action: "sns:Publish",
                    Resource: topic.state.arn,
                    Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
                },
            ]);
            expect(ev.outputs.topicArn).toBe(topic.state.arn);
        });

        it("should use a given topic as it is: no topic, no policy, every alarm notifying it", () => {
            const given = GIVEN_TOPIC;
            const e = variant("given");
            expect(ofType(e, TOPIC)).toEqual([]);
            expect(ofType(e, TOPIC_POLICY)).toEqual([]);
            expect(e.outputs.topicArn).toBe(given);
            for (const a of alarmsOf(e)) {
                expect(a.inputs.alarmActions).toEqual([given]);
                expect(a.inputs.okActions).toEqual([given]);
            }
            expect(only(e, SUBSCRIPTION).inputs.topic).toBe(given);
        });

        it("should encrypt with a customer managed key when asked", () => {
            expect(only(variant("kms"), TOPIC).inputs.kmsMasterKeyId).toBe(CMK);
        });

        it("should subscribe the alert email iff one is given", () => {
            expect(only(ev, SUBSCRIPTION).inputs).toMatchObject({
                topic: topicArnOf(ev),
                protocol: "email",
                endpoint: "ops@example.com",
            });
            const e = variant("base");
            expect(ofType(e, SUBSCRIPTION)).toEqual([]);
        });
    });

    describe("validation", () => {
        it.each([
            "ops@",
            "not an email",
            "a@b",
            "@example.com",
            "ops@example",
            "ops@exa mple.com",
            "ops@@example.com",
            "ops@-example.com",
            "",
        ])("should reject alertEmail=%j before creating anything", async (email) => {
            await expectRejectedBeforeCreate(
                build({ ...full, alertEmail: email }),
                `Monitoring args.alertEmail=${email === "" ? '""' : email} is not valid: expected an email address`,
            );
        });

        it("should accept plausible email addresses", () => {
            for (const email of ["ops@example.com", "first.last+alerts@sub.example.co.uk", "a_b-c@x-y.io"]) {
                expect(emailAddress("ha-webstack:alertEmail", email)).toBe(email);
            }
            expect(() => emailAddress("ha-webstack:alertEmail", "a@b")).toThrow(
                "ha-webstack:alertEmail=a@b is not valid: expected an email address such as ops@example.com",
            );
        });

        it.each([
            [
                { serverCpuPercent: 150 },
                "Monitoring args.thresholds.serverCpuPercent=150 is not valid: expected a number from 1 to 100",
            ],
            [{ serverCpuPercent: "lots" }, "Monitoring args.thresholds.serverCpuPercent=lots is not valid"],
            [
                { elb5xxPercent: 0 },
                "Monitoring args.thresholds.elb5xxPercent=0 is not valid: expected a number from 0.01 to 100",
            ],
            [{ p99ResponseTimeSeconds: -1 }, "Monitoring args.thresholds.p99ResponseTimeSeconds=-1 is not valid"],
            [
                { replicaLagSeconds: 1.5 },
                "Monitoring args.thresholds.replicaLagSeconds=1.5 is not valid: expected an integer from 1 to 86400",
            ],
            [{ evaluationPeriods: 0 }, "Monitoring args.thresholds.evaluationPeriods=0 is not valid"],
            [
                { datapointsToAlarm: 6 },
                "Monitoring args.thresholds.datapointsToAlarm=6 is not valid: expected an integer from 1 to evaluationPeriods (5)",
            ],
            [{ databaseConnections: NaN }, "Monitoring args.thresholds.databaseConnections=null is not valid"],
            [
                { cpuPercent: 90 },
                "Monitoring args.thresholds.cpuPercent is not a threshold: expected one of serverCpuPercent,",
            ],
        ])("should reject thresholds %j before creating anything", async (thresholds, message) => {
            await expectRejectedBeforeCreate(build({ ...full, thresholds: thresholds as any }), message);
        });

        it.each([
            [
                { serverLogRetentionDays: 10 },
                "Monitoring args.serverLogRetentionDays=10 is not valid: expected a CloudWatch Logs retention in days: one of 1, 3, 5, 7, 14, 30",
            ],
            [
                {
                    loadBalancer: {
                        arnSuffix:
                            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef",
                    },
                },
                "Monitoring args.loadBalancer.arnSuffix=arn:aws:elasticloadbalancing",
            ],
            [
                { targetGroups: [] },
                "Monitoring args.targetGroups=0 target group(s) is not valid: expected 1 to 3 target groups, one per role",
            ],
            [
                { targetGroups: [{ role: "standby", arnSuffix: ACTIVE_TG }] },
                "Monitoring args.targetGroups[0].role=standby is not valid: expected one of active, failover, web",
            ],
            [
                {
                    targetGroups: [
                        { role: "active", arnSuffix: ACTIVE_TG },
                        { role: "active", arnSuffix: FAILOVER_TG },
                    ],
                },
                "Monitoring args.targetGroups[1].role=active is not valid",
            ],
            [
                { targetGroups: [{ role: "active", arnSuffix: "act-a1b2c3" }] },
                "Monitoring args.targetGroups[0].arnSuffix=act-a1b2c3 is not valid: expected a target group ARN suffix",
            ],
            [
                { autoScalingGroups: [{ role: "Active Pool", name: ACTIVE_ASG }] },
                "Monitoring args.autoScalingGroups[0].role=Active Pool is not valid",
            ],
            [
                { database: { primaryIdentifier: PRIMARY, replicaIdentifiers: replicas(16) } },
                "Monitoring args.database.replicaIdentifiers=",
            ],
            [
                { database: { primaryIdentifier: "web-db.c0abc.us-east-1.rds.amazonaws.com", replicaIdentifiers: [] } },
                "Monitoring args.database.primaryIdentifier=web-db.c0abc",
            ],
            [
                { database: { primaryIdentifier: PRIMARY, replicaIdentifiers: [], allocatedStorageGb: 5 } },
                "Monitoring args.database.allocatedStorageGb=5 is not valid: expected an integer from 20 to 65536",
            ],
            [
                { failoverController: { functionName: "arn:aws:lambda:us-east-1:123456789012:function:fc" } },
                "Monitoring args.failoverController.functionName=arn:aws:lambda",
            ],
            [{ topicArn: "ops-alerts" }, "Monitoring args.topicArn=ops-alerts is not valid: expected an SNS topic ARN"],
            [
                { topicKmsKeyId: "alias/aws/sns" },
                "Monitoring args.topicKmsKeyId=alias/aws/sns is not valid: expected a customer managed KMS key: CloudWatch alarms cannot publish",
            ],
            [{ namePrefix: "my prefix" }, "Monitoring args.namePrefix=my prefix is not valid"],
            [{ logGroupPrefix: "/ha webstack" }, "Monitoring args.logGroupPrefix=/ha webstack is not valid"],
            [{ metricNamespace: "AWS/Custom" }, "Monitoring args.metricNamespace=AWS/Custom is not valid"],
        ])("should reject %j before creating anything", async (args, message) => {
            await expectRejectedBeforeCreate(build({ ...full, ...(args as Partial<MonitoringArgs>) }), message);
        });
    });

    describe("dashboard", () => {
        let body: any;
        beforeAll(() => {
            body = JSON.parse(only(ev, DASHBOARD).inputs.dashboardBody);
        });

        it("should be named after the prefix and linked from its console URL", () => {
            expect(only(ev, DASHBOARD).inputs.dashboardName).toBe("mon-test");
            expect(ev.outputs.dashboardName).toBe("mon-test");
            expect(ev.outputs.dashboardUrl).toBe(
                "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=mon-test",
            );
        });

        it("should show every alarm's state on top", () => {
            const [status] = body.widgets;
            expect(status).toMatchObject({ type: "alarm", x: 0, y: 0, width: 24 });
            expect(status.properties.alarms.sort()).toEqual(
                alarmsOf(ev)
                    .map((a) => a.state.arn)
                    .sort(),
            );
            expect(
                status.properties.alarms.every((arn: string) =>
                    arn.startsWith("arn:aws:cloudwatch:us-east-1:123456789012:alarm:mon-test-"),
                ),
            ).toBe(true);
        });

        it("should have one row per tier: a text header, then its widgets side by side", () => {
            const rows = new Map<number, any[]>();
            for (const w of body.widgets.slice(1)) {
                rows.set(w.y, [...(rows.get(w.y) ?? []), w]);
            }
            const ys = [...rows.keys()].sort((a, b) => a - b);
            const headers = ys.filter((y) => rows.get(y)!.every((w) => w.type === "text"));
            expect(headers.map((y) => rows.get(y)![0].properties.markdown.replace(/ — .*/, ""))).toEqual([
                "## Load balancer",
                "## Servers",
                "## Database",
                "## Failover controller",
            ]);
            for (const y of headers) {
                expect(rows.get(y)).toHaveLength(1);
                expect(rows.get(y)![0]).toMatchObject({ x: 0, width: 24 });
                const widgets = rows.get(y + 1)!;
                expect(widgets.length).toBeGreaterThan(0);
                expect(widgets.every((w) => w.type === "metric" && w.properties.region === "us-east-1")).toBe(true);
                // Side by side, inside the 24-column grid, without overlap.
                const xs = widgets.map((w) => [w.x, w.x + w.width]).sort((a, b) => a[0] - b[0]);
                xs.forEach(([start, end], i) => {
                    expect(end).toBeLessThanOrEqual(24);
                    if (i > 0) expect(start).toBeGreaterThanOrEqual(xs[i - 1][1]);
                });
            }
            expect(ys.length).toBe(2 * headers.length);
        });

        it("should graph every metric an alarm reads, with the alarm's dimensions", () => {
            const key = (namespace: string, metricName: string, dims: Record<string, string>) =>
                JSON.stringify([namespace, metricName, Object.entries(dims).sort(([a], [b]) => a.localeCompare(b))]);
            const lines: unknown[][] = body.widgets
                .filter((w: any) => w.type === "metric")
                .flatMap((w: any) => w.properties.metrics);
            const graphed = lines
                .filter((l) => typeof l[0] === "string")
                .map((l) => {
                    const values = l.filter((x) => typeof x === "string") as string[];
                    const dims: Record<string, string> = {};
                    for (let i = 2; i + 1 < values.length; i += 2) dims[values[i]] = values[i + 1];
                    return key(values[0], values[1], dims);
                });
            for (const a of alarmsOf(ev)) {
                for (const m of alarmMetrics(a)) {
                    expect(graphed).toContain(key(m.namespace, m.metricName, m.dimensions));
                }
            }
            // The 5xx rates the alarms compute are graphed as the same expressions.
            const expressions = lines.filter((l) => typeof l[0] === "object").map((l) => (l[0] as any).expression);
            expect(expressions).toEqual([rateExpression("m0", "req", 10), rateExpression("m1", "req", 10)]);
        });

        it("should leave out the rows of tiers it was not given", () => {
            const e = variant("aa");
            const b = JSON.parse(only(e, DASHBOARD).inputs.dashboardBody);
            expect(
                b.widgets
                    .filter((w: any) => w.type === "text")
                    .map((w: any) => w.properties.markdown.replace(/ — .*/, "")),
            ).toEqual(["## Load balancer"]);
        });
    });

    describe("server logs", () => {
        it("should create the nginx access, nginx error and app log groups with the retention", () => {
            const groups = ofType(ev, LOG_GROUP);
            expect(groups.map((g) => [g.inputs.name, g.inputs.retentionInDays])).toEqual([
                ["/ha-webstack/test/nginx/access", 30],
                ["/ha-webstack/test/nginx/error", 30],
                ["/ha-webstack/test/app", 30],
            ]);
            expect(ev.outputs.logGroupNames).toEqual({
                nginxAccess: "/ha-webstack/test/nginx/access",
                nginxError: "/ha-webstack/test/nginx/error",
                app: "/ha-webstack/test/app",
            });
            const e = variant("ret");
            expect(ofType(e, LOG_GROUP).map((g) => [g.inputs.name, g.inputs.retentionInDays])).toEqual([
                ["/shop/prod/nginx/access", 90],
                ["/shop/prod/nginx/error", 90],
                ["/shop/prod/app", 90],
            ]);
            expect(ofType(variant("kms"), LOG_GROUP)).toEqual([]);
        });

        it("should give the instance roles it is handed the policy to ship to exactly those log groups", () => {
            const e = variant("roles");
            const policies = ofType(e, ROLE_POLICY);
            expect(policies.map((p) => p.inputs.role)).toEqual(["web-active-role", "web-failover-role"]);
            const arns = ofType(e, LOG_GROUP).map((g) => g.state.arn);
            for (const p of policies) {
                expect(JSON.parse(p.inputs.policy)).toEqual(
                    JSON.parse(serverLogsPolicyDocument({ logGroupArns: arns })),
                );
            }
            expect(ofType(ev, ROLE_POLICY)).toEqual([]);
        });

        it("should build a least-privilege policy: streams and events in those groups, metrics only in their namespace", () => {
            const arns = [
                "arn:aws:logs:us-east-1:123456789012:log-group:/ha-webstack/dev/nginx/access",
                "arn:aws:logs:us-east-1:123456789012:log-group:/ha-webstack/dev/app",
            ];
            const logsOnly = JSON.parse(serverLogsPolicyDocument({ logGroupArns: arns }));
            expect(logsOnly).toEqual({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "ShipServerLogs",
                        Effect: "Allow",
                        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        Resource: arns.map((a) => `${a}:*`),
                    },
                ],
            });
            const withMetrics = JSON.parse(
                serverLogsPolicyDocument({ logGroupArns: arns, metricsNamespace: "HaWebstack/Servers" }),
            );
            expect(withMetrics.Statement.slice(1)).toEqual([
                {
                    Sid: "ServerMetrics",
                    Effect: "Allow",
                    Action: "cloudwatch:PutMetricData",
                    Resource: "*",
                    Condition: { StringEquals: { "cloudwatch:namespace": "HaWebstack/Servers" } },
                },
                { Sid: "ReadOwnAutoScalingGroup", Effect: "Allow", Action: "ec2:DescribeTags", Resource: "*" },
            ]);
            for (const s of [...logsOnly.Statement, ...withMetrics.Statement]) {
                const actions = [s.Action].flat();
                expect(actions.some((a: string) => a.includes("*"))).toBe(false);
            }
            expect(() => serverLogsPolicyDocument({ logGroupArns: [] })).toThrow(/at least one log group/);
            expect(() => serverLogsPolicyDocument({ logGroupArns: [`${arns[0]}:*`] })).toThrow(
                /a log group ARN without :\*/,
            );
        });
    });

    describe("CloudWatch agent user data", () => {
        const logGroups = serverLogGroupNames("/ha-webstack/dev");
        const agent = cloudWatchAgentUserData({ logGroups });
        // The stand-in machine of tests/support/boot.ts (stub mode): S3, aws, dnf, systemctl... recorded.
        let kit: BootKit;
        beforeAll(() => {
            kit = makeBootKit("stub");
            // FAIL_AGENT_DNF=1 fails the agent's install only; the agent's control command is recorded.
            fs.writeFileSync(
                path.join(kit.stubs, "dnf"),
                `#!/bin/sh\nprintf '%s\\n' "dnf $*" >> '${kit.calls}'\n` +
                    'case "$*" in *amazon-cloudwatch-agent*) [ -z "${FAIL_AGENT_DNF:-}" ] || exit 1 ;; esac\n',
                { mode: 0o755 },
            );
            fs.writeFileSync(
                path.join(kit.stubs, "amazon-cloudwatch-agent-ctl"),
                `#!/bin/sh\nprintf '%s\\n' "amazon-cloudwatch-agent-ctl $*" >> '${kit.calls}'\n`,
                { mode: 0o755 },
            );
        });
        afterAll(() => fs.rmSync(kit.dir, { recursive: true, force: true }));

        function run(root: string, env: NodeJS.ProcessEnv = {}) {
            const script = renderUserData({
                region: "us-east-1",
                stack: "dev",
                appPort: 80,
                bundle: kit.location,
                ...agent,
            });
            return runBootSync(kit, script, root, env);
        }

        it("should keep the rendered user data under EC2's 16 KB, even with 15 replicas", () => {
            const minimal = renderUserData({
                region: "us-east-1",
                stack: "dev",
                appPort: 80,
                bundle: kit.location,
                ...agent,
            });
            expect(Buffer.byteLength(minimal)).toBeLessThan(USER_DATA_LIMIT);
            const hosts = Array.from(
                { length: 15 },
                (_, i) => `ha-webstack-prod-replica-${i}.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com`,
            );
            const largest = renderUserData({
                region: "eu-west-3",
                stack: "prod",
                appPort: 8080,
                bundle: kit.location,
                db: {
                    writerHost: "ha-webstack-prod-primary.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com",
                    writerPort: 3306,
                    readerHosts: hosts,
                    readerPort: 3306,
                    secretArn: "arn:aws:secretsmanager:eu-west-3:123456789012:secret:ha-webstack-db-AbCdEf",
                    database: "webapp",
                },
                ...cloudWatchAgentUserData({
                    logGroups: serverLogGroupNames("/ha-webstack/prod"),
                    metricsNamespace: "HaWebstack/Servers",
                }),
            });
            expect(Buffer.byteLength(largest)).toBeLessThan(USER_DATA_LIMIT);
            expect(spawnSync("bash", ["-n"], { input: minimal, encoding: "utf8" }).status).toBe(0);
            // Pure: the same options give the same bytes (no launch template diff on preview).
            expect(cloudWatchAgentUserData({ logGroups })).toEqual(agent);
        });

        it("should configure the agent with valid JSON naming every log group, one stream per instance", () => {
            const file = agent.extraFiles.find((f) => f.path === CLOUDWATCH_AGENT_CONFIG_PATH)!;
            const config = JSON.parse(file.content);
            expect(config).toEqual(cloudWatchAgentConfig({ logGroups }));
            const collected = config.logs.logs_collected.files.collect_list;
            expect(collected.map((c: any) => [c.file_path, c.log_group_name, c.log_stream_name])).toEqual([
                ["/var/log/nginx/access.log", logGroups.nginxAccess, "{instance_id}"],
                ["/var/log/nginx/error.log", logGroups.nginxError, "{instance_id}"],
                [APP_LOG_FILE, logGroups.app, "{instance_id}"],
            ]);
            for (const name of Object.values(logGroups)) expect(file.content).toContain(name);
            // Logs only unless asked: no metrics section, so no PutMetricData needed.
            expect(config.metrics).toBeUndefined();
            // The agent never sets retention (the stack owns it, and the role may not).
            expect(collected.every((c: any) => c.retention_in_days === undefined)).toBe(true);
            const withMetrics = cloudWatchAgentConfig({ logGroups, metricsNamespace: "HaWebstack/Servers" }) as any;
            expect(withMetrics.metrics).toMatchObject({
                namespace: "HaWebstack/Servers",
                append_dimensions: { AutoScalingGroupName: "${aws:AutoScalingGroupName}" },
            });
            expect(Object.keys(withMetrics.metrics.metrics_collected)).toEqual(["mem", "disk"]);
            expect(() => cloudWatchAgentConfig({ logGroups: { ...logGroups, app: "bad name" } })).toThrow(
                /logGroups.app=bad name is not valid/,
            );
        });

        it("should run after the bootstrap: send the app's output to a file, install and start the agent with that config", () => {
            const root = path.join(kit.dir, "root");
            const r = run(root);
            expect(r.stderr).not.toMatch(/ERROR|WARNING/);
            expect(r.status).toBe(0);
            expect(r.stdout).toMatch(/ha-webstack: CloudWatch agent started/);
            const read = (p: string) => fs.readFileSync(path.join(root, p), "utf8");
            expect(JSON.parse(read(CLOUDWATCH_AGENT_CONFIG_PATH))).toEqual(cloudWatchAgentConfig({ logGroups }));
            expect(read(APP_LOG_DROP_IN_PATH).split("\n")).toEqual(
                expect.arrayContaining([
                    "[Service]",
                    `StandardOutput=append:${APP_LOG_FILE}`,
                    `StandardError=append:${APP_LOG_FILE}`,
                ]),
            );
            expect(read(APP_LOGROTATE_PATH)).toMatch(
                new RegExp(`^${APP_LOG_FILE.replace(/\//g, "\\/")} \\{[\\s\\S]*copytruncate`),
            );
            expect(fs.statSync(path.join(root, path.dirname(APP_LOG_FILE))).isDirectory()).toBe(true);
            // The bootstrap's calls first, then ours.
            // (The loader's readiness checks and its lifecycle call come after; boot.ts and server.test.ts cover them.)
            const ours = r.calls
                .slice(r.calls.lastIndexOf("systemctl restart ha-webstack-app.service nginx.service") + 1)
                .filter((c) => !c.startsWith("curl ") && !c.startsWith("aws "));
            expect(ours).toEqual([
                "systemctl daemon-reload",
                "systemctl restart ha-webstack-app.service",
                "dnf install -y amazon-cloudwatch-agent",
                `amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${root}${CLOUDWATCH_AGENT_CONFIG_PATH}`,
            ]);
        });

        it("should only warn when the agent cannot be installed: the server serves without shipping its logs", () => {
            const r = run(path.join(kit.dir, "root-no-agent"), { FAIL_AGENT_DNF: "1" });
            expect(r.status).toBe(0);
            expect(r.stderr).toMatch(/WARNING: amazon-cloudwatch-agent not installed/);
            expect(r.calls.some((c) => c.startsWith("amazon-cloudwatch-agent-ctl"))).toBe(false);
        });
    });

    it("should expose sensible defaults", () => {
        expect(DEFAULT_THRESHOLDS).toMatchObject({
            serverCpuPercent: 80,
            elb5xxPercent: 5,
            p99ResponseTimeSeconds: 2,
            replicaLagSeconds: 60,
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
        });
    });
});

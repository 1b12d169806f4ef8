import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { named, Tags } from "../shared/tags";
import { UserDataFile } from "../serverPool/userData";
import { booleanValue, checkInput, integerIn, invalid, logRetentionDays, ValidationError } from "../shared/validation";

/** The role of a target group in the load balancer (see `LoadBalancer`). */
export const TARGET_GROUP_ROLES = ["active", "failover", "web"] as const;
export type TargetGroupRole = (typeof TARGET_GROUP_ROLES)[number];

/**
 * Every threshold of the alarms. Each alarm looks at 60-second periods (except server CPU under
 * basic monitoring, see {@link MonitoringArgs.serverDetailedMonitoring}).
 */
export interface Thresholds {
    /** Average CPU of a server pool (Auto Scaling group), in %, above which it alarms. */
    serverCpuPercent: number;
    /** Load-balancer-generated 5xx (`HTTPCode_ELB_5XX_Count`) as a % of `RequestCount`. */
    elb5xxPercent: number;
    /** Server-generated 5xx (`HTTPCode_Target_5XX_Count`) as a % of `RequestCount`. */
    target5xxPercent: number;
    /** Requests per minute below which the 5xx rates count as 0 (one failed request out of two is not an outage). */
    errorRateMinRequests: number;
    /** p99 of `TargetResponseTime`, in seconds. */
    p99ResponseTimeSeconds: number;
    /** Average CPU of the database primary, in %. */
    databaseCpuPercent: number;
    /** Free storage of the primary, as a % of `database.allocatedStorageGb` (when given). */
    freeStoragePercent: number;
    /** Free storage of the primary, in bytes, when `database.allocatedStorageGb` is not given. */
    freeStorageBytes: number;
    /** Open connections on the primary (db.t4g.micro allows about 85: DBInstanceClassMemory / 12582880). */
    databaseConnections: number;
    /** Seconds a replica may lag behind the primary. */
    replicaLagSeconds: number;
    /** Minutes (60 s periods) a sustained alarm looks at: CPU, 5xx rates, p99, database, replica lag. */
    evaluationPeriods: number;
    /** How many of those minutes must breach (M of N: one spike does not page). */
    datapointsToAlarm: number;
    /** Consecutive breaching minutes for the critical alarms: healthy hosts, status checks, replication stopped. */
    criticalEvaluationPeriods: number;
    /** Failed polls per minute of the failover controller that mean it is blind (it polls every 5 s by default: 12 a minute). */
    controllerPollErrorsPerMinute: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = {
    serverCpuPercent: 80,
    elb5xxPercent: 5,
    target5xxPercent: 5,
    errorRateMinRequests: 10,
    p99ResponseTimeSeconds: 2,
    databaseCpuPercent: 80,
    freeStoragePercent: 10,
    freeStorageBytes: 2 * 1024 ** 3,
    databaseConnections: 60,
    replicaLagSeconds: 60,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    criticalEvaluationPeriods: 2,
    controllerPollErrorsPerMinute: 6,
};

/** [min, max, integer] of every threshold. */
const THRESHOLD_RANGES: Record<keyof Thresholds, [number, number, boolean]> = {
    serverCpuPercent: [1, 100, false],
    elb5xxPercent: [0.01, 100, false],
    target5xxPercent: [0.01, 100, false],
    errorRateMinRequests: [1, 1_000_000, true],
    p99ResponseTimeSeconds: [0.001, 4000, false],
    databaseCpuPercent: [1, 100, false],
    freeStoragePercent: [1, 90, false],
    freeStorageBytes: [1024 ** 2, 64 * 1024 ** 4, true],
    databaseConnections: [1, 100_000, true],
    replicaLagSeconds: [1, 86_400, true],
    evaluationPeriods: [1, 60, true],
    datapointsToAlarm: [1, 60, true],
    criticalEvaluationPeriods: [1, 10, true],
    controllerPollErrorsPerMinute: [1, 60, true],
};

export interface MonitoringLoadBalancer {
    /** The ALB's ARN suffix, `app/<name>/<id>` (`lb.arnSuffix`): the CloudWatch dimension `LoadBalancer`. */
    arnSuffix: pulumi.Input<string>;
}

export interface MonitoringTargetGroup {
    /** `active` and `web` groups alarm as "no healthy server", the `failover` group as "no standby". */
    role: TargetGroupRole;
    /** The target group's ARN suffix, `targetgroup/<name>/<id>`: the CloudWatch dimension `TargetGroup`. */
    arnSuffix: pulumi.Input<string>;
}

export interface MonitoringAutoScalingGroup {
    /** A short name for alarm names and the dashboard (`active`, `failover`, `web`...): lowercase letters, digits, hyphens. */
    role: string;
    /** The Auto Scaling group's name (`pool.autoScalingGroup.name`): the EC2 dimension `AutoScalingGroupName`. */
    name: pulumi.Input<string>;
}

export interface MonitoringDatabase {
    /** The primary's `DBInstanceIdentifier`. */
    primaryIdentifier: pulumi.Input<string>;
    /** One entry per read replica (0 to 15): each gets a lag alarm and a replication-stopped alarm. */
    replicaIdentifiers: pulumi.Input<string>[];
    /**
     * The primary's allocated storage (GiB): the free-storage alarm then fires below
     * `thresholds.freeStoragePercent` of it, else below `thresholds.freeStorageBytes`.
     */
    allocatedStorageGb?: number;
}

export interface MonitoringFailoverController {
    /** The controller's Lambda function name: the dimension `FunctionName`. */
    functionName: pulumi.Input<string>;
    /**
     * The log group the controller writes its JSON lines to (`controller.logGroup.name`); the
     * metric filters need it to exist, so pass the LogGroup resource's `name` output.
     * @default `/aws/lambda/<functionName>`
     */
    logGroupName?: pulumi.Input<string>;
}

export interface MonitoringArgs {
    /**
     * An email address subscribed to the topic (AWS sends a confirmation mail: alerts arrive only
     * once it is confirmed).
     * @default no subscription
     */
    alertEmail?: pulumi.Input<string>;
    /**
     * An existing SNS topic for the alarms (standard, same account and region). Its policy is left
     * as it is: it must let `cloudwatch.amazonaws.com` publish (the default topic policy does).
     * @default a topic created here, with a policy letting this account's CloudWatch alarms publish
     */
    topicArn?: pulumi.Input<string>;
    /**
     * Encrypt the created topic with this customer managed KMS key. Its key policy must allow
     * `cloudwatch.amazonaws.com` `kms:Decrypt` and `kms:GenerateDataKey*` (and every other
     * publisher, e.g. the failover controller's role). The AWS managed key `alias/aws/sns` is
     * refused: CloudWatch alarms cannot publish to a topic encrypted with it.
     * @default unencrypted: alerts carry alarm names and metric values, nothing secret
     */
    topicKmsKeyId?: pulumi.Input<string>;
    /** The Application Load Balancer. */
    loadBalancer: MonitoringLoadBalancer;
    /** Its target groups (1 to 3, one per role). */
    targetGroups: MonitoringTargetGroup[];
    /**
     * The server pools (0 to 20).
     * @default []
     */
    autoScalingGroups?: MonitoringAutoScalingGroup[];
    /**
     * True when the launch templates enable EC2 detailed monitoring (1-minute CPU). Under basic
     * monitoring EC2 publishes CPU every 5 minutes, so the CPU alarm uses 300 s periods.
     * @default false
     */
    serverDetailedMonitoring?: boolean;
    /**
     * The RDS primary and replicas.
     * @default no database alarms
     */
    database?: MonitoringDatabase;
    /**
     * The failover controller (active-passive).
     * @default no controller alarms
     */
    failoverController?: MonitoringFailoverController;
    /**
     * Threshold overrides; see {@link DEFAULT_THRESHOLDS}.
     * @default DEFAULT_THRESHOLDS
     */
    thresholds?: Partial<Thresholds>;
    /**
     * Create the servers' log groups (nginx access, nginx error, app) that
     * {@link cloudWatchAgentUserData} ships to.
     * @default true
     */
    serverLogs?: boolean;
    /**
     * Retention of the servers' log groups, in days (a CloudWatch Logs retention value).
     * @default 30
     */
    serverLogRetentionDays?: number;
    /**
     * Prefix of the servers' log group names: `<prefix>/nginx/access`, `<prefix>/nginx/error`, `<prefix>/app`.
     * @default `/ha-webstack/<stack>`
     */
    logGroupPrefix?: string;
    /**
     * Instance roles (`pool.role.name`) that get the policy to ship those logs (an inline role policy each).
     * @default []: attach {@link Monitoring.serverLogsPolicy} yourself
     */
    serverRoleNames?: pulumi.Input<string>[];
    /**
     * Prefix of every alarm, metric filter and the dashboard. Alarm and dashboard names are unique
     * per account and region, and creating one with a taken name silently overwrites it: the
     * default includes the stack, so dev and prod can share an account.
     * @default `<name>-<stack>`, or `<name>` when the name already holds the stack as a part (`prod-monitoring`)
     */
    namePrefix?: string;
    /**
     * CloudWatch namespace of the metrics counted from the controller's logs. Metric filters
     * cannot add a fixed dimension, so each monitored stack needs a namespace of its own.
     * @default `HaWebstack/<namePrefix>`
     */
    metricNamespace?: string;
    /** Tags added to every resource that takes tags. */
    tags?: Tags;
}

/** The log groups the servers ship to. */
export interface ServerLogGroupNames {
    /** `/var/log/nginx/access.log` (one JSON object per request). */
    nginxAccess: string;
    /** `/var/log/nginx/error.log`. */
    nginxError: string;
    /** The app's stdout and stderr ({@link APP_LOG_FILE}). */
    app: string;
}

export interface ServerLogGroups {
    nginxAccess: aws.cloudwatch.LogGroup;
    nginxError: aws.cloudwatch.LogGroup;
    app: aws.cloudwatch.LogGroup;
}

type Tier = "loadBalancer" | "servers" | "database" | "failoverController";

interface MetricSpec {
    namespace: string;
    metricName: string;
    dimensions: Record<string, pulumi.Input<string>>;
    /** `Sum`, `Minimum`, `Maximum`, `Average` or a percentile such as `p99`. */
    stat: string;
    period: number;
    label: string;
}

interface RateSpec {
    /** The counted errors and the requests they are a share of. */
    errors: MetricSpec;
    requests: MetricSpec;
    minRequests: number;
    label: string;
}

interface AlarmSpec {
    key: string;
    tier: Tier;
    meaning: string;
    runbook: string;
    metric?: MetricSpec;
    rate?: RateSpec;
    comparisonOperator:
        "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";
    threshold: number;
    evaluationPeriods: number;
    datapointsToAlarm: number;
    treatMissingData: "missing" | "ignore" | "breaching" | "notBreaching";
}

interface Widget {
    title: string;
    metrics: unknown[][];
    annotation?: { value: number; label: string };
}

const PERIOD = 60;
const ELB = "AWS/ApplicationELB";
const TIER_TITLES: Record<Tier, string> = {
    loadBalancer: "Load balancer",
    servers: "Servers",
    database: "Database",
    failoverController: "Failover controller",
};

/**
 * Knowing the status of every tier: CloudWatch alarms on the load balancer (healthy and
 * unhealthy servers per target group, 5xx rates, p99 latency), the servers (EC2 status checks,
 * CPU per Auto Scaling group), the database (CPU, free storage, connections, lag per replica and
 * "replication stopped") and the failover controller (errors, and every failover counted from
 * its logs); every alarm notifies an SNS topic (email) when it fires and when it clears. A
 * CloudWatch dashboard shows the same metrics, one row per tier, and the log groups the
 * servers' CloudWatch agent ships nginx and app logs to (see {@link cloudWatchAgentUserData}).
 *
 * Takes identifiers, not components, so that it monitors any stack built this way.
 */
export class Monitoring extends pulumi.ComponentResource {
    /** The topic every alarm notifies. */
    public readonly topicArn: pulumi.Output<string>;
    /** The topic created here (unset when `topicArn` was given). */
    public readonly topic?: aws.sns.Topic;
    public readonly emailSubscription?: aws.sns.TopicSubscription;
    public readonly alarms: readonly aws.cloudwatch.MetricAlarm[];
    public readonly metricFilters: readonly aws.cloudwatch.LogMetricFilter[];
    public readonly dashboard: aws.cloudwatch.Dashboard;
    public readonly dashboardName: pulumi.Output<string>;
    /** `https://<region>.console.aws.amazon.com/cloudwatch/home?region=<region>#dashboards:name=<name>` */
    public readonly dashboardUrl: pulumi.Output<string>;
    /** The servers' log groups (unset with `serverLogs: false`). */
    public readonly logGroups?: ServerLogGroups;
    /** Their names, for {@link cloudWatchAgentUserData}. */
    public readonly logGroupNames: ServerLogGroupNames;
    /** The IAM policy (JSON) an instance role needs to ship to those log groups. */
    public readonly serverLogsPolicy?: pulumi.Output<string>;
    public readonly thresholds: Readonly<Thresholds>;
    public readonly namePrefix: string;
    public readonly metricNamespace: string;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ha-webstack:index:Monitoring", name, {}, opts);
        const settings = validateMonitoringArgs(name, args);
        const tags = args.tags;
        this.thresholds = settings.thresholds;
        this.namePrefix = settings.namePrefix;
        this.metricNamespace = settings.metricNamespace;
        this.logGroupNames = settings.logGroupNames;

        const region = aws.getRegionOutput({}, { parent: this }).region;
        const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

        // ---- the topic ----
        if (settings.topicArn === undefined) {
            this.topic = new aws.sns.Topic(
                `${name}-alerts`,
                {
                    displayName: "ha-webstack alerts",
                    kmsMasterKeyId: settings.topicKmsKeyId,
                    tags: named(tags, `${settings.namePrefix}-alerts`),
                },
                { parent: this },
            );
            // Only CloudWatch alarms of this account, as a service principal; the account's own
            // IAM principals keep what their identity policies grant (same account).
            new aws.sns.TopicPolicy(
                `${name}-alerts-policy`,
                {
                    arn: this.topic.arn,
                    policy: pulumi.jsonStringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Sid: "CloudWatchAlarmsPublish",
                                Effect: "Allow",
                                Principal: { Service: "cloudwatch.amazonaws.com" },
                                Action: "sns:Publish",
                                Resource: this.topic.arn,
                                Condition: { StringEquals: { "aws:SourceAccount": accountId } },
                            },
                        ],
                    }),
                },
                { parent: this },
            );
        }
        this.topicArn = settings.topicArn !== undefined ? pulumi.output(settings.topicArn) : this.topic!.arn;
        if (settings.alertEmail !== undefined) {
            this.emailSubscription = new aws.sns.TopicSubscription(
                `${name}-alert-email`,
                { topic: this.topicArn, protocol: "email", endpoint: settings.alertEmail },
                { parent: this },
            );
        }

        // ---- the servers' log groups ----
        if (settings.serverLogs) {
            const logGroup = (key: keyof ServerLogGroupNames, suffix: string) =>
                new aws.cloudwatch.LogGroup(
                    `${name}-${suffix}`,
                    {
                        name: settings.logGroupNames[key],
                        retentionInDays: settings.serverLogRetentionDays,
                        tags: named(tags, settings.logGroupNames[key]),
                    },
                    { parent: this },
                );
            this.logGroups = {
                nginxAccess: logGroup("nginxAccess", "nginx-access"),
                nginxError: logGroup("nginxError", "nginx-error"),
                app: logGroup("app", "app"),
            };
            const groups = this.logGroups;
            this.serverLogsPolicy = pulumi
                .all([groups.nginxAccess.arn, groups.nginxError.arn, groups.app.arn])
                .apply((logGroupArns) => serverLogsPolicyDocument({ logGroupArns }));
            (args.serverRoleNames ?? []).forEach(
                (role, i) =>
                    new aws.iam.RolePolicy(
                        `${name}-server-logs-${i}`,
                        { role, name: "ha-webstack-server-logs", policy: this.serverLogsPolicy! },
                        { parent: this },
                    ),
            );
        }

        // ---- alarms ----
        const specs = alarmSpecs(settings);
        this.metricFilters = this.createMetricFilters(name, settings);
        const alarms = specs.map((spec) => this.createAlarm(name, spec, settings.namePrefix, tags));
        this.alarms = alarms;

        // ---- the dashboard ----
        this.dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: settings.namePrefix,
                dashboardBody: dashboardBody({ region, settings, specs, alarmArns: alarms.map((a) => a.arn) }),
            },
            { parent: this },
        );
        this.dashboardName = this.dashboard.dashboardName;
        this.dashboardUrl = pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;

        this.registerOutputs({
            topicArn: this.topicArn,
            dashboardName: this.dashboardName,
            dashboardUrl: this.dashboardUrl,
            alarmNames: alarms.map((a) => a.name),
            logGroupNames: this.logGroupNames,
        });
    }

    private createAlarm(name: string, spec: AlarmSpec, namePrefix: string, tags?: Tags): aws.cloudwatch.MetricAlarm {
        const alarmName = `${namePrefix}-${spec.key}`;
        const common = {
            name: alarmName,
            alarmDescription: `${spec.meaning} Runbook: ${spec.runbook}`,
            comparisonOperator: spec.comparisonOperator,
            threshold: spec.threshold,
            evaluationPeriods: spec.evaluationPeriods,
            datapointsToAlarm: spec.datapointsToAlarm,
            treatMissingData: spec.treatMissingData,
            alarmActions: [this.topicArn],
            okActions: [this.topicArn],
            tags: named(tags, alarmName),
        };
        let metric: Partial<aws.cloudwatch.MetricAlarmArgs>;
        if (spec.rate) {
            const { errors, requests, minRequests, label } = spec.rate;
            const query = (id: string, m: MetricSpec) => ({
                id,
                label: m.label,
                returnData: false,
                metric: {
                    namespace: m.namespace,
                    metricName: m.metricName,
                    dimensions: m.dimensions,
                    stat: m.stat,
                    period: m.period,
                },
            });
            metric = {
                metricQueries: [
                    query("errors", errors),
                    query("requests", requests),
                    {
                        id: "rate",
                        label,
                        expression: rateExpression("errors", "requests", minRequests),
                        returnData: true,
                    },
                ],
            };
        } else {
            const m = spec.metric!;
            const percentile = /^p\d/.test(m.stat);
            metric = {
                namespace: m.namespace,
                metricName: m.metricName,
                dimensions: m.dimensions,
                period: m.period,
                ...(percentile
                    ? { extendedStatistic: m.stat, evaluateLowSampleCountPercentiles: "ignore" }
                    : { statistic: m.stat }),
            };
        }
        return new aws.cloudwatch.MetricAlarm(`${name}-${spec.key}`, { ...common, ...metric }, { parent: this });
    }

    /** The controller logs one JSON line per event (lambda/failover/handler.ts): count the ones that matter. */
    private createMetricFilters(name: string, settings: MonitoringSettings): aws.cloudwatch.LogMetricFilter[] {
        const controller = settings.failoverController;
        if (!controller) {
            return [];
        }
        return CONTROLLER_LOG_METRICS.map(
            (m) =>
                new aws.cloudwatch.LogMetricFilter(
                    `${name}-${m.key}`,
                    {
                        name: `${settings.namePrefix}-${m.key}`,
                        logGroupName: controller.logGroupName,
                        pattern: m.pattern,
                        // No default value: nothing is published (or paid for) until an event matches.
                        metricTransformation: {
                            name: m.metricName,
                            namespace: settings.metricNamespace,
                            value: "1",
                            unit: "Count",
                        },
                    },
                    { parent: this },
                ),
        );
    }
}

/** The metrics counted from the failover controller's log lines (`{"event": ...}`). */
export const CONTROLLER_LOG_METRICS = [
    { key: "failovers", metricName: "Failovers", pattern: '{ $.event = "failover" }' },
    { key: "failbacks", metricName: "Failbacks", pattern: '{ $.event = "failback" }' },
    {
        key: "move-failures",
        metricName: "MoveFailures",
        pattern: '{ ($.event = "failover_failed") || ($.event = "failback_failed") }',
    },
    // The handler never throws (a throw would be retried), so Lambda's Errors metric misses these.
    {
        key: "controller-faults",
        metricName: "ControllerFaults",
        pattern: '{ ($.event = "config_error") || ($.event = "unexpected_error") }',
    },
    { key: "poll-errors", metricName: "PollErrors", pattern: '{ $.event = "poll_error" }' },
] as const;

/**
 * A 5xx rate in % that an idle load balancer does not trip: ALB publishes counts only when they
 * are not zero, so missing values are 0 (FILL), and below `minRequests` a minute counts as 0.
 */
export function rateExpression(errorsId: string, requestsId: string, minRequests: number): string {
    return `IF(FILL(${requestsId}, 0) >= ${minRequests}, 100 * FILL(${errorsId}, 0) / FILL(${requestsId}, 1), 0)`;
}

// ---------------------------------------------------------------------------------------------
// The alarms
// ---------------------------------------------------------------------------------------------

function alarmSpecs(s: MonitoringSettings): AlarmSpec[] {
    const t = s.thresholds;
    const sustained = { evaluationPeriods: t.evaluationPeriods, datapointsToAlarm: t.datapointsToAlarm };
    const critical = { evaluationPeriods: t.criticalEvaluationPeriods, datapointsToAlarm: t.criticalEvaluationPeriods };
    const specs: AlarmSpec[] = [];
    const lb = { LoadBalancer: s.loadBalancer.arnSuffix };

    // ---- load balancer ----
    for (const group of s.targetGroups) {
        const dimensions = { TargetGroup: group.arnSuffix, LoadBalancer: s.loadBalancer.arnSuffix };
        const standby = group.role === "failover";
        specs.push({
            key: standby ? "alb-failover-no-standby" : `alb-${group.role}-no-healthy-hosts`,
            tier: "loadBalancer",
            meaning: standby
                ? "No standby: no server of the failover target group passes its health check, so the controller has nowhere to fail over to."
                : `No healthy server in the ${group.role} target group: ${group.role === "active" ? "unless the controller moved traffic to the failover group, " : ""}users get 503s.`,
            runbook:
                `EC2 console, Auto Scaling group of the ${group.role} pool: activity (launch failures?) and instances (status checks). ` +
                "On an instance: aws ssm start-session --target <id>; curl -s localhost/healthz; systemctl status nginx ha-webstack-app; " +
                "tail /var/log/ha-webstack/app.log (or the app log group). " +
                (standby
                    ? "The active group keeps serving meanwhile."
                    : "Check the failover-happened alarm and the controller's logs."),
            metric: {
                namespace: ELB,
                metricName: "HealthyHostCount",
                dimensions,
                stat: "Minimum",
                period: PERIOD,
                label: `${group.role} healthy`,
            },
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            ...critical,
            // Reported every minute while health checks run, traffic or not: no data means the
            // group left the load balancer or has no target, which is no healthier.
            treatMissingData: "breaching",
        });
        specs.push({
            key: `alb-${group.role}-unhealthy-hosts`,
            tier: "loadBalancer",
            meaning: `At least one server of the ${group.role} target group fails its health check (${standby ? "the standby pool is degraded" : "capacity is reduced"}).`,
            runbook:
                "The Auto Scaling group replaces a server the load balancer finds unhealthy (ELB health checks): it should clear within minutes. " +
                "If it does not: target group > Targets shows the failure reason; check the instance with aws ssm start-session, curl -s localhost/healthz, the nginx error and app log groups.",
            metric: {
                namespace: ELB,
                metricName: "UnHealthyHostCount",
                dimensions,
                stat: "Maximum",
                period: PERIOD,
                label: `${group.role} unhealthy`,
            },
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            ...critical,
            treatMissingData: "notBreaching",
        });
    }
    const requests: MetricSpec = {
        namespace: ELB,
        metricName: "RequestCount",
        dimensions: lb,
        stat: "Sum",
        period: PERIOD,
        label: "requests",
    };
    specs.push({
        key: "alb-5xx-rate",
        tier: "loadBalancer",
        meaning: `More than ${t.elb5xxPercent}% of requests got a 5xx generated by the load balancer itself (502/503/504: no healthy target, connection refused or timed out).`,
        runbook:
            "Look at the healthy-host alarms first (503 = no healthy target); 502/504 point at nginx or the app: nginx error log group, app log group, p99 latency.",
        rate: {
            errors: {
                namespace: ELB,
                metricName: "HTTPCode_ELB_5XX_Count",
                dimensions: lb,
                stat: "Sum",
                period: PERIOD,
                label: "ELB 5xx",
            },
            requests,
            minRequests: t.errorRateMinRequests,
            label: "ELB 5xx (% of requests)",
        },
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.elb5xxPercent,
        ...sustained,
        treatMissingData: "notBreaching",
    });
    specs.push({
        key: "alb-target-5xx-rate",
        tier: "loadBalancer",
        meaning: `More than ${t.target5xxPercent}% of requests got a 5xx from the servers (nginx or the app).`,
        runbook:
            "App log group (tracebacks, database errors: GET /readyz on a server), nginx error log group; did a deployment just roll the pools?",
        rate: {
            errors: {
                namespace: ELB,
                metricName: "HTTPCode_Target_5XX_Count",
                dimensions: lb,
                stat: "Sum",
                period: PERIOD,
                label: "target 5xx",
            },
            requests,
            minRequests: t.errorRateMinRequests,
            label: "Target 5xx (% of requests)",
        },
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.target5xxPercent,
        ...sustained,
        treatMissingData: "notBreaching",
    });
    specs.push({
        key: "alb-p99-response-time",
        tier: "loadBalancer",
        meaning: `The slowest 1% of requests take more than ${t.p99ResponseTimeSeconds} s in the servers.`,
        runbook:
            "Server CPU and database alarms (CPU, connections, replica lag); slow requests in the nginx access log group (field rt) with Logs Insights.",
        metric: {
            namespace: ELB,
            metricName: "TargetResponseTime",
            dimensions: lb,
            stat: "p99",
            period: PERIOD,
            label: "p99",
        },
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.p99ResponseTimeSeconds,
        ...sustained,
        // No requests, no response time.
        treatMissingData: "notBreaching",
    });

    // ---- servers ----
    // Basic monitoring publishes CPU every 5 minutes (status checks every minute, free).
    const cpuPeriod = s.serverDetailedMonitoring ? PERIOD : 300;
    const cpuPeriods = s.serverDetailedMonitoring
        ? sustained
        : {
              evaluationPeriods: Math.ceil(t.evaluationPeriods / 5),
              datapointsToAlarm: Math.ceil(t.evaluationPeriods / 5),
          };
    for (const pool of s.autoScalingGroups) {
        const dimensions = { AutoScalingGroupName: pool.name };
        specs.push({
            key: `servers-${pool.role}-status-check-failed`,
            tier: "servers",
            meaning: `A server of the ${pool.role} pool fails its EC2 status checks (impaired instance or host).`,
            runbook:
                "The Auto Scaling group replaces it once the load balancer finds it unhealthy. EC2 console > instance > Status checks (system: AWS hardware, instance: the OS); " +
                "if it keeps failing, terminate it and let the group launch a new one.",
            metric: {
                namespace: "AWS/EC2",
                metricName: "StatusCheckFailed",
                dimensions,
                stat: "Maximum",
                period: PERIOD,
                label: `${pool.role} status check failed`,
            },
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            ...critical,
            // No data = no instance reporting: the healthy-host alarms cover a pool that is gone.
            treatMissingData: "notBreaching",
        });
        specs.push({
            key: `servers-${pool.role}-cpu-high`,
            tier: "servers",
            meaning: `The ${pool.role} pool's average CPU is above ${t.serverCpuPercent}%.`,
            runbook:
                "More load than the pool can take (RequestCount on the dashboard), or a runaway process (aws ssm start-session; top). " +
                "Raise serversPerPool or the instance type; burstable types (t4g) slow down once out of CPU credits.",
            metric: {
                namespace: "AWS/EC2",
                metricName: "CPUUtilization",
                dimensions,
                stat: "Average",
                period: cpuPeriod,
                label: `${pool.role} CPU`,
            },
            comparisonOperator: "GreaterThanThreshold",
            threshold: t.serverCpuPercent,
            ...cpuPeriods,
            treatMissingData: "missing",
        });
    }

    // ---- database ----
    if (s.database) {
        const db = s.database;
        const primary = { DBInstanceIdentifier: db.primaryIdentifier };
        specs.push({
            key: "db-primary-cpu-high",
            tier: "database",
            meaning: `The database primary's CPU is above ${t.databaseCpuPercent}%.`,
            runbook:
                "RDS console > Performance Insights / slow query log (CloudWatch log exports) for the expensive queries; send reads to the replicas; a larger instance class.",
            metric: {
                namespace: "AWS/RDS",
                metricName: "CPUUtilization",
                dimensions: primary,
                stat: "Average",
                period: PERIOD,
                label: "primary CPU",
            },
            comparisonOperator: "GreaterThanThreshold",
            threshold: t.databaseCpuPercent,
            ...sustained,
            treatMissingData: "missing",
        });
        const storageThreshold =
            db.allocatedStorageGb !== undefined
                ? Math.floor((db.allocatedStorageGb * 1024 ** 3 * t.freeStoragePercent) / 100)
                : t.freeStorageBytes;
        specs.push({
            key: "db-primary-low-free-storage",
            tier: "database",
            meaning:
                `The database primary has less than ${db.allocatedStorageGb !== undefined ? `${t.freeStoragePercent}% of its ${db.allocatedStorageGb} GiB` : formatBytes(t.freeStorageBytes)} ` +
                "of storage free; a full disk stops writes.",
            runbook:
                "Increase allocated storage (online, no downtime for gp3) or enable storage autoscaling; look for runaway tables or binary log retention.",
            metric: {
                namespace: "AWS/RDS",
                metricName: "FreeStorageSpace",
                dimensions: primary,
                stat: "Minimum",
                period: PERIOD,
                label: "primary free storage",
            },
            comparisonOperator: "LessThanThreshold",
            threshold: storageThreshold,
            ...sustained,
            treatMissingData: "missing",
        });
        specs.push({
            key: "db-primary-connections-high",
            tier: "database",
            meaning: `More than ${t.databaseConnections} connections are open on the database primary (max_connections is near: new connections fail).`,
            runbook:
                "More servers than the instance class allows connections for, or connections leaking: SHOW PROCESSLIST; a larger class raises max_connections.",
            metric: {
                namespace: "AWS/RDS",
                metricName: "DatabaseConnections",
                dimensions: primary,
                stat: "Maximum",
                period: PERIOD,
                label: "primary connections",
            },
            comparisonOperator: "GreaterThanThreshold",
            threshold: t.databaseConnections,
            ...sustained,
            treatMissingData: "missing",
        });
        db.replicaIdentifiers.forEach((identifier, i) => {
            const dimensions = { DBInstanceIdentifier: identifier };
            const n = i + 1;
            specs.push({
                key: `db-replica-${n}-lag-high`,
                tier: "database",
                meaning: `Read replica ${n} is more than ${t.replicaLagSeconds} s behind the primary: reads served from it are stale.`,
                runbook:
                    "Write bursts on the primary, or the replica is too small (its CPU, IOPS); SHOW REPLICA STATUS on it. The app falls back to the writer only when a reader fails.",
                metric: {
                    namespace: "AWS/RDS",
                    metricName: "ReplicaLag",
                    dimensions,
                    stat: "Maximum",
                    period: PERIOD,
                    label: `replica ${n} lag`,
                },
                comparisonOperator: "GreaterThanThreshold",
                threshold: t.replicaLagSeconds,
                ...sustained,
                treatMissingData: "missing",
            });
            specs.push({
                key: `db-replica-${n}-replication-stopped`,
                tier: "database",
                meaning: `Replication to read replica ${n} is not running (ReplicaLag = -1), or the replica reports nothing: it serves ever older data.`,
                runbook:
                    "RDS console > the replica > Logs & events; CALL mysql.rds_skip_repl_error or recreate the replica (pulumi up after deleting it). " +
                    "A replica reboot also trips this alarm for a few minutes.",
                metric: {
                    namespace: "AWS/RDS",
                    metricName: "ReplicaLag",
                    dimensions,
                    stat: "Minimum",
                    period: PERIOD,
                    label: `replica ${n} lag (min)`,
                },
                comparisonOperator: "LessThanOrEqualToThreshold",
                threshold: -1,
                ...critical,
                // RDS reports ReplicaLag every minute for a running replica: silence means it is
                // stopped, rebooting or gone, as useless for reads as stopped replication.
                treatMissingData: "breaching",
            });
        });
    }

    // ---- failover controller ----
    if (s.failoverController) {
        const fn = { FunctionName: s.failoverController.functionName };
        const logMetric = (metricName: string, label: string): MetricSpec => ({
            namespace: s.metricNamespace,
            metricName,
            dimensions: {},
            stat: "Sum",
            period: PERIOD,
            label,
        });
        const controllerLogs =
            "the controller's log group (Logs Insights: fields @timestamp, event, reason, error | sort @timestamp desc)";
        specs.push({
            key: "controller-errors",
            tier: "failoverController",
            meaning:
                "The failover controller's Lambda invocation failed (crash, timeout, out of memory): automatic failover may not happen.",
            runbook: `Lambda console > Monitor; ${controllerLogs}. A manual failover: aws lambda invoke --function-name <controller> --payload '{"action":"failover"}' out.json.`,
            metric: {
                namespace: "AWS/Lambda",
                metricName: "Errors",
                dimensions: fn,
                stat: "Sum",
                period: PERIOD,
                label: "errors",
            },
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            evaluationPeriods: 1,
            datapointsToAlarm: 1,
            treatMissingData: "notBreaching",
        });
        specs.push({
            key: "failover-happened",
            tier: "failoverController",
            meaning:
                "The failover controller moved traffic to the failover target group: the active pool had no healthy server.",
            runbook:
                "Users are served by the failover pool. Find why the active pool failed (its no-healthy-hosts alarm, EC2 console); " +
                `failback is automatic or manual per the controller's policy (payload {"action":"failback"}); ${controllerLogs}.`,
            metric: logMetric("Failovers", "failovers"),
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            evaluationPeriods: 1,
            datapointsToAlarm: 1,
            // The metric exists only in minutes with a failover.
            treatMissingData: "notBreaching",
        });
        specs.push({
            key: "failover-move-failed",
            tier: "failoverController",
            meaning:
                "The failover controller tried to move traffic and ModifyListener failed: the weights are unchanged.",
            runbook: `It retries on its next poll; ${controllerLogs} (error field: IAM, throttling). Move the weights by hand in the EC2 console (listener 443 > edit) if it keeps failing.`,
            metric: logMetric("MoveFailures", "move failures"),
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            evaluationPeriods: 1,
            datapointsToAlarm: 1,
            treatMissingData: "notBreaching",
        });
        specs.push({
            key: "controller-faults",
            tier: "failoverController",
            meaning:
                "The failover controller stopped on an error it caught (invalid configuration or a bug), which Lambda's Errors metric does not count.",
            runbook: `${controllerLogs}: events config_error and unexpected_error; fix the function's environment (pulumi up) or the code.`,
            metric: logMetric("ControllerFaults", "faults"),
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            evaluationPeriods: 1,
            datapointsToAlarm: 1,
            treatMissingData: "notBreaching",
        });
        specs.push({
            key: "controller-blind",
            tier: "failoverController",
            meaning: `The failover controller cannot read target health or the listener (${t.controllerPollErrorsPerMinute}+ failed polls a minute): it cannot fail over.`,
            runbook: `${controllerLogs}: poll_error events and their error (AccessDenied: the role's policy; Throttling; an ELB API outage).`,
            metric: logMetric("PollErrors", "poll errors"),
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: t.controllerPollErrorsPerMinute,
            ...critical,
            treatMissingData: "notBreaching",
        });
    }
    return specs;
}

function formatBytes(bytes: number): string {
    return bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3} GiB` : `${bytes} bytes`;
}

// ---------------------------------------------------------------------------------------------
// The dashboard
// ---------------------------------------------------------------------------------------------

/** A metric line of a dashboard widget: [namespace, name, dim, value, ..., options]. */
function metricLine(m: MetricSpec, options: Record<string, unknown> = {}): unknown[] {
    const dims = Object.entries(m.dimensions).flatMap(([k, v]) => [k, v]);
    return [m.namespace, m.metricName, ...dims, { stat: m.stat, period: m.period, label: m.label, ...options }];
}

function tierWidgets(tier: Tier, s: MonitoringSettings, specs: AlarmSpec[]): Widget[] {
    /** The metrics of this tier's alarms on `metricName` (with `stat`, when given). */
    const of = (metricName: string, stat?: string) =>
        specs
            .filter(
                (a) =>
                    a.tier === tier &&
                    a.metric?.metricName === metricName &&
                    (stat === undefined || a.metric.stat === stat),
            )
            .map((a) => a.metric!);
    const t = s.thresholds;
    switch (tier) {
        case "loadBalancer": {
            const rates = specs.filter((a) => a.rate).map((a) => a.rate!);
            const requests = rates[0].requests;
            return [
                {
                    title: "Healthy servers per target group",
                    metrics: of("HealthyHostCount").map((m) => metricLine(m)),
                    annotation: { value: 1, label: "alarm below 1" },
                },
                {
                    title: "Unhealthy servers per target group",
                    metrics: of("UnHealthyHostCount").map((m) => metricLine(m)),
                },
                {
                    title: "5xx (% of requests) and requests",
                    metrics: [
                        ...rates.map((r, i) => metricLine(r.errors, { id: `m${i}`, visible: false })),
                        metricLine(requests, { id: "req", yAxis: "right" }),
                        ...rates.map((r, i) => [
                            { expression: rateExpression(`m${i}`, "req", r.minRequests), label: r.label, id: `e${i}` },
                        ]),
                    ],
                    annotation: { value: Math.min(t.elb5xxPercent, t.target5xxPercent), label: "alarm" },
                },
                {
                    title: "Response time p99 (s)",
                    metrics: of("TargetResponseTime").map((m) => metricLine(m)),
                    annotation: { value: t.p99ResponseTimeSeconds, label: "alarm" },
                },
            ];
        }
        case "servers":
            return [
                {
                    title: "CPU per pool (%)",
                    metrics: of("CPUUtilization").map((m) => metricLine(m)),
                    annotation: { value: t.serverCpuPercent, label: "alarm" },
                },
                {
                    title: "Failed status checks per pool",
                    metrics: of("StatusCheckFailed").map((m) => metricLine(m)),
                    annotation: { value: 1, label: "alarm" },
                },
            ];
        case "database": {
            const storage = specs.find((a) => a.key === "db-primary-low-free-storage")!;
            const widgets: Widget[] = [
                {
                    title: "Primary CPU (%)",
                    metrics: of("CPUUtilization").map((m) => metricLine(m)),
                    annotation: { value: t.databaseCpuPercent, label: "alarm" },
                },
                {
                    title: "Primary free storage (bytes)",
                    metrics: [metricLine(storage.metric!)],
                    annotation: { value: storage.threshold, label: "alarm" },
                },
                {
                    title: "Primary connections",
                    metrics: of("DatabaseConnections").map((m) => metricLine(m)),
                    annotation: { value: t.databaseConnections, label: "alarm" },
                },
            ];
            if (s.database!.replicaIdentifiers.length > 0) {
                widgets.push({
                    title: "Replica lag (s; -1 = replication stopped)",
                    metrics: [...of("ReplicaLag", "Maximum"), ...of("ReplicaLag", "Minimum")].map((m) => metricLine(m)),
                    annotation: { value: t.replicaLagSeconds, label: "alarm" },
                });
            }
            return widgets;
        }
        case "failoverController": {
            const fn = s.failoverController!.functionName;
            const counted = (metricName: string, label: string) =>
                metricLine({
                    namespace: s.metricNamespace,
                    metricName,
                    dimensions: {},
                    stat: "Sum",
                    period: PERIOD,
                    label,
                });
            return [
                {
                    title: "Controller invocations and errors",
                    metrics: [
                        metricLine({
                            namespace: "AWS/Lambda",
                            metricName: "Invocations",
                            dimensions: { FunctionName: fn },
                            stat: "Sum",
                            period: PERIOD,
                            label: "invocations",
                        }),
                        ...of("Errors").map((m) => metricLine(m)),
                    ],
                },
                {
                    title: "Traffic moves",
                    metrics: [
                        counted("Failovers", "failovers"),
                        counted("Failbacks", "failbacks"),
                        counted("MoveFailures", "move failures"),
                    ],
                },
                {
                    title: "Controller faults and failed polls",
                    metrics: [counted("ControllerFaults", "faults"), counted("PollErrors", "poll errors")],
                },
            ];
        }
    }
}

const TIER_NOTES: Record<Tier, string> = {
    loadBalancer: "Healthy and unhealthy servers per target group, 5xx rates, p99 response time.",
    servers: "EC2 metrics per Auto Scaling group (pool).",
    database: "RDS primary, and lag per read replica.",
    failoverController: "The Lambda function, and the moves and faults counted from its log lines.",
};

/** The dashboard: the alarms' states on top, then one row per tier (a text header, then its widgets side by side). */
function dashboardBody(opts: {
    region: pulumi.Output<string>;
    settings: MonitoringSettings;
    specs: AlarmSpec[];
    alarmArns: pulumi.Output<string>[];
}): pulumi.Output<string> {
    const { region, settings, specs, alarmArns } = opts;
    const widgets: Record<string, unknown>[] = [
        // One tile per alarm, six to a line.
        {
            type: "alarm",
            x: 0,
            y: 0,
            width: 24,
            height: 1 + Math.ceil(alarmArns.length / 6),
            properties: { title: "Alarms", alarms: alarmArns },
        },
    ];
    let y = 1 + Math.ceil(alarmArns.length / 6);
    const tiers: Tier[] = ["loadBalancer", "servers", "database", "failoverController"];
    for (const tier of tiers.filter((t) => specs.some((a) => a.tier === t))) {
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

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

export interface MonitoringSettings {
    alertEmail?: pulumi.Input<string>;
    topicArn?: pulumi.Input<string>;
    topicKmsKeyId?: pulumi.Input<string>;
    loadBalancer: { arnSuffix: pulumi.Input<string> };
    targetGroups: { role: TargetGroupRole; arnSuffix: pulumi.Input<string> }[];
    autoScalingGroups: { role: string; name: pulumi.Input<string> }[];
    serverDetailedMonitoring: boolean;
    database?: {
        primaryIdentifier: pulumi.Input<string>;
        replicaIdentifiers: pulumi.Input<string>[];
        allocatedStorageGb?: number;
    };
    failoverController?: { functionName: pulumi.Input<string>; logGroupName: pulumi.Input<string> };
    thresholds: Thresholds;
    serverLogs: boolean;
    serverLogRetentionDays: number;
    logGroupNames: ServerLogGroupNames;
    namePrefix: string;
    metricNamespace: string;
}

/**
 * A plausible email address: one @, a local part without spaces, a domain of at least two
 * labels (letters, digits, hyphens) ending in a letters-only TLD. Rejects `ops@`, `a@b`, `not an email`.
 */
export function emailAddress(key: string, value: unknown): string {
    const expected = "an email address such as ops@example.com";
    if (typeof value !== "string" || value.length > 254) {
        throw invalid(key, value, expected);
    }
    const m = /^([^\s@"(),:;<>[\\\]]{1,64})@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$/.exec(
        value,
    );
    if (!m || m[1].startsWith(".") || m[1].endsWith(".") || m[1].includes("..")) {
        throw invalid(key, value, expected);
    }
    return value;
}

/** A finite number in [min, max] (a decimal string from a config file too). */
function numberIn(key: string, value: unknown, min: number, max: number, integer: boolean): number {
    const n =
        typeof value === "number"
            ? value
            : typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())
              ? Number(value)
              : NaN;
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
        throw invalid(key, value, `${integer ? "an integer" : "a number"} from ${min} to ${max}`);
    }
    return n;
}

function pattern(key: string, value: unknown, re: RegExp, expected: string): string {
    if (typeof value !== "string" || !re.test(value)) {
        throw invalid(key, value, expected);
    }
    return value;
}

/** Alarm and dashboard names: letters, digits, hyphens, underscores (a stack name may hold dots). */
function safeName(text: string): string {
    return text.replace(/[^A-Za-z0-9_-]/g, "-");
}

export function defaultLogGroupPrefix(stack: string): string {
    return `/ha-webstack/${stack.replace(/[^A-Za-z0-9._/#-]/g, "-")}`;
}

/** The servers' log group names under a prefix (see {@link MonitoringArgs.logGroupPrefix}). */
export function serverLogGroupNames(prefix: string = defaultLogGroupPrefix(pulumi.getStack())): ServerLogGroupNames {
    return { nginxAccess: `${prefix}/nginx/access`, nginxError: `${prefix}/nginx/error`, app: `${prefix}/app` };
}

export function validateMonitoringArgs(
    name: string,
    args: MonitoringArgs,
    label = "Monitoring args",
): MonitoringSettings {
    const stack = pulumi.getStack();
    const namePrefix = pattern(
        `${label}.namePrefix`,
        args.namePrefix ?? safeName(name.split("-").includes(stack) ? name : `${name}-${stack}`),
        /^[A-Za-z0-9_-]{1,120}$/,
        "1 to 120 letters, digits, hyphens or underscores",
    );
    const metricNamespace = pattern(
        `${label}.metricNamespace`,
        args.metricNamespace ?? `HaWebstack/${namePrefix}`,
        /^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/,
        "a CloudWatch namespace (letters, digits, . _ / # : -; not starting with AWS/)",
    );

    const thresholds = { ...DEFAULT_THRESHOLDS } as Thresholds;
    const overrides = args.thresholds ?? {};
    if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
        throw invalid(
            `${label}.thresholds`,
            overrides,
            `an object with some of ${Object.keys(DEFAULT_THRESHOLDS).join(", ")}`,
        );
    }
    for (const [key, value] of Object.entries(overrides)) {
        if (!(key in THRESHOLD_RANGES)) {
            throw new ValidationError(
                `${label}.thresholds.${key} is not a threshold: expected one of ${Object.keys(DEFAULT_THRESHOLDS).join(", ")}`,
            );
        }
        if (value === undefined) {
            continue;
        }
        const [min, max, integer] = THRESHOLD_RANGES[key as keyof Thresholds];
        thresholds[key as keyof Thresholds] = numberIn(`${label}.thresholds.${key}`, value, min, max, integer);
    }
    if (thresholds.datapointsToAlarm > thresholds.evaluationPeriods) {
        throw invalid(
            `${label}.thresholds.datapointsToAlarm`,
            thresholds.datapointsToAlarm,
            `an integer from 1 to evaluationPeriods (${thresholds.evaluationPeriods})`,
        );
    }

    const topicArn =
        args.topicArn === undefined
            ? undefined
            : checkInput(args.topicArn, (arn) =>
                  pattern(
                      `${label}.topicArn`,
                      arn,
                      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
                      "an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)",
                  ),
              );
    const topicKmsKeyId =
        args.topicKmsKeyId === undefined
            ? undefined
            : checkInput(args.topicKmsKeyId, (key) => {
                  if (typeof key === "string" && /(^|:)alias\/aws\/sns$/.test(key)) {
                      throw invalid(
                          `${label}.topicKmsKeyId`,
                          key,
                          "a customer managed KMS key: CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key alias/aws/sns (its key policy cannot grant cloudwatch.amazonaws.com)",
                      );
                  }
                  return pattern(
                      `${label}.topicKmsKeyId`,
                      key,
                      /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f-]{36}|mrk-[0-9a-f]{32})$/,
                      "a KMS key id, key ARN, alias or alias ARN",
                  );
              });
    if (args.topicArn !== undefined && args.topicKmsKeyId !== undefined) {
        throw new ValidationError(
            `${label}.topicKmsKeyId applies to the topic created here; with topicArn, encrypt that topic yourself`,
        );
    }

    if (!args.loadBalancer || typeof args.loadBalancer !== "object") {
        throw invalid(`${label}.loadBalancer`, args.loadBalancer, "{ arnSuffix } of the Application Load Balancer");
    }
    const loadBalancer = {
        arnSuffix: checkInput(args.loadBalancer.arnSuffix, (s) =>
            pattern(
                `${label}.loadBalancer.arnSuffix`,
                s,
                /^app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,32}$/,
                "an ALB ARN suffix such as app/web-alb/50dc6c495c0c9188 (lb.arnSuffix, not the ARN)",
            ),
        ),
    };
    if (
        !Array.isArray(args.targetGroups) ||
        args.targetGroups.length < 1 ||
        args.targetGroups.length > TARGET_GROUP_ROLES.length
    ) {
        throw invalid(
            `${label}.targetGroups`,
            Array.isArray(args.targetGroups) ? `${args.targetGroups.length} target group(s)` : args.targetGroups,
            "1 to 3 target groups, one per role",
        );
    }
    const seenRoles = new Set<string>();
    const targetGroups = args.targetGroups.map((group, i) => {
        const role = pattern(
            `${label}.targetGroups[${i}].role`,
            group?.role,
            new RegExp(`^(${TARGET_GROUP_ROLES.join("|")})$`),
            `one of ${TARGET_GROUP_ROLES.join(", ")}`,
        ) as TargetGroupRole;
        if (seenRoles.has(role)) {
            throw invalid(`${label}.targetGroups[${i}].role`, role, "a role not already given to another target group");
        }
        seenRoles.add(role);
        return {
            role,
            arnSuffix: checkInput(group.arnSuffix, (s) =>
                pattern(
                    `${label}.targetGroups[${i}].arnSuffix`,
                    s,
                    /^targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,32}$/,
                    "a target group ARN suffix such as targetgroup/act-1234/73e2d6bc24d8a067 (tg.arnSuffix, not the ARN)",
                ),
            ),
        };
    });

    const pools = args.autoScalingGroups ?? [];
    if (!Array.isArray(pools) || pools.length > 20) {
        throw invalid(
            `${label}.autoScalingGroups`,
            Array.isArray(pools) ? `${pools.length} groups` : pools,
            "a list of at most 20 Auto Scaling groups",
        );
    }
    const poolRoles = new Set<string>();
    const autoScalingGroups = pools.map((pool, i) => {
        const role = pattern(
            `${label}.autoScalingGroups[${i}].role`,
            pool?.role,
            /^[a-z0-9][a-z0-9-]{0,31}$/,
            "1 to 32 lowercase letters, digits or hyphens",
        );
        if (poolRoles.has(role)) {
            throw invalid(
                `${label}.autoScalingGroups[${i}].role`,
                role,
                "a role not already given to another Auto Scaling group",
            );
        }
        poolRoles.add(role);
        return {
            role,
            name: checkInput(pool.name, (n) =>
                pattern(`${label}.autoScalingGroups[${i}].name`, n, /^\S{1,255}$/, "an Auto Scaling group name"),
            ),
        };
    });

    let database: MonitoringSettings["database"];
    if (args.database !== undefined) {
        const db = args.database;
        const identifier = (key: string, value: pulumi.Input<string>) =>
            checkInput(value, (v) =>
                pattern(
                    key,
                    v,
                    /^[A-Za-z][A-Za-z0-9-]{0,62}$/,
                    "an RDS DB instance identifier (letters, digits, hyphens; not an ARN or endpoint)",
                ),
            );
        if (!Array.isArray(db.replicaIdentifiers) || db.replicaIdentifiers.length > 15) {
            throw invalid(
                `${label}.database.replicaIdentifiers`,
                db.replicaIdentifiers,
                "a list of 0 to 15 replica identifiers",
            );
        }
        database = {
            primaryIdentifier: identifier(`${label}.database.primaryIdentifier`, db.primaryIdentifier),
            replicaIdentifiers: db.replicaIdentifiers.map((r, i) =>
                identifier(`${label}.database.replicaIdentifiers[${i}]`, r),
            ),
            allocatedStorageGb:
                db.allocatedStorageGb === undefined
                    ? undefined
                    : integerIn(`${label}.database.allocatedStorageGb`, db.allocatedStorageGb, 20, 65536),
        };
    }

    let failoverController: MonitoringSettings["failoverController"];
    if (args.failoverController !== undefined) {
        const fc = args.failoverController;
        const functionName = checkInput(fc.functionName, (n) =>
            pattern(
                `${label}.failoverController.functionName`,
                n,
                /^[A-Za-z0-9_-]{1,64}$/,
                "a Lambda function name (not its ARN)",
            ),
        );
        failoverController = {
            functionName,
            logGroupName:
                fc.logGroupName !== undefined
                    ? checkInput(fc.logGroupName, (n) =>
                          pattern(
                              `${label}.failoverController.logGroupName`,
                              n,
                              /^[A-Za-z0-9._/#-]{1,512}$/,
                              "a log group name",
                          ),
                      )
                    : pulumi.interpolate`/aws/lambda/${functionName}`,
        };
    }

    const logGroupPrefix = pattern(
        `${label}.logGroupPrefix`,
        args.logGroupPrefix ?? defaultLogGroupPrefix(stack),
        /^\/?[A-Za-z0-9._#-]+(\/[A-Za-z0-9._#-]+)*$/,
        "a log group name prefix such as /ha-webstack/prod (letters, digits, . _ # - and /)",
    );
    const serverLogs = booleanValue(`${label}.serverLogs`, args.serverLogs ?? true);
    if (args.serverRoleNames !== undefined && (!Array.isArray(args.serverRoleNames) || !serverLogs)) {
        throw invalid(
            `${label}.serverRoleNames`,
            args.serverRoleNames,
            "a list of instance role names, with serverLogs on",
        );
    }

    return {
        alertEmail:
            args.alertEmail === undefined
                ? undefined
                : checkInput(args.alertEmail, (e) => emailAddress(`${label}.alertEmail`, e)),
        topicArn,
        topicKmsKeyId,
        loadBalancer,
        targetGroups,
        autoScalingGroups,
        serverDetailedMonitoring: booleanValue(
            `${label}.serverDetailedMonitoring`,
            args.serverDetailedMonitoring ?? false,
        ),
        database,
        failoverController,
        thresholds,
        serverLogs,
        serverLogRetentionDays: logRetentionDays(`${label}.serverLogRetentionDays`, args.serverLogRetentionDays ?? 30),
        logGroupNames: serverLogGroupNames(logGroupPrefix),
        namePrefix,
        metricNamespace,
    };
}

// ---------------------------------------------------------------------------------------------
// Server logs: the CloudWatch agent (pure, for the user data) and its IAM policy
// ---------------------------------------------------------------------------------------------

/** Where the agent's configuration goes; `amazon-cloudwatch-agent-ctl -a fetch-config` reads it. */
export const CLOUDWATCH_AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json";
/**
 * The app logs to stderr, which systemd sends to the journal; the agent tails files (its journald
 * input is too recent to count on in the packaged agent), so a systemd drop-in sends the unit's
 * output to this file instead (`journalctl -u ha-webstack-app` then shows only systemd's own
 * lines), and logrotate keeps it small.
 */
export const APP_LOG_FILE = "/var/log/ha-webstack/app.log";
export const APP_LOG_DROP_IN_PATH = "/etc/systemd/system/ha-webstack-app.service.d/50-log-file.conf";
export const APP_LOGROTATE_PATH = "/etc/logrotate.d/ha-webstack-app";

export interface CloudWatchAgentOptions {
    /** The log groups to ship to (see {@link serverLogGroupNames}; they must exist: the role may not create them). */
    logGroups: ServerLogGroupNames;
    /**
     * Also publish memory and root-disk usage (`mem_used_percent`, `disk_used_percent`) to this
     * namespace, one series per Auto Scaling group (custom metrics: $0.30 each a month, and the
     * role then needs `cloudwatch:PutMetricData` for it and `ec2:DescribeTags`).
     * @default logs only
     */
    metricsNamespace?: string;
}

/** The agent's JSON configuration: each file to its log group, one stream per instance. */
export function cloudWatchAgentConfig(opts: CloudWatchAgentOptions): Record<string, unknown> {
    const g = opts.logGroups;
    for (const [key, value] of Object.entries(g)) {
        pattern(`cloudWatchAgentUserData logGroups.${key}`, value, /^[A-Za-z0-9._/#-]{1,512}$/, "a log group name");
    }
    const file = (filePath: string, logGroup: string) => ({
        file_path: filePath,
        log_group_name: logGroup,
        log_stream_name: "{instance_id}",
        timezone: "UTC",
    });
    const config: Record<string, unknown> = {
        // root: it reads /var/log/nginx, which only root and nginx may list.
        agent: {
            run_as_user: "root",
            omit_hostname: true,
            logfile: "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log",
        },
        logs: {
            logs_collected: {
                files: {
                    collect_list: [
                        file("/var/log/nginx/access.log", g.nginxAccess),
                        file("/var/log/nginx/error.log", g.nginxError),
                        file(APP_LOG_FILE, g.app),
                    ],
                },
            },
            force_flush_interval: 5,
        },
    };
    if (opts.metricsNamespace !== undefined) {
        pattern(
            "cloudWatchAgentUserData metricsNamespace",
            opts.metricsNamespace,
            /^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/,
            "a CloudWatch namespace not starting with AWS/",
        );
        config.metrics = {
            namespace: opts.metricsNamespace,
            // Only the group: one series per pool, not one per instance (each is a paid metric).
            append_dimensions: { AutoScalingGroupName: "${aws:AutoScalingGroupName}" },
            metrics_collected: {
                mem: { measurement: ["mem_used_percent"], metrics_collection_interval: 60 },
                disk: {
                    measurement: ["used_percent"],
                    resources: ["/"],
                    drop_device: true,
                    metrics_collection_interval: 60,
                },
            },
        };
    }
    return config;
}

/**
 * What the user data needs to ship the servers' logs to CloudWatch Logs, for `renderUserData`'s
 * `extraFiles` / `extraScript`: the agent's configuration, a systemd drop-in that sends the
 * app's output to {@link APP_LOG_FILE}, its logrotate rule, and the bash that installs the agent
 * from the Amazon Linux repository and starts it. Pure and deterministic.
 *
 *     renderUserData({ region, stack, appPort, ...cloudWatchAgentUserData({ logGroups: serverLogGroupNames() }) })
 *
 * A failed `dnf install` only warns: the server serves without shipping its logs.
 */
export function cloudWatchAgentUserData(opts: CloudWatchAgentOptions): {
    extraFiles: UserDataFile[];
    extraScript: string;
} {
    const config = JSON.stringify(cloudWatchAgentConfig(opts), null, 1) + "\n";
    const dropIn = [
        "# ha-webstack monitoring: the app's output to a file the CloudWatch agent tails.",
        "[Service]",
        `StandardOutput=append:${APP_LOG_FILE}`,
        `StandardError=append:${APP_LOG_FILE}`,
        "",
    ].join("\n");
    const logrotate = [
        `${APP_LOG_FILE} {`,
        "    daily",
        "    rotate 7",
        "    maxsize 50M",
        "    missingok",
        "    notifempty",
        "    compress",
        "    delaycompress",
        "    copytruncate",
        "}",
        "",
    ].join("\n");
    const extraScript = [
        "# ha-webstack monitoring: app output to a file, then the CloudWatch agent (components/monitoring/)",
        `install -d -m 0750 "$ROOT${APP_LOG_FILE.replace(/\/[^/]+$/, "")}"`,
        "systemctl daemon-reload",
        "systemctl restart ha-webstack-app.service",
        "if dnf install -y amazon-cloudwatch-agent; then",
        `  amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:$ROOT${CLOUDWATCH_AGENT_CONFIG_PATH}"`,
        '  echo "ha-webstack: CloudWatch agent started"',
        "else",
        '  echo "ha-webstack: WARNING: amazon-cloudwatch-agent not installed; logs stay on the instance" >&2',
        "fi",
        "",
    ].join("\n");
    return {
        extraFiles: [
            { path: CLOUDWATCH_AGENT_CONFIG_PATH, content: config, mode: "0644" },
            { path: APP_LOG_DROP_IN_PATH, content: dropIn, mode: "0644" },
            { path: APP_LOGROTATE_PATH, content: logrotate, mode: "0644" },
        ],
        extraScript,
    };
}

/**
 * The IAM policy (JSON) an instance role needs to ship to the given log groups: create streams
 * in them and put events, nothing else (the groups exist; the agent must not create or
 * re-configure them). With `metricsNamespace`, `cloudwatch:PutMetricData` for that namespace only
 * and `ec2:DescribeTags` (the agent reads the Auto Scaling group's name from the instance's
 * tags); neither action supports resource-level permissions, hence `*` with a condition or a
 * read-only action.
 */
export function serverLogsPolicyDocument(opts: { logGroupArns: string[]; metricsNamespace?: string }): string {
    if (!Array.isArray(opts.logGroupArns) || opts.logGroupArns.length === 0) {
        throw new ValidationError("serverLogsPolicyDocument: logGroupArns must name at least one log group");
    }
    opts.logGroupArns.forEach((arn, i) =>
        pattern(
            `serverLogsPolicyDocument logGroupArns[${i}]`,
            arn,
            /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9._/#-]{1,512}$/,
            "a log group ARN without :*",
        ),
    );
    const statements: Record<string, unknown>[] = [
        {
            Sid: "ShipServerLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: opts.logGroupArns.map((arn) => `${arn}:*`),
        },
    ];
    if (opts.metricsNamespace !== undefined) {
        statements.push(
            {
                Sid: "ServerMetrics",
                Effect: "Allow",
                Action: "cloudwatch:PutMetricData",
                Resource: "*",
                Condition: { StringEquals: { "cloudwatch:namespace": opts.metricsNamespace } },
            },
            { Sid: "ReadOwnAutoScalingGroup", Effect: "Allow", Action: "ec2:DescribeTags", Resource: "*" },
        );
    }
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

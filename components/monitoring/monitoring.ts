import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { named, Tags } from "../shared/tags";
import { AlarmSpec, alarmSpecs, CONTROLLER_LOG_METRICS, ControllerLogMetric, logMetricPattern } from "./alarms";
import type { MonitoringArgs } from "./args";
import { dashboardBody } from "./dashboard";
import { MetricSpec, rateExpression } from "./metrics";
import { ServerLogGroupNames, ServerLogGroups, serverLogsPolicyDocument } from "./serverLogs";
import { MonitoringSettings, validateMonitoringArgs } from "./settings";
import type { Thresholds } from "./thresholds";

/**
 * Knowing the status of every tier: CloudWatch alarms on the load balancer (healthy and
 * unhealthy servers per target group, 5xx rates, p99 latency), the servers (EC2 status checks,
 * CPU per Auto Scaling group), the database (CPU, free storage, connections, lag per replica and
 * "replication stopped") and the failover controller (errors, and every failover counted from
 * its logs); every alarm notifies the alert topic (email) when it fires and when it clears. A
 * CloudWatch dashboard shows the same metrics, one row per tier, and the log groups the
 * servers' CloudWatch agent ships nginx and app logs to (see `cloudWatchAgentUserData`).
 *
 * The alert topic is this component's: the failover controller publishes its moves to it too.
 * Takes identifiers, not components, so that it monitors any stack built this way.
 *
 * @example
 * const monitoring = new Monitoring("shop", {
 *     loadBalancer: { arnSuffix: lb.arnSuffix },
 *     targetGroups: [{ role: "web", arnSuffix: lb.activeTargetGroup.arnSuffix }],
 *     autoScalingGroups: [{ role: "web", name: pool.autoScalingGroup.name }],
 *     database: { primaryIdentifier: db.primary.identifier, replicaIdentifiers: db.replicas.map((r) => r.identifier) },
 *     alertEmail: "ops@example.com",
 * });
 */
export class Monitoring extends pulumi.ComponentResource {
    /** The topic every alarm notifies. */
    public readonly topicArn: pulumi.Output<string>;
    /** The topic created here (unset when `topicArn` was given). */
    public readonly topic?: aws.sns.Topic;
    public readonly emailSubscription?: aws.sns.TopicSubscription;
    public readonly alarms: aws.cloudwatch.MetricAlarm[];
    /** The key of each alarm, in the order of `alarms`: its name after the prefix (`alb-5xx-rate`). */
    public readonly alarmKeys: string[];
    public readonly metricFilters: aws.cloudwatch.LogMetricFilter[];
    public readonly dashboard: aws.cloudwatch.Dashboard;
    public readonly dashboardName: pulumi.Output<string>;
    /** `https://<region>.console.aws.amazon.com/cloudwatch/home?region=<region>#dashboards:name=<name>` */
    public readonly dashboardUrl: pulumi.Output<string>;
    /** The servers' log groups (unset with `serverLogs: false`). */
    public readonly logGroups?: ServerLogGroups;
    /** Their names, for `cloudWatchAgentUserData`. */
    public readonly logGroupNames: ServerLogGroupNames;
    /** The IAM policy (JSON) an instance role needs to ship to those log groups. */
    public readonly serverLogsPolicy?: pulumi.Output<string>;
    public readonly thresholds: Thresholds;
    public readonly namePrefix: string;
    public readonly metricNamespace: string;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ha-webstack:index:Monitoring", name, {}, opts);
        const settings = validateMonitoringArgs(name, args);
        this.thresholds = settings.thresholds;
        this.namePrefix = settings.namePrefix;
        this.metricNamespace = settings.metricNamespace;
        this.logGroupNames = settings.logGroupNames;
        const region = aws.getRegionOutput({}, { parent: this }).region;

        ({ topic: this.topic, topicArn: this.topicArn } = this.createTopic(name, settings, args.tags));
        if (settings.alertEmail !== undefined) {
            this.emailSubscription = new aws.sns.TopicSubscription(
                `${name}-alert-email`,
                { topic: this.topicArn, protocol: "email", endpoint: settings.alertEmail },
                { parent: this },
            );
        }
        if (settings.serverLogs) {
            ({ logGroups: this.logGroups, policy: this.serverLogsPolicy } = this.createServerLogs(
                name,
                settings,
                args.serverRoleNames ?? [],
                args.tags,
            ));
        }

        const specs = alarmSpecs(settings);
        this.metricFilters = this.createMetricFilters(name, settings);
        this.alarms = specs.map((spec) => this.createAlarm(name, spec, settings.namePrefix, args.tags));
        this.alarmKeys = specs.map((spec) => spec.key);

        this.dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: settings.namePrefix,
                dashboardBody: dashboardBody({ region, settings, specs, alarmArns: this.alarms.map((a) => a.arn) }),
            },
            { parent: this },
        );
        this.dashboardName = this.dashboard.dashboardName;
        this.dashboardUrl = pulumi.interpolate`https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;

        this.registerOutputs({
            topicArn: this.topicArn,
            dashboardName: this.dashboardName,
            dashboardUrl: this.dashboardUrl,
            alarmNames: this.alarms.map((a) => a.name),
            logGroupNames: this.logGroupNames,
        });
    }

    /** The alarm with this key (see `alarmKeys`); an error naming the keys there are when there is none. */
    public alarmNamed(key: string): aws.cloudwatch.MetricAlarm {
        const i = this.alarmKeys.indexOf(key);
        if (i < 0) {
            throw new Error(`Monitoring ${this.namePrefix} has no alarm ${key}; it has ${this.alarmKeys.join(", ")}`);
        }
        return this.alarms[i];
    }

    /** The given topic, or one created here that only this account's CloudWatch alarms may publish to. */
    private createTopic(
        name: string,
        settings: MonitoringSettings,
        tags?: Tags,
    ): { topic?: aws.sns.Topic; topicArn: pulumi.Output<string> } {
        if (settings.topicArn !== undefined) {
            return { topicArn: pulumi.output(settings.topicArn) };
        }
        const topic = new aws.sns.Topic(
            `${name}-alerts`,
            {
                displayName: "ha-webstack alerts",
                kmsMasterKeyId: settings.topicKmsKeyId,
                tags: named(tags, `${settings.namePrefix}-alerts`),
            },
            { parent: this, aliases: settings.topicAliases },
        );
        // Only CloudWatch alarms of this account, as a service principal; the account's own IAM
        // principals (the failover controller's role) keep what their identity policies grant.
        const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        new aws.sns.TopicPolicy(
            `${name}-alerts-policy`,
            {
                arn: topic.arn,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "CloudWatchAlarmsPublish",
                            Effect: "Allow",
                            Principal: { Service: "cloudwatch.amazonaws.com" },
                            Action: "sns:Publish",
                            Resource: topic.arn,
                            Condition: { StringEquals: { "aws:SourceAccount": accountId } },
                        },
                    ],
                }),
            },
            { parent: this },
        );
        return { topic, topicArn: topic.arn };
    }

    /** The nginx access, nginx error and app log groups, and the policy to ship to them on each role given. */
    private createServerLogs(
        name: string,
        settings: MonitoringSettings,
        serverRoleNames: pulumi.Input<string>[],
        tags?: Tags,
    ): { logGroups: ServerLogGroups; policy: pulumi.Output<string> } {
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
        const logGroups = {
            nginxAccess: logGroup("nginxAccess", "nginx-access"),
            nginxError: logGroup("nginxError", "nginx-error"),
            app: logGroup("app", "app"),
        };
        const policy = pulumi
            .all([logGroups.nginxAccess.arn, logGroups.nginxError.arn, logGroups.app.arn])
            .apply((logGroupArns) => serverLogsPolicyDocument({ logGroupArns }));
        serverRoleNames.forEach(
            (role, i) =>
                new aws.iam.RolePolicy(
                    `${name}-server-logs-${i}`,
                    { role, name: "ha-webstack-server-logs", policy },
                    { parent: this },
                ),
        );
        return { logGroups, policy };
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
        return new aws.cloudwatch.MetricAlarm(
            `${name}-${spec.key}`,
            { ...common, ...alarmMetric(spec) },
            { parent: this },
        );
    }

    /** The controller logs one JSON line per event (lambda/failover/handler.ts): count the ones that matter. */
    private createMetricFilters(name: string, settings: MonitoringSettings): aws.cloudwatch.LogMetricFilter[] {
        const controller = settings.failoverController;
        if (!controller) {
            return [];
        }
        return (Object.keys(CONTROLLER_LOG_METRICS) as ControllerLogMetric[]).map((metric) => {
            const key = kebab(metric);
            return new aws.cloudwatch.LogMetricFilter(
                `${name}-${key}`,
                {
                    name: `${settings.namePrefix}-${key}`,
                    logGroupName: controller.logGroupName,
                    pattern: logMetricPattern(metric),
                    // No default value: nothing is published (or paid for) until an event matches.
                    metricTransformation: {
                        name: CONTROLLER_LOG_METRICS[metric].metricName,
                        namespace: settings.metricNamespace,
                        value: "1",
                        unit: "Count",
                    },
                },
                { parent: this },
            );
        });
    }
}

/** What an alarm reads: one metric with its statistic, or the metric math of a rate. */
function alarmMetric(spec: AlarmSpec): Partial<aws.cloudwatch.MetricAlarmArgs> {
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
        return {
            metricQueries: [
                query("errors", errors),
                query("requests", requests),
                { id: "rate", label, expression: rateExpression("errors", "requests", minRequests), returnData: true },
            ],
        };
    }
    const m = spec.metric!;
    const percentile = /^p\d/.test(m.stat);
    return {
        namespace: m.namespace,
        metricName: m.metricName,
        dimensions: m.dimensions,
        period: m.period,
        ...(percentile
            ? { extendedStatistic: m.stat, evaluateLowSampleCountPercentiles: "ignore" }
            : { statistic: m.stat }),
    };
}

/** `moveFailures` → `move-failures`: the metric filter's name. */
function kebab(key: string): string {
    return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

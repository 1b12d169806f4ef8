import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ENV, TABLE_KEY } from "../../lambda/failover/protocol";
import { named, Tags } from "../shared/tags";
import type { FailbackPolicy, FailoverControllerArgs } from "./args";
import { bundleHandler } from "./bundle";
import { failoverControllerPolicy } from "./iamPolicy";
import { FailoverControllerSettings, validateFailoverControllerArgs } from "./settings";
import { DEFAULT_TIMING, failoverCallSeconds, failoverTimeSeconds, FUNCTION_TIMEOUT_SECONDS } from "./timing";

/** The component's type token. */
export const FAILOVER_CONTROLLER_TYPE = "ha-webstack:index:FailoverController";

/** What the second schedule sends: a scheduled run to the handler (anything without `action` or `alarmData` is). */
export const BACKUP_SCHEDULE_EVENT = { source: "ha-webstack.scheduler", "detail-type": "Scheduled Event" };

/** Deliveries and async events older than a minute are dropped: the next run comes within the minute. */
const ASYNC_RETRY_POLICY = { maximumEventAgeInSeconds: 60, maximumRetryAttempts: 2 };

/** The heartbeat metric, counted from the poller's log; the controller-down alarm watches it. */
export const HEARTBEAT_METRIC = "Heartbeats";
export const HEARTBEAT_PATTERN = '{ $.event = "heartbeat" }';

/**
 * Automatic active-passive failover. An ALB never moves weight between the target groups of a
 * forward action by itself (a group whose servers are all down "fails open"), so a Lambda
 * function watches the groups and moves the HTTPS listener's weights
 * (`lambda/failover/`, bundled with esbuild):
 * - started every minute by an EventBridge schedule, each run takes over from the last one (a
 *   lease in a DynamoDB table) and polls the active group every `pollIntervalSeconds` until the
 *   next run is there: polling never pauses, and only the lease holder moves traffic;
 * - it fails over (0/100) on the first poll that finds the active group with no healthy target,
 *   if the failover group has one; it fails back per `failback`, after a delay that grows when
 *   the active group flaps; it respects an operator's moves, made through its payloads or by hand;
 * - every move and problem goes to the topic and the log (one JSON line each);
 * - a second schedule (EventBridge Scheduler, independent of the rule) keeps the relay going when
 *   the first stops; a CloudWatch alarm on the poller's heartbeat starts a run (and alerts) when
 *   no run polls at all.
 *
 * @example
 * const controller = new FailoverController("shop-controller", {
 *     listenerArn: lb.httpsListener.arn,
 *     activeTargetGroupArn: lb.activeTargetGroup.arn,
 *     failoverTargetGroupArn: lb.failoverTargetGroup!.arn,
 *     topicArn: monitoring.topicArn,
 *     failback: "automatic",
 * });
 */
export class FailoverController extends pulumi.ComponentResource {
    public readonly function: aws.lambda.Function;
    public readonly role: aws.iam.Role;
    /** Asynchronous invocations: no retries, a minute at most, failures to the alert topic. */
    public readonly asyncInvokeConfig: aws.lambda.FunctionEventInvokeConfig;
    public readonly logGroup: aws.cloudwatch.LogGroup;
    /** The lease and the state (one item), shared by the runs. */
    public readonly table: aws.dynamodb.Table;
    public readonly schedule: aws.cloudwatch.EventRule;
    /** The second schedule, in EventBridge Scheduler: the relay goes on if either one stops. */
    public readonly backupSchedule: aws.scheduler.Schedule;
    /** No heartbeat for 3 minutes: starts a run and alerts. */
    public readonly downAlarm: aws.cloudwatch.MetricAlarm;
    public readonly topicArn: pulumi.Output<string>;
    /** The topic the controller created, when none was given. */
    public readonly topic?: aws.sns.Topic;
    public readonly failback: FailbackPolicy;
    public readonly failbackAfterSeconds: number;
    /** Worst case from the active pool's death to the controller's ModifyListener call (s). */
    public readonly failoverCallSeconds: number;
    /** Worst case from the active pool's death to traffic on the failover group, propagation allowance included (s). */
    public readonly failoverTimeSeconds: number;
    /** CloudWatch namespace of the heartbeat metric. */
    public readonly metricNamespace: string;

    constructor(name: string, args: FailoverControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        super(FAILOVER_CONTROLLER_TYPE, name, {}, opts);
        const settings = validateFailoverControllerArgs(args);
        const tags = args.tags;
        this.failback = settings.failback;
        this.failbackAfterSeconds = settings.failbackAfterSeconds;
        const timing = {
            ...DEFAULT_TIMING,
            pollIntervalSeconds: settings.pollIntervalSeconds,
            confirmations: settings.confirmations,
        };
        this.failoverCallSeconds = failoverCallSeconds(timing);
        this.failoverTimeSeconds = failoverTimeSeconds(timing);
        this.metricNamespace = `HaWebstack/${name.replace(/[^A-Za-z0-9._/#:-]/g, "-")}`;

        if (args.topicArn === undefined) {
            this.topic = new aws.sns.Topic(
                `${name}-topic`,
                { displayName: "ha-webstack alerts", tags: named(tags, `${name}-topic`) },
                { parent: this },
            );
        }
        this.topicArn = args.topicArn !== undefined ? pulumi.output(args.topicArn) : this.topic!.arn;

        this.logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            {
                namePrefix: `/ha-webstack/${pulumi.getStack()}/failover-controller-`,
                retentionInDays: settings.logRetentionDays,
                tags: named(tags, `${name}-logs`),
            },
            { parent: this },
        );
        this.table = this.createTable(name, tags);
        const { role, policy } = this.createRole(name, args, tags);
        this.role = role;
        this.function = this.createFunction(name, args, settings, tags);
        this.asyncInvokeConfig = this.limitAsyncInvocations(name, policy);
        this.schedule = this.createSchedule(name, tags);
        this.backupSchedule = this.createBackupSchedule(name, tags);
        this.downAlarm = this.createDownAlarm(name, tags);

        this.registerOutputs({
            functionName: this.function.name,
            tableName: this.table.name,
            topicArn: this.topicArn,
            failoverTimeSeconds: this.failoverTimeSeconds,
        });
    }

    /**
     * One item: the lease and the state. On demand, in the writes and reads a minute that
     * `npm run bench:failover` measures (the README's cost paragraph and scripts/plan/prices.ts
     * quote them). Encrypted at rest with an AWS owned key
     * (DynamoDB's default); nothing in it is secret.
     */
    private createTable(name: string, tags?: Tags): aws.dynamodb.Table {
        return new aws.dynamodb.Table(
            `${name}-state`,
            {
                billingMode: "PAY_PER_REQUEST",
                hashKey: TABLE_KEY,
                attributes: [{ name: TABLE_KEY, type: "S" }],
                tags: named(tags, `${name}-state`),
            },
            { parent: this },
        );
    }

    private createFunction(
        name: string,
        args: FailoverControllerArgs,
        settings: FailoverControllerSettings,
        tags?: Tags,
    ): aws.lambda.Function {
        return new aws.lambda.Function(
            `${name}-fn`,
            {
                description: "ha-webstack: moves the HTTPS listener's weights to the failover target group and back",
                runtime: "nodejs22.x",
                architectures: ["arm64"],
                handler: "index.handler",
                code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundleHandler()) }),
                role: this.role.arn,
                memorySize: 128,
                // A run polls until its successor takes over (about a minute), at most MAX_RUN_SECONDS.
                timeout: FUNCTION_TIMEOUT_SECONDS,
                // Only on request: the lease keeps overlapping runs apart without it.
                reservedConcurrentExecutions: settings.reservedConcurrency,
                loggingConfig: { logFormat: "Text", logGroup: this.logGroup.name },
                environment: {
                    variables: {
                        [ENV.listenerArn]: args.listenerArn,
                        [ENV.activeTargetGroupArn]: args.activeTargetGroupArn,
                        [ENV.failoverTargetGroupArn]: args.failoverTargetGroupArn,
                        [ENV.topicArn]: this.topicArn,
                        [ENV.tableName]: this.table.name,
                        [ENV.failback]: settings.failback,
                        [ENV.failbackAfterSeconds]: String(settings.failbackAfterSeconds),
                        [ENV.maxHoldDownLevel]: String(settings.maxHoldDownLevel),
                        [ENV.pollIntervalSeconds]: String(settings.pollIntervalSeconds),
                        [ENV.confirmations]: String(settings.confirmations),
                    },
                },
                tags: named(tags, `${name}-fn`),
            },
            { parent: this },
        );
    }

    /**
     * Asynchronous invocations (the schedules, the alarm) are never retried by Lambda and are
     * dropped after a minute: a retry reuses the request id and a stale run is useless, since the
     * next one starts within the minute anyway. One that fails (a timeout, a crash, or dropped
     * unprocessed after throttling) goes to the alert topic (an on-failure destination): above
     * all a backstop run started by the controller-down alarm, which would otherwise fail
     * unseen. Lambda publishes with the function's role (its policy allows `sns:Publish` on the
     * topic, and must exist first: AWS checks it when the destination is set).
     * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
     */
    private limitAsyncInvocations(name: string, rolePolicy: aws.iam.RolePolicy): aws.lambda.FunctionEventInvokeConfig {
        return new aws.lambda.FunctionEventInvokeConfig(
            `${name}-async`,
            {
                functionName: this.function.name,
                maximumRetryAttempts: 0,
                maximumEventAgeInSeconds: 60,
                destinationConfig: { onFailure: { destination: this.topicArn } },
            },
            { parent: this, dependsOn: [rolePolicy] },
        );
    }

    /** Every minute a run starts; it takes over from the one polling, which then stops. */
    private createSchedule(name: string, tags?: Tags): aws.cloudwatch.EventRule {
        const rule = new aws.cloudwatch.EventRule(
            `${name}-schedule`,
            {
                description: "Starts the failover controller's next run every minute",
                scheduleExpression: "rate(1 minute)",
                tags: named(tags, `${name}-schedule`),
            },
            { parent: this },
        );
        new aws.cloudwatch.EventTarget(
            `${name}-schedule-target`,
            {
                rule: rule.name,
                arn: this.function.arn,
                // A delivery EventBridge could not make within the minute is of no use.
                retryPolicy: ASYNC_RETRY_POLICY,
            },
            { parent: this },
        );
        new aws.lambda.Permission(
            `${name}-allow-schedule`,
            {
                action: "lambda:InvokeFunction",
                function: this.function.name,
                principal: "events.amazonaws.com",
                sourceArn: rule.arn,
            },
            { parent: this },
        );
        return rule;
    }

    /**
     * The same relay from a second, independent service: with the rule disabled or deleted (or
     * EventBridge rules failing) runs still start every minute. Each finds the other schedule's
     * run polling or waiting and takes its turn; a run that finds a successor already waiting
     * stops at once. Scheduler invokes through a role of its own (no resource policy).
     * https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html
     */
    private createBackupSchedule(name: string, tags?: Tags): aws.scheduler.Schedule {
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const role = new aws.iam.Role(
            `${name}-scheduler-role`,
            {
                description: "ha-webstack failover controller: EventBridge Scheduler starts its runs",
                assumeRolePolicy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "scheduler.amazonaws.com" },
                            Action: "sts:AssumeRole",
                            Condition: { StringEquals: { "aws:SourceAccount": account } },
                        },
                    ],
                }),
                tags: named(tags, `${name}-scheduler-role`),
            },
            { parent: this },
        );
        const policy = new aws.iam.RolePolicy(
            `${name}-scheduler-policy`,
            {
                role: role.name,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "StartRuns",
                            Effect: "Allow",
                            Action: "lambda:InvokeFunction",
                            Resource: this.function.arn,
                        },
                    ],
                }),
            },
            { parent: this },
        );
        return new aws.scheduler.Schedule(
            `${name}-schedule-2`,
            {
                name: `${name}-schedule-2`,
                description: "Starts the failover controller's next run every minute (the second of two schedules)",
                scheduleExpression: "rate(1 minute)",
                flexibleTimeWindow: { mode: "OFF" },
                target: {
                    arn: this.function.arn,
                    roleArn: role.arn,
                    input: JSON.stringify(BACKUP_SCHEDULE_EVENT),
                    retryPolicy: ASYNC_RETRY_POLICY,
                },
            },
            // Schedules take no tags; the role's policy must exist before the first invocation.
            { parent: this, dependsOn: [policy] },
        );
    }

    /**
     * The backstop: the poller logs a heartbeat every 10 s; three minutes without one (both
     * schedules broken, every run failing) starts a run directly (CloudWatch alarms can invoke a
     * Lambda function) and alerts. Three minutes, not two: a minute's heartbeats counted late by
     * the log metric filter must not raise it (missing data counts as breaching).
     * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions
     */
    private createDownAlarm(name: string, tags?: Tags): aws.cloudwatch.MetricAlarm {
        new aws.cloudwatch.LogMetricFilter(
            `${name}-heartbeats`,
            {
                name: `${name}-heartbeats`,
                logGroupName: this.logGroup.name,
                pattern: HEARTBEAT_PATTERN,
                metricTransformation: {
                    name: HEARTBEAT_METRIC,
                    namespace: this.metricNamespace,
                    value: "1",
                    unit: "Count",
                },
            },
            { parent: this },
        );
        const alarm = new aws.cloudwatch.MetricAlarm(
            `${name}-down`,
            {
                name: `${name}-down`,
                alarmDescription:
                    "No failover controller run has polled for 3 minutes: automatic failover is off. The alarm starts a run. " +
                    "Runbook: the controller's log group (lease_error, config_error, unexpected_error); Lambda console > Monitor (throttles, errors); " +
                    "the EventBridge schedule rule is enabled and the EventBridge Scheduler schedule <controller>-schedule-2 too; " +
                    "aws lambda invoke --function-name <controller> --cli-binary-format raw-in-base64-out " +
                    '--payload \'{"action":"status"}\' out.json.',
                namespace: this.metricNamespace,
                metricName: HEARTBEAT_METRIC,
                statistic: "Sum",
                period: 60,
                evaluationPeriods: 3,
                datapointsToAlarm: 3,
                comparisonOperator: "LessThanThreshold",
                threshold: 1,
                // No heartbeat is the very condition.
                treatMissingData: "breaching",
                alarmActions: [this.function.arn, this.topicArn],
                okActions: [this.topicArn],
                tags: named(tags, `${name}-down`),
            },
            { parent: this },
        );
        new aws.lambda.Permission(
            `${name}-allow-alarm`,
            {
                action: "lambda:InvokeFunction",
                function: this.function.name,
                principal: "lambda.alarms.cloudwatch.amazonaws.com",
                sourceArn: alarm.arn,
            },
            { parent: this },
        );
        return alarm;
    }

    /** Least privilege: see {@link failoverControllerPolicy}. */
    private createRole(
        name: string,
        args: FailoverControllerArgs,
        tags?: Tags,
    ): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: "ha-webstack failover controller",
                assumeRolePolicy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "lambda.amazonaws.com" },
                            Action: "sts:AssumeRole",
                            Condition: { StringEquals: { "aws:SourceAccount": account } },
                        },
                    ],
                }),
                tags: named(tags, `${name}-role`),
            },
            { parent: this },
        );
        const policy = new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.name,
                policy: failoverControllerPolicy({
                    listenerArn: args.listenerArn,
                    tableArn: this.table.arn,
                    topicArn: this.topicArn,
                    logGroupArn: this.logGroup.arn,
                }),
            },
            { parent: this },
        );
        return { role, policy };
    }
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { FailbackPolicy, FailoverControllerArgs } from "./args";
import { named, Tags } from "../shared/tags";
import { bundleHandler } from "./bundle";
import { failoverControllerPolicy } from "./iamPolicy";
import { validateFailoverControllerArgs } from "./settings";
import { DEFAULT_TIMING, failoverTimeSeconds, RUN_SECONDS } from "./timing";

/** The component's type token. */
export const FAILOVER_CONTROLLER_TYPE = "ha-webstack:index:FailoverController";

/**
 * Automatic active-passive failover. An ALB never moves weight between the target groups of a
 * forward action by itself (a group whose servers are all down "fails open"), so a Lambda
 * function watches both groups and moves the HTTPS listener's weights:
 * - started every minute by an EventBridge schedule, it polls DescribeTargetHealth every
 *   `pollIntervalSeconds` for the rest of the minute (reserved concurrency 1: one invocation at a time);
 * - it fails over (0/100) when the active group has had no healthy target for `confirmations`
 *   polls and the failover group has one; it never moves traffic to an unhealthy group;
 * - it fails back per the `failback` policy, publishes every move to the topic and logs one JSON
 *   line per move;
 * - a CloudWatch alarm on the active group's HealthyHostCount also invokes it, as a backstop.
 * The function's code is `lambda/failover/handler.ts`, bundled here with esbuild.
 */
export class FailoverController extends pulumi.ComponentResource {
    public readonly function: aws.lambda.Function;
    public readonly role: aws.iam.Role;
    public readonly logGroup: aws.cloudwatch.LogGroup;
    public readonly schedule: aws.cloudwatch.EventRule;
    /** The backstop alarm: the active group's HealthyHostCount < 1 invokes the function. */
    public readonly backstopAlarm: aws.cloudwatch.MetricAlarm;
    public readonly topicArn: pulumi.Output<string>;
    /** The topic the controller created, when none was given. */
    public readonly topic?: aws.sns.Topic;
    public readonly failback: FailbackPolicy;
    public readonly failbackAfterSeconds: number;
    /** Worst-case seconds from the active group's failure to traffic on the failover group. */
    public readonly failoverTimeSeconds: number;

    constructor(name: string, args: FailoverControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        super(FAILOVER_CONTROLLER_TYPE, name, {}, opts);
        const settings = validateFailoverControllerArgs(args);
        const tags = args.tags;
        this.failback = settings.failback;
        this.failbackAfterSeconds = settings.failbackAfterSeconds;
        this.failoverTimeSeconds = failoverTimeSeconds({
            ...DEFAULT_TIMING,
            pollIntervalSeconds: settings.pollIntervalSeconds,
            confirmations: settings.confirmations,
        });

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
        this.role = this.createRole(name, args, tags);

        this.function = new aws.lambda.Function(
            `${name}-fn`,
            {
                description: "ha-webstack: moves the HTTPS listener's weights to the failover target group and back",
                runtime: "nodejs22.x",
                architectures: ["arm64"],
                handler: "index.handler",
                code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundleHandler()) }),
                role: this.role.arn,
                memorySize: 128,
                // A scheduled run polls for RUN_SECONDS and stops early when less than 8 s remain.
                timeout: RUN_SECONDS + 20,
                // One invocation at a time: two controllers must never race on the listener.
                reservedConcurrentExecutions: 1,
                loggingConfig: { logFormat: "Text", logGroup: this.logGroup.name },
                environment: {
                    variables: {
                        LISTENER_ARN: args.listenerArn,
                        ACTIVE_TARGET_GROUP_ARN: args.activeTargetGroup.arn,
                        FAILOVER_TARGET_GROUP_ARN: args.failoverTargetGroup.arn,
                        TOPIC_ARN: this.topicArn,
                        FAILBACK: settings.failback,
                        FAILBACK_AFTER_SECONDS: String(settings.failbackAfterSeconds),
                        POLL_INTERVAL_SECONDS: String(settings.pollIntervalSeconds),
                        CONFIRMATIONS: String(settings.confirmations),
                        RUN_SECONDS: String(RUN_SECONDS),
                    },
                },
                tags: named(tags, `${name}-fn`),
            },
            { parent: this },
        );

        // Every minute, one run of RUN_SECONDS.
        this.schedule = new aws.cloudwatch.EventRule(
            `${name}-schedule`,
            {
                description: "Starts the failover controller every minute",
                scheduleExpression: "rate(1 minute)",
                tags: named(tags, `${name}-schedule`),
            },
            { parent: this },
        );
        new aws.cloudwatch.EventTarget(
            `${name}-schedule-target`,
            { rule: this.schedule.name, arn: this.function.arn },
            { parent: this },
        );
        new aws.lambda.Permission(
            `${name}-allow-schedule`,
            {
                action: "lambda:InvokeFunction",
                function: this.function.name,
                principal: "events.amazonaws.com",
                sourceArn: this.schedule.arn,
            },
            { parent: this },
        );

        // The backstop: CloudWatch alarms can invoke a Lambda function directly.
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions
        this.backstopAlarm = new aws.cloudwatch.MetricAlarm(
            `${name}-backstop`,
            {
                alarmDescription:
                    "The active target group has no healthy server: invokes the failover controller (a backstop for its every-minute schedule). " +
                    "Runbook: check the controller's logs; the Monitoring alarms tell whether traffic moved.",
                namespace: "AWS/ApplicationELB",
                metricName: "HealthyHostCount",
                dimensions: { LoadBalancer: args.loadBalancerArnSuffix, TargetGroup: args.activeTargetGroup.arnSuffix },
                statistic: "Minimum",
                period: 60,
                evaluationPeriods: 1,
                comparisonOperator: "LessThanThreshold",
                threshold: 1,
                // No data means no registered target: as bad as no healthy one.
                treatMissingData: "breaching",
                alarmActions: [this.function.arn],
                tags: named(tags, `${name}-backstop`),
            },
            { parent: this },
        );
        new aws.lambda.Permission(
            `${name}-allow-alarm`,
            {
                action: "lambda:InvokeFunction",
                function: this.function.name,
                principal: "lambda.alarms.cloudwatch.amazonaws.com",
                sourceArn: this.backstopAlarm.arn,
            },
            { parent: this },
        );

        this.registerOutputs({
            functionName: this.function.name,
            topicArn: this.topicArn,
            failoverTimeSeconds: this.failoverTimeSeconds,
        });
    }

    /** Least privilege: describe health (AWS allows only `*` there), change this listener, publish to this topic, write its own logs. */
    private createRole(name: string, args: FailoverControllerArgs, tags?: Tags): aws.iam.Role {
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
        new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.name,
                policy: failoverControllerPolicy({
                    listenerArn: args.listenerArn,
                    topicArn: this.topicArn,
                    logGroupArn: this.logGroup.arn,
                }),
            },
            { parent: this },
        );
        return role;
    }
}

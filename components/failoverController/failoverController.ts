import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as esbuild from "esbuild";
import { STATE_TAG_KEY } from "../../lambda/failover/protocol";
import { HEALTH_CHECK } from "../loadBalancer/loadBalancer";
import { packageFile, packageRoot } from "../shared/packageFiles";
import { named, Tags } from "../shared/tags";
import { integerIn, logRetentionDays, oneOf } from "../shared/validation";

/** The component's type token. */
export const FAILOVER_CONTROLLER_TYPE = "ha-webstack:index:FailoverController";

export const FAILBACK_POLICIES = ["automatic", "manual"] as const;
export type FailbackPolicy = (typeof FAILBACK_POLICIES)[number];

/** The controller's timing; every value feeds {@link failoverTimeSeconds}. */
export interface FailoverTiming {
    /** ALB health-check interval (s). */
    healthCheckIntervalSeconds: number;
    /** Failed checks before the ALB marks a target unhealthy. */
    unhealthyThreshold: number;
    /** How often the controller polls DescribeTargetHealth (s). */
    pollIntervalSeconds: number;
    /** Consecutive polls with no healthy active target before it moves traffic. */
    confirmations: number;
    /** ModifyListener round trip and propagation to the ALB nodes (s). */
    apiAllowanceSeconds: number;
}

export const DEFAULT_TIMING: FailoverTiming = {
    healthCheckIntervalSeconds: HEALTH_CHECK.intervalSeconds,
    unhealthyThreshold: HEALTH_CHECK.unhealthyThreshold,
    pollIntervalSeconds: 5,
    confirmations: 2,
    apiAllowanceSeconds: 5,
};

/**
 * Worst-case time from the last good response of the active group to traffic on the failover
 * group: the ALB needs interval × threshold to mark the servers unhealthy; the controller then
 * needs `confirmations` polls, the first of which can come up to one poll interval late; then the
 * API call. With the defaults: 5 × 2 + 5 × 2 + 5 = 25 s (an alarm-driven flip takes 75-135 s).
 */
export function failoverTimeSeconds(t: FailoverTiming = DEFAULT_TIMING): number {
    return (
        t.healthCheckIntervalSeconds * t.unhealthyThreshold +
        t.pollIntervalSeconds * t.confirmations +
        t.apiAllowanceSeconds
    );
}

export interface FailoverControllerArgs {
    /** The HTTPS listener whose forward action holds both target groups. */
    listenerArn: pulumi.Input<string>;
    /** The load balancer's ARN suffix (CloudWatch dimension `LoadBalancer`). */
    loadBalancerArnSuffix: pulumi.Input<string>;
    /** The active target group: its ARN and ARN suffix (CloudWatch dimension `TargetGroup`). */
    activeTargetGroup: { arn: pulumi.Input<string>; arnSuffix: pulumi.Input<string> };
    /** The failover (standby) target group. */
    failoverTargetGroup: { arn: pulumi.Input<string>; arnSuffix: pulumi.Input<string> };
    /**
     * SNS topic every move is published to.
     * @default a topic created by the controller
     */
    topicArn?: pulumi.Input<string>;
    /**
     * `automatic`: back to the active group once it has been healthy for `failbackAfterSeconds`;
     * `manual`: stay on the failover group until an operator moves traffic back.
     * @default "automatic"
     */
    failback?: FailbackPolicy;
    /**
     * How long the active group must stay healthy before an automatic failback (avoids flapping).
     * @default 300
     */
    failbackAfterSeconds?: number;
    /**
     * Seconds between two DescribeTargetHealth polls, 1 to 15.
     * @default 5
     */
    pollIntervalSeconds?: number;
    /**
     * Consecutive polls with no healthy active target before failing over, 1 to 10.
     * @default 2
     */
    confirmations?: number;
    /**
     * Retention of the controller's log group, in days (a CloudWatch Logs retention value).
     * @default 30
     */
    logRetentionDays?: number;
    /** Tags added to every resource. */
    tags?: Tags;
}

/**
 * How long each scheduled invocation polls: the schedule starts one a minute, so polls at 0, 5,
 * ..., 55 s leave no gap longer than one poll interval between two runs.
 */
export const RUN_SECONDS = 58;

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

/**
 * The controller's IAM policy. The Describe* actions of Elastic Load Balancing support no
 * resource-level permissions (Resource must be `*`); everything that changes something is
 * scoped to one resource.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html
 */
export function failoverControllerPolicy(arns: {
    listenerArn: pulumi.Input<string>;
    topicArn: pulumi.Input<string>;
    logGroupArn: pulumi.Input<string>;
}): pulumi.Output<string> {
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadHealthAndWeights",
                Effect: "Allow",
                Action: [
                    "elasticloadbalancing:DescribeTargetHealth",
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeTags",
                ],
                Resource: "*",
            },
            {
                Sid: "MoveWeights",
                Effect: "Allow",
                Action: "elasticloadbalancing:ModifyListener",
                Resource: arns.listenerArn,
            },
            {
                Sid: "KeepStateInOneTag",
                Effect: "Allow",
                Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
                Resource: arns.listenerArn,
                Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": [STATE_TAG_KEY] } },
            },
            { Sid: "Notify", Effect: "Allow", Action: "sns:Publish", Resource: arns.topicArn },
            {
                Sid: "OwnLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: pulumi.interpolate`${arns.logGroupArn}:*`,
            },
        ],
    });
}

let bundled: string | undefined;

/**
 * `lambda/failover/handler.ts` bundled into one CommonJS file, with the AWS SDK v3 left to the
 * Node.js 22 runtime. Deterministic (paths relative to the package root, no comments, no source
 * map), so an unchanged handler never shows as a diff.
 */
export function bundleHandler(): string {
    if (bundled === undefined) {
        const result = esbuild.buildSync({
            entryPoints: [packageFile("lambda", "failover", "handler.ts")],
            absWorkingDir: packageRoot(),
            bundle: true,
            platform: "node",
            format: "cjs",
            target: "node22",
            external: ["@aws-sdk/*"],
            legalComments: "none",
            write: false,
            logLevel: "silent",
        });
        bundled = result.outputFiles[0].text;
    }
    return bundled;
}

export interface FailoverControllerSettings {
    failback: FailbackPolicy;
    failbackAfterSeconds: number;
    pollIntervalSeconds: number;
    confirmations: number;
    logRetentionDays: number;
}

export function validateFailoverControllerArgs(
    args: FailoverControllerArgs,
    label = "FailoverController args",
): FailoverControllerSettings {
    return {
        failback: oneOf(`${label}.failback`, args.failback ?? "automatic", FAILBACK_POLICIES),
        failbackAfterSeconds: integerIn(`${label}.failbackAfterSeconds`, args.failbackAfterSeconds ?? 300, 0, 86400),
        pollIntervalSeconds: integerIn(
            `${label}.pollIntervalSeconds`,
            args.pollIntervalSeconds ?? DEFAULT_TIMING.pollIntervalSeconds,
            1,
            15,
        ),
        confirmations: integerIn(`${label}.confirmations`, args.confirmations ?? DEFAULT_TIMING.confirmations, 1, 10),
        logRetentionDays: logRetentionDays(`${label}.logRetentionDays`, args.logRetentionDays ?? 30),
    };
}

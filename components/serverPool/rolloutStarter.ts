/**
 * The rollout starter: a small Lambda function (lambda/rollout/) that `pulumi up` invokes, through
 * an `aws.lambda.Invocation`, each time the pool's launch template gets a new version. It starts
 * the instance refresh with that version as the refresh's desired configuration while the group
 * keeps the version it runs, so that a refresh that fails, or that one of the rollout's alarms
 * stops, rolls the replaced servers back to the old version.
 *
 * Why not the provider's `instanceRefresh`: the provider updates the group's launch template
 * first and starts the refresh after, so AWS's rollback "returns" to the new version
 * (hashicorp/terraform-provider-aws#34189; a fix, #39007, was closed unmerged).
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html
 *
 * - The group ignores changes to its `launchTemplate` (serverPool.ts): Pulumi sets it when it
 *   creates the group, and after that only a successful refresh moves it (AWS sets the group to
 *   the desired configuration when a refresh succeeds).
 * - The invocation's input names the group, the launch template id and version, and the refresh's
 *   preferences: `pulumi preview` shows a new version as a replacement of the invocation, with
 *   the version's change. The function runs on create and replace only (the invocation's default
 *   lifecycle scope); an unchanged input does not invoke it again.
 * - Idempotent (lambda/rollout/decide.ts): a group already on that version, or a refresh already
 *   rolling it out, is left alone; a refresh rolling out another version fails the deployment,
 *   naming it. Every AWS error fails the deployment; the invocation is recorded only on success.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RolloutPreferences, RolloutRequest } from "../../lambda/rollout/decide";
import { lambdaBundle } from "../shared/lambdaBundle";
import { named, Tags } from "../shared/tags";
import { MAX_HEALTHY_PERCENTAGE, MIN_HEALTHY_PERCENTAGE, RolloutSettings } from "./rollout";

const rolloutHandler = lambdaBundle("rollout");

/** Where a build of this package keeps the rollout handler bundled ahead of time. */
export const PREBUILT_ROLLOUT_HANDLER = rolloutHandler.prebuilt;

/** `lambda/rollout/handler.ts` bundled into one CommonJS file (see lambdaBundle.ts). */
export function rolloutHandlerBundle(): string {
    return rolloutHandler.code();
}

/** Writes the bundle a compiled copy of the package reads. */
export function writePrebuiltRolloutHandler(): void {
    rolloutHandler.writePrebuilt();
}

/** The function's timeout: three Auto Scaling calls, each with a 5 s request timeout. */
export const ROLLOUT_FUNCTION_TIMEOUT_SECONDS = 30;
/** Days the starter's log lines (one a deployment) are kept. */
export const ROLLOUT_LOG_RETENTION_DAYS = 90;

/** StartInstanceRefresh's preferences from the pool's rollout settings, alarm names resolved. Pure. */
export function rolloutPreferences(
    settings: RolloutSettings,
    warmupSeconds: number,
    alarms: string[],
): RolloutPreferences {
    return {
        // Launch before terminate: never fewer healthy servers than desired, up to twice as many.
        minHealthyPercentage: MIN_HEALTHY_PERCENTAGE,
        maxHealthyPercentage: MAX_HEALTHY_PERCENTAGE,
        // Until a new server has been healthy this long, the refresh neither counts it nor moves on.
        instanceWarmup: warmupSeconds,
        checkpointPercentages: settings.checkpointPercentages,
        checkpointDelay: settings.checkpointDelaySeconds,
        // A re-run (after a cancel or a failure) replaces only the servers still on another version.
        skipMatching: true,
        autoRollback: settings.autoRollback,
        alarms,
    };
}

export interface RolloutPolicyArgs {
    groupArn: string;
    launchTemplateArn: string;
    instanceRoleArn: string;
}

/**
 * The starter's permissions: read the group and its refreshes (these calls support no resource
 * scoping), start a refresh of this one group, and what Auto Scaling checks of whoever points a
 * group at a launch template: launch from that template (`ec2:RunInstances`, `ec2:CreateTags`
 * only with it) and pass the pool's instance role to EC2.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html
 * Pure.
 */
export function rolloutStarterPolicy(args: RolloutPolicyArgs): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadGroupsAndRefreshes",
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeInstanceRefreshes",
                    "ec2:DescribeLaunchTemplates",
                    "ec2:DescribeLaunchTemplateVersions",
                ],
                Resource: "*",
            },
            {
                Sid: "StartRefreshOfThisGroup",
                Effect: "Allow",
                Action: "autoscaling:StartInstanceRefresh",
                Resource: args.groupArn,
            },
            {
                Sid: "LaunchFromThisTemplateOnly",
                Effect: "Allow",
                Action: ["ec2:RunInstances", "ec2:CreateTags"],
                Resource: "*",
                Condition: { ArnEquals: { "ec2:LaunchTemplate": args.launchTemplateArn } },
            },
            {
                Sid: "PassThePoolsInstanceRole",
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: args.instanceRoleArn,
                Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
            },
        ],
    };
}

export interface RolloutStarter {
    role: aws.iam.Role;
    logGroup: aws.cloudwatch.LogGroup;
    function: aws.lambda.Function;
    /** Its `result` is the starter's answer (JSON): `started` with the refresh's id, or `none` and why. */
    invocation: aws.lambda.Invocation;
}

export interface RolloutStarterArgs {
    group: aws.autoscaling.Group;
    launchTemplate: aws.ec2.LaunchTemplate;
    instanceRole: aws.iam.Role;
    settings: RolloutSettings;
    warmupSeconds: number;
    tags?: Tags;
}

/** The function, its role and log group, and the invocation that `pulumi up` runs per new version. */
export function createRolloutStarter(name: string, args: RolloutStarterArgs, parent: pulumi.Resource): RolloutStarter {
    const { group, launchTemplate, instanceRole, settings, tags } = args;
    const role = new aws.iam.Role(
        `${name}-rollout-role`,
        {
            description: `Starts the instance refreshes of ${name}`,
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
                ],
            }),
            tags: named(tags, `${name}-rollout-role`),
        },
        { parent },
    );
    const policy = new aws.iam.RolePolicy(
        `${name}-rollout`,
        {
            role: role.name,
            policy: pulumi
                .all([group.arn, launchTemplate.arn, instanceRole.arn])
                .apply(([groupArn, launchTemplateArn, instanceRoleArn]) =>
                    JSON.stringify(rolloutStarterPolicy({ groupArn, launchTemplateArn, instanceRoleArn })),
                ),
        },
        { parent },
    );
    const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-rollout-logs`,
        {
            namePrefix: `/ha-webstack/${pulumi.getStack()}/rollout-${name}-`,
            retentionInDays: ROLLOUT_LOG_RETENTION_DAYS,
            tags: named(tags, `${name}-rollout-logs`),
        },
        { parent },
    );
    const logWrite = new aws.iam.RolePolicy(
        `${name}-rollout-logs`,
        {
            role: role.name,
            policy: logGroup.arn.apply((arn) =>
                JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "WriteOwnLogs",
                            Effect: "Allow",
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                            Resource: `${arn}:*`,
                        },
                    ],
                }),
            ),
        },
        { parent },
    );
    const fn = new aws.lambda.Function(
        `${name}-rollout`,
        {
            description: `ha-webstack: starts ${name}'s instance refresh with the new launch template version`,
            runtime: "nodejs22.x",
            architectures: ["arm64"],
            handler: "index.handler",
            code: new pulumi.asset.AssetArchive({
                "index.js": new pulumi.asset.StringAsset(rolloutHandlerBundle()),
            }),
            role: role.arn,
            memorySize: 128,
            timeout: ROLLOUT_FUNCTION_TIMEOUT_SECONDS,
            loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
            tags: named(tags, `${name}-rollout`),
        },
        { parent, dependsOn: [logWrite] },
    );
    const input: pulumi.Output<RolloutRequest> = pulumi
        .all([group.name, launchTemplate.id, launchTemplate.latestVersion, pulumi.output(settings.alarmNames)])
        .apply(([autoScalingGroupName, id, version, alarms]) => ({
            autoScalingGroupName,
            launchTemplate: { id, version: String(version) },
            preferences: rolloutPreferences(settings, args.warmupSeconds, alarms),
        }));
    const invocation = new aws.lambda.Invocation(
        `${name}-rollout`,
        {
            functionName: fn.name,
            input: input.apply((i) => JSON.stringify(i)),
        },
        // The group and its launch template exist, and the function may act, before it runs.
        { parent, dependsOn: [group, policy, logWrite] },
    );
    return { role, logGroup, function: fn, invocation };
}

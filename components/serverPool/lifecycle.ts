/**
 * The launch lifecycle hook that holds each new server out of service until its bootstrap is done,
 * and the one permission its instances need to end the wait (server/loader.sh).
 *
 * - The hook (EC2_INSTANCE_LAUNCHING, default result ABANDON) keeps a new instance in
 *   `Pending:Wait`: not yet InService, not yet registered with the target group. The loader
 *   completes it with CONTINUE once nginx and the app answer on the instance, or with ABANDON on
 *   any failure; if the loader dies or cannot reach the API, the heartbeat runs out and the default
 *   result (ABANDON) terminates the instance. An abandoned instance never takes traffic.
 *   https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html
 * - The hook is an `initialLifecycleHooks` entry of the group, so it exists before the group
 *   launches its first instance (a separate `aws.autoscaling.LifecycleHook` is created after the
 *   group, too late for the instances the group launches when it is created).
 * - The group's name is deterministic ({@link autoScalingGroupName}): the instance role's policy
 *   and the user data name it before the group exists. With Pulumi's random autoname, the policy
 *   could only follow the group, and the group's creation (which waits for its instances to be
 *   InService) would wait for instances that cannot complete their hook: a deadlock.
 */
import * as crypto from "crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { invalid } from "../shared/validation";

/** The hook's name; the loader completes the hook of this name only. */
export const LAUNCH_HOOK_NAME = "ha-webstack-ready";

/**
 * How long an instance may stay in `Pending:Wait` before Auto Scaling applies the default result
 * (ABANDON). A boot is `dnf install nginx` (seconds from the regional repository), the bootstrap
 * and the CloudWatch agent, typically one to two minutes; the loader itself gives up waiting for
 * nginx and the app after {@link READY_TIMEOUT_SECONDS} and abandons. 30 s to 7200 s are allowed.
 */
export const LAUNCH_HOOK_HEARTBEAT_SECONDS = 900;

/** The loader waits this long for nginx's /healthz and the app's /startupz, then abandons. */
export const READY_TIMEOUT_SECONDS = 600;

/**
 * The loader's limit on one bundle download (`HA_DOWNLOAD_TIMEOUT` in server/loader.sh, which
 * tries 3 times, killing a stalled attempt 5 s after this limit at the latest, pausing 5 s and
 * 10 s between attempts): a hung download ends in ABANDON well inside the heartbeat.
 */
export const DOWNLOAD_TIMEOUT_SECONDS = 60;
/** The longest the loader spends on the bundle before it gives up: 3 attempts and 2 pauses. */
export const DOWNLOAD_BUDGET_SECONDS = 3 * (DOWNLOAD_TIMEOUT_SECONDS + 5) + 5 + 10;

/**
 * The tag each pool's group carries, with a value unique to the pool: the lifecycle permission is
 * conditional on it (`autoscaling:ResourceTag/<key>`), so a group that merely reuses the name after
 * this one is gone does not inherit the permission. The instances cannot change group tags.
 */
export const POOL_TAG_KEY = "ha-webstack:pool";

/** The value of {@link POOL_TAG_KEY} for a pool: project, stack and the pool's logical name. */
export function poolTagValue(project: string, stack: string, name: string): string {
    return `${project}/${stack}/${name}`;
}

/**
 * The Auto Scaling group's name: the pool's logical name and 8 hex characters of a hash of
 * project, stack and name (unique per stack as Pulumi's autoname is, but known at preview). At most
 * 255 characters (AWS's limit for a group name).
 */
export function autoScalingGroupName(project: string, stack: string, name: string): string {
    const suffix = crypto
        .createHash("sha256")
        .update(poolTagValue(project, stack, name))
        .digest("hex")
        .slice(0, 8);
    const full = `${name}-${suffix}`;
    if (!/^[A-Za-z0-9._-]{1,255}$/.test(full)) {
        throw invalid("ServerPool name", name, "letters, digits, '.', '_' and '-' (at most 246 characters)");
    }
    return full;
}

/** The hook, as the group's `initialLifecycleHooks` entry. */
export function launchHook(): aws.types.input.autoscaling.GroupInitialLifecycleHook {
    return {
        name: LAUNCH_HOOK_NAME,
        lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
        defaultResult: "ABANDON",
        heartbeatTimeout: LAUNCH_HOOK_HEARTBEAT_SECONDS,
    };
}

export interface LifecyclePolicyArgs {
    partition: string;
    region: string;
    accountId: string;
    autoScalingGroupName: string;
    poolTag: string;
}

/**
 * The instance role's permission to complete lifecycle actions of its own group, and nothing
 * more: `autoscaling:CompleteLifecycleAction` on that group's ARN (the group's id is `*`: it is a
 * UUID that exists only after the group does), when the group carries this pool's tag. IAM has no
 * condition key for the hook's name; the group has this one hook. Pure.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html
 */
export function lifecyclePolicy(args: LifecyclePolicyArgs): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "CompleteOwnLaunchHook",
                Effect: "Allow",
                Action: "autoscaling:CompleteLifecycleAction",
                Resource: `arn:${args.partition}:autoscaling:${args.region}:${args.accountId}:autoScalingGroup:*:autoScalingGroupName/${args.autoScalingGroupName}`,
                Condition: { StringEquals: { [`autoscaling:ResourceTag/${POOL_TAG_KEY}`]: args.poolTag } },
            },
        ],
    };
}

/** The instance role's inline policy {@link lifecyclePolicy}; instances must not launch before it exists. */
export function createLifecyclePermission(
    name: string,
    role: aws.iam.Role,
    groupName: string,
    poolTag: string,
    parent: pulumi.Resource,
): aws.iam.RolePolicy {
    const partition = aws.getPartitionOutput({}, { parent }).partition;
    const region = aws.getRegionOutput({}, { parent }).region;
    const accountId = aws.getCallerIdentityOutput({}, { parent }).accountId;
    return new aws.iam.RolePolicy(
        `${name}-launch-hook`,
        {
            role: role.name,
            policy: pulumi.all([partition, region, accountId]).apply(([p, r, a]) =>
                JSON.stringify(
                    lifecyclePolicy({
                        partition: p,
                        region: r,
                        accountId: a,
                        autoScalingGroupName: groupName,
                        poolTag,
                    }),
                ),
            ),
        },
        { parent },
    );
}

/**
 * Lambda entry of a server pool's rollout starter (Node.js 22 runtime, AWS SDK v3 from the
 * runtime: bundled with `@aws-sdk/*` external). `pulumi up` invokes it (an `aws.lambda.Invocation`)
 * whenever the pool's launch template gets a new version; it starts the instance refresh with
 * that version as the desired configuration, so that a rollback returns to the old one
 * (decide.ts says why and when).
 *
 * Failure policy: every AWS error is thrown, so the invocation fails and `pulumi up` with it,
 * naming the error; it is never read as "nothing to do". The invocation is recorded only when it
 * succeeds, so the next `pulumi up` asks again.
 */
import {
    AutoScalingClient,
    DescribeAutoScalingGroupsCommand,
    DescribeInstanceRefreshesCommand,
    StartInstanceRefreshCommand,
} from "@aws-sdk/client-auto-scaling";
import { decide, parseRequest, type RolloutRequest } from "./decide";

/** What the invocation returns (its `result`, JSON). */
export interface RolloutResult {
    action: "started" | "none";
    reason: string;
    autoScalingGroupName: string;
    launchTemplate: { id: string; version: string };
    instanceRefreshId?: string;
}

/** Every call ends: the function's own timeout is the last line. */
export const SDK_REQUEST_HANDLER = { connectionTimeout: 2_000, requestTimeout: 5_000 } as const;

type Send = Pick<AutoScalingClient, "send">;

let client: Send | undefined;

export async function handler(event: unknown): Promise<RolloutResult> {
    client ??= new AutoScalingClient({ requestHandler: SDK_REQUEST_HANDLER });
    return startRollout(client, event, (line) => console.log(JSON.stringify(line)));
}

/** The handler's work with its client and log injected (tests pass a mocked client). */
export async function startRollout(
    autoscaling: Send,
    event: unknown,
    log: (line: Record<string, unknown>) => void = () => undefined,
): Promise<RolloutResult> {
    const request = parseRequest(event);
    const name = request.autoScalingGroupName;
    const groups = await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    const found = groups.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
    // Newest first: the active refresh, if any, is among the first.
    const refreshes = await autoscaling.send(
        new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name, MaxRecords: 10 }),
    );
    const decision = decide(
        request,
        found && {
            launchTemplate: found.LaunchTemplate && {
                id: found.LaunchTemplate.LaunchTemplateId,
                version: found.LaunchTemplate.Version,
            },
        },
        (refreshes.InstanceRefreshes ?? []).map((r) => ({
            id: r.InstanceRefreshId ?? "(no id)",
            status: String(r.Status),
            desired: r.DesiredConfiguration?.LaunchTemplate && {
                id: r.DesiredConfiguration.LaunchTemplate.LaunchTemplateId,
                version: r.DesiredConfiguration.LaunchTemplate.Version,
            },
        })),
    );
    const base = { autoScalingGroupName: name, launchTemplate: request.launchTemplate };
    if (decision.action === "none") {
        log({ event: "rollout-none", ...base, reason: decision.reason });
        return { action: "none", reason: decision.reason, ...base, instanceRefreshId: decision.instanceRefreshId };
    }
    const started = await autoscaling.send(startCommand(request));
    log({ event: "rollout-started", ...base, reason: decision.reason, instanceRefreshId: started.InstanceRefreshId });
    return { action: "started", reason: decision.reason, ...base, instanceRefreshId: started.InstanceRefreshId };
}

/** StartInstanceRefresh with the new version as the desired configuration (the group keeps the old one). */
export function startCommand(request: RolloutRequest): StartInstanceRefreshCommand {
    const p = request.preferences;
    return new StartInstanceRefreshCommand({
        AutoScalingGroupName: request.autoScalingGroupName,
        Strategy: "Rolling",
        DesiredConfiguration: {
            LaunchTemplate: { LaunchTemplateId: request.launchTemplate.id, Version: request.launchTemplate.version },
        },
        Preferences: {
            MinHealthyPercentage: p.minHealthyPercentage,
            MaxHealthyPercentage: p.maxHealthyPercentage,
            InstanceWarmup: p.instanceWarmup,
            CheckpointPercentages: p.checkpointPercentages,
            CheckpointDelay: p.checkpointDelay,
            SkipMatching: p.skipMatching,
            AutoRollback: p.autoRollback,
            AlarmSpecification: p.alarms.length > 0 ? { Alarms: p.alarms } : undefined,
        },
    });
}

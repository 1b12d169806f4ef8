/**
 * The rollout starter's decision, pure: given what the deployment asks for (a launch template
 * version for one Auto Scaling group, and the refresh's preferences) and what AWS reports (the
 * group's launch template, its recent instance refreshes), start a refresh, do nothing, or refuse.
 *
 * Why the starter exists: AWS rolls a failed refresh back to the configuration the group had when
 * the refresh started. The provider's own refresh updates the group's launch template first and
 * starts the refresh after (hashicorp/terraform-provider-aws#34189), so its "rollback" relaunches
 * the new version. The starter leaves the group on the version it runs and names the new one as
 * the refresh's desired configuration: on success AWS moves the group to it, on failure (or an
 * alarm) AWS rolls the replaced servers back to the old one.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html
 */

/** What the deployment asks for: the Lambda invocation's input. */
export interface RolloutRequest {
    autoScalingGroupName: string;
    launchTemplate: { id: string; version: string };
    preferences: RolloutPreferences;
}

/** StartInstanceRefresh's preferences, as the pool's rollout settings give them. */
export interface RolloutPreferences {
    minHealthyPercentage: number;
    maxHealthyPercentage: number;
    instanceWarmup: number;
    checkpointPercentages: number[];
    checkpointDelay: number;
    skipMatching: boolean;
    autoRollback: boolean;
    /** CloudWatch alarm names; none: no alarm specification. */
    alarms: string[];
}

/** A launch template as the group or a refresh names it. */
export interface TemplateRef {
    id?: string;
    version?: string;
}

export interface RefreshView {
    id: string;
    status: string;
    /** The refresh's desired launch template (none: the refresh was started without one). */
    desired?: TemplateRef;
}

export type Decision =
    | { action: "start"; reason: string }
    | { action: "none"; reason: string; instanceRefreshId?: string };

/**
 * Statuses of a refresh that still runs: a new one cannot start (InstanceRefreshInProgress).
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html
 */
export const ACTIVE_STATUSES = new Set(["Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"]);

const same = (a: TemplateRef | undefined, b: { id: string; version: string }) =>
    a?.id === b.id && a?.version === b.version;

const describe = (t: TemplateRef | undefined) =>
    t?.id === undefined ? "no launch template" : `launch template ${t.id} version ${t.version ?? "(none)"}`;

/**
 * What to do. `group` undefined: the group was not found (an error, never "nothing to roll").
 * Throws when another refresh is running: the deployment fails, naming it, and a later
 * `pulumi up` retries (the invocation is recorded only when it succeeds).
 */
export function decide(
    request: RolloutRequest,
    group: { launchTemplate?: TemplateRef } | undefined,
    refreshes: RefreshView[],
): Decision {
    const name = request.autoScalingGroupName;
    const wanted = request.launchTemplate;
    if (group === undefined) {
        throw new Error(`Auto Scaling group ${name} was not found: cannot roll out ${describe(wanted)}`);
    }
    const active = refreshes.find((r) => ACTIVE_STATUSES.has(r.status));
    if (active !== undefined) {
        if (same(active.desired, wanted)) {
            return {
                action: "none",
                reason: `instance refresh ${active.id} (${active.status}) already rolls out ${describe(wanted)}`,
                instanceRefreshId: active.id,
            };
        }
        throw new Error(
            `Auto Scaling group ${name} has instance refresh ${active.id} ${active.status}, rolling out ` +
                `${describe(active.desired)}; ${describe(wanted)} cannot start until it ends. Wait for it, or ` +
                `cancel it (aws autoscaling cancel-instance-refresh --auto-scaling-group-name ${name}), ` +
                `then run pulumi up again`,
        );
    }
    if (same(group.launchTemplate, wanted)) {
        return { action: "none", reason: `the group already runs ${describe(wanted)}` };
    }
    return {
        action: "start",
        reason: `the group runs ${describe(group.launchTemplate)}; rolling out ${describe(wanted)}`,
    };
}

/** Checks the invocation's input; throws naming the field, the value and what is allowed. */
export function parseRequest(event: unknown): RolloutRequest {
    const fail = (key: string, value: unknown, allowed: string): never => {
        throw new Error(`rollout request: ${key} must be ${allowed}, got ${JSON.stringify(value)}`);
    };
    const obj = (key: string, v: unknown): Record<string, unknown> =>
        typeof v === "object" && v !== null && !Array.isArray(v)
            ? (v as Record<string, unknown>)
            : fail(key, v, "an object");
    const e = obj("the event", event);
    const str = (key: string, v: unknown) =>
        typeof v === "string" && v !== "" ? v : fail(key, v, "a non-empty string");
    const int = (key: string, v: unknown) =>
        Number.isInteger(v) && (v as number) >= 0 ? (v as number) : fail(key, v, "an integer ≥ 0");
    const bool = (key: string, v: unknown) => (typeof v === "boolean" ? v : fail(key, v, "true or false"));
    const lt = obj("launchTemplate", e.launchTemplate);
    const version = String(lt.version ?? "");
    if (!/^[1-9][0-9]*$/.test(version)) {
        // AWS can roll back only to and from numbered versions, never $Latest or $Default.
        fail("launchTemplate.version", lt.version, "a launch template version number");
    }
    const p = obj("preferences", e.preferences);
    const alarms = Array.isArray(p.alarms) ? p.alarms : fail("preferences.alarms", p.alarms, "a list of alarm names");
    const checkpoints = Array.isArray(p.checkpointPercentages)
        ? p.checkpointPercentages
        : fail("preferences.checkpointPercentages", p.checkpointPercentages, "a list of percentages");
    return {
        autoScalingGroupName: str("autoScalingGroupName", e.autoScalingGroupName),
        launchTemplate: { id: str("launchTemplate.id", lt.id), version },
        preferences: {
            minHealthyPercentage: int("preferences.minHealthyPercentage", p.minHealthyPercentage),
            maxHealthyPercentage: int("preferences.maxHealthyPercentage", p.maxHealthyPercentage),
            instanceWarmup: int("preferences.instanceWarmup", p.instanceWarmup),
            checkpointPercentages: checkpoints.map((c, i) => int(`preferences.checkpointPercentages[${i}]`, c)),
            checkpointDelay: int("preferences.checkpointDelay", p.checkpointDelay),
            skipMatching: bool("preferences.skipMatching", p.skipMatching),
            autoRollback: bool("preferences.autoRollback", p.autoRollback),
            alarms: alarms.map((a, i) => str(`preferences.alarms[${i}]`, a)),
        },
    };
}

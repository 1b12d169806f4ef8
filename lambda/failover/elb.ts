/**
 * The ELB side of the controller: reading a target group's health, reading and writing the
 * listener's weights. Pure helpers over the API shapes, and the calls themselves, each bounded by
 * a timeout (see `Calls`).
 */
import {
    DescribeListenersCommand,
    DescribeTargetHealthCommand,
    ModifyListenerCommand,
    type Action,
    type TargetGroupTuple,
    type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Weights } from "./controller";
import type { Calls } from "./runtime";

export interface GroupArns {
    readonly activeTargetGroupArn: string;
    readonly failoverTargetGroupArn: string;
}

/**
 * Healthy targets, or `null` when the group's health is unknown: no target is healthy and at
 * least one is in a state that says nothing about the server (`Elb.InternalError`: the health
 * check itself failed inside ELB; `unavailable`: health checks are off). `initial`, `draining`,
 * `unused` and `unhealthy` targets serve nothing; an empty group has no healthy target.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html#target-health-reason-codes
 */
export function healthyCount(descriptions: readonly TargetHealthDescription[] | undefined): number | null {
    const targets = descriptions ?? [];
    const healthy = targets.filter((d) => d.TargetHealth?.State === "healthy").length;
    if (healthy > 0) return healthy;
    const unknown = targets.some(
        (d) => d.TargetHealth?.Reason === "Elb.InternalError" || d.TargetHealth?.State === "unavailable",
    );
    return unknown ? null : 0;
}

function forwardGroups(action: Action): TargetGroupTuple[] {
    if (action.ForwardConfig?.TargetGroups?.length) return action.ForwardConfig.TargetGroups;
    // A single-group forward may only carry TargetGroupArn; its weight is implicitly "all".
    return action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : [];
}

/** A forward action naming both of our groups: the only shape the controller moves. */
function isOurForward(action: Action, arns: GroupArns): boolean {
    const groups = forwardGroups(action).map((g) => g.TargetGroupArn);
    return (
        action.Type === "forward" &&
        groups.includes(arns.activeTargetGroupArn) &&
        groups.includes(arns.failoverTargetGroupArn)
    );
}

/**
 * Weights of both groups in the listener's default forward action; `null` when there is no
 * forward naming both (a misconfigured listener the controller must not rewrite).
 */
export function readWeights(defaultActions: readonly Action[] | undefined, arns: GroupArns): Weights | null {
    const forward = (defaultActions ?? []).find((a) => isOurForward(a, arns));
    if (!forward) return null;
    const groups = forwardGroups(forward);
    // ALB treats a listed group without a weight as weight 1.
    const weightOf = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight ?? 1;
    return { active: weightOf(arns.activeTargetGroupArn), failover: weightOf(arns.failoverTargetGroupArn) };
}

/**
 * The listener's complete default actions with new weights. ModifyListener replaces the whole
 * list, so every other action (e.g. authenticate-*) is sent back unchanged, and the forward
 * action names BOTH groups (a group left out would stop being health-checked, and the standby
 * could no longer be observed) and keeps its stickiness configuration.
 */
export function withWeights(defaultActions: readonly Action[], arns: GroupArns, to: Weights): Action[] {
    let found = false;
    const actions = defaultActions.map((action): Action => {
        if (
            action.Type === "authenticate-oidc" &&
            action.AuthenticateOidcConfig &&
            action.AuthenticateOidcConfig.ClientSecret === undefined
        ) {
            // Describe never returns the client secret; without this flag ModifyListener demands it.
            return {
                ...action,
                AuthenticateOidcConfig: { ...action.AuthenticateOidcConfig, UseExistingClientSecret: true },
            };
        }
        if (found || !isOurForward(action, arns)) return action;
        found = true;
        const others = forwardGroups(action).filter(
            (g) => g.TargetGroupArn !== arns.activeTargetGroupArn && g.TargetGroupArn !== arns.failoverTargetGroupArn,
        );
        // TargetGroupArn is dropped: AWS rejects it next to a ForwardConfig with more than one group.
        const { TargetGroupArn: _single, ...rest } = action;
        return {
            ...rest,
            ForwardConfig: {
                ...action.ForwardConfig,
                TargetGroups: [
                    { TargetGroupArn: arns.activeTargetGroupArn, Weight: to.active },
                    { TargetGroupArn: arns.failoverTargetGroupArn, Weight: to.failover },
                    ...others,
                ],
            },
        };
    });
    if (!found) throw new Error("the listener has no default forward action to both configured target groups");
    return actions;
}

/** A target group's healthy targets (`null`: unknown). Throws on an API error or timeout. */
export async function readHealth(calls: Calls, targetGroupArn: string): Promise<number | null> {
    const out = await calls.elb(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    return healthyCount(out.TargetHealthDescriptions);
}

export interface ListenerView {
    /** `null` when the default action is not our two-group forward. */
    readonly weights: Weights | null;
    readonly defaultActions: Action[];
}

/** The listener's default actions and our weights in them. Throws on an API error or timeout. */
export async function readListener(calls: Calls, listenerArn: string, arns: GroupArns): Promise<ListenerView> {
    const out = await calls.elb(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
    const listener = out.Listeners?.find((l) => l.ListenerArn === listenerArn) ?? out.Listeners?.[0];
    if (!listener) throw new Error(`listener ${listenerArn} not found`);
    const defaultActions = listener.DefaultActions ?? [];
    return { weights: readWeights(defaultActions, arns), defaultActions };
}

/** Sets the weights (the whole default action list, see `withWeights`). Throws on an API error or timeout. */
export async function writeWeights(
    calls: Calls,
    listenerArn: string,
    defaultActions: readonly Action[],
    arns: GroupArns,
    to: Weights,
): Promise<void> {
    await calls.elbWrite(
        new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: withWeights(defaultActions, arns, to) }),
    );
}

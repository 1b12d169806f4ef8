/** What the controller tells the alert topic: one message per move, failed move and notice. */
import { PublishCommand } from "@aws-sdk/client-sns";
import type { FailoverConfig } from "./config";
import { formatWeights, type Move, type Weights } from "./controller";
import type { RunContext } from "./context";
import { errorText } from "./runtime";

/** Publishes to the alert topic; a failed notification never stops anything. */
export async function notify(
    ctx: RunContext,
    subject: string,
    lines: string[],
): Promise<{ notified: boolean; notifyError?: string }> {
    try {
        await ctx.calls.sns(
            new PublishCommand({
                TopicArn: ctx.config.topicArn,
                // SNS: at most 100 characters, no line breaks.
                Subject: subject.replace(/\s+/g, " ").slice(0, 100),
                Message: lines.join("\n"),
            }),
        );
        return { notified: true };
    } catch (err) {
        return { notified: false, notifyError: errorText(err) };
    }
}

/** The load balancer's name (at most 32 characters): short enough for an SNS subject. */
export function loadBalancerName(listenerArn: string): string {
    return listenerArn.split(":listener/")[1]?.split("/")[1] ?? "listener";
}

/** The lines every move message carries. */
export function moveDetails(
    listenerArn: string,
    m: {
        from: Weights;
        to: Weights;
        reason: string;
        health: { active: number | null; failover?: number | null };
        byOperator: boolean;
        at: number;
    },
): string[] {
    return [
        `Listener: ${listenerArn}`,
        `Weights (active/failover): ${formatWeights(m.from)} -> ${formatWeights(m.to)}`,
        `Reason: ${m.reason}`,
        `Healthy targets: active group ${m.health.active ?? "unknown"}, failover group ${m.health.failover ?? "unknown"}`,
        `Moved by: ${m.byOperator ? "an operator's request" : "the failover controller"}`,
        `Time: ${new Date(m.at).toISOString()}`,
    ];
}

/** A move whose ModifyListener failed: refused (the weights are unchanged), or with no answer (they may have changed). */
export function moveFailedMessage(
    listenerArn: string,
    move: Move,
    error: string,
    details: string[],
    unknown: boolean,
): [string, string[]] {
    return unknown
        ? [
              `ha-webstack ${move.kind}: outcome unknown (${loadBalancerName(listenerArn)})`,
              [
                  "ModifyListener did not answer: the listener's weights may or may not have changed. The controller reads " +
                      "the listener at its next poll, records the move if it landed, and retries it if it did not.",
                  `Error: ${error}`,
                  ...details,
              ],
          ]
        : [
              `ha-webstack ${move.kind} FAILED: weights unchanged (${loadBalancerName(listenerArn)})`,
              [
                  "The failover controller could not change the listener's weights; it retries on its next poll.",
                  `Error: ${error}`,
                  ...details,
              ],
          ];
}

/** A move that happened: what changed, and what comes next (the failback delay, or the hold). */
export function moveMessage(
    config: FailoverConfig,
    move: Move,
    details: string[],
    next: { byOperator: boolean; holdDownLevel: number; delaySeconds: number },
): [string, string[]] {
    const then =
        move.kind !== "failover"
            ? []
            : [
                  next.byOperator
                      ? "Held there by the operator: no automatic failback until an operator moves traffic back."
                      : config.failback === "manual"
                        ? "Failback policy is manual: traffic stays until an operator moves it back (or the failover group fails)."
                        : `Automatic failback once the active group has been healthy for ${next.delaySeconds} s` +
                          (next.holdDownLevel > 0
                              ? ` (doubled ${next.holdDownLevel} time(s): the active group failed again within an hour of the last failback).`
                              : "."),
                  'To move traffic back by hand: aws lambda invoke --function-name <controller> --cli-binary-format raw-in-base64-out --payload \'{"action":"failback"}\' out.json',
              ];
    const what =
        move.kind === "failover"
            ? "traffic moved to the failover target group"
            : "traffic back on the active target group";
    return [
        `ha-webstack ${move.kind}: ${what} (${loadBalancerName(config.listenerArn)})`,
        [`The listener's weights changed: ${what}.`, ...details, ...then],
    ];
}

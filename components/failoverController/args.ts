/** The arguments of {@link FailoverController}. */
import * as pulumi from "@pulumi/pulumi";
import type { Tags } from "../shared/tags";

/** How the failover controller returns traffic to the active target group. */
export const FailbackPolicy = {
    /** Back to the active group once it has been healthy for the failback delay. */
    Automatic: "automatic",
    /** Stay on the failover group until an operator moves traffic back. */
    Manual: "manual",
} as const;
export type FailbackPolicy = (typeof FailbackPolicy)[keyof typeof FailbackPolicy];
/** Every value of {@link FailbackPolicy}, in its order. */
export const FAILBACK_POLICIES: readonly FailbackPolicy[] = Object.freeze(Object.values(FailbackPolicy));

export interface FailoverControllerArgs {
    /** The HTTPS listener whose default forward action holds both target groups (`lb.httpsListener.arn`). */
    listenerArn: pulumi.Input<string>;
    /** The active target group's ARN: weight 100 in normal operation. */
    activeTargetGroupArn: pulumi.Input<string>;
    /** The failover (standby) target group's ARN: weight 0 until a failover. */
    failoverTargetGroupArn: pulumi.Input<string>;
    /**
     * The SNS topic every move, problem and hand edit is published to (e.g. `Monitoring`'s
     * `topicArn`; `WebStack` passes its Monitoring's). The controller-down alarm notifies it too.
     * @default a topic created by the controller
     */
    topicArn?: pulumi.Input<string>;
    /**
     * `automatic`: back to the active group once it has been healthy for the failback delay;
     * `manual`: stay on the failover group until an operator moves traffic back. Under either, a
     * failover group that dies while it serves is left at once for a healthy active group (unless
     * an operator holds traffic there).
     * @default "automatic"
     */
    failback?: FailbackPolicy;
    /**
     * The failback delay, 0 to 86,400 s: how long the active group must stay healthy, without a
     * break, before an automatic failback. It doubles (up to `maxHoldDownLevel` times) for a
     * failover within an hour of the last failback, and returns to this after a stable hour.
     * @default 300
     */
    failbackAfterSeconds?: number;
    /**
     * How many times the failback delay may double when the active group flaps, 0 to 6.
     * @default 2 (300 → 600 → 1,200 s)
     */
    maxHoldDownLevel?: number;
    /**
     * Seconds between two polls of the active group's health, 0.5 to 15 in tenths. Each poll is
     * one DescribeTargetHealth call: ELB's Describe* calls share one budget per account (0.8 s is
     * 1.25 calls a second; the failover group and the listener add one each every 30 s).
     * @default 0.8
     */
    pollIntervalSeconds?: number;
    /**
     * Polls in a row with no healthy active target before failing over (and healthy ones before
     * failing back), 1 to 10. One is enough: the ALB has already required 2 failed health checks.
     * @default 1
     */
    confirmations?: number;
    /**
     * Reserve this much concurrency for the function, 3 to 1,000 (a run, its successor and an
     * operator's request). Not needed: the lease in DynamoDB keeps overlapping runs apart. A
     * reservation also needs 100 unreserved executions left in the account, which new accounts
     * (quota 10 or 50) do not have.
     * @default none
     */
    reservedConcurrency?: number;
    /**
     * Retention of the controller's log group, in days (a CloudWatch Logs retention value).
     * @default 30
     */
    logRetentionDays?: number;
    /**
     * Tags added to every resource.
     * @default none
     */
    tags?: Tags;
}

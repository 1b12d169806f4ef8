/** The arguments of {@link FailoverController}. */
import * as pulumi from "@pulumi/pulumi";
import type { Tags } from "../shared/tags";

export const FAILBACK_POLICIES = ["automatic", "manual"] as const;
export type FailbackPolicy = (typeof FAILBACK_POLICIES)[number];

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

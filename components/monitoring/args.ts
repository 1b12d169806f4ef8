/** The arguments of `Monitoring`: identifiers of what to watch, and how. */
import * as pulumi from "@pulumi/pulumi";
import type { Tags } from "../shared/tags";
import type { Thresholds } from "./thresholds";

/** The role of a target group in the load balancer (see `LoadBalancer`). */
export const TargetGroupRole = {
    /** Active-passive: the group that serves. */
    Active: "active",
    /** Active-passive: the standby group. */
    Failover: "failover",
    /** Active-active: the one group. */
    Web: "web",
} as const;
export type TargetGroupRole = (typeof TargetGroupRole)[keyof typeof TargetGroupRole];
/** Every value of {@link TargetGroupRole}, in its order. */
export const TARGET_GROUP_ROLES: readonly TargetGroupRole[] = Object.freeze(Object.values(TargetGroupRole));

export interface MonitoringLoadBalancer {
    /** The ALB's ARN suffix, `app/<name>/<id>` (`lb.arnSuffix`): the CloudWatch dimension `LoadBalancer`. */
    arnSuffix: pulumi.Input<string>;
}

export interface MonitoringTargetGroup {
    /** `active` and `web` groups alarm as "no healthy server", the `failover` group as "no standby". */
    role: TargetGroupRole;
    /** The target group's ARN suffix, `targetgroup/<name>/<id>`: the CloudWatch dimension `TargetGroup`. */
    arnSuffix: pulumi.Input<string>;
}

export interface MonitoringAutoScalingGroup {
    /** A short name for alarm names and the dashboard (`active`, `failover`, `web`...): lowercase letters, digits, hyphens. */
    role: string;
    /** The Auto Scaling group's name (`pool.autoScalingGroup.name`): the EC2 dimension `AutoScalingGroupName`. */
    name: pulumi.Input<string>;
}

export interface MonitoringDatabase {
    /** The primary's `DBInstanceIdentifier`. */
    primaryIdentifier: pulumi.Input<string>;
    /** One entry per read replica (0 to 15): each gets a lag alarm and a replication-stopped alarm. */
    replicaIdentifiers: pulumi.Input<string>[];
    /**
     * The primary's allocated storage (GiB): the free-storage alarm then fires below
     * `thresholds.freeStoragePercent` of it, else below `thresholds.freeStorageBytes`.
     * @default unset: the fixed `thresholds.freeStorageBytes`
     */
    allocatedStorageGb?: number;
}

export interface MonitoringFailoverController {
    /** The controller's Lambda function name: the dimension `FunctionName`. */
    functionName: pulumi.Input<string>;
    /**
     * The log group the controller writes its JSON lines to (`controller.logGroup.name`); the
     * metric filters need it to exist, so pass the LogGroup resource's `name` output.
     * @default `/aws/lambda/<functionName>`
     */
    logGroupName?: pulumi.Input<string>;
}

export interface MonitoringArgs {
    /**
     * An email address subscribed to the topic (AWS sends a confirmation mail: alerts arrive only
     * once it is confirmed).
     * @default no subscription
     */
    alertEmail?: pulumi.Input<string>;
    /**
     * An existing SNS topic for the alarms (standard, same account and region). Its policy is left
     * as it is: it must let `cloudwatch.amazonaws.com` publish (the default topic policy does).
     * @default a topic created here, with a policy letting this account's CloudWatch alarms publish
     */
    topicArn?: pulumi.Input<string>;
    /**
     * Encrypt the created topic with this customer managed KMS key. Its key policy must allow
     * `cloudwatch.amazonaws.com` `kms:Decrypt` and `kms:GenerateDataKey*` (and every other
     * publisher, e.g. the failover controller's role). The AWS managed key `alias/aws/sns` is
     * refused: CloudWatch alarms cannot publish to a topic encrypted with it.
     * @default unencrypted: alerts carry alarm names and metric values, nothing secret
     */
    topicKmsKeyId?: pulumi.Input<string>;
    /**
     * Earlier URNs of the topic created here (Pulumi aliases, e.g. from `pulumi.createUrn`), so
     * that a stack adopts a topic an earlier version created elsewhere, with its subscriptions,
     * instead of replacing it. `WebStack` passes the topic that ha-webstack 0.1 created inside its
     * `FailoverController`. URNs only (not `Alias` objects): the multi-language schema has no union type.
     * @default none
     */
    topicAliases?: pulumi.Input<string>[];
    /** The Application Load Balancer. */
    loadBalancer: MonitoringLoadBalancer;
    /** Its target groups (1 to 3, one per role). */
    targetGroups: MonitoringTargetGroup[];
    /**
     * The server pools (0 to 20).
     * @default []
     */
    autoScalingGroups?: MonitoringAutoScalingGroup[];
    /**
     * True when the launch templates enable EC2 detailed monitoring (1-minute CPU). Under basic
     * monitoring EC2 publishes CPU every 5 minutes, so the CPU alarm uses 300 s periods.
     * @default false
     */
    serverDetailedMonitoring?: boolean;
    /**
     * The RDS primary and replicas.
     * @default no database alarms
     */
    database?: MonitoringDatabase;
    /**
     * The failover controller (active-passive).
     * @default no controller alarms
     */
    failoverController?: MonitoringFailoverController;
    /**
     * Threshold overrides; see `DEFAULT_THRESHOLDS`.
     * @default DEFAULT_THRESHOLDS
     */
    thresholds?: Partial<Thresholds>;
    /**
     * Create the servers' log groups (nginx access, nginx error, app) that
     * `cloudWatchAgentUserData` ships to.
     * @default true
     */
    serverLogs?: boolean;
    /**
     * Retention of the servers' log groups, in days (a CloudWatch Logs retention value).
     * @default 30
     */
    serverLogRetentionDays?: number;
    /**
     * Prefix of the servers' log group names: `<prefix>/nginx/access`, `<prefix>/nginx/error`, `<prefix>/app`.
     * @default `/ha-webstack/<stack>`
     */
    logGroupPrefix?: string;
    /**
     * Instance roles (`pool.role.name`) that get the policy to ship those logs (an inline role policy each).
     * @default []: attach `Monitoring.serverLogsPolicy` yourself
     */
    serverRoleNames?: pulumi.Input<string>[];
    /**
     * Prefix of every alarm, metric filter and the dashboard. Alarm and dashboard names are unique
     * per account and region, and creating one with a taken name silently overwrites it: the
     * default includes the stack, so dev and prod can share an account.
     * @default `<name>-<stack>`, or `<name>` when the name already holds the stack as a part (`prod-monitoring`)
     */
    namePrefix?: string;
    /**
     * CloudWatch namespace of the metrics counted from the controller's logs. Metric filters
     * cannot add a fixed dimension, so each monitored stack needs a namespace of its own.
     * @default `HaWebstack/<namePrefix>`
     */
    metricNamespace?: string;
    /**
     * Tags added to every resource that takes tags.
     * @default none
     */
    tags?: Tags;
}

/** The arguments of {@link WebStack}: everything of the stack in one object. */
import * as pulumi from "@pulumi/pulumi";
import type { FailbackPolicy } from "../failoverController";
import type { Algorithm, Mode } from "../loadBalancer";
import type { NatGatewayMode } from "../network";
import type { Tags } from "../shared/tags";

export interface WebStackArgs {
    /**
     * `active-passive`: an active and a failover server pool behind two target groups weighted
     * 100 / 0; `active-active`: one pool across every AZ behind one target group.
     * @default "active-passive"
     */
    mode?: Mode;
    /** @default "round_robin" — see {@link LoadBalancerArgs.algorithm}. */
    algorithm?: Algorithm;
    /** @default 2 — see {@link NetworkArgs.azCount}. */
    azCount?: number;
    /** Explicit AZ names — see {@link NetworkArgs.availabilityZones}. */
    availabilityZones?: string[];
    /** @default "single" — see {@link NetworkArgs.natGateways}. */
    natGateways?: NatGatewayMode;
    /** @default "10.0.0.0/16" */
    vpcCidr?: string;
    /** @default "t4g.micro" */
    instanceType?: pulumi.Input<string>;
    /**
     * Servers per pool (min = desired). Active-passive has two pools, active-active one.
     * @default 1
     */
    serversPerPool?: number;
    /** @default 2 × serversPerPool */
    maxServersPerPool?: number;
    /**
     * Requests per server per minute each pool's target tracking holds (on its own target group),
     * or `false` for none — see {@link ServerPoolArgs.scaling}.
     * @default 1000
     */
    scaleOnRequestsPerTarget?: number | false;
    /**
     * Average CPU (%) each pool's target tracking holds, or `false` for none.
     * @default 60
     */
    scaleOnCpuPercent?: number | false;
    /** AMI for the servers — see {@link ServerPoolArgs.imageId}. */
    imageId?: pulumi.Input<string>;
    /** User data replacing the sample app — see {@link ServerPoolArgs.userData}. */
    userData?: pulumi.Input<string>;
    /** @default 80 */
    appPort?: number;
    /** @default ["0.0.0.0/0"] — see {@link LoadBalancerArgs.allowedCidrs}. */
    allowedCidrs?: pulumi.Input<string>[];
    /** An existing ACM certificate; unset (and no `domainName`): a generated self-signed one. */
    certificateArn?: pulumi.Input<string>;
    /** Serve on this domain: a DNS-validated ACM certificate and an alias record in `hostedZoneId`. */
    domainName?: pulumi.Input<string>;
    /** The Route 53 hosted zone of `domainName`. */
    hostedZoneId?: pulumi.Input<string>;
    /**
     * An AWS WAF web ACL on the ALB (per-IP rate limit + AWS managed rule sets).
     * @default false
     */
    waf?: boolean;
    /** @default 2000 — requests per client IP per 5 minutes, with `waf`. */
    wafRateLimit?: number;
    /**
     * ALB access logs to a private S3 bucket made for them.
     * @default true
     */
    accessLogs?: boolean;
    /** @default 90 — days the access logs are kept. */
    logRetentionDays?: number;
    /**
     * VPC flow logs (all traffic) to CloudWatch Logs.
     * @default true
     */
    flowLogs?: boolean;
    /** @default 30 — a CloudWatch Logs retention value. */
    flowLogRetentionDays?: number;
    /** @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
    sslPolicy?: string;
    /**
     * Active-passive: how the failover controller returns traffic to the active group —
     * `automatic` after `failbackAfterSeconds` of health, or `manual`.
     * @default "automatic"
     */
    failback?: FailbackPolicy;
    /** @default 300 — see {@link FailoverControllerArgs.failbackAfterSeconds}. */
    failbackAfterSeconds?: number;
    /** @default none — see {@link FailoverControllerArgs.reservedConcurrency}. */
    failoverReservedConcurrency?: number;
    /** @default true in active-passive — see {@link LoadBalancerArgs.holdListenerWeights}. */
    holdListenerWeights?: boolean;
    /**
     * Deletion protection on the ALB.
     * @default false
     */
    deletionProtection?: boolean;
    /** @default 1 — MySQL read replicas, 0 to 15; see {@link DatabaseArgs.replicaCount}. */
    replicaCount?: number;
    /** @default "db.t4g.micro" */
    dbInstanceClass?: pulumi.Input<string>;
    /** @default 20 (GiB) */
    dbAllocatedStorage?: number;
    /** @default "8.4" — see {@link DatabaseArgs.engineVersion}. */
    dbEngineVersion?: string;
    /** @default false — a synchronous standby of the primary in another AZ. */
    dbMultiAz?: boolean;
    /** @default 7 (days, 1 to 35) */
    dbBackupRetentionDays?: number;
    /** @default false — refuse to delete the primary. */
    dbDeletionProtection?: boolean;
    /** Subscribed to the alert topic (every alarm, every failover). */
    alertEmail?: pulumi.Input<string>;
    /** @default 30 — days CloudWatch Logs keeps the servers' nginx and app logs. */
    serverLogRetentionDays?: number;
    /** Tags added to every resource. */
    tags?: Tags;
}

/**
 * NAT choices for the whole stack. `none` is for library users who compose Network themselves:
 * the stack's servers need egress at boot (PyPI for PyMySQL) and at run time (Secrets Manager,
 * CloudWatch Logs, SSM Session Manager), and no interface endpoints are created for them.
 */
export const STACK_NAT_GATEWAY_MODES = ["single", "perAz"] as const;

/** Which AZ indexes each pool spans. Pure, exported for tests. */
export interface PoolPlacement {
    role: "active" | "failover" | "web";
    azIndexes: number[];
}

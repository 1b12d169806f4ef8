/** The arguments of `WebStack`: everything of the stack in one object. */
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
    /**
     * How the ALB picks a target: `round_robin`, `least_outstanding_requests` or `weighted_random`
     * (see `LoadBalancerArgs.algorithm`).
     * @default "round_robin"
     */
    algorithm?: Algorithm;
    /**
     * Availability zones to spread over, 2 to 6 (see `NetworkArgs.azCount`).
     * @default 2
     */
    azCount?: number;
    /**
     * Explicit AZ names, 2 to 6 of them (see `NetworkArgs.availabilityZones`).
     * @default the first `azCount` available AZs of the region
     */
    availabilityZones?: string[];
    /**
     * NAT gateways for the servers' egress: `single` or `perAz` (the stack's servers need egress;
     * see `NetworkArgs.natGateways`). `none` is accepted only with your own `userData`.
     * @default "single"
     */
    natGateways?: NatGatewayMode;
    /**
     * The VPC's IPv4 CIDR block, /16 to /22 (see `NetworkArgs.cidrBlock`).
     * @default "10.0.0.0/16"
     */
    vpcCidr?: string;
    /**
     * EC2 instance type of the servers; Graviton types get the arm64 AMI (see `ServerPoolArgs.instanceType`).
     * @default "t4g.micro"
     */
    instanceType?: pulumi.Input<string>;
    /**
     * Servers per pool (min = desired). Active-passive has two pools, active-active one.
     * @default 1
     */
    serversPerPool?: number;
    /**
     * Upper bound of each pool's Auto Scaling group, `serversPerPool` to 200.
     * @default 2 × serversPerPool
     */
    maxServersPerPool?: number;
    /**
     * Requests per server per minute each pool's target tracking holds (on its own target group),
     * or 0 for none — see `ServerPoolArgs.scaling`.
     * @default 1000
     */
    scaleOnRequestsPerTarget?: number;
    /**
     * Average CPU (%) each pool's target tracking holds, or 0 for none.
     * @default 60
     */
    scaleOnCpuPercent?: number;
    /**
     * AMI id or `resolve:ssm:<parameter>` for the servers (see `ServerPoolArgs.imageId`).
     * @default the latest Amazon Linux 2023, resolved by EC2 at launch
     */
    imageId?: pulumi.Input<string>;
    /**
     * The servers' user-data script (plain text), replacing the sample app (see `ServerPoolArgs.userData`).
     * It must serve the health check path (`/healthz`, 200) on `appPort`.
     * @default the sample app: nginx and a small app (see `server/`)
     */
    userData?: pulumi.Input<string>;
    /**
     * Port the servers listen on, 1 to 65535 but 22 (and 8000, the sample app's own): the target groups' port.
     * @default 80
     */
    appPort?: number;
    /**
     * IPv4 CIDR blocks allowed to reach ports 80 and 443 (see `LoadBalancerArgs.allowedCidrs`).
     * @default ["0.0.0.0/0"]
     */
    allowedCidrs?: pulumi.Input<string>[];
    /**
     * An existing ACM certificate ARN for the HTTPS listener; not together with `domainName`.
     * @default unset: with no `domainName` either, a generated self-signed certificate
     */
    certificateArn?: pulumi.Input<string>;
    /**
     * Serve on this domain (at most 64 characters): a DNS-validated ACM certificate and an alias
     * record in `hostedZoneId`. Needs `hostedZoneId`; not together with `certificateArn`.
     * @default unset
     */
    domainName?: pulumi.Input<string>;
    /**
     * The Route 53 hosted zone of `domainName`; only with `domainName`.
     * @default unset
     */
    hostedZoneId?: pulumi.Input<string>;
    /**
     * An AWS WAF web ACL on the ALB (per-IP rate limit + AWS managed rule sets).
     * @default false
     */
    waf?: boolean;
    /**
     * With `waf`: requests per client IP per 5 minutes above which the IP is blocked, 100 to 2,000,000,000.
     * @default 2000
     */
    wafRateLimit?: number;
    /**
     * ALB access logs to a private S3 bucket made for them.
     * @default true
     */
    accessLogs?: boolean;
    /**
     * Days the ALB access logs are kept, 1 to 3650.
     * @default 90
     */
    logRetentionDays?: number;
    /**
     * VPC flow logs (all traffic) to CloudWatch Logs.
     * @default true
     */
    flowLogs?: boolean;
    /**
     * Days the VPC flow logs are kept: a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, ...).
     * @default 30
     */
    flowLogRetentionDays?: number;
    /**
     * TLS policy of the HTTPS listener: one of `TLS_POLICIES` (TLS 1.2+ only).
     * @default "ELBSecurityPolicy-TLS13-1-2-2021-06"
     */
    sslPolicy?: string;
    /**
     * Active-passive: how the failover controller returns traffic to the active group —
     * `automatic` after `failbackAfterSeconds` of health, or `manual`.
     * @default "automatic"
     */
    failback?: FailbackPolicy;
    /**
     * Active-passive: seconds the active group must stay healthy before an automatic failback, 0 to
     * 86,400 (see `FailoverControllerArgs.failbackAfterSeconds`).
     * @default 300
     */
    failbackAfterSeconds?: number;
    /**
     * Active-passive: reserved concurrency of the failover controller's function, 3 to 1,000
     * (see `FailoverControllerArgs.reservedConcurrency`).
     * @default none
     */
    failoverReservedConcurrency?: number;
    /**
     * Keep `pulumi up` from resetting the listener's weights after a failover (see
     * `LoadBalancerArgs.holdListenerWeights`).
     * @default true in active-passive mode, false in active-active
     */
    holdListenerWeights?: boolean;
    /**
     * Deletion protection on the ALB.
     * @default false
     */
    deletionProtection?: boolean;
    /**
     * MySQL read replicas, 0 to 15 (see `DatabaseArgs.replicaCount`).
     * @default 1
     */
    replicaCount?: number;
    /**
     * RDS instance class of the primary and replicas, with the `db.` prefix.
     * @default "db.t4g.micro"
     */
    dbInstanceClass?: pulumi.Input<string>;
    /**
     * Initial gp3 storage of the primary in GiB, 20 to 65536.
     * @default 20
     */
    dbAllocatedStorage?: number;
    /**
     * MySQL engine version: `8.4`, `8.0` or a full version such as `8.4.7` (see `DatabaseArgs.engineVersion`).
     * @default "8.4"
     */
    dbEngineVersion?: string;
    /**
     * A synchronous standby of the primary in another AZ (RDS Multi-AZ).
     * @default false
     */
    dbMultiAz?: boolean;
    /**
     * Days of automated backups of the primary, 1 to 35.
     * @default 7
     */
    dbBackupRetentionDays?: number;
    /**
     * Refuse to delete the primary until turned off.
     * @default false
     */
    dbDeletionProtection?: boolean;
    /**
     * An email address subscribed to the alert topic (every alarm, every failover).
     * @default no subscription
     */
    alertEmail?: pulumi.Input<string>;
    /**
     * Days CloudWatch Logs keeps the servers' nginx and app logs: a CloudWatch Logs retention value.
     * @default 30
     */
    serverLogRetentionDays?: number;
    /**
     * Tags added to every resource (after `Project` and `Stack`, which they may override).
     * @default none beyond `Project: ha-webstack` and `Stack: <stack>`
     */
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

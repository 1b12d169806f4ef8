/** The arguments of {@link LoadBalancer}. */
import * as pulumi from "@pulumi/pulumi";
import type { Tags } from "../shared/tags";
import type { AccessLogOptions } from "./logBucket";
import type { WafOptions } from "./webAcl";

/**
 * How the load balancer uses its servers. The string values are what TypeScript callers pass
 * (`mode: "active-passive"`); the object gives other languages named members (`Mode.ActivePassive`).
 */
export const Mode = {
    /** An active and a failover target group, weighted 100 / 0; a failover controller moves the weight. */
    ActivePassive: "active-passive",
    /** One target group holding every server. */
    ActiveActive: "active-active",
} as const;
export type Mode = (typeof Mode)[keyof typeof Mode];
/** Every value of {@link Mode}, in its order. */
export const MODES: readonly Mode[] = Object.freeze(Object.values(Mode));

/** ALB target group routing algorithms (the `load_balancing.algorithm.type` attribute). */
export const Algorithm = {
    /** Each target in turn. */
    RoundRobin: "round_robin",
    /** The target with the fewest requests in flight. */
    LeastOutstandingRequests: "least_outstanding_requests",
    /** A random target, with automatic target weights (anomaly mitigation). */
    WeightedRandom: "weighted_random",
} as const;
export type Algorithm = (typeof Algorithm)[keyof typeof Algorithm];
/** Every value of {@link Algorithm}, in its order. */
export const ALGORITHMS: readonly Algorithm[] = Object.freeze(Object.values(Algorithm));

export interface LoadBalancerArgs {
    /** The VPC of the target groups. */
    vpcId: pulumi.Input<string>;
    /** Public subnets in at least two AZs: ALB puts one node in each (AWS requires two). */
    subnetIds: pulumi.Input<string>[];
    /**
     * `active-passive`: an active and a failover target group in one weighted forward action,
     * 100 / 0 (a failover controller moves the weight); `active-active`: one target group.
     * @default "active-passive"
     */
    mode?: Mode;
    /**
     * How the ALB picks a target within a target group.
     * `weighted_random` also turns on automatic target weights (anomaly mitigation).
     * @default "round_robin"
     */
    algorithm?: Algorithm;
    /**
     * IPv4 CIDR blocks allowed to reach ports 80 and 443.
     * @default ["0.0.0.0/0"]
     */
    allowedCidrs?: pulumi.Input<string>[];
    /**
     * An existing ACM certificate for the HTTPS listener (not together with `domainName`). When
     * neither this nor `domainName` is set, a self-signed certificate is generated and imported into
     * ACM, so that a dev stack still serves TLS only (browsers warn, and no HSTS header is sent).
     * @default unset: a self-signed certificate
     */
    certificateArn?: pulumi.Input<string>;
    /**
     * A domain to serve the stack on (e.g. `shop.example.com`, at most 64 characters): ACM issues a
     * certificate for it, validated through DNS records in `hostedZoneId`, and an alias record for
     * the domain points at the ALB; `url` becomes `https://<domainName>`. Needs `hostedZoneId`; not
     * together with `certificateArn`.
     * @default unset
     */
    domainName?: pulumi.Input<string>;
    /**
     * The Route 53 hosted zone of `domainName` (e.g. `Z0123456789ABCDEFGHIJ`): it receives the
     * certificate's validation record and the alias record. Only with `domainName`.
     * @default unset
     */
    hostedZoneId?: pulumi.Input<string>;
    /**
     * TLS policy of the HTTPS listener: TLS 1.2+ policies only.
     * @default "ELBSecurityPolicy-TLS13-1-2-2021-06"
     */
    sslPolicy?: string;
    /**
     * Port the servers listen on (nginx).
     * @default 80
     */
    targetPort?: number;
    /**
     * Path the target groups health-check; it must answer 200 while the server can serve.
     * @default "/healthz"
     */
    healthCheckPath?: string;
    /**
     * Keep `pulumi up` from resetting the HTTPS listener's weights: the listener ignores changes to
     * its default actions (and its tags, where the controller keeps its failback clock), so a
     * failover made by the controller (or an operator) survives a refresh and an update. Turn off for one update when a change replaces the target groups
     * (e.g. a new `targetPort`), so that the listener can point at the new groups.
     * @default true in active-passive mode, false in active-active
     */
    holdListenerWeights?: boolean;
    /**
     * Refuse to delete the ALB (turn on in production).
     * @default false
     */
    deletionProtection?: boolean;
    /**
     * An AWS WAF web ACL in front of the ALB: a per-client-IP rate limit (blocks an IP above
     * `rateLimitPerFiveMinutes` requests in 5 minutes, 100 to 2,000,000,000) and the AWS managed
     * rule groups `AWSManagedRulesCommonRuleSet` and `AWSManagedRulesKnownBadInputsRuleSet`, with
     * CloudWatch metrics and sampled requests. `{}` uses the defaults; `{ enabled: false }` or unset: none. Costs $5/month per web ACL,
     * $1 per rule and $0.60 per million requests.
     * @default false
     */
    waf?: WafOptions;
    /**
     * ALB access logs (one line per request) in a private, SSE-S3 encrypted S3 bucket made for them,
     * under `alb/`, expired after `retentionDays` (1 to 3650, default 90); only ELB log delivery may
     * write to it and every non-TLS request is denied. `forceDestroy` lets `pulumi destroy` delete
     * the bucket with its logs (default: true unless `deletionProtection` is on). `{ enabled: false }` turns them off.
     * @default true
     */
    accessLogs?: AccessLogOptions;
    /**
     * Tags added to every resource.
     * @default none
     */
    tags?: Tags;
}

import * as pulumi from "@pulumi/pulumi";
import { Database, defaultMaxConnections } from "../database/database";
import { FailbackPolicy, FailoverController } from "../failoverController/failoverController";
import { Algorithm, LoadBalancer, Mode } from "../loadBalancer/loadBalancer";
import {
    cloudWatchAgentUserData,
    defaultLogGroupPrefix,
    Monitoring,
    serverLogGroupNames,
} from "../monitoring/monitoring";
import { NatGatewayMode, Network } from "../network/network";
import { ServerPool } from "../serverPool/serverPool";
import { Tags } from "../shared/tags";
import { integerIn, oneOf } from "../shared/validation";

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

/**
 * The whole highly available web stack from one args object: a network over 2+ AZs, an ALB with
 * the mode's target groups, and the server pools.
 */
export class WebStack extends pulumi.ComponentResource {
    public readonly mode: Mode;
    public readonly network: Network;
    public readonly loadBalancer: LoadBalancer;
    /** Active-passive: [active, failover]; active-active: [web]. */
    public readonly pools: ServerPool[];
    /** The MySQL primary and its read replicas; every pool writes to the one and reads from the others. */
    public readonly database: Database;
    /** Moves traffic to the failover group and back (active-passive only). */
    public readonly failoverController?: FailoverController;
    /** Alarms on every tier, the dashboard, the alert topic and the servers' log groups. */
    public readonly monitoring: Monitoring;
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: WebStackArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("ha-webstack:index:WebStack", name, {}, opts);
        const tags = { Project: "ha-webstack", Stack: pulumi.getStack(), ...(args.tags ?? {}) };
        if (args.natGateways !== undefined && args.userData === undefined) {
            oneOf("WebStack args.natGateways", args.natGateways, STACK_NAT_GATEWAY_MODES);
        }

        this.network = new Network(
            name,
            {
                cidrBlock: args.vpcCidr,
                azCount: args.azCount,
                availabilityZones: args.availabilityZones,
                natGateways: args.natGateways,
                flowLogs: args.flowLogs === false ? false : { retentionDays: args.flowLogRetentionDays },
                tags,
            },
            { parent: this },
        );
        this.loadBalancer = new LoadBalancer(
            name,
            {
                vpcId: this.network.vpcId,
                subnetIds: this.network.publicSubnetIds,
                mode: args.mode,
                algorithm: args.algorithm,
                allowedCidrs: args.allowedCidrs,
                certificateArn: args.certificateArn,
                domainName: args.domainName,
                hostedZoneId: args.hostedZoneId,
                waf: args.waf ? { rateLimitPerFiveMinutes: args.wafRateLimit } : false,
                accessLogs: args.accessLogs === false ? false : { retentionDays: args.logRetentionDays },
                sslPolicy: args.sslPolicy,
                targetPort: args.appPort,
                deletionProtection: args.deletionProtection,
                holdListenerWeights: args.holdListenerWeights,
                tags,
            },
            { parent: this },
        );
        this.mode = this.loadBalancer.mode;

        this.database = new Database(
            `${name}-db`,
            {
                vpcId: this.network.vpcId,
                subnetIds: this.network.isolatedSubnetIds,
                availabilityZones: this.network.availabilityZones,
                replicaCount: args.replicaCount,
                instanceClass: args.dbInstanceClass,
                allocatedStorage: args.dbAllocatedStorage,
                engineVersion: args.dbEngineVersion,
                multiAz: args.dbMultiAz,
                backupRetentionDays: args.dbBackupRetentionDays,
                deletionProtection: args.dbDeletionProtection,
                tags,
            },
            { parent: this },
        );

        // Every server ships its nginx and app logs to the log groups Monitoring creates.
        // One prefix per WebStack, so that two in one program do not claim the same log groups.
        const logGroupPrefix =
            name === pulumi.getStack()
                ? defaultLogGroupPrefix(name)
                : `${defaultLogGroupPrefix(pulumi.getStack())}/${name}`;
        const cloudWatchAgent = cloudWatchAgentUserData({ logGroups: serverLogGroupNames(logGroupPrefix) });
        const size = integerIn("WebStack args.serversPerPool", args.serversPerPool ?? 1, 1, 100);
        const placement = poolPlacement(this.mode, this.network.azCount);
        this.pools = placement.map(({ role, azIndexes }) => {
            const targetGroup =
                role === "failover" ? this.loadBalancer.failoverTargetGroup! : this.loadBalancer.activeTargetGroup;
            const pool = new ServerPool(
                `${name}-${role}`,
                {
                    vpcId: this.network.vpcId,
                    subnetIds: azIndexes.map((i) => this.network.privateSubnetIds[i]),
                    targetGroupArn: targetGroup.arn,
                    loadBalancerSecurityGroupId: this.loadBalancer.securityGroup.id,
                    appPort: args.appPort,
                    instanceType: args.instanceType,
                    size,
                    maxSize: args.maxServersPerPool,
                    imageId: args.imageId,
                    userData: args.userData,
                    database: this.database.connection,
                    userDataExtras: cloudWatchAgent,
                    tags: { ...tags, Role: role },
                },
                { parent: this },
            );
            // The pool's servers may reach the database on 3306; nothing else may.
            this.database.allowClient(role, pool.securityGroup.id);
            return pool;
        });
        const failoverTargetGroup = this.loadBalancer.failoverTargetGroup;
        if (failoverTargetGroup) {
            const activeTargetGroup = this.loadBalancer.activeTargetGroup;
            this.failoverController = new FailoverController(
                `${name}-controller`,
                {
                    listenerArn: this.loadBalancer.httpsListener.arn,
                    loadBalancerArnSuffix: this.loadBalancer.arnSuffix,
                    activeTargetGroup: { arn: activeTargetGroup.arn, arnSuffix: activeTargetGroup.arnSuffix },
                    failoverTargetGroup: { arn: failoverTargetGroup.arn, arnSuffix: failoverTargetGroup.arnSuffix },
                    failback: args.failback,
                    failbackAfterSeconds: args.failbackAfterSeconds,
                    tags,
                },
                { parent: this },
            );
        }
        // After the controller: in active-passive its topic is the stack's alert topic (the
        // controller publishes every move there), so that one email subscription gets everything.
        const activeTargetGroup = this.loadBalancer.activeTargetGroup;
        this.monitoring = new Monitoring(
            `${name}-monitoring`,
            {
                loadBalancer: { arnSuffix: this.loadBalancer.arnSuffix },
                targetGroups: [
                    { role: this.mode === "active-passive" ? "active" : "web", arnSuffix: activeTargetGroup.arnSuffix },
                    ...(failoverTargetGroup
                        ? [{ role: "failover" as const, arnSuffix: failoverTargetGroup.arnSuffix }]
                        : []),
                ],
                autoScalingGroups: this.pools.map((pool, i) => ({
                    role: placement[i].role,
                    name: pool.autoScalingGroup.name,
                })),
                // Alarm at 80 % of the class's default max_connections, when the class is known.
                thresholds: connectionThreshold(args.dbInstanceClass ?? "db.t4g.micro"),
                database: {
                    primaryIdentifier: this.database.primary.identifier,
                    replicaIdentifiers: this.database.replicas.map((r) => r.identifier),
                    allocatedStorageGb: args.dbAllocatedStorage ?? 20,
                },
                failoverController: this.failoverController
                    ? {
                          functionName: this.failoverController.function.name,
                          logGroupName: this.failoverController.logGroup.name,
                      }
                    : undefined,
                topicArn: this.failoverController?.topicArn,
                alertEmail: args.alertEmail,
                serverLogRetentionDays: args.serverLogRetentionDays,
                logGroupPrefix,
                serverRoleNames: this.pools.map((pool) => pool.role.name),
                tags,
            },
            { parent: this },
        );
        this.url = this.loadBalancer.url;

        this.registerOutputs({
            url: this.url,
            vpcId: this.network.vpcId,
            albDnsName: this.loadBalancer.dnsName,
            activeTargetGroupArn: this.loadBalancer.activeTargetGroup.arn,
            failoverTargetGroupArn: this.loadBalancer.failoverTargetGroup?.arn,
            dbWriterEndpoint: this.database.writerEndpoint,
            dbReaderEndpoints: this.database.readerEndpoints,
            dbSecretArn: this.database.secretArn,
            alertTopicArn: this.monitoring.topicArn,
            dashboardUrl: this.monitoring.dashboardUrl,
        });
    }
}

/** Monitoring thresholds that follow the database class (a plain value; an Output keeps the defaults). */
export function connectionThreshold(instanceClass: pulumi.Input<string>): { databaseConnections?: number } {
    const max = typeof instanceClass === "string" ? defaultMaxConnections(instanceClass) : undefined;
    return max === undefined ? {} : { databaseConnections: Math.max(1, Math.floor(max * 0.8)) };
}

/**
 * Active-passive: the active pool spans every AZ but the last, the failover pool the last one, so
 * that an AZ outage on the active side leaves a standby in another AZ. Active-active: one pool
 * over every AZ.
 */
export function poolPlacement(mode: Mode, azCount: number): PoolPlacement[] {
    const all = [...Array(azCount).keys()];
    if (mode === "active-active") {
        return [{ role: "web", azIndexes: all }];
    }
    return [
        { role: "active", azIndexes: all.slice(0, -1) },
        { role: "failover", azIndexes: all.slice(-1) },
    ];
}

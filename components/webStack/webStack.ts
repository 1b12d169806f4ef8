import * as pulumi from "@pulumi/pulumi";
import { Database, DEFAULT_ENGINE_VERSION, defaultMaxConnections } from "../database";
import {
    FAILOVER_CONTROLLER_TYPE,
    FailoverController,
    RESERVED_CONCURRENCY,
    validateFailoverControllerArgs,
} from "../failoverController";
import { LoadBalancer, Mode } from "../loadBalancer";
import { cloudWatchAgentUserData, defaultLogGroupPrefix, Monitoring, serverLogGroupNames } from "../monitoring";
import { Network } from "../network";
import { ServerPool } from "../serverPool";
import { Tags } from "../shared/tags";
import { PoolPlacement, STACK_NAT_GATEWAY_MODES, WebStackArgs } from "./args";
import { integerIn, oneOf } from "../shared/validation";
import { stackZoneOfferings } from "./placement";
import { deferredRolloutAlarms } from "./rolloutAlarms";

/**
 * The whole highly available web stack from one args object: a network over 2+ AZs, an ALB with
 * the mode's target groups, and the server pools.
 *
 * @example
 * const web = new WebStack("shop", {
 *     mode: "active-passive",
 *     azCount: 3,
 *     natGateways: "perAz",
 *     serversPerPool: 2,
 *     replicaCount: 2,
 *     alertEmail: "ops@example.com",
 * });
 * export const url = web.url;
 */
export class WebStack extends pulumi.ComponentResource {
    /** `active-passive` or `active-active`. */
    public readonly mode: Mode;
    /** `https://` and the domain name, or the ALB's DNS name. */
    public readonly url: pulumi.Output<string>;
    /** The ALB's DNS name. */
    public readonly albDnsName: pulumi.Output<string>;
    /** The VPC's id. */
    public readonly vpcId: pulumi.Output<string>;
    /** The MySQL primary's DNS name (port 3306): where the app writes. */
    public readonly dbWriterEndpoint: pulumi.Output<string>;
    /** The read replicas' DNS names: where the app reads. */
    public readonly dbReaderEndpoints: pulumi.Output<string[]>;
    /** The Secrets Manager secret holding the database credentials. */
    public readonly dbSecretArn: pulumi.Output<string>;
    /** The SNS topic every alarm and every failover notifies. */
    public readonly alertTopicArn: pulumi.Output<string>;
    /** The CloudWatch dashboard's console URL. */
    public readonly dashboardUrl: pulumi.Output<string>;

    // The parts are accessors, not fields: the multi-language schema lists a component's fields as
    // its outputs, and cannot refer to ha-webstack's own components (README, "Using from Python,
    // Go, C# and YAML"). TypeScript reads them as before; the flat outputs above serve the others.
    public accessor network: Network;
    public accessor loadBalancer: LoadBalancer;
    /** Active-passive: [active, failover]; active-active: [web]. */
    public accessor pools: ServerPool[];
    /** The MySQL primary and its read replicas; every pool writes to the one and reads from the others. */
    public accessor database: Database;
    /** Moves traffic to the failover group and back (active-passive only). */
    public accessor failoverController: FailoverController | undefined;
    /** Alarms on every tier, the dashboard, the alert topic and the servers' log groups. */
    public accessor monitoring: Monitoring;

    constructor(name: string, args: WebStackArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("ha-webstack:index:WebStack", name, {}, opts);
        const tags = { Project: "ha-webstack", Stack: pulumi.getStack(), ...(args.tags ?? {}) };
        if (args.natGateways !== undefined && args.userData === undefined) {
            oneOf("WebStack args.natGateways", args.natGateways, STACK_NAT_GATEWAY_MODES);
        }

        // Checked before anything is created: Monitoring is built before the controller.
        validateFailoverControllerArgs(
            { failback: args.failback, failbackAfterSeconds: args.failbackAfterSeconds },
            "WebStack args",
        );
        if (args.failoverReservedConcurrency !== undefined) {
            integerIn(
                "WebStack args.failoverReservedConcurrency",
                args.failoverReservedConcurrency,
                RESERVED_CONCURRENCY.min,
                RESERVED_CONCURRENCY.max,
            );
        }
        this.network = this.createNetwork(name, args, tags);
        this.loadBalancer = this.createLoadBalancer(name, args, tags);
        this.mode = this.loadBalancer.mode;
        this.database = this.createDatabase(name, args, tags);
        const placement = poolPlacement(this.mode, this.network.azCount);
        const logGroupPrefix = stackLogGroupPrefix(name);
        // Each pool's rollout stops on alarms Monitoring creates after the pools (rolloutAlarms.ts).
        const rolloutAlarms = placement.map(({ role }) => deferredRolloutAlarms(role));
        this.pools = this.createPools(name, args, placement, logGroupPrefix, tags, rolloutAlarms);
        // Monitoring owns the alert topic, and the controller publishes its moves there, while
        // Monitoring alarms on the controller's function: its names reach Monitoring once the
        // controller exists (a deferred output; the resources themselves depend one way only).
        const [controllerFunctionName, setControllerFunctionName] = pulumi.deferredOutput<string>();
        const [controllerLogGroupName, setControllerLogGroupName] = pulumi.deferredOutput<string>();
        this.monitoring = this.createMonitoring(name, args, placement, logGroupPrefix, tags, {
            functionName: controllerFunctionName,
            logGroupName: controllerLogGroupName,
        });
        this.failoverController = this.createFailoverController(name, args, tags);
        rolloutAlarms.forEach((alarms) => alarms.resolve(this.monitoring));
        if (this.failoverController) {
            setControllerFunctionName(this.failoverController.function.name);
            setControllerLogGroupName(this.failoverController.logGroup.name);
        }
        this.url = this.loadBalancer.url;
        this.albDnsName = this.loadBalancer.dnsName;
        this.vpcId = this.network.vpcId;
        this.dbWriterEndpoint = this.database.writerEndpoint;
        this.dbReaderEndpoints = this.database.readerEndpoints;
        this.dbSecretArn = this.database.secretArn;
        this.alertTopicArn = this.monitoring.topicArn;
        this.dashboardUrl = this.monitoring.dashboardUrl;

        this.registerOutputs({
            url: this.url,
            vpcId: this.vpcId,
            albDnsName: this.albDnsName,
            activeTargetGroupArn: this.loadBalancer.activeTargetGroup.arn,
            failoverTargetGroupArn: this.loadBalancer.failoverTargetGroup?.arn,
            dbWriterEndpoint: this.dbWriterEndpoint,
            dbReaderEndpoints: this.dbReaderEndpoints,
            dbSecretArn: this.dbSecretArn,
            alertTopicArn: this.alertTopicArn,
            dashboardUrl: this.dashboardUrl,
        });
    }

    private createNetwork(name: string, args: WebStackArgs, tags: Tags): Network {
        return new Network(
            name,
            {
                cidrBlock: args.vpcCidr,
                azCount: args.azCount,
                availabilityZones: args.availabilityZones,
                // Only AZs that offer the servers' instance type and the database's class (placement.ts).
                offerings: stackZoneOfferings(
                    {
                        instanceType: args.instanceType ?? "t4g.micro",
                        dbInstanceClass: args.dbInstanceClass ?? "db.t4g.micro",
                        dbEngineVersion: args.dbEngineVersion ?? DEFAULT_ENGINE_VERSION,
                    },
                    "WebStack args",
                    this,
                ),
                natGateways: args.natGateways,
                flowLogs: args.flowLogs === false ? { enabled: false } : { retentionDays: args.flowLogRetentionDays },
                tags,
            },
            { parent: this },
        );
    }

    private createLoadBalancer(name: string, args: WebStackArgs, tags: Tags): LoadBalancer {
        return new LoadBalancer(
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
                waf: args.waf ? { rateLimitPerFiveMinutes: args.wafRateLimit } : { enabled: false },
                accessLogs: args.accessLogs === false ? { enabled: false } : { retentionDays: args.logRetentionDays },
                sslPolicy: args.sslPolicy,
                targetPort: args.appPort,
                deletionProtection: args.deletionProtection,
                holdListenerWeights: args.holdListenerWeights,
                tags,
            },
            { parent: this },
        );
    }

    private createDatabase(name: string, args: WebStackArgs, tags: Tags): Database {
        return new Database(
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
    }

    /** One pool per target group; each ships its logs to Monitoring's log groups and may reach the database. */
    private createPools(
        name: string,
        args: WebStackArgs,
        placement: PoolPlacement[],
        logGroupPrefix: string,
        tags: Tags,
        rolloutAlarms: { names: pulumi.Output<string>[] }[],
    ): ServerPool[] {
        const cloudWatchAgent = cloudWatchAgentUserData({ logGroups: serverLogGroupNames(logGroupPrefix) });
        const size = integerIn("WebStack args.serversPerPool", args.serversPerPool ?? 1, 1, 100);
        return placement.map(({ role, azIndexes }, i) => {
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
                    scaling: {
                        loadBalancerArn: this.loadBalancer.loadBalancer.arn,
                        requestsPerTarget: args.scaleOnRequestsPerTarget,
                        cpuPercent: args.scaleOnCpuPercent,
                    },
                    rollout: { alarmNames: rolloutAlarms[i].names },
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
    }

    private createMonitoring(
        name: string,
        args: WebStackArgs,
        placement: PoolPlacement[],
        logGroupPrefix: string,
        tags: Tags,
        controller: { functionName: pulumi.Output<string>; logGroupName: pulumi.Output<string> },
    ): Monitoring {
        const { activeTargetGroup, failoverTargetGroup } = this.loadBalancer;
        return new Monitoring(
            `${name}-monitoring`,
            {
                loadBalancer: { arnSuffix: this.loadBalancer.arnSuffix },
                targetGroups: [
                    { role: failoverTargetGroup ? "active" : "web", arnSuffix: activeTargetGroup.arnSuffix },
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
                failoverController: failoverTargetGroup ? controller : undefined,
                // ha-webstack 0.1 created the alert topic inside the failover controller: adopt it.
                topicAliases: failoverTargetGroup
                    ? [
                          pulumi.createUrn(
                              `${name}-controller-topic`,
                              "aws:sns/topic:Topic",
                              pulumi.createUrn(`${name}-controller`, FAILOVER_CONTROLLER_TYPE, this),
                          ),
                      ]
                    : [],
                alertEmail: args.alertEmail,
                serverLogRetentionDays: args.serverLogRetentionDays,
                logGroupPrefix,
                serverRoleNames: this.pools.map((pool) => pool.role.name),
                tags,
            },
            { parent: this },
        );
    }

    /** Active-passive only: the controller that moves the weights, publishing to Monitoring's topic. */
    private createFailoverController(name: string, args: WebStackArgs, tags: Tags): FailoverController | undefined {
        const { activeTargetGroup, failoverTargetGroup } = this.loadBalancer;
        if (!failoverTargetGroup) {
            return undefined;
        }
        return new FailoverController(
            `${name}-controller`,
            {
                listenerArn: this.loadBalancer.httpsListener.arn,
                activeTargetGroupArn: activeTargetGroup.arn,
                failoverTargetGroupArn: failoverTargetGroup.arn,
                topicArn: this.monitoring.topicArn,
                failback: args.failback,
                failbackAfterSeconds: args.failbackAfterSeconds,
                reservedConcurrency: args.failoverReservedConcurrency,
                tags,
            },
            { parent: this },
        );
    }
}

/**
 * Where the servers of a WebStack ship their logs: `/ha-webstack/<stack>`, or below it
 * `/<name>` for a WebStack not named after the stack, so that two in one program do not claim
 * the same log groups.
 */
export function stackLogGroupPrefix(name: string): string {
    const stack = pulumi.getStack();
    return name === stack ? defaultLogGroupPrefix(name) : `${defaultLogGroupPrefix(stack)}/${name}`;
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

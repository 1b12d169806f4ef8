/**
 * ha-webstack as a library, without WebStack: the parts composed around a network this program
 * does not own. The VPC and its subnets come from config (a platform team's VPC, another stack's
 * outputs through a StackReference, ...): nothing here creates a VPC, a subnet or a route.
 *
 *     npm pack                      # at the repository root: builds and packs ha-webstack-<version>.tgz
 *     cd examples/bring-your-own-network && npm install && pulumi stack init dev
 *     pulumi config set vpcId vpc-0123456789abcdef0
 *     pulumi config set --path 'publicSubnetIds[0]' subnet-...      # and so on for each list
 *     pulumi up
 *
 * It also shows the escape hatch for any child's settings: Pulumi's `transforms` resource option
 * on a component applies to every resource created under it, so a program can change an argument
 * the component does not expose (here the ALB's idle timeout) without forking the library.
 */
import * as pulumi from "@pulumi/pulumi";
import { Database, FailoverController, LoadBalancer, Monitoring, ServerPool } from "ha-webstack";

const config = new pulumi.Config();
const vpcId = config.require("vpcId");
const publicSubnetIds = config.requireObject<string[]>("publicSubnetIds");
const privateSubnetIds = config.requireObject<string[]>("privateSubnetIds");
const databaseSubnetIds = config.requireObject<string[]>("databaseSubnetIds");
const databaseAvailabilityZones = config.requireObject<string[]>("databaseAvailabilityZones");
const alertEmail = config.get("alertEmail") || undefined;

/** Sets the ALB's idle timeout (LoadBalancer keeps AWS's 60 s): long-polling clients here hold requests for 2 minutes. */
const albIdleTimeout =
    (seconds: number): pulumi.ResourceTransform =>
    ({ type, props, opts }) =>
        type === "aws:lb/loadBalancer:LoadBalancer" ? { props: { ...props, idleTimeout: seconds }, opts } : undefined;

const lb = new LoadBalancer(
    "api",
    { vpcId, subnetIds: publicSubnetIds, mode: "active-passive" },
    { transforms: [albIdleTimeout(120)] },
);

const db = new Database("api-db", {
    vpcId,
    subnetIds: databaseSubnetIds,
    availabilityZones: databaseAvailabilityZones,
    replicaCount: 1,
});

// The active pool in the first private subnet, the failover pool in the last (another AZ).
const pools = [
    { role: "active", subnetId: privateSubnetIds[0], targetGroup: lb.activeTargetGroup },
    { role: "failover", subnetId: privateSubnetIds[privateSubnetIds.length - 1], targetGroup: lb.failoverTargetGroup! },
].map(({ role, subnetId, targetGroup }) => {
    const pool = new ServerPool(`api-${role}`, {
        vpcId,
        subnetIds: [subnetId],
        targetGroupArn: targetGroup.arn,
        loadBalancerSecurityGroupId: lb.securityGroup.id,
        size: 2,
        database: db.connection,
        tags: { Role: role },
    });
    // Only the pools' servers reach MySQL, on 3306.
    db.allowClient(role, pool.securityGroup.id);
    return { role, pool };
});

const monitoring = new Monitoring("api-monitoring", {
    alertEmail,
    loadBalancer: { arnSuffix: lb.arnSuffix },
    targetGroups: [
        { role: "active", arnSuffix: lb.activeTargetGroup.arnSuffix },
        { role: "failover", arnSuffix: lb.failoverTargetGroup!.arnSuffix },
    ],
    autoScalingGroups: pools.map(({ role, pool }) => ({ role, name: pool.autoScalingGroup.name })),
    database: {
        primaryIdentifier: db.primary.identifier,
        replicaIdentifiers: db.replicas.map((r) => r.identifier),
        allocatedStorageGb: 20,
    },
});

const controller = new FailoverController("api-controller", {
    listenerArn: lb.httpsListener.arn,
    activeTargetGroupArn: lb.activeTargetGroup.arn,
    failoverTargetGroupArn: lb.failoverTargetGroup!.arn,
    topicArn: monitoring.topicArn,
});

export const url = lb.url;
export const dbWriterEndpoint = db.writerEndpoint;
export const alertTopicArn = monitoring.topicArn;
export const failoverControllerFunction = controller.function.name;

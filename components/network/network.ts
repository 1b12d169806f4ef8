import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createVpcFlowLogs, VpcFlowLogs } from "./flowLogs";
import { named } from "../shared/tags";
import { subnetLayout } from "./subnets";
import { networkAvailabilityZones } from "./zones";
import type { NetworkArgs } from "./args";
import { validateNetworkArgs } from "./settings";

/**
 * A VPC over `azCount` AZs with three tiers of subnets:
 * - public (ALB, NAT gateways): routed to the internet gateway;
 * - private (servers): egress through NAT per `natGateways`;
 * - isolated (database): no route out of the VPC at all.
 * The VPC's default security group is taken over and left with no rules, so nothing can use it by
 * accident (CIS AWS Foundations 5.4).
 *
 * @example
 * const net = new Network("shop", { azCount: 3, natGateways: "perAz" });
 * export const vpcId = net.vpcId;
 */
export class Network extends pulumi.ComponentResource {
    public readonly vpc: aws.ec2.Vpc;
    public readonly vpcId: pulumi.Output<string>;
    public readonly cidrBlock: string;
    public readonly azCount: number;
    /** The AZ of each index; `publicSubnetIds[i]`, `privateSubnetIds[i]`, `isolatedSubnetIds[i]` are in `availabilityZones[i]`. */
    public readonly availabilityZones: pulumi.Output<string[]>;
    public readonly publicSubnets: aws.ec2.Subnet[];
    public readonly privateSubnets: aws.ec2.Subnet[];
    public readonly isolatedSubnets: aws.ec2.Subnet[];
    public readonly publicSubnetIds: pulumi.Output<string>[];
    public readonly privateSubnetIds: pulumi.Output<string>[];
    public readonly isolatedSubnetIds: pulumi.Output<string>[];
    public readonly natGateways: aws.ec2.NatGateway[];
    public readonly defaultSecurityGroup: aws.ec2.DefaultSecurityGroup;
    public readonly s3Endpoint: aws.ec2.VpcEndpoint;
    /** The flow log, its log group and delivery role (`flowLogs` on). */
    public readonly flowLogs?: VpcFlowLogs;

    constructor(name: string, args: NetworkArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("ha-webstack:index:Network", name, {}, opts);
        const settings = validateNetworkArgs(args);
        const { cidrBlock, azCount, natGateways } = settings;
        const tags = args.tags;
        this.cidrBlock = cidrBlock;
        this.azCount = azCount;
        const layout = subnetLayout(cidrBlock, azCount);

        // The explicit AZs, or the first azCount available; only AZs that offer everything in `offerings`.
        this.availabilityZones = networkAvailabilityZones(
            settings.availabilityZones,
            azCount,
            settings.offerings,
            this,
        );
        const azAt = (i: number) => this.availabilityZones.apply((zones) => zones[i]);

        this.vpc = new aws.ec2.Vpc(
            `${name}-vpc`,
            { cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: named(tags, `${name}-vpc`) },
            { parent: this },
        );
        this.vpcId = this.vpc.id;
        if (settings.flowLogs) {
            this.flowLogs = createVpcFlowLogs(name, this.vpc, settings.flowLogs, this, tags);
        }

        // Take over the default security group with no rules: it allows all traffic between its members
        // by default, and an instance launched without a group lands in it.
        this.defaultSecurityGroup = new aws.ec2.DefaultSecurityGroup(
            `${name}-default-sg`,
            { vpcId: this.vpc.id, tags: named(tags, `${name}-default-sg (unused, no rules)`) },
            { parent: this },
        );

        const internetGateway = new aws.ec2.InternetGateway(
            `${name}-igw`,
            { vpcId: this.vpc.id, tags: named(tags, `${name}-igw`) },
            { parent: this },
        );

        const subnet = (tier: "public" | "private" | "isolated", i: number) =>
            new aws.ec2.Subnet(
                `${name}-${tier}-${i}`,
                {
                    vpcId: this.vpc.id,
                    cidrBlock: layout[tier][i],
                    availabilityZone: azAt(i),
                    // Nothing here needs a public IP on launch: the ALB and NAT gateways bring their own.
                    mapPublicIpOnLaunch: false,
                    tags: pulumi
                        .all([azAt(i)])
                        .apply(([az]) => ({ ...(tags ?? {}), Name: `${name}-${tier}-${az}`, Tier: tier })),
                },
                { parent: this },
            );
        const indexes = [...Array(azCount).keys()];
        this.publicSubnets = indexes.map((i) => subnet("public", i));
        this.privateSubnets = indexes.map((i) => subnet("private", i));
        this.isolatedSubnets = indexes.map((i) => subnet("isolated", i));
        this.publicSubnetIds = this.publicSubnets.map((s) => s.id);
        this.privateSubnetIds = this.privateSubnets.map((s) => s.id);
        this.isolatedSubnetIds = this.isolatedSubnets.map((s) => s.id);

        // Public tier: one route table, default route to the internet gateway.
        const publicRouteTable = new aws.ec2.RouteTable(
            `${name}-public-rt`,
            {
                vpcId: this.vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id }],
                tags: named(tags, `${name}-public`),
            },
            { parent: this },
        );
        this.publicSubnets.forEach(
            (s, i) =>
                new aws.ec2.RouteTableAssociation(
                    `${name}-public-rta-${i}`,
                    { subnetId: s.id, routeTableId: publicRouteTable.id },
                    { parent: this },
                ),
        );

        // NAT gateways: none, one in the first public subnet, or one per AZ.
        const natCount = natGateways === "none" ? 0 : natGateways === "single" ? 1 : azCount;
        this.natGateways = [...Array(natCount).keys()].map((i) => {
            const eip = new aws.ec2.Eip(
                `${name}-nat-eip-${i}`,
                { domain: "vpc", tags: named(tags, `${name}-nat-${i}`) },
                { parent: this },
            );
            return new aws.ec2.NatGateway(
                `${name}-nat-${i}`,
                {
                    allocationId: eip.id,
                    subnetId: this.publicSubnets[i].id,
                    connectivityType: "public",
                    tags: named(tags, `${name}-nat-${i}`),
                },
                { parent: this, dependsOn: [internetGateway] },
            );
        });

        // Private tier: a route table per AZ, so that switching `natGateways` only changes routes.
        const privateRouteTables = indexes.map((i) => {
            const nat = natCount === 0 ? undefined : this.natGateways[natCount === 1 ? 0 : i];
            const table = new aws.ec2.RouteTable(
                `${name}-private-rt-${i}`,
                {
                    vpcId: this.vpc.id,
                    routes: nat ? [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }] : [],
                    tags: named(tags, `${name}-private-${i}`),
                },
                { parent: this },
            );
            new aws.ec2.RouteTableAssociation(
                `${name}-private-rta-${i}`,
                { subnetId: this.privateSubnets[i].id, routeTableId: table.id },
                { parent: this },
            );
            return table;
        });

        // Isolated tier: one route table with only the implicit local route.
        const isolatedRouteTable = new aws.ec2.RouteTable(
            `${name}-isolated-rt`,
            { vpcId: this.vpc.id, routes: [], tags: named(tags, `${name}-isolated`) },
            { parent: this },
        );
        this.isolatedSubnets.forEach(
            (s, i) =>
                new aws.ec2.RouteTableAssociation(
                    `${name}-isolated-rta-${i}`,
                    { subnetId: s.id, routeTableId: isolatedRouteTable.id },
                    { parent: this },
                ),
        );

        // A free S3 gateway endpoint: package downloads from the Amazon Linux repositories (served
        // from S3) and S3 traffic stay off the NAT gateways, and keep working with `natGateways: none`.
        // https://docs.aws.amazon.com/linux/al2023/ug/managing-repos-os-updates.html
        const region = aws.getRegionOutput({}, { parent: this }).region;
        this.s3Endpoint = new aws.ec2.VpcEndpoint(
            `${name}-s3-endpoint`,
            {
                vpcId: this.vpc.id,
                serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
                vpcEndpointType: "Gateway",
                routeTableIds: privateRouteTables.map((t) => t.id),
                tags: named(tags, `${name}-s3`),
            },
            { parent: this },
        );

        this.registerOutputs({
            vpcId: this.vpcId,
            availabilityZones: this.availabilityZones,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            isolatedSubnetIds: this.isolatedSubnetIds,
            flowLogGroupName: this.flowLogs?.logGroup.name,
        });
    }
}

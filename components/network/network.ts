import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createVpcFlowLogs, FlowLogOptions, FlowLogSettings, flowLogSettings, VpcFlowLogs } from "./flowLogs";
import { named, Tags } from "../shared/tags";
import { availabilityZoneList, integerIn, invalid, ipv4Cidr, MAX_AZS, MIN_AZS, oneOf } from "../shared/validation";
import { MAX_VPC_PREFIX, pickAvailabilityZones, subnetLayout } from "./subnets";

export const NAT_GATEWAY_MODES = ["none", "single", "perAz"] as const;
export type NatGatewayMode = (typeof NAT_GATEWAY_MODES)[number];

export interface NetworkArgs {
    /**
     * The VPC's IPv4 CIDR block, /16 to /22 (subnets are 5 bits longer: /21 for a /16; the ALB
     * needs public subnets of at least /27).
     * @default "10.0.0.0/16"
     */
    cidrBlock?: string;
    /**
     * How many availability zones to spread over, 2 to 6. Two is the minimum with no single point of
     * failure; three survives an AZ outage with capacity to spare.
     * @default 2
     */
    azCount?: number;
    /**
     * Explicit AZ names (e.g. `["us-east-1a", "us-east-1b"]`). When set, `azCount` must be unset or
     * equal to its length, and no AZ lookup is made.
     * @default the first `azCount` available AZs of the region that need no opt-in
     */
    availabilityZones?: string[];
    /**
     * NAT gateways for the private subnets' internet egress:
     * - `none`: no internet egress (the S3 gateway endpoint still reaches the Amazon Linux repositories);
     * - `single`: one NAT gateway, a single point of failure for egress — fine for dev;
     * - `perAz`: one per AZ, each private subnet routed to its own AZ's gateway: no SPOF.
     * @default "single"
     */
    natGateways?: NatGatewayMode;
    /**
     * VPC flow logs of ALL traffic (accepted and rejected, every interface of the VPC) to a
     * CloudWatch log group kept `retentionDays` (a CloudWatch Logs retention value, default 30),
     * written through an IAM role only the flow logs service of this account can assume and that
     * may only write to that log group. `false` turns them off. CloudWatch Logs charges ingestion
     * ($0.50/GB in us-east-1) and storage.
     * @default true
     */
    flowLogs?: boolean | FlowLogOptions;
    /** Tags added to every resource. */
    tags?: Tags;
}

/**
 * A VPC over `azCount` AZs with three tiers of subnets:
 * - public (ALB, NAT gateways): routed to the internet gateway;
 * - private (servers): egress through NAT per `natGateways`;
 * - isolated (database): no route out of the VPC at all.
 * The VPC's default security group is taken over and left with no rules, so nothing can use it by
 * accident (CIS AWS Foundations 5.4).
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

        this.availabilityZones = settings.availabilityZones
            ? pulumi.output(settings.availabilityZones)
            : aws
                  .getAvailabilityZonesOutput(
                      { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
                      { parent: this },
                  )
                  .apply((zones) => pickAvailabilityZones(zones.names, azCount));
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

export interface NetworkSettings {
    cidrBlock: string;
    azCount: number;
    availabilityZones?: string[];
    natGateways: NatGatewayMode;
    /** Undefined when flow logs are off. */
    flowLogs?: FlowLogSettings;
}

/** Checks the args and fills in the defaults; throws a {@link ValidationError} naming the argument. */
export function validateNetworkArgs(args: NetworkArgs, label = "Network args"): NetworkSettings {
    const cidrBlock = ipv4Cidr(`${label}.cidrBlock`, args.cidrBlock ?? "10.0.0.0/16", 16, MAX_VPC_PREFIX);
    let azCount = integerIn(
        `${label}.azCount`,
        args.azCount ?? args.availabilityZones?.length ?? MIN_AZS,
        MIN_AZS,
        MAX_AZS,
    );
    let availabilityZones: string[] | undefined;
    if (args.availabilityZones !== undefined) {
        const zones = availabilityZoneList(`${label}.availabilityZones`, args.availabilityZones);
        if (args.azCount !== undefined && args.azCount !== zones.length) {
            throw invalid(
                `${label}.azCount`,
                args.azCount,
                `${zones.length}, the number of availabilityZones given (or leave it unset)`,
            );
        }
        availabilityZones = [...zones];
        azCount = zones.length;
    }
    const natGateways = oneOf(`${label}.natGateways`, args.natGateways ?? "single", NAT_GATEWAY_MODES);
    const flowLogs = flowLogSettings(`${label}.flowLogs`, args.flowLogs);
    return { cidrBlock, azCount, availabilityZones, natGateways, flowLogs };
}

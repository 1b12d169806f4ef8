import { Network } from "../components/network";
import { evaluate } from "../scripts/offline";
import { expectRejectedBeforeCreate, T, ofType, only, resolveRef } from "./helpers";

const build = (args: ConstructorParameters<typeof Network>[1]) =>
    evaluate(() => new Network("net", args), { stack: "test" });

describe("Network", () => {
    it("should spread three tiers of subnets over the AZs, one of each per AZ", async () => {
        const ev = await build({ azCount: 3 });
        const subnets = ofType(ev, T.subnet);
        expect(subnets).toHaveLength(9);
        for (const tier of ["public", "private", "isolated"]) {
            const tierSubnets = subnets.filter((s) => s.inputs.tags.Tier === tier);
            expect(tierSubnets.map((s) => s.inputs.availabilityZone)).toEqual([
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
            ]);
        }
        expect(subnets.every((s) => s.inputs.mapPublicIpOnLaunch === false && s.inputs.vpcId === "net-vpc")).toBe(true);
        expect(only(ev, T.vpc).inputs).toMatchObject({
            cidrBlock: "10.0.0.0/16",
            enableDnsHostnames: true,
            enableDnsSupport: true,
        });
    });

    it("should use the given AZs without a lookup", async () => {
        const ev = await build({ availabilityZones: ["eu-west-1b", "eu-west-1c"] });
        expect(ofType(ev, T.subnet).map((s) => s.inputs.availabilityZone)).toEqual([
            "eu-west-1b",
            "eu-west-1c",
            "eu-west-1b",
            "eu-west-1c",
            "eu-west-1b",
            "eu-west-1c",
        ]);
    });

    it("should route public subnets to the internet gateway and leave isolated subnets without a route out", async () => {
        const ev = await build({});
        const publicTable = only(ev, T.routeTable, "public-rt");
        expect(publicTable.inputs.routes).toEqual([{ cidrBlock: "0.0.0.0/0", gatewayId: "net-igw" }]);
        expect(only(ev, T.routeTable, "isolated-rt").inputs.routes).toEqual([]);
        const associations = ofType(ev, "aws:ec2/routeTableAssociation:RouteTableAssociation");
        const isolatedIds = ofType(ev, T.subnet)
            .filter((s) => s.inputs.tags.Tier === "isolated")
            .map((s) => s.name);
        for (const id of isolatedIds) {
            expect(associations.find((a) => a.inputs.subnetId === id)?.inputs.routeTableId).toBe("net-isolated-rt");
        }
    });

    it.each([
        ["none", 0, [[], []]],
        ["single", 1, [["net-nat-0"], ["net-nat-0"]]],
        ["perAz", 2, [["net-nat-0"], ["net-nat-1"]]],
    ] as const)(
        "should build NAT gateways %s: %i gateways, private routes to them",
        async (natGateways, count, routes) => {
            const ev = await build({ natGateways });
            const nats = ofType(ev, T.natGateway);
            expect(nats).toHaveLength(count);
            expect(ofType(ev, T.eip)).toHaveLength(count);
            // Each NAT gateway sits in the public subnet of its own AZ.
            nats.forEach((nat, i) => expect(nat.inputs.subnetId).toBe(`net-public-${i}`));
            const privateTables = ofType(ev, T.routeTable).filter((t) => t.name.startsWith("net-private-rt"));
            expect(privateTables.map((t) => t.inputs.routes.map((r: any) => r.natGatewayId))).toEqual(routes);
        },
    );

    it("should empty the VPC's default security group", async () => {
        const ev = await build({});
        const group = only(ev, T.defaultSg);
        expect(group.inputs.vpcId).toBe("net-vpc");
        expect(group.inputs.ingress ?? []).toEqual([]);
        expect(group.inputs.egress ?? []).toEqual([]);
    });

    it("should give the private route tables a free S3 gateway endpoint", async () => {
        const ev = await build({ azCount: 2 });
        const endpoint = only(ev, T.vpcEndpoint);
        expect(endpoint.inputs).toMatchObject({
            vpcEndpointType: "Gateway",
            serviceName: "com.amazonaws.us-east-1.s3",
        });
        expect(endpoint.inputs.routeTableIds.map((id: string) => resolveRef(ev, id)?.name)).toEqual([
            "net-private-rt-0",
            "net-private-rt-1",
        ]);
        // No endpoint policy (AWS's default, full access): the servers' dnf reaches AL2023's
        // repository bucket (al2023-repos-<region>-de612dc2) and their bundle through it (README, Boot).
        expect(endpoint.inputs.policy).toBeUndefined();
    });

    it("should log the VPC's traffic to CloudWatch Logs by default, and not when turned off", async () => {
        const ev = await build({});
        const flowLog = only(ev, "aws:ec2/flowLog:FlowLog");
        expect(flowLog.inputs).toMatchObject({
            vpcId: "net-vpc",
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
        });
        expect(resolveRef(ev, flowLog.inputs.logDestination)?.inputs.retentionInDays).toBe(30);
        expect(ofType(await build({ flowLogs: { enabled: false } }), "aws:ec2/flowLog:FlowLog")).toEqual([]);
        // The boolean of 0.2 (no longer in the type) still works for JavaScript callers.
        expect(ofType(await build({ flowLogs: false as never }), "aws:ec2/flowLog:FlowLog")).toEqual([]);
    });

    it.each([
        [{ azCount: 1 }, "Network args.azCount=1 is not valid: expected an integer from 2 to 6"],
        [{ azCount: 7 }, "Network args.azCount=7 is not valid"],
        [{ natGateways: "perAZ" }, "Network args.natGateways=perAZ is not valid: expected one of none, single, perAz"],
        [
            { cidrBlock: "10.0.0.0/8" },
            "Network args.cidrBlock=10.0.0.0/8 is not valid: expected an IPv4 CIDR block with a prefix from /16 to /22",
        ],
        [
            { cidrBlock: "10.0.0.0/23" },
            "Network args.cidrBlock=10.0.0.0/23 is not valid: expected an IPv4 CIDR block with a prefix from /16 to /22",
        ],
        [
            { availabilityZones: ["us-east-1a", "us-east-1a"] },
            'Network args.availabilityZones=["us-east-1a","us-east-1a"] is not valid: expected a list of 2 to 6 distinct AZ names',
        ],
        [
            { availabilityZones: ["us-east-1a", "us-east-1b"], azCount: 3 },
            "Network args.azCount=3 is not valid: expected 2, the number of availabilityZones",
        ],
        [
            { flowLogs: { retentionDays: 45 } },
            "Network args.flowLogs.retentionDays=45 is not valid: expected a CloudWatch Logs retention in days",
        ],
    ])("should reject %j before creating anything", async (args, message) => {
        await expectRejectedBeforeCreate(build(args as any), message);
    });
});

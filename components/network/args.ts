/** The arguments of {@link Network}. */
import type { Tags } from "../shared/tags";
import type { FlowLogOptions } from "./flowLogs";
import type { ZoneOffering } from "./zones";

/** NAT gateways for the private subnets' internet egress (see {@link NetworkArgs.natGateways}). */
export const NatGatewayMode = {
    /** No internet egress (the S3 gateway endpoint still reaches the Amazon Linux repositories). */
    None: "none",
    /** One NAT gateway: a single point of failure for egress, fine for dev. */
    Single: "single",
    /** One NAT gateway per AZ, each private subnet routed to its own AZ's: no SPOF. */
    PerAz: "perAz",
} as const;
export type NatGatewayMode = (typeof NatGatewayMode)[keyof typeof NatGatewayMode];
/** Every value of {@link NatGatewayMode}, in its order. */
export const NAT_GATEWAY_MODES: readonly NatGatewayMode[] = Object.freeze(Object.values(NatGatewayMode));

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
     * What every AZ of the network must offer (an instance type, a DB class), with the AZs that
     * offer each. The lookup then skips AZs that lack one (taking the next ones in name order), and
     * explicit `availabilityZones` must all offer everything; otherwise the error names each AZ
     * and what it lacks. Checked when the offerings resolve, at deploy time.
     * @default none: any available AZ
     */
    offerings?: ZoneOffering[];
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
     * may only write to that log group. `{ enabled: false }` turns them off. CloudWatch Logs charges ingestion
     * ($0.50/GB in us-east-1) and storage.
     * @default true
     */
    flowLogs?: FlowLogOptions;
    /**
     * Tags added to every resource.
     * @default none
     */
    tags?: Tags;
}

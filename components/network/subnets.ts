/**
 * The network's address arithmetic: how the VPC's CIDR block is carved into one public, one
 * private and one isolated subnet per AZ, and which AZs a lookup picks. Pure, no resources.
 */
import { parseIpv4Cidr, subnetOf, ValidationError } from "../shared/validation";

/** Subnets are carved `SUBNET_BITS` longer than the VPC: a /16 VPC gets /21 subnets (2,043 addresses). */
const SUBNET_BITS = 5;

/** An ALB needs subnets of at least /27 (8 free addresses), so the VPC can be no smaller than /22. */
export const MAX_VPC_PREFIX = 27 - SUBNET_BITS;

/** The CIDR blocks of each tier, one per AZ; pure, exported for tests. */
export interface SubnetLayout {
    public: string[];
    private: string[];
    isolated: string[];
}

/** Carves public, private and isolated blocks for `azCount` AZs out of the VPC's CIDR. */
export function subnetLayout(cidrBlock: string, azCount: number): SubnetLayout {
    const parsed = parseIpv4Cidr(cidrBlock);
    if (!parsed) {
        throw new ValidationError(`not an IPv4 CIDR block: ${cidrBlock}`);
    }
    const prefix = parsed.prefix + SUBNET_BITS;
    // 32 blocks: public 0-7, private 8-15, isolated 16-23; 24-31 stay free for later tiers.
    const tier = (offset: number) => [...Array(azCount).keys()].map((i) => subnetOf(cidrBlock, prefix, offset + i));
    return { public: tier(0), private: tier(8), isolated: tier(16) };
}

/** The first `count` AZs of a lookup, or a clear error when the region has fewer. */
export function pickAvailabilityZones(available: string[], count: number): string[] {
    if (available.length < count) {
        throw new ValidationError(
            `azCount=${count} is not valid here: the region has only ${available.length} available AZs (${available.join(", ")})`,
        );
    }
    return [...available].sort().slice(0, count);
}

/** Checks {@link NetworkArgs} and fills in the defaults. */
import { availabilityZoneList, integerIn, invalid, ipv4Cidr, MAX_AZS, MIN_AZS, oneOf } from "../shared/validation";
import { NAT_GATEWAY_MODES, NatGatewayMode, NetworkArgs } from "./args";
import { FlowLogSettings, flowLogSettings } from "./flowLogs";
import { MAX_VPC_PREFIX } from "./subnets";
import { validateZoneOfferings, ZoneOffering } from "./zones";

export interface NetworkSettings {
    cidrBlock: string;
    azCount: number;
    availabilityZones?: string[];
    natGateways: NatGatewayMode;
    /** Undefined when flow logs are off. */
    flowLogs?: FlowLogSettings;
    offerings: ZoneOffering[];
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
    const offerings = validateZoneOfferings(`${label}.offerings`, args.offerings);
    return { cidrBlock, azCount, availabilityZones, natGateways, flowLogs, offerings };
}

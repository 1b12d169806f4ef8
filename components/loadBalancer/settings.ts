/** Checks {@link LoadBalancerArgs} and fills in the defaults. */
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_TLS_POLICY, TLS_POLICIES } from "../shared/tlsPolicies";
import {
    booleanValue,
    checkInput,
    distinctCidrs,
    integerIn,
    invalid,
    ipv4Cidr,
    oneOf,
    ValidationError,
} from "../shared/validation";
import { CertificateSettings, certificateSettings } from "./certificate";
import { Algorithm, ALGORITHMS, LoadBalancerArgs, Mode, MODES } from "./args";
import { AccessLogSettings, accessLogSettings } from "./logBucket";
import { WafSettings, wafSettings } from "./webAcl";

export interface LoadBalancerSettings {
    mode: Mode;
    algorithm: Algorithm;
    sslPolicy: string;
    targetPort: number;
    healthCheckPath: string;
    deletionProtection: boolean;
    holdListenerWeights: boolean;
    allowedCidrs: pulumi.Input<string>[];
    certificate: CertificateSettings;
    /** Undefined when the WAF is off. */
    waf?: WafSettings;
    /** Undefined when access logs are off. */
    accessLogs?: AccessLogSettings;
}

/** ALB names are capped at 32 characters; Pulumi appends an 8-character suffix to `<name>-alb`. */
export const MAX_LOAD_BALANCER_NAME = 32 - 8 - "-alb".length;

export function validateLoadBalancerArgs(
    name: string,
    args: LoadBalancerArgs,
    label = "LoadBalancer args",
): LoadBalancerSettings {
    if (!/^[a-zA-Z0-9-]+$/.test(name) || name.length > MAX_LOAD_BALANCER_NAME || name.startsWith("-")) {
        throw new ValidationError(
            `LoadBalancer name=${name} is not valid: expected at most ${MAX_LOAD_BALANCER_NAME} letters, digits and hyphens ` +
                `(the ALB is named <name>-alb plus an 8-character suffix, and AWS caps ALB names at 32 characters)`,
        );
    }
    if (!Array.isArray(args.subnetIds) || args.subnetIds.length < 2) {
        throw invalid(
            `${label}.subnetIds`,
            Array.isArray(args.subnetIds) ? `${args.subnetIds.length} subnet(s)` : args.subnetIds,
            "public subnets in at least two AZs",
        );
    }
    const allowedCidrs = args.allowedCidrs ?? ["0.0.0.0/0"];
    if (!Array.isArray(allowedCidrs) || allowedCidrs.length === 0 || allowedCidrs.length > 20) {
        throw invalid(`${label}.allowedCidrs`, allowedCidrs, "a list of 1 to 20 IPv4 CIDR blocks");
    }
    if (allowedCidrs.every((c) => typeof c === "string")) {
        distinctCidrs(`${label}.allowedCidrs`, allowedCidrs as string[]);
    }
    const healthCheckPath = args.healthCheckPath ?? "/healthz";
    if (typeof healthCheckPath !== "string" || !/^\/[\x21-\x7e]{0,1023}$/.test(healthCheckPath)) {
        throw invalid(`${label}.healthCheckPath`, healthCheckPath, "a path starting with / (at most 1024 characters)");
    }
    const deletionProtection = booleanValue(`${label}.deletionProtection`, args.deletionProtection ?? false);
    return {
        mode: oneOf(`${label}.mode`, args.mode ?? "active-passive", MODES),
        algorithm: oneOf(`${label}.algorithm`, args.algorithm ?? "round_robin", ALGORITHMS),
        sslPolicy: oneOf(`${label}.sslPolicy`, args.sslPolicy ?? DEFAULT_TLS_POLICY, TLS_POLICIES),
        targetPort: integerIn(`${label}.targetPort`, args.targetPort ?? 80, 1, 65535),
        healthCheckPath,
        deletionProtection,
        holdListenerWeights: booleanValue(
            `${label}.holdListenerWeights`,
            args.holdListenerWeights ?? (args.mode ?? "active-passive") === "active-passive",
        ),
        allowedCidrs: allowedCidrs.map((cidr, i) =>
            checkInput(cidr, (c) => ipv4Cidr(`${label}.allowedCidrs[${i}]`, c)),
        ),
        certificate: certificateSettings(
            { certificateArn: args.certificateArn, domainName: args.domainName, hostedZoneId: args.hostedZoneId },
            (key) => `${label}.${key}`,
        ),
        waf: wafSettings(`${label}.waf`, args.waf),
        accessLogs: accessLogSettings(`${label}.accessLogs`, args.accessLogs, deletionProtection),
    };
}

import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import {
    INTERNET_INGRESS_TCP_PORTS,
    getPulumiType,
    isWorldCidr,
    coversPort,
    validateSecurityGroupRules,
    isInternetServingRule,
    describeRule,
    knownValues,
    refersTo,
} from "../helpers";

// ---------------------------------------------------------------------------------------------
// Security groups
// https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
// Rules can be written four ways in pulumi-aws 7; `securityGroupRules` flattens them all.
// ---------------------------------------------------------------------------------------------

/**
 * Only TCP 80/443 may be open to 0.0.0.0/0 or ::/0 (AWS Security Hub EC2.18 "unrestricted
 * incoming traffic only for authorized ports"; the architecture: "no 0.0.0.0/0 anywhere but the
 * ALB's listeners").
 */
export const sgNoInternetIngress: ResourceValidationPolicy = {
    name: "security-group-no-internet-ingress-except-http-https",
    description: "Security groups admit traffic from 0.0.0.0/0 or ::/0 only on TCP 80 and 443 (the ALB's listeners).",
    enforcementLevel: "mandatory",
    validateResource: validateSecurityGroupRules((rules, report) => {
        for (const rule of rules.filter((r) => r.direction === "ingress")) {
            for (const source of rule.sources.filter((s) => isWorldCidr(s.cidr))) {
                if (!isInternetServingRule(rule)) {
                    report(
                        `${source.property} "${source.cidr}" opens ${describeRule(rule)} to the internet; ` +
                            `only TCP ${INTERNET_INGRESS_TCP_PORTS.join(" and ")} (the ALB's listeners) may be open to 0.0.0.0/0 or ::/0.`,
                    );
                }
            }
        }
    }),
};

/**
 * No rule, from any source, may cover port 22: servers are reached through SSM Session Manager
 * (Security Hub EC2.13; https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html).
 */
export const sgNoSsh: ResourceValidationPolicy = {
    name: "security-group-no-ssh",
    description: "No security group ingress rule covers TCP port 22 (SSH): use SSM Session Manager.",
    enforcementLevel: "mandatory",
    validateResource: validateSecurityGroupRules((rules, report) => {
        for (const rule of rules.filter((r) => r.direction === "ingress")) {
            if (
                (rule.protocol === "tcp" || rule.protocol === "-1") &&
                coversPort(rule.protocol, rule.fromPort, rule.toPort, 22)
            ) {
                report(`${describeRule(rule)} covers port 22 (SSH); no SSH is allowed (use SSM Session Manager).`);
            }
        }
    }),
};

/** An all-protocol ingress rule opens every port of every protocol: the chain must name its port. */
export const sgNoAllProtocolIngress: ResourceValidationPolicy = {
    name: "security-group-no-all-protocol-ingress",
    description: "No security group ingress rule uses protocol -1 (all protocols, all ports).",
    enforcementLevel: "mandatory",
    validateResource: validateSecurityGroupRules((rules, report) => {
        for (const rule of rules.filter((r) => r.direction === "ingress" && r.protocol === "-1")) {
            report(
                `${rule.protocolProperty} "${rule.rawProtocol}" admits every protocol and port; name the protocol and port range.`,
            );
        }
    }),
};

/**
 * Egress is limited per tier (servers → DB 3306, HTTPS out through NAT...): an all-protocol rule
 * to the whole internet undoes that.
 */
export const sgNoAllProtocolEgressToInternet: ResourceValidationPolicy = {
    name: "security-group-no-all-protocol-egress-to-internet",
    description: "No security group egress rule sends all protocols (-1) to 0.0.0.0/0 or ::/0.",
    enforcementLevel: "mandatory",
    validateResource: validateSecurityGroupRules((rules, report) => {
        for (const rule of rules.filter((r) => r.direction === "egress" && r.protocol === "-1")) {
            for (const source of rule.sources.filter((s) => isWorldCidr(s.cidr))) {
                report(
                    `${rule.protocolProperty} "${rule.rawProtocol}" with ${source.property} "${source.cidr}" allows all traffic out to the internet; ` +
                        `limit egress to the protocols and ports the tier needs.`,
                );
            }
        }
    }),
};

// ---------------------------------------------------------------------------------------------
// The VPC's default security group
// Security Hub EC2.2: "VPC default security groups should not allow inbound or outbound traffic".
// https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-2
// ---------------------------------------------------------------------------------------------

export const defaultSecurityGroupClosed: ResourceValidationPolicy = {
    name: "default-security-group-no-rules",
    description: "The VPC's default security group (aws.ec2.DefaultSecurityGroup) has no ingress and no egress rules.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.ec2.DefaultSecurityGroup, (sg, _args, report) => {
        for (const property of ["ingress", "egress"] as const) {
            const rules = sg[property] ?? [];
            if (rules.length > 0) {
                report(
                    `${property} has ${rules.length} rule(s); the default security group must stay empty (${JSON.stringify(rules[0])}).`,
                );
            }
        }
    }),
};

/**
 * AWS creates a default security group that admits all traffic from itself and allows all egress;
 * only adopting it as an `aws.ec2.DefaultSecurityGroup` (which strips its rules) closes it.
 */
export const vpcDefaultSecurityGroupAdopted: StackValidationPolicy = {
    name: "vpc-default-security-group-adopted",
    description:
        "Every VPC has an aws.ec2.DefaultSecurityGroup resource (with no rules) that closes its default security group.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const defaults = args.resources.filter((r) => r.type === getPulumiType(aws.ec2.DefaultSecurityGroup));
        for (const vpc of args.resources.filter((r) => r.type === getPulumiType(aws.ec2.Vpc))) {
            if (!defaults.some((sg) => refersTo(sg, "vpcId", vpc, knownValues(vpc, ["id"])))) {
                report(
                    `VPC "${vpc.name}" has no aws.ec2.DefaultSecurityGroup whose vpcId is this VPC; its default security group stays open.`,
                    vpc.urn,
                );
            }
        }
    },
};

/** What several rules share: resource type tokens, CIDR and port arithmetic, rule and IAM document parsing. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as policySdk from "@pulumi/policy";
import {
    PolicyResource,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    validateResourceOfType,
} from "@pulumi/policy";

/** The resource types that carry security group rules (the default group has its own policy). */
export const SECURITY_GROUP_RULE_TYPES = [
    aws.ec2.SecurityGroup,
    aws.ec2.SecurityGroupRule,
    aws.vpc.SecurityGroupIngressRule,
    aws.vpc.SecurityGroupEgressRule,
];

/** Ports the internet may reach: the ALB's HTTP (redirect only) and HTTPS listeners. */
export const INTERNET_INGRESS_TCP_PORTS: ReadonlyArray<number> = [80, 443];

// ---------------------------------------------------------------------------------------------
// Resource classes and their type tokens
// ---------------------------------------------------------------------------------------------

/** A resource class of any args type (`validateResourceOfType` infers one class at a time). */
export type AnyResourceClass = new (name: string, args: any, ...rest: any[]) => pulumi.Resource;

/** `validateResourceOfType` for several classes sharing one (loosely typed) check. */
export function validateResourcesOfTypes(
    classes: ReadonlyArray<AnyResourceClass>,
    validate: (props: Record<string, any>, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation[] {
    return classes.map((cls) =>
        validateResourceOfType(cls, (props, args, report) => validate(props as Record<string, any>, args, report)),
    );
}

/** The type token of a generated resource class (`aws.s3.Bucket` → "aws:s3/bucket:Bucket"). */
export function getPulumiType(resourceClass: unknown): string | undefined {
    const token = (resourceClass as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    return typeof token === "string" && token.length > 0 ? token : undefined;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers (exported for tests)
// ---------------------------------------------------------------------------------------------

/** True for a CIDR that covers every address: 0.0.0.0/0, ::/0 (any address with prefix length 0). */
export function isWorldCidr(cidr: string): boolean {
    const parts = cidr.trim().split("/");
    return parts.length === 2 && Number(parts[1]) === 0 && parts[1].trim() !== "";
}

/** Normalizes a security group protocol: "all"/"-1" → "-1", IANA numbers of TCP/UDP/ICMP → names. */
export function normalizeProtocol(protocol: unknown): string {
    if (protocol === undefined || protocol === null || String(protocol).trim() === "") {
        return "-1"; // unknown: assume the worst
    }
    const p = String(protocol).trim().toLowerCase();
    const byNumber: Record<string, string> = { all: "-1", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6" };
    return byNumber[p] ?? p;
}

/**
 * Does a rule with this (normalized) protocol and port range admit `port`? Protocol -1 admits
 * every port whatever the range says; a missing or negative bound means "open on that side".
 */
export function coversPort(protocol: string, fromPort: unknown, toPort: unknown, port: number): boolean {
    if (protocol === "-1") {
        return true;
    }
    const [from, to] = portRange(protocol, fromPort, toPort);
    return from <= port && port <= to;
}

/** The port range a rule admits, [0, 65535] when unbounded. */
export function portRange(protocol: string, fromPort: unknown, toPort: unknown): [number, number] {
    if (protocol === "-1") {
        return [0, 65535];
    }
    const bound = (v: unknown, fallback: number): number => {
        const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
        return Number.isFinite(n) && n >= 0 ? n : fallback;
    };
    return [bound(fromPort, 0), bound(toPort, 65535)];
}

/** A security group rule in one shape, whichever of the four pulumi-aws shapes it came from. */
export interface NormalizedRule {
    direction: "ingress" | "egress";
    /** Normalized protocol ("-1", "tcp", "udp", "icmp", ...). */
    protocol: string;
    /** The protocol as written, and the property holding it ("ingress[0].protocol", "ipProtocol"...). */
    rawProtocol: string;
    protocolProperty: string;
    fromPort: number;
    toPort: number;
    /** Property path prefix of the rule ("ingress[0]." for inline rules, "" for a rule resource). */
    path: string;
    /** The CIDR sources/destinations, each with the property it came from. */
    sources: Array<{ property: string; cidr: string }>;
}

export interface LooseRule {
    protocol?: unknown;
    fromPort?: unknown;
    toPort?: unknown;
    cidrBlocks?: ReadonlyArray<string>;
    ipv6CidrBlocks?: ReadonlyArray<string>;
}

export function normalizeRule(
    direction: "ingress" | "egress",
    path: string,
    protocolKey: string,
    rawProtocol: unknown,
    fromPort: unknown,
    toPort: unknown,
    sources: Array<{ property: string; cidr: string }>,
): NormalizedRule {
    const protocol = normalizeProtocol(rawProtocol);
    const [from, to] = portRange(protocol, fromPort, toPort);
    return {
        direction,
        protocol,
        rawProtocol: String(rawProtocol),
        protocolProperty: `${path}${protocolKey}`,
        fromPort: from,
        toPort: to,
        path,
        sources,
    };
}

export function cidrSources(path: string, rule: LooseRule): Array<{ property: string; cidr: string }> {
    const v4 = (rule.cidrBlocks ?? []).map((cidr, i) => ({ property: `${path}cidrBlocks[${i}]`, cidr }));
    const v6 = (rule.ipv6CidrBlocks ?? []).map((cidr, i) => ({ property: `${path}ipv6CidrBlocks[${i}]`, cidr }));
    return v4.concat(v6);
}

export function inlineRules(
    direction: "ingress" | "egress",
    rules: ReadonlyArray<LooseRule> | undefined,
): NormalizedRule[] {
    return (rules ?? []).map((rule, i) => {
        const path = `${direction}[${i}].`;
        return normalizeRule(
            direction,
            path,
            "protocol",
            rule.protocol,
            rule.fromPort,
            rule.toPort,
            cidrSources(path, rule),
        );
    });
}

/** Every rule a security-group-shaped resource declares, normalized. */
export function securityGroupRules(type: string, props: Record<string, any>): NormalizedRule[] {
    switch (type) {
        case getPulumiType(aws.ec2.SecurityGroup):
        case getPulumiType(aws.ec2.DefaultSecurityGroup):
            return inlineRules("ingress", props.ingress).concat(inlineRules("egress", props.egress));
        case getPulumiType(aws.ec2.SecurityGroupRule): {
            const direction = props.type === "egress" ? "egress" : "ingress";
            return [
                normalizeRule(
                    direction,
                    "",
                    "protocol",
                    props.protocol,
                    props.fromPort,
                    props.toPort,
                    cidrSources("", props),
                ),
            ];
        }
        case getPulumiType(aws.vpc.SecurityGroupIngressRule):
        case getPulumiType(aws.vpc.SecurityGroupEgressRule): {
            const direction = type === getPulumiType(aws.vpc.SecurityGroupEgressRule) ? "egress" : "ingress";
            const sources = (["cidrIpv4", "cidrIpv6"] as const)
                .filter((k) => typeof props[k] === "string")
                .map((k) => ({ property: k, cidr: props[k] as string }));
            return [
                normalizeRule(direction, "", "ipProtocol", props.ipProtocol, props.fromPort, props.toPort, sources),
            ];
        }
        default:
            return [];
    }
}

/** One validation per security-group-shaped type, each handing `check` the resource's normalized rules. */
export function validateSecurityGroupRules(
    check: (rules: NormalizedRule[], report: ReportViolation) => void,
): ResourceValidation[] {
    return validateResourcesOfTypes(SECURITY_GROUP_RULE_TYPES, (props, args, report) =>
        check(securityGroupRules(args.type, props), report),
    );
}

/** The ALB's listeners: TCP on exactly port 80 or exactly port 443. */
export function isInternetServingRule(rule: NormalizedRule): boolean {
    return (
        rule.protocol === "tcp" &&
        rule.fromPort === rule.toPort &&
        INTERNET_INGRESS_TCP_PORTS.indexOf(rule.fromPort) >= 0
    );
}

export function describeRule(rule: NormalizedRule): string {
    const ports =
        rule.protocol === "-1"
            ? "all ports"
            : `${rule.path}fromPort ${rule.fromPort} to ${rule.path}toPort ${rule.toPort}`;
    return `${rule.protocolProperty} "${rule.rawProtocol}" (${ports})`;
}

/** "true"/true → true: some pulumi-aws booleans (launch template EBS, network interfaces) are strings. */
export function isTrue(value: unknown): boolean {
    return value === true || (typeof value === "string" && value.trim().toLowerCase() === "true");
}

/** One IAM policy statement, with Action/Resource always as arrays. */
export interface PolicyStatement {
    sid?: string;
    effect: string;
    actions: string[];
    resources: string[];
}

/**
 * Parses an IAM policy document given as a JSON string or an object (`aws.iam.PolicyDocument`);
 * `Statement` may be one object or an array; `Action`/`Resource` a string or an array.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
export function parsePolicyDocument(document: unknown): { statements: PolicyStatement[] } | { error: string } {
    let doc: unknown = document;
    if (typeof document === "string") {
        try {
            doc = JSON.parse(document);
        } catch (e) {
            return { error: `not valid JSON (${(e as Error).message})` };
        }
    }
    if (doc === null || typeof doc !== "object") {
        return { error: `expected a policy document, got ${JSON.stringify(doc)}` };
    }
    const raw = (doc as Record<string, unknown>).Statement;
    const list: unknown[] = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    const statements = list.map((s): PolicyStatement => {
        const st = (s ?? {}) as Record<string, unknown>;
        return {
            sid: typeof st.Sid === "string" ? st.Sid : undefined,
            effect: String(st.Effect ?? ""),
            actions: toStringArray(st.Action),
            resources: toStringArray(st.Resource),
        };
    });
    return { statements };
}

export function toStringArray(value: unknown): string[] {
    if (value === undefined || value === null) {
        return [];
    }
    return (Array.isArray(value) ? value : [value]).map((v) => String(v).trim());
}

/** "*" or "*:*": every action of every service. */
export function isFullWildcardAction(action: string): boolean {
    return action === "*" || action === "*:*";
}

/**
 * Does an IAM action pattern (with * and ? wildcards, case-insensitive as IAM is) match `action`?
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 */
export function actionMatches(pattern: string, action: string): boolean {
    const regex =
        "^" +
        pattern
            .split("")
            .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
            .join("") +
        "$";
    return new RegExp(regex, "i").test(action);
}

/** Reads a property of a stack resource, or `undefined` when it is unknown during preview. */
export function readKnown(props: Record<string, any>, key: string): unknown {
    try {
        return props[key];
    } catch (e) {
        // The policy server's proxy throws UnknownValueError for preview unknowns; @pulumi/policy
        // exports the class at run time but not in its typings.
        const unknownValueError = (policySdk as unknown as { UnknownValueError?: new (...args: any[]) => Error })
            .UnknownValueError;
        if (
            (unknownValueError && e instanceof unknownValueError) ||
            (e instanceof Error && e.constructor.name === "UnknownValueError")
        ) {
            return undefined;
        }
        throw e;
    }
}

/** The known string values of these properties of a resource (e.g. a bucket's id and name). */
export function knownValues(resource: PolicyResource, keys: ReadonlyArray<string>): string[] {
    return keys.map((k) => readKnown(resource.props, k)).filter((v): v is string => typeof v === "string" && v !== "");
}

/**
 * Does `dependent.props[property]` refer to `target`? The engine's property dependencies say so
 * even while values are unknown (preview); otherwise compare the value with the target's ids.
 */
export function refersTo(
    dependent: PolicyResource,
    property: string,
    target: PolicyResource,
    targetValues: ReadonlyArray<string>,
): boolean {
    const deps = dependent.propertyDependencies?.[property] ?? [];
    if (deps.some((d) => d.urn === target.urn)) {
        return true;
    }
    const value = readKnown(dependent.props, property);
    return typeof value === "string" && targetValues.indexOf(value) >= 0;
}

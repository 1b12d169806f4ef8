import * as pulumi from "@pulumi/pulumi";
import {
    dbAllocatedStorage,
    dbBackupRetentionDays,
    dbEngineVersion,
    dbInstanceClass,
    MAX_ALLOCATED_STORAGE,
    replicaCountValue,
} from "../database";
import { FAILBACK_POLICIES } from "../failoverController";
import {
    ACCESS_LOG_RETENTION_DAYS,
    accessLogRetentionDays,
    ALGORITHMS,
    certificateDomainName,
    certificateSettings,
    hostedZoneId,
    MODES,
    WAF_RATE_LIMIT,
    wafRateLimit,
} from "../loadBalancer";
import { DEFAULT_FLOW_LOG_RETENTION_DAYS, MAX_VPC_PREFIX } from "../network";
import { appPortValue } from "../serverPool";
import { DEFAULT_TLS_POLICY, TLS_POLICIES } from "../shared/tlsPolicies";
import {
    acmCertificateArn,
    availabilityZoneList,
    booleanValue,
    distinctCidrs,
    emailAddress,
    instanceType,
    integerIn,
    invalid,
    ipv4Cidr,
    logRetentionDays,
    MAX_AZS,
    MIN_AZS,
    oneOf,
    ValidationError,
} from "../shared/validation";
import { STACK_NAT_GATEWAY_MODES, WebStackArgs } from "./webStack";

/** The config namespace: keys are `ha-webstack:<key>` in `Pulumi.<stack>.yaml`. */
export const CONFIG_NAMESPACE = "ha-webstack";

/** One documented config key: how to read it, its default and what it allows (the README's table). */
export interface ConfigKey {
    key: string;
    default: string;
    allowed: string;
    description: string;
    read(raw: string, label: string): Partial<WebStackArgs>;
}

/** Every key the stack reads. A key in the stack's config that is not here is rejected as a likely typo. */
export const CONFIG_KEYS: readonly ConfigKey[] = [
    {
        key: "mode",
        default: "active-passive",
        allowed: MODES.join(" | "),
        description: "Two target groups weighted 100/0 with automatic failover, or one target group with every server.",
        read: (raw, label) => ({ mode: oneOf(label, raw, MODES) }),
    },
    {
        key: "algorithm",
        default: "round_robin",
        allowed: ALGORITHMS.join(" | "),
        description: "How the ALB spreads requests over the servers of a target group.",
        read: (raw, label) => ({ algorithm: oneOf(label, raw, ALGORITHMS) }),
    },
    {
        key: "azCount",
        default: String(MIN_AZS),
        allowed: `${MIN_AZS}–${MAX_AZS}`,
        description: "Availability zones to spread the network, ALB and servers over.",
        read: (raw, label) => ({ azCount: integerIn(label, raw, MIN_AZS, MAX_AZS) }),
    },
    {
        key: "availabilityZones",
        default: "the region's first `azCount` AZs",
        allowed: "list of AZ names",
        description: "Explicit AZs (overrides the lookup; `azCount` must match if set).",
        read: (raw, label) => ({ availabilityZones: availabilityZoneList(label, stringList(label, raw)) }),
    },
    {
        key: "natGateways",
        default: "single",
        allowed: "single | perAz",
        description: "Egress for the private subnets; `perAz` is the only choice without a single point of failure.",
        read: (raw, label) => {
            if (raw === "none") {
                throw invalid(
                    label,
                    raw,
                    `one of ${STACK_NAT_GATEWAY_MODES.join(", ")}: the servers need egress (PyPI at boot; Secrets Manager, CloudWatch Logs and SSM at run time), and the stack creates no interface endpoints`,
                );
            }
            return { natGateways: oneOf(label, raw, STACK_NAT_GATEWAY_MODES) };
        },
    },
    {
        key: "vpcCidr",
        default: "10.0.0.0/16",
        allowed: `IPv4 CIDR, /16 to /${MAX_VPC_PREFIX}`,
        description: "The VPC's address range; subnets are 5 bits longer (the ALB needs /27 or larger).",
        read: (raw, label) => ({ vpcCidr: ipv4Cidr(label, raw, 16, MAX_VPC_PREFIX) }),
    },
    {
        key: "instanceType",
        default: "t4g.micro",
        allowed: "EC2 instance type",
        description: "Server instance type; Graviton (`*g`) types get the arm64 AMI.",
        read: (raw, label) => ({ instanceType: instanceType(label, raw) }),
    },
    {
        key: "serversPerPool",
        default: "1",
        allowed: "1–100",
        description: "Servers in each pool (active-passive has two pools, active-active one).",
        read: (raw, label) => ({ serversPerPool: integerIn(label, raw, 1, 100) }),
    },
    {
        key: "maxServersPerPool",
        default: "2 × serversPerPool",
        allowed: "serversPerPool–200",
        description: "Upper bound of each Auto Scaling group.",
        read: (raw, label) => ({ maxServersPerPool: integerIn(label, raw, 1, 200) }),
    },
    {
        key: "appPort",
        default: "80",
        allowed: "1–65535, not 22 or 8000",
        description: "Port nginx listens on behind the ALB (the target groups' port).",
        read: (raw, label) => ({ appPort: appPortValue(label, raw) }),
    },
    {
        key: "allowedCidrs",
        default: '["0.0.0.0/0"]',
        allowed: "list of 1–20 IPv4 CIDRs",
        description: "Who may reach the ALB on 80/443.",
        read: (raw, label) => {
            const cidrs = stringList(label, raw);
            if (cidrs.length === 0 || cidrs.length > 20) {
                throw invalid(label, raw, "a list of 1 to 20 IPv4 CIDR blocks");
            }
            return {
                allowedCidrs: distinctCidrs(
                    label,
                    cidrs.map((c, i) => ipv4Cidr(`${label}[${i}]`, c)),
                ),
            };
        },
    },
    {
        key: "certificateArn",
        default: "unset: self-signed",
        allowed: "ACM certificate ARN",
        description: "Certificate of the HTTPS listener; unset, a self-signed one is generated and imported into ACM.",
        read: (raw, label) => ({ certificateArn: acmCertificateArn(label, raw) }),
    },
    {
        key: "domainName",
        default: "unset",
        allowed: "DNS name, lowercase, ≤ 64 characters, no trailing dot",
        description: "Serve on this domain: a DNS-validated ACM certificate and an alias record in hostedZoneId.",
        read: (raw, label) => ({ domainName: certificateDomainName(label, raw) }),
    },
    {
        key: "hostedZoneId",
        default: "unset",
        allowed: "Route 53 hosted zone id (`Z…`)",
        description: "The Route 53 zone of domainName.",
        read: (raw, label) => ({ hostedZoneId: hostedZoneId(label, raw) }),
    },
    {
        key: "sslPolicy",
        default: DEFAULT_TLS_POLICY,
        allowed: "a TLS 1.2+ ELB security policy",
        description: "TLS policy of the HTTPS listener.",
        read: (raw, label) => ({ sslPolicy: oneOf(label, raw, TLS_POLICIES) }),
    },
    {
        key: "replicaCount",
        default: "1",
        allowed: "0–15",
        description:
            "MySQL read replicas, each in an AZ other than the primary's; the app reads from them (from the writer when 0).",
        read: (raw, label) => ({ replicaCount: replicaCountValue(label, raw) }),
    },
    {
        key: "dbInstanceClass",
        default: "db.t4g.micro",
        allowed: "an RDS instance class with the `db.` prefix",
        description: "Class of the primary and the replicas.",
        read: (raw, label) => ({ dbInstanceClass: dbInstanceClass(label, raw) }),
    },
    {
        key: "dbAllocatedStorage",
        default: "20",
        allowed: `20–${MAX_ALLOCATED_STORAGE} (GiB)`,
        description: "Initial encrypted gp3 storage; autoscaling raises it up to max(100, 2 × this) GiB.",
        read: (raw, label) => ({ dbAllocatedStorage: dbAllocatedStorage(label, raw) }),
    },
    {
        key: "dbEngineVersion",
        default: "8.4",
        allowed: "8.4 | 8.0, or a full version such as 8.4.7",
        description: "MySQL version; a full version pins it.",
        read: (raw, label) => ({ dbEngineVersion: dbEngineVersion(label, raw) }),
    },
    {
        key: "dbMultiAz",
        default: "false",
        allowed: "true | false",
        description: "A synchronous standby of the primary in another AZ with automatic failover.",
        read: (raw, label) => ({ dbMultiAz: booleanValue(label, raw) }),
    },
    {
        key: "dbBackupRetentionDays",
        default: "7",
        allowed: "1–35",
        description: "Days of automated backups and point-in-time recovery (replicas need backups).",
        read: (raw, label) => ({ dbBackupRetentionDays: dbBackupRetentionDays(label, raw) }),
    },
    {
        key: "dbDeletionProtection",
        default: "false",
        allowed: "true | false",
        description: "Refuse to delete the primary until turned off.",
        read: (raw, label) => ({ dbDeletionProtection: booleanValue(label, raw) }),
    },
    {
        key: "failback",
        default: "automatic",
        allowed: FAILBACK_POLICIES.join(" | "),
        description: "Active-passive: how traffic returns to the active group after a failover.",
        read: (raw, label) => ({ failback: oneOf(label, raw, FAILBACK_POLICIES) }),
    },
    {
        key: "failbackAfterSeconds",
        default: "300",
        allowed: "0–86400",
        description: "Automatic failback waits until the active group has been healthy this long.",
        read: (raw, label) => ({ failbackAfterSeconds: integerIn(label, raw, 0, 86400) }),
    },
    {
        key: "holdListenerWeights",
        default: "true (active-passive)",
        allowed: "true | false",
        description:
            "The HTTPS listener ignores changes to its default actions and tags, so pulumi up never undoes a failover; false for one update that replaces the target groups.",
        read: (raw, label) => ({ holdListenerWeights: booleanValue(label, raw) }),
    },
    {
        key: "waf",
        default: "false",
        allowed: "true | false",
        description: "AWS WAF web ACL on the ALB: per-IP rate limit and AWS managed rule sets.",
        read: (raw, label) => ({ waf: booleanValue(label, raw) }),
    },
    {
        key: "wafRateLimit",
        default: String(WAF_RATE_LIMIT.default),
        allowed: `${WAF_RATE_LIMIT.min}–${WAF_RATE_LIMIT.max}`,
        description: "Requests one client IP may send per 5 minutes before WAF blocks it (with waf).",
        read: (raw, label) => ({ wafRateLimit: wafRateLimit(label, raw) }),
    },
    {
        key: "accessLogs",
        default: "true",
        allowed: "true | false",
        description: "ALB access logs to a private S3 bucket made for them.",
        read: (raw, label) => ({ accessLogs: booleanValue(label, raw) }),
    },
    {
        key: "logRetentionDays",
        default: String(ACCESS_LOG_RETENTION_DAYS.default),
        allowed: `${ACCESS_LOG_RETENTION_DAYS.min}–${ACCESS_LOG_RETENTION_DAYS.max}`,
        description: "Days the ALB access logs are kept in S3.",
        read: (raw, label) => ({ logRetentionDays: accessLogRetentionDays(label, raw) }),
    },
    {
        key: "flowLogs",
        default: "true",
        allowed: "true | false",
        description: "VPC flow logs (all traffic) to a CloudWatch log group.",
        read: (raw, label) => ({ flowLogs: booleanValue(label, raw) }),
    },
    {
        key: "flowLogRetentionDays",
        default: String(DEFAULT_FLOW_LOG_RETENTION_DAYS),
        allowed: "a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, …, 3653)",
        description: "Days CloudWatch Logs keeps the flow logs.",
        read: (raw, label) => ({ flowLogRetentionDays: logRetentionDays(label, raw) }),
    },
    {
        key: "alertEmail",
        default: "unset",
        allowed: "email address",
        description: "Subscribed by email to the alert topic: every alarm when it fires and clears, every failover.",
        read: (raw, label) => ({ alertEmail: emailAddress(label, raw) }),
    },
    {
        key: "serverLogRetentionDays",
        default: "30",
        allowed: "a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, …, 3653)",
        description: "Days CloudWatch Logs keeps the servers' nginx and app logs.",
        read: (raw, label) => ({ serverLogRetentionDays: logRetentionDays(label, raw) }),
    },
    {
        key: "deletionProtection",
        default: "false",
        allowed: "true | false",
        description: "Refuse to delete the ALB until turned off.",
        read: (raw, label) => ({ deletionProtection: booleanValue(label, raw) }),
    },
];

/**
 * Reads and validates the stack's `ha-webstack:*` config. Every value is checked before any
 * resource is created; all problems are reported together, each naming the key, the value and
 * what is allowed.
 */
export function readStackConfig(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): WebStackArgs {
    const known = new Set(CONFIG_KEYS.map((k) => k.key));
    const problems: string[] = [];
    const args: WebStackArgs = {};

    for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
        const [namespace, key] = fullKey.split(":", 2);
        if (namespace === CONFIG_NAMESPACE && !known.has(key)) {
            const hint = closest(key, [...known]);
            problems.push(
                `${fullKey} is not a known key${hint ? ` (did you mean ${CONFIG_NAMESPACE}:${hint}?)` : ""}; known keys: ${[...known].join(", ")}`,
            );
        }
    }
    for (const spec of CONFIG_KEYS) {
        const raw = config.get(spec.key);
        if (raw === undefined) {
            continue;
        }
        try {
            Object.assign(args, spec.read(raw, `${CONFIG_NAMESPACE}:${spec.key}`));
        } catch (e) {
            if (!(e instanceof ValidationError)) {
                throw e;
            }
            problems.push(e.message);
        }
    }
    if (args.maxServersPerPool !== undefined && args.maxServersPerPool < (args.serversPerPool ?? 1)) {
        problems.push(
            invalid(
                `${CONFIG_NAMESPACE}:maxServersPerPool`,
                args.maxServersPerPool,
                `at least serversPerPool (${args.serversPerPool ?? 1})`,
            ).message,
        );
    }
    if (args.availabilityZones && args.azCount !== undefined && args.azCount !== args.availabilityZones.length) {
        problems.push(
            invalid(
                `${CONFIG_NAMESPACE}:azCount`,
                args.azCount,
                `${args.availabilityZones.length}, the number of availabilityZones (or unset)`,
            ).message,
        );
    }
    try {
        certificateSettings(
            {
                certificateArn: args.certificateArn as string | undefined,
                domainName: args.domainName as string | undefined,
                hostedZoneId: args.hostedZoneId as string | undefined,
            },
            (field) => `${CONFIG_NAMESPACE}:${field}`,
        );
    } catch (e) {
        if (!(e instanceof ValidationError)) {
            throw e;
        }
        problems.push(e.message);
    }
    if (args.mode === "active-active") {
        for (const key of ["failback", "failbackAfterSeconds"] as const) {
            if (args[key] !== undefined) {
                problems.push(
                    invalid(
                        `${CONFIG_NAMESPACE}:${key}`,
                        args[key],
                        `to be set only in active-passive mode (active-active has no failover controller)`,
                    ).message,
                );
            }
        }
    }
    const region = new pulumi.Config("aws").get("region");
    const certificateRegion = typeof args.certificateArn === "string" ? args.certificateArn.split(":")[3] : undefined;
    if (region && certificateRegion && certificateRegion !== region) {
        problems.push(
            invalid(
                `${CONFIG_NAMESPACE}:certificateArn`,
                args.certificateArn,
                `an ACM certificate in the stack's region ${region} (an ALB can only use certificates of its own region)`,
            ).message,
        );
    }
    if (args.wafRateLimit !== undefined && args.waf !== true) {
        problems.push(
            invalid(
                `${CONFIG_NAMESPACE}:wafRateLimit`,
                args.wafRateLimit,
                `to be set only with ${CONFIG_NAMESPACE}:waf true`,
            ).message,
        );
    }
    if (problems.length > 0) {
        throw new ValidationError(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
    }
    return args;
}

/** A list from config: a YAML list (which Pulumi hands over as JSON) or a comma-separated string. */
export function stringList(label: string, raw: string): string[] {
    const text = raw.trim();
    if (text.startsWith("[")) {
        let parsed: unknown;
        try {
            parsed = JSON.parse(text);
        } catch {
            throw invalid(label, raw, "a list (YAML list or comma-separated)");
        }
        if (!Array.isArray(parsed) || parsed.some((v) => typeof v !== "string")) {
            throw invalid(label, raw, "a list of strings");
        }
        return parsed.map((v: string) => v.trim());
    }
    return text === "" ? [] : text.split(",").map((v) => v.trim());
}

/** The known key nearest to a typo (Levenshtein distance ≤ 3), for "did you mean". */
function closest(key: string, candidates: string[]): string | undefined {
    const distance = (a: string, b: string) => {
        const row = [...Array(b.length + 1).keys()];
        for (let i = 1; i <= a.length; i++) {
            let previous = row[0];
            row[0] = i;
            for (let j = 1; j <= b.length; j++) {
                const current = row[j];
                row[j] = Math.min(
                    row[j] + 1,
                    row[j - 1] + 1,
                    previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
                );
                previous = current;
            }
        }
        return row[b.length];
    };
    const best = candidates.map((c) => ({ c, d: distance(key, c) })).sort((x, y) => x.d - y.d)[0];
    return best && best.d <= 3 ? best.c : undefined;
}

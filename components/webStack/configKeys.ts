/** The stack config's keys: the one table the config reader and the README's reference are made from. */
import {
    dbAllocatedStorage,
    dbBackupRetentionDays,
    dbEngineVersion,
    dbInstanceClass,
    MAX_ALLOCATED_STORAGE,
    replicaCountValue,
} from "../database";
import { FAILBACK_POLICIES, RESERVED_CONCURRENCY } from "../failoverController";
import {
    ACCESS_LOG_RETENTION_DAYS,
    accessLogRetentionDays,
    ALGORITHMS,
    certificateDomainName,
    hostedZoneId,
    MODES,
    WAF_RATE_LIMIT,
    wafRateLimit,
} from "../loadBalancer";
import { DEFAULT_FLOW_LOG_RETENTION_DAYS, MAX_VPC_PREFIX } from "../network";
import { appPortValue, CPU_PERCENT, REQUESTS_PER_TARGET, SCALING_DEFAULTS } from "../serverPool";
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
} from "../shared/validation";
import { STACK_NAT_GATEWAY_MODES, WebStackArgs } from "./args";

/** One documented config key: how to read it, its default and what it allows (the README's table). */
export interface ConfigKey {
    key: string;
    default: string;
    allowed: string;
    description: string;
    read(raw: string, label: string): Partial<WebStackArgs>;
}

/**
 * Every key the stack reads, with its default, what it allows and what it does: the config
 * reader reads them, and `npm run docs` writes the README's configuration reference from them (a
 * test fails when the README is stale). A key in the stack's config that is not here is rejected
 * as a likely typo.
 */
export const CONFIG_KEYS: readonly ConfigKey[] = [
    {
        key: "mode",
        default: "active-passive",
        allowed: MODES.join(" | "),
        description:
            "Two target groups weighted 100/0 (active and failover pools in different AZs), or one target group with every server.",
        read: (raw, label) => ({ mode: oneOf(label, raw, MODES) }),
    },
    {
        key: "algorithm",
        default: "round_robin",
        allowed: ALGORITHMS.join(" | "),
        description:
            "How the ALB spreads requests over the servers of a target group; `weighted_random` also turns on automatic target weights (anomaly mitigation).",
        read: (raw, label) => ({ algorithm: oneOf(label, raw, ALGORITHMS) }),
    },
    {
        key: "azCount",
        default: String(MIN_AZS),
        allowed: `${MIN_AZS}–${MAX_AZS}`,
        description: "Availability zones for the network, the ALB and the servers.",
        read: (raw, label) => ({ azCount: integerIn(label, raw, MIN_AZS, MAX_AZS) }),
    },
    {
        key: "availabilityZones",
        default: "the region's first `azCount` AZs",
        allowed: "list of AZ names",
        description: "Explicit AZs instead of the lookup; `azCount` must match if set.",
        read: (raw, label) => ({ availabilityZones: availabilityZoneList(label, stringList(label, raw)) }),
    },
    {
        key: "natGateways",
        default: "single",
        allowed: "single | perAz",
        description:
            "Egress of the private subnets (package repositories, Secrets Manager, CloudWatch Logs, SSM). `perAz` is the only choice without a single point of failure. (`none` is refused for the stack, whose servers need that egress; the `Network` component alone accepts it.)",
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
        description:
            "The VPC's range. Subnets are 5 bits longer: public, private and isolated blocks per AZ (the ALB needs /27 or larger, hence /22 at most).",
        read: (raw, label) => ({ vpcCidr: ipv4Cidr(label, raw, 16, MAX_VPC_PREFIX) }),
    },
    {
        key: "instanceType",
        default: "t4g.micro",
        allowed: "EC2 instance type",
        description: "Server type; Graviton types (`t4g`, `m7g`, ...) get the arm64 AMI, others x86_64.",
        read: (raw, label) => ({ instanceType: instanceType(label, raw) }),
    },
    {
        key: "serversPerPool",
        default: "1",
        allowed: "1–100",
        description: "Servers kept running in each pool (active-passive has two pools, active-active one).",
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
        key: "scaleOnRequestsPerTarget",
        default: String(SCALING_DEFAULTS.requestsPerTarget),
        allowed: `${REQUESTS_PER_TARGET.min}–${REQUESTS_PER_TARGET.max.toLocaleString("en-US")} | off`,
        description:
            "Target tracking: requests per server per minute each pool holds (`ALBRequestCountPerTarget` of its own target group, so a failover pool grows when it takes over), between `serversPerPool` and `maxServersPerPool`.",
        read: (raw, label) => ({ scaleOnRequestsPerTarget: offOr(label, raw, REQUESTS_PER_TARGET) }),
    },
    {
        key: "scaleOnCpuPercent",
        default: String(SCALING_DEFAULTS.cpuPercent),
        allowed: `${CPU_PERCENT.min}–${CPU_PERCENT.max} | off`,
        description: "Target tracking: the average CPU (%) each pool holds. Scale-in needs both policies to agree.",
        read: (raw, label) => ({ scaleOnCpuPercent: offOr(label, raw, CPU_PERCENT) }),
    },
    {
        key: "appPort",
        default: "80",
        allowed: "1–65535, not 22 or 8000",
        description:
            "Port nginx listens on behind the ALB (the target groups' port); 22 stays closed, and the sample app itself listens on 8000 behind nginx.",
        read: (raw, label) => ({ appPort: appPortValue(label, raw) }),
    },
    {
        key: "allowedCidrs",
        default: '["0.0.0.0/0"]',
        allowed: "list of 1–20 IPv4 CIDRs",
        description: "Who may reach the ALB on 80/443 (YAML list or comma-separated).",
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
        description:
            "Certificate of the HTTPS listener. With neither this nor `domainName`, a self-signed certificate is generated and imported into ACM, so that dev serves TLS too (browsers warn; see [Security](#security)).",
        read: (raw, label) => ({ certificateArn: acmCertificateArn(label, raw) }),
    },
    {
        key: "domainName",
        default: "unset",
        allowed: "DNS name, lowercase, ≤ 64 characters, no trailing dot",
        description:
            "Serve the stack on this domain: an ACM certificate validated by DNS in `hostedZoneId`, an alias A record to the ALB, HSTS on, `url` = `https://<domainName>`. Needs `hostedZoneId`; not with `certificateArn`.",
        read: (raw, label) => ({ domainName: certificateDomainName(label, raw) }),
    },
    {
        key: "hostedZoneId",
        default: "unset",
        allowed: "Route 53 hosted zone id (`Z…`)",
        description:
            "The zone of `domainName`: receives the validation CNAME and the alias record. Only with `domainName`.",
        read: (raw, label) => ({ hostedZoneId: hostedZoneId(label, raw) }),
    },
    {
        key: "sslPolicy",
        default: DEFAULT_TLS_POLICY,
        allowed: "a TLS 1.2+ ELB security policy",
        description:
            "TLS policy of the HTTPS listener; only the TLS 1.3 families with TLS 1.2 minimum are accepted (`components/shared/tlsPolicies.ts`).",
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
        description:
            "Class of the primary and the replicas; Performance Insights is on where the class supports it (not the micro and small T classes).",
        read: (raw, label) => ({ dbInstanceClass: dbInstanceClass(label, raw) }),
    },
    {
        key: "dbAllocatedStorage",
        default: "20",
        allowed: `20–${MAX_ALLOCATED_STORAGE} (GiB)`,
        description: "Initial encrypted gp3 storage; storage autoscaling raises it up to max(100, 2 × this) GiB.",
        read: (raw, label) => ({ dbAllocatedStorage: dbAllocatedStorage(label, raw) }),
    },
    {
        key: "dbEngineVersion",
        default: "8.4",
        allowed: "8.4 | 8.0, or a full version such as 8.4.7",
        description:
            "MySQL version. A major version keeps automatic minor upgrades; a full version pins it. 8.0 is past RDS standard support (31 July 2026) and runs only under the charged Extended Support.",
        read: (raw, label) => ({ dbEngineVersion: dbEngineVersion(label, raw) }),
    },
    {
        key: "dbMultiAz",
        default: "false",
        allowed: "true | false",
        description:
            "A synchronous standby of the primary in another AZ with automatic failover (60–120 s, same endpoint); doubles the primary's price.",
        read: (raw, label) => ({ dbMultiAz: booleanValue(label, raw) }),
    },
    {
        key: "dbBackupRetentionDays",
        default: "7",
        allowed: "1–35",
        description:
            "Days of automated backups and point-in-time recovery; 0 is refused (read replicas need backups on their source).",
        read: (raw, label) => ({ dbBackupRetentionDays: dbBackupRetentionDays(label, raw) }),
    },
    {
        key: "dbDeletionProtection",
        default: "false",
        allowed: "true | false",
        description: "Refuse to delete the primary until turned off (on in production); replicas stay deletable.",
        read: (raw, label) => ({ dbDeletionProtection: booleanValue(label, raw) }),
    },
    {
        key: "failback",
        default: "automatic",
        allowed: FAILBACK_POLICIES.join(" | "),
        description:
            "Active-passive: `automatic` returns traffic to the active group once it has been healthy for `failbackAfterSeconds`; `manual` stays on the failover group until an operator moves it back (see [Failover](#automatic-failover-active-passive)).",
        read: (raw, label) => ({ failback: oneOf(label, raw, FAILBACK_POLICIES) }),
    },
    {
        key: "failbackAfterSeconds",
        default: "300",
        allowed: "0–86400",
        description: "How long the active group must stay healthy before an automatic failback (avoids flapping).",
        read: (raw, label) => ({ failbackAfterSeconds: integerIn(label, raw, 0, 86400) }),
    },
    {
        key: "failoverReservedConcurrency",
        default: "unset",
        allowed: `${RESERVED_CONCURRENCY.min}–${RESERVED_CONCURRENCY.max}`,
        description:
            "Active-passive: reserve this much Lambda concurrency for the failover controller. Not needed (a DynamoDB lease keeps its runs apart); a reservation also needs 100 unreserved executions left in the account, which new accounts (quota 10 or 50) do not have.",
        read: (raw, label) => ({
            failoverReservedConcurrency: integerIn(label, raw, RESERVED_CONCURRENCY.min, RESERVED_CONCURRENCY.max),
        }),
    },
    {
        key: "holdListenerWeights",
        default: "true (active-passive)",
        allowed: "true | false",
        description:
            "The HTTPS listener ignores changes to its default actions (and tags), so `pulumi up` never undoes a failover. Set `false` for the one update that replaces the target groups (e.g. a new `appPort`), then back.",
        read: (raw, label) => ({ holdListenerWeights: booleanValue(label, raw) }),
    },
    {
        key: "waf",
        default: "false",
        allowed: "true | false",
        description:
            "AWS WAF web ACL on the ALB: per-IP rate limit + AWS managed rules (core rule set, known bad inputs), metrics and sampled requests. About $5/month + $1/rule + $0.60 per million requests.",
        read: (raw, label) => ({ waf: booleanValue(label, raw) }),
    },
    {
        key: "wafRateLimit",
        default: String(WAF_RATE_LIMIT.default),
        allowed: `${WAF_RATE_LIMIT.min}–${WAF_RATE_LIMIT.max}`,
        description: "Requests one client IP may send per 5 minutes before WAF blocks it (only with `waf`).",
        read: (raw, label) => ({ wafRateLimit: wafRateLimit(label, raw) }),
    },
    {
        key: "accessLogs",
        default: "true",
        allowed: "true | false",
        description:
            "ALB access logs to a private S3 bucket made for them (SSE-S3, public access blocked, TLS-only, only ELB log delivery may write).",
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
        description:
            "Subscribed by email to the alert topic: every alarm when it fires and when it clears, and every failover. AWS mails a confirmation link first; alerts arrive once it is confirmed.",
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
        description:
            "Refuse to delete the ALB until turned off (on in `Pulumi.prod.yaml`; the database has `dbDeletionProtection`).",
        read: (raw, label) => ({ deletionProtection: booleanValue(label, raw) }),
    },
];

/** A list from config: a YAML list (which Pulumi hands over as JSON) or a comma-separated string. */
/** A number in a range, or `off` (also `false`) for none: 0, as the args hold it. */
function offOr(label: string, raw: string, range: { min: number; max: number }): number {
    if (raw === "off" || raw === "false") return 0;
    try {
        return integerIn(label, raw, range.min, range.max);
    } catch {
        throw invalid(label, raw, `an integer from ${range.min} to ${range.max}, or off`);
    }
}

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

/** Settings that protect: turned off, weakened or set to a value this review does not know; protections removed. */
import type { PlanResource } from "../document";
import { list, Review, show, valueAt, type Inputs, type SecurityFinding } from "./review";

interface Guard {
    readonly type: string;
    /** The input path, dotted (`metadataOptions.httpTokens`, `accessLogs.enabled`). */
    readonly path: string;
    /** The value, when it is not simply the one at `path`. */
    readonly read?: (inputs: Inputs) => unknown;
    /** Whether the value is the protected one. Values the program never set are `undefined`. */
    readonly safe: (value: unknown, inputs: Inputs) => boolean;
    /** Only for resources this holds for (e.g. not a read replica). */
    readonly applies?: (inputs: Inputs) => boolean;
    /** The finding; for a new resource, only guards that say what `added` means report one. */
    readonly words: (before: unknown, after: unknown, added: boolean) => string;
    /** Also report a new resource that is unsafe (exposure, not "turned off": a new dev replica without deletion protection is no change). */
    readonly onAdd?: boolean;
}

const isSource = (i: Inputs) => !i.replicateSourceDb;
const truthy = (v: unknown) => v === true || v === "true";

/** Parameter values MySQL reads as on. */
const ON = new Set(["1", "on", "true"]);

const GUARDS: Guard[] = [
    {
        type: "aws:rds/instance:Instance",
        path: "storageEncrypted",
        applies: isSource,
        onAdd: true,
        safe: (v) => v === true,
        words: (_b, _a, added) =>
            added ? "new database without storage encryption" : "database storage encryption turned off",
    },
    {
        type: "aws:rds/instance:Instance",
        path: "deletionProtection",
        safe: (v) => v === true,
        words: () => "deletion protection turned off on the database",
    },
    {
        type: "aws:rds/instance:Instance",
        path: "publiclyAccessible",
        onAdd: true,
        safe: (v) => v !== true,
        words: (_b, _a, added) =>
            added
                ? "new database reachable from the internet (publiclyAccessible: true)"
                : "database made public (publiclyAccessible: true)",
    },
    {
        type: "aws:rds/instance:Instance",
        path: "backupRetentionPeriod",
        applies: isSource,
        safe: (v) => typeof v === "number" && v > 0,
        words: () => "automated backups turned off (backupRetentionPeriod 0)",
    },
    {
        type: "aws:rds/instance:Instance",
        path: "skipFinalSnapshot",
        applies: isSource,
        safe: (v) => v !== true,
        words: () => "no final snapshot when the database is deleted (skipFinalSnapshot: true)",
    },
    {
        type: "aws:rds/parameterGroup:ParameterGroup",
        path: "parameters.require_secure_transport",
        read: (i) =>
            (list(i.parameters) as Inputs[]).find((p) => String(p?.name).toLowerCase() === "require_secure_transport")
                ?.value,
        safe: (v) => ON.has(String(v).toLowerCase()),
        words: () => "the database no longer requires TLS: clients may connect in plain text",
    },
    {
        type: "aws:lb/loadBalancer:LoadBalancer",
        path: "enableDeletionProtection",
        safe: (v) => v === true,
        words: () => "deletion protection turned off on the load balancer",
    },
    {
        type: "aws:lb/loadBalancer:LoadBalancer",
        path: "dropInvalidHeaderFields",
        safe: (v) => v === true,
        words: () => "the load balancer no longer drops invalid HTTP headers (request smuggling)",
    },
    {
        type: "aws:lb/loadBalancer:LoadBalancer",
        path: "internal",
        safe: (v) => v === true,
        words: (b, _a, added) => (added ? "" : b === true ? "load balancer made internet-facing" : ""),
    },
    {
        type: "aws:lb/loadBalancer:LoadBalancer",
        path: "accessLogs.enabled",
        // The provider's default for `enabled` is true once a bucket is given.
        read: (i) =>
            Boolean(i.accessLogs?.bucket) && i.accessLogs?.enabled !== false && i.accessLogs?.enabled !== "false",
        safe: (v) => v === true,
        words: () => "load balancer access logs turned off",
    },
    {
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        path: "metadataOptions.httpTokens",
        onAdd: true,
        safe: (v) => v === "required",
        words: (_b, _a, added) =>
            added
                ? "new servers allow IMDSv1 (httpTokens not required)"
                : "IMDSv1 allowed on the servers (httpTokens no longer required)",
    },
    {
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        path: "keyName",
        onAdd: true,
        safe: (v) => v === undefined || v === "",
        words: (_b, a) => `SSH key pair ${String(a)} added to the servers`,
    },
    {
        type: "aws:ec2/subnet:Subnet",
        path: "mapPublicIpOnLaunch",
        onAdd: true,
        safe: (v) => !truthy(v),
        words: (_b, _a, added) =>
            added
                ? "new subnet gives every instance launched in it a public IP address"
                : "subnet now gives every instance launched in it a public IP address",
    },
    ...(["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const).map(
        (flag): Guard => ({
            type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            path: flag,
            onAdd: true,
            safe: (v) => v === true,
            words: (_b, _a, added) =>
                added ? `bucket public access not blocked: ${flag} off` : `bucket made public: ${flag} turned off`,
        }),
    ),
];

/** Settings whose values are ordered, strongest last; a value outside the table is "changed, review". */
interface Ranked {
    readonly type: string;
    readonly path: string;
    readonly ranks: Readonly<Record<string, number>>;
    /** What AWS applies when the input is unset. */
    readonly unset?: string;
    readonly what: string;
    readonly words: (before: string, after: string) => string;
}

const RANKED: Ranked[] = [
    {
        // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#desync-mitigation-mode
        type: "aws:lb/loadBalancer:LoadBalancer",
        path: "desyncMitigationMode",
        ranks: { monitor: 0, defensive: 1, strictest: 2 },
        unset: "defensive",
        what: "the load balancer's desync mitigation",
        words: (b, a) => `the load balancer's HTTP desync mitigation weakened from ${b} to ${a} (request smuggling)`,
    },
    {
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
        type: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        path: "rule.objectOwnership",
        ranks: { ObjectWriter: 0, BucketOwnerPreferred: 1, BucketOwnerEnforced: 2 },
        what: "the bucket's object ownership",
        words: (b, a) => `bucket ACLs back in force: object ownership ${b} → ${a} (ACLs can grant access again)`,
    },
    {
        // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html
        type: "aws:ec2/flowLog:FlowLog",
        path: "trafficType",
        ranks: { ACCEPT: 0, REJECT: 0, ALL: 1 },
        what: "the flow log's traffic type",
        words: (b, a) => `VPC flow logs narrowed: they record ${a} traffic only (was ${b})`,
    },
];

export function guardFindings(review: Review): SecurityFinding[] {
    const findings: SecurityFinding[] = [];
    for (const r of review.head) {
        const before = review.before(r);
        const add = (change: string) => findings.push({ resource: r.name, type: r.type, change });
        for (const g of GUARDS.filter((x) => x.type === r.type)) {
            if (g.applies && !g.applies(r.inputs)) continue;
            const read = g.read ?? ((i: Inputs) => valueAt(i, g.path));
            const after = read(r.inputs);
            if (g.safe(after, r.inputs)) continue;
            if (before) {
                const was = read(before.inputs);
                if (!g.safe(was, before.inputs) || (g.applies && !g.applies(before.inputs))) continue;
                const words = g.words(was, after, false);
                if (words) add(`${words} (${g.path}: ${show(was)} → ${show(after)})${review.replacing(r)}`);
            } else if (g.onAdd) {
                const words = g.words(undefined, after, true);
                if (words) add(`${words} (${g.path}: ${show(after)})`);
            }
        }
        if (!before) continue;
        for (const g of RANKED.filter((x) => x.type === r.type)) {
            const value = (i: Inputs) => {
                const v = valueAt(i, g.path);
                return v === undefined || v === null ? g.unset : String(v);
            };
            const [was, now] = [value(before.inputs), value(r.inputs)];
            if (was === now) continue;
            const rank = (v: string | undefined) => (v === undefined ? undefined : g.ranks[v]);
            const [wasRank, nowRank] = [rank(was), rank(now)];
            if (wasRank !== undefined && nowRank !== undefined) {
                if (nowRank < wasRank || (nowRank === wasRank && nowRank < Math.max(...Object.values(g.ranks)))) {
                    // Equal ranks below the top are different partial settings (ACCEPT → REJECT): named too.
                    add(
                        `${g.words(String(was), String(now))} (${g.path}: ${show(was)} → ${show(now)})${review.replacing(r)}`,
                    );
                }
                continue;
            }
            add(
                `${g.what} changed to a value this review does not know, review: ${g.path}: ${show(was)} → ${show(now)}${review.replacing(r)}`,
            );
        }
    }
    return findings;
}

const ROOT_DEVICES = new Set(["/dev/xvda", "/dev/sda1", "/dev/sda", "/dev/nvme0n1"]);

/**
 * Servers: every EBS volume mapping encrypted (matched by device name), no public IP on any
 * network interface, and the IMDS hop limit not raised (one hop keeps containers on the host
 * away from the instance's credentials; unset, the AMI's default applies, which is 2 for AMIs
 * that require IMDSv2, such as Amazon Linux 2023).
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html
 */
export function serverFindings(review: Review): SecurityFinding[] {
    const findings: SecurityFinding[] = [];
    for (const r of review.head.filter((x) => x.type === "aws:ec2/launchTemplate:LaunchTemplate")) {
        const before = review.before(r);
        const add = (change: string) =>
            findings.push({ resource: r.name, type: r.type, change: `${change}${review.replacing(r)}` });
        const mappings = (i: Inputs) => list(i.blockDeviceMappings) as Inputs[];
        const old = before ? mappings(before.inputs) : [];
        mappings(r.inputs).forEach((m, index) => {
            if (!m?.ebs || truthy(m.ebs.encrypted)) return;
            const path = `blockDeviceMappings.${index}.ebs.encrypted`;
            const root = index === 0 && (m.deviceName === undefined || ROOT_DEVICES.has(m.deviceName));
            const device = root ? "root volumes" : `volume ${String(m.deviceName ?? index)}`;
            const was = old.find((o, i) => (m.deviceName === undefined ? i === index : o?.deviceName === m.deviceName));
            if (!before) {
                add(`new servers with unencrypted ${device} (${path}: ${show(m.ebs.encrypted)})`);
            } else if (!was?.ebs) {
                add(`new server ${device} not encrypted (${path}: ${show(m.ebs.encrypted)})`);
            } else if (truthy(was.ebs.encrypted)) {
                add(
                    `server ${device} no longer encrypted (${path}: ${show(was.ebs.encrypted)} → ${show(m.ebs.encrypted)})`,
                );
            }
        });
        const interfaces = (i: Inputs) => list(i.networkInterfaces) as Inputs[];
        interfaces(r.inputs).forEach((n, index) => {
            if (!truthy(n?.associatePublicIpAddress)) return;
            const was = before ? interfaces(before.inputs)[index] : undefined;
            if (before && truthy(was?.associatePublicIpAddress)) return;
            const path = `networkInterfaces.${index}.associatePublicIpAddress`;
            add(
                `servers get public IP addresses (${path}: ${show(was?.associatePublicIpAddress)} → ${show(n.associatePublicIpAddress)})`,
            );
        });
        if (before) {
            const hops = (i: Inputs) => valueAt(i, "metadataOptions.httpPutResponseHopLimit");
            const [was, now] = [hops(before.inputs), hops(r.inputs)];
            const path = `metadataOptions.httpPutResponseHopLimit: ${show(was)} → ${show(now)}`;
            if (typeof was === "number" && typeof now === "number" && now > was) {
                add(`IMDS hop limit raised: containers on the servers can reach the instance credentials (${path})`);
            } else if (was !== undefined && now === undefined) {
                add(
                    `IMDS hop limit no longer set: the AMI's default applies (2 for AMIs that require IMDSv2), review (${path})`,
                );
            }
        }
    }
    return findings;
}

/**
 * Databases and their parameter groups: a database moved to a group that does not require TLS,
 * or to one outside the plan (a default group: not known, so named for review).
 */
export function databaseTlsFindings(review: Review): SecurityFinding[] {
    const requiresTls = (group: PlanResource | undefined) => {
        if (!group) return undefined;
        const p = (list(group.inputs.parameters) as Inputs[]).find(
            (x) => String(x?.name).toLowerCase() === "require_secure_transport",
        );
        return ON.has(String(p?.value).toLowerCase());
    };
    const findings: SecurityFinding[] = [];
    for (const r of review.head.filter((x) => x.type === "aws:rds/instance:Instance")) {
        const before = review.before(r);
        if (!before) continue;
        const [was, now] = [before.inputs.parameterGroupName, r.inputs.parameterGroupName];
        if (review.canon(now, "head") === review.canon(was, "base")) continue;
        if (requiresTls(review.owner(was, "base")) !== true) continue;
        const group = review.owner(now, "head");
        const tls = requiresTls(group);
        if (tls === true) continue;
        const change =
            tls === false
                ? `the database no longer requires TLS: its new parameter group ${review.name(now)} does not set require_secure_transport`
                : `the database moved to parameter group ${show(now)}, which this plan does not define: whether it requires TLS is unknown, review`;
        findings.push({
            resource: r.name,
            type: r.type,
            change: `${change} (parameterGroupName: ${review.name(was)} → ${review.name(now)})`,
        });
    }
    return findings;
}

const PROTECTIONS: Record<string, (r: PlanResource, review: Review) => string> = {
    "aws:wafv2/webAclAssociation:WebAclAssociation": (r, n) => `WAF removed from ${n.name(r.inputs.resourceArn)}`,
    "aws:wafv2/webAcl:WebAcl": () => "WAF web ACL removed",
    "aws:ec2/flowLog:FlowLog": (r, n) => `VPC flow logs turned off for ${n.name(r.inputs.vpcId)}`,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (r, n) =>
        `public access block removed from bucket ${n.name(r.inputs.bucket)}`,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (r, n) =>
        `object ownership controls removed from bucket ${n.name(r.inputs.bucket)} (ACLs are no longer disabled by them)`,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (r, n) =>
        `default encryption removed from bucket ${n.name(r.inputs.bucket)}`,
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": (r, n) =>
        `default encryption removed from bucket ${n.name(r.inputs.bucket)}`,
    "aws:s3/bucketPolicy:BucketPolicy": (r, n) =>
        `bucket policy removed from ${n.name(r.inputs.bucket)} (its TLS-only and access rules go with it)`,
};

/**
 * Protections removed while what they protect stays. A bucket, VPC or load balancer removed as a
 * whole takes its protections with it: that is no weakening of something still there.
 */
export function removedFindings(review: Review): SecurityFinding[] {
    const gone = (r: PlanResource) => !review.headByUrn.has(r.urn) && !review.isReplaced(r);
    const protectsWhatIsGone = (r: PlanResource) => {
        const target = ["bucket", "vpcId", "resourceArn"].map((k) => r.inputs[k]).find((v) => v !== undefined);
        const owner = review.owner(target, "base");
        return owner !== undefined && owner !== r && gone(owner);
    };
    return review.base
        .filter((r) => PROTECTIONS[r.type] && gone(r) && !protectsWhatIsGone(r))
        .map((r) => ({ resource: r.name, type: r.type, change: PROTECTIONS[r.type](r, review) }))
        .filter((f) => f.change !== "");
}

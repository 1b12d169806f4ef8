/**
 * The security-relevant changes between two plans, in plain words: what a reviewer must look at
 * twice. Each finding names the resource and what became weaker: a firewall opened wider or to
 * the internet, a new port, IAM actions or resources widened, encryption, deletion protection or
 * backups turned off, something made public, TLS weakened, a protection (WAF, flow logs, public
 * access block) removed. Changes that tighten things are not listed here (they are in the
 * resource diff).
 */
import { TLS_POLICIES } from "../../components/shared/tlsPolicies";
import type { PlanResource } from "./document";

export interface SecurityFinding {
    /** The resource's logical name. */
    readonly resource: string;
    readonly type: string;
    /** The change in plain words. */
    readonly change: string;
}

type Inputs = Record<string, any>;

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** Names for references (ids, ARNs) in findings: a resource's logical name, not its mock ARN. */
class Names {
    private readonly map = new Map<string, string>();
    constructor(...plans: ReadonlyArray<readonly PlanResource[]>) {
        for (const resources of plans) {
            for (const r of resources) for (const ref of r.refs) if (!this.map.has(ref)) this.map.set(ref, r.name);
        }
    }
    of(v: unknown): string {
        return typeof v === "string" ? (this.map.get(v) ?? v) : JSON.stringify(v);
    }
}

// ---- firewall ----

interface Rule {
    readonly direction: "ingress" | "egress";
    /** The security group the rule belongs to (its reference). */
    readonly group: string;
    readonly protocol: string;
    readonly from: number;
    readonly to: number;
    /** A CIDR, or a security group / prefix list reference. */
    readonly peer: string;
    readonly peerIsCidr: boolean;
    readonly resource: PlanResource;
}

const INTERNET = new Set(["0.0.0.0/0", "::/0"]);

/** Every rule a plan's resources define: standalone rules, legacy `SecurityGroupRule`s and inline rules. */
function rules(resources: readonly PlanResource[]): Rule[] {
    const out: Rule[] = [];
    const add = (
        r: PlanResource,
        direction: Rule["direction"],
        group: unknown,
        x: Inputs,
        peers: Array<[unknown, boolean]>,
    ) => {
        const protocol = String(x.ipProtocol ?? x.protocol ?? "-1");
        const all = protocol === "-1" || protocol === "all";
        for (const [peer, peerIsCidr] of peers) {
            if (typeof peer !== "string") continue;
            out.push({
                direction,
                group: String(group ?? ""),
                protocol: all ? "-1" : protocol,
                from: all ? 0 : Number(x.fromPort ?? 0),
                to: all ? 65535 : Number(x.toPort ?? x.fromPort ?? 0),
                peer,
                peerIsCidr,
                resource: r,
            });
        }
    };
    for (const r of resources) {
        const i = r.inputs as Inputs;
        if (
            r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" ||
            r.type === "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
        ) {
            const direction = r.type.endsWith("IngressRule") ? "ingress" : "egress";
            add(r, direction, i.securityGroupId, i, [
                [i.cidrIpv4, true],
                [i.cidrIpv6, true],
                [i.referencedSecurityGroupId, false],
                [i.prefixListId, false],
            ]);
        } else if (r.type === "aws:ec2/securityGroupRule:SecurityGroupRule") {
            add(r, i.type === "egress" ? "egress" : "ingress", i.securityGroupId, i, [
                ...list(i.cidrBlocks).map((c): [unknown, boolean] => [c, true]),
                ...list(i.ipv6CidrBlocks).map((c): [unknown, boolean] => [c, true]),
                [i.sourceSecurityGroupId, false],
                ...(i.self ? [[i.securityGroupId, false] as [unknown, boolean]] : []),
            ]);
        } else if (
            r.type === "aws:ec2/securityGroup:SecurityGroup" ||
            r.type === "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
        ) {
            const group = r.refs[0] ?? r.name;
            for (const direction of ["ingress", "egress"] as const) {
                for (const x of list(i[direction]) as Inputs[]) {
                    add(r, direction, group, x, [
                        ...list(x.cidrBlocks).map((c): [unknown, boolean] => [c, true]),
                        ...list(x.ipv6CidrBlocks).map((c): [unknown, boolean] => [c, true]),
                        ...list(x.securityGroups).map((c): [unknown, boolean] => [c, false]),
                        ...list(x.prefixListIds).map((c): [unknown, boolean] => [c, false]),
                        ...(x.self ? [[group, false] as [unknown, boolean]] : []),
                    ]);
                }
            }
        }
    }
    return out;
}

function portText(r: Rule): string {
    if (r.protocol === "-1") return "all traffic";
    return `${r.protocol} ${r.from === r.to ? r.from : `${r.from}-${r.to}`}`;
}

const overlaps = (a: Rule, b: Rule) =>
    a.direction === b.direction &&
    a.group === b.group &&
    (a.protocol === b.protocol || a.protocol === "-1" || b.protocol === "-1") &&
    a.from <= b.to &&
    b.from <= a.to;

/** An IPv4 address as a number (NaN when it is not one). */
function ipv4(address: string): number {
    const parts = address.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return NaN;
    return parts.reduce((n, p) => n * 256 + p, 0);
}

/** Whether rule `outer` allows everything `inner` does: its ports and its CIDR. */
function covers(outer: Rule, inner: Rule): boolean {
    if (outer.protocol !== "-1" && outer.protocol !== inner.protocol) return false;
    if (outer.from > inner.from || outer.to < inner.to) return false;
    if (INTERNET.has(outer.peer)) return outer.peer.includes(":") === inner.peer.includes(":");
    const [outerIp, outerBits] = outer.peer.split("/");
    const [innerIp, innerBits] = inner.peer.split("/");
    const bits = Number(outerBits);
    if (Number.isNaN(ipv4(outerIp)) || Number.isNaN(ipv4(innerIp)) || Number(innerBits) < bits) return false;
    const block = 2 ** (32 - bits);
    return Math.floor(ipv4(outerIp) / block) === Math.floor(ipv4(innerIp) / block);
}

/** An IPv4/IPv6 CIDR's prefix length, for "wider than" (NaN when not a CIDR). */
function prefixLength(cidr: string): number {
    return Number(cidr.split("/")[1]);
}

function firewallFindings(
    base: readonly PlanResource[],
    head: readonly PlanResource[],
    names: Names,
): SecurityFinding[] {
    const key = (r: Rule) => `${r.direction}|${r.group}|${r.protocol}|${r.from}|${r.to}|${r.peer}`;
    const before = rules(base);
    const known = new Set(before.map(key));
    const findings: SecurityFinding[] = [];
    for (const rule of rules(head)) {
        if (known.has(key(rule))) continue;
        const group = names.of(rule.group);
        const peer = rule.peerIsCidr
            ? INTERNET.has(rule.peer)
                ? `${rule.peer} (the whole internet)`
                : rule.peer
            : `security group ${names.of(rule.peer)}`;
        const verb =
            rule.direction === "ingress"
                ? `now accepts ${portText(rule)} from ${peer}`
                : `may now send ${portText(rule)} to ${peer}`;
        const samePorts = before.filter((b) => overlaps(b, rule));
        // Already allowed by a rule as wide (0.0.0.0/0 narrowed to 203.0.113.0/24): not a widening.
        if (rule.peerIsCidr && samePorts.some((b) => b.peerIsCidr && covers(b, rule))) continue;
        const was = [
            ...new Set(samePorts.map((b) => (b.peerIsCidr ? b.peer : `security group ${names.of(b.peer)}`))),
        ].join(", ");
        const toInternet = rule.peerIsCidr && INTERNET.has(rule.peer);
        const wider =
            rule.peerIsCidr && samePorts.every((b) => !b.peerIsCidr || prefixLength(rule.peer) < prefixLength(b.peer));
        const kind =
            samePorts.length === 0
                ? toInternet && rule.direction === "ingress"
                    ? "new port open to the internet"
                    : "new port"
                : toInternet
                  ? `${rule.direction} opened to the internet`
                  : `${rule.direction} opened ${wider ? "wider" : "to another source"}`;
        const change = `${kind}: ${group} ${verb}${samePorts.length > 0 ? ` (was ${was})` : ""}`;
        findings.push({ resource: rule.resource.name, type: rule.resource.type, change });
    }
    return findings;
}

// ---- IAM ----

interface Grant {
    readonly holder: string;
    readonly action: string;
    readonly resource: string;
    readonly source: PlanResource;
}

/** The Allow statements of a plan's IAM policies, one grant per (holder, action, resource). */
function grants(resources: readonly PlanResource[], names: Names): Grant[] {
    const out: Grant[] = [];
    for (const r of resources) {
        const i = r.inputs as Inputs;
        let holder: string | undefined;
        let doc: unknown;
        switch (r.type) {
            case "aws:iam/rolePolicy:RolePolicy":
                holder = `role ${names.of(i.role)}`;
                doc = i.policy;
                break;
            case "aws:iam/policy:Policy":
                holder = `policy ${r.name}`;
                doc = i.policy;
                break;
            case "aws:iam/role:Role":
                for (const inline of list(i.inlinePolicies) as Inputs[]) {
                    for (const g of statements(inline.policy)) {
                        for (const action of g.actions)
                            for (const res of g.resources)
                                out.push({ holder: `role ${r.name}`, action, resource: res, source: r });
                    }
                }
                continue;
            case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
                out.push({
                    holder: `role ${names.of(i.role)}`,
                    action: `managed policy ${i.policyArn}`,
                    resource: "",
                    source: r,
                });
                continue;
            default:
                continue;
        }
        for (const g of statements(doc)) {
            for (const action of g.actions)
                for (const res of g.resources) out.push({ holder, action, resource: res, source: r });
        }
    }
    return out;
}

function statements(doc: unknown): Array<{ actions: string[]; resources: string[] }> {
    let parsed = doc;
    if (typeof doc === "string") {
        try {
            parsed = JSON.parse(doc);
        } catch {
            return [];
        }
    }
    const st = list((parsed as Inputs | undefined)?.Statement) as Inputs[];
    return st
        .filter((s) => s.Effect === "Allow")
        .map((s) => ({
            actions: list(s.Action ?? (s.NotAction ? `everything but ${list(s.NotAction).join(",")}` : undefined)).map(
                String,
            ),
            resources: list(
                s.Resource ?? (s.NotResource ? `everything but ${list(s.NotResource).join(",")}` : undefined),
            ).map(String),
        }));
}

function iamFindings(base: readonly PlanResource[], head: readonly PlanResource[], names: Names): SecurityFinding[] {
    const key = (g: Grant) => `${g.holder}|${g.action}|${g.resource}`;
    const known = new Set(grants(base, names).map(key));
    // One finding per (policy resource, action set), listing its new resources.
    const widened = new Map<
        string,
        { source: PlanResource; holder: string; actions: Set<string>; resources: Set<string> }
    >();
    for (const g of grants(head, names)) {
        if (known.has(key(g))) continue;
        const id = `${g.source.urn}|${g.resource}`;
        const entry = widened.get(id) ?? {
            source: g.source,
            holder: g.holder,
            actions: new Set(),
            resources: new Set(),
        };
        entry.actions.add(g.action);
        if (g.resource !== "") entry.resources.add(g.resource === "*" ? "* (any resource)" : names.of(g.resource));
        widened.set(id, entry);
    }
    // Merge entries of the same policy and action set.
    const merged = new Map<
        string,
        { source: PlanResource; holder: string; actions: string[]; resources: Set<string> }
    >();
    for (const e of widened.values()) {
        const actions = [...e.actions].sort();
        const id = `${e.source.urn}|${actions.join(",")}`;
        const m = merged.get(id) ?? { source: e.source, holder: e.holder, actions, resources: new Set<string>() };
        e.resources.forEach((x) => m.resources.add(x));
        merged.set(id, m);
    }
    return [...merged.values()].map((m) => ({
        resource: m.source.name,
        type: m.source.type,
        change:
            m.resources.size === 0
                ? `IAM widened: ${m.holder} gets ${m.actions.join(", ")}`
                : `IAM widened: ${m.holder} may now ${m.actions.join(", ")} on ${[...m.resources].sort().join(", ")}`,
    }));
}

// ---- settings that protect ----

interface Guard {
    readonly type: string;
    /** The input path, dotted (`metadataOptions.httpTokens`, `blockDeviceMappings.0.ebs.encrypted`). */
    readonly path: string;
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
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        path: "blockDeviceMappings.0.ebs.encrypted",
        onAdd: true,
        safe: (v) => v === true || v === "true",
        words: (_b, _a, added) =>
            added ? "new servers with unencrypted root volumes" : "server root volumes no longer encrypted",
    },
    {
        type: "aws:ec2/launchTemplate:LaunchTemplate",
        path: "networkInterfaces.0.associatePublicIpAddress",
        onAdd: true,
        safe: (v) => v !== true && v !== "true",
        words: () => "servers get public IP addresses",
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

function valueAt(inputs: Inputs, path: string): unknown {
    return path
        .split(".")
        .reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Inputs)[k] : undefined), inputs);
}

function guardFindings(base: ReadonlyMap<string, PlanResource>, head: readonly PlanResource[]): SecurityFinding[] {
    const findings: SecurityFinding[] = [];
    for (const r of head) {
        const before = base.get(r.urn);
        for (const g of GUARDS.filter((x) => x.type === r.type)) {
            if (g.applies && !g.applies(r.inputs)) continue;
            const after = valueAt(r.inputs, g.path);
            if (g.safe(after, r.inputs)) continue;
            if (before) {
                const was = valueAt(before.inputs, g.path);
                if (!g.safe(was, before.inputs) || (g.applies && !g.applies(before.inputs))) continue;
                const words = g.words(was, after, false);
                if (words)
                    findings.push({
                        resource: r.name,
                        type: r.type,
                        change: `${words} (${g.path}: ${show(was)} → ${show(after)})`,
                    });
            } else if (g.onAdd) {
                const words = g.words(undefined, after, true);
                if (words)
                    findings.push({ resource: r.name, type: r.type, change: `${words} (${g.path}: ${show(after)})` });
            }
        }
    }
    return findings;
}

function show(v: unknown): string {
    return v === undefined ? "unset" : JSON.stringify(v);
}

// ---- TLS ----

/** A listener's TLS: the allow-listed policy's minimum version, or "weak" for one outside the list. */
function tlsRank(policy: unknown): { allowed: boolean; min: number; restricted: boolean; fips: boolean } {
    const p = String(policy ?? "");
    return {
        allowed: (TLS_POLICIES as readonly string[]).includes(p),
        min: /TLS13-1-3/.test(p) ? 1.3 : 1.2,
        restricted: /-Res-/.test(p),
        fips: /FIPS/.test(p),
    };
}

function tlsFindings(base: ReadonlyMap<string, PlanResource>, head: readonly PlanResource[]): SecurityFinding[] {
    const findings: SecurityFinding[] = [];
    for (const r of head.filter(
        (x) => x.type === "aws:lb/listener:Listener" || x.type === "aws:alb/listener:Listener",
    )) {
        const before = base.get(r.urn);
        const i = r.inputs as Inputs;
        const add = (change: string) => findings.push({ resource: r.name, type: r.type, change });
        const wasTls = before && ["HTTPS", "TLS"].includes(String(before.inputs.protocol));
        const isTls = ["HTTPS", "TLS"].includes(String(i.protocol));
        const forwardsPlain = !isTls && (list(i.defaultActions) as Inputs[]).some((a) => a.type !== "redirect");
        if (wasTls && !isTls) {
            add(`TLS removed: the listener on :${i.port} now speaks ${i.protocol} (was ${before.inputs.protocol})`);
            continue;
        }
        if (forwardsPlain) {
            const wasPlain =
                before &&
                !wasTls &&
                (list(before.inputs.defaultActions) as Inputs[]).some((a) => a.type !== "redirect");
            if (!wasPlain)
                add(`plain HTTP served: the ${i.protocol} listener on :${i.port} no longer only redirects to HTTPS`);
            continue;
        }
        if (!isTls || !before || !wasTls || before.inputs.sslPolicy === i.sslPolicy) {
            if (isTls && !before && !tlsRank(i.sslPolicy).allowed)
                add(`new TLS listener with a weak policy ${show(i.sslPolicy)} (TLS below 1.2 or weak ciphers)`);
            continue;
        }
        const was = tlsRank(before.inputs.sslPolicy);
        const now = tlsRank(i.sslPolicy);
        const weaker: string[] = [];
        if (was.allowed && !now.allowed) weaker.push("allows TLS below 1.2 or ciphers without forward secrecy");
        else if (now.min < was.min) weaker.push(`minimum TLS ${was.min} → ${now.min}`);
        if (was.restricted && !now.restricted) weaker.push("no longer the restricted cipher list");
        if (was.fips && !now.fips) weaker.push("no longer FIPS");
        if (weaker.length > 0)
            add(`TLS policy weakened: ${before.inputs.sslPolicy} → ${i.sslPolicy} (${weaker.join("; ")})`);
    }
    return findings;
}

// ---- protections removed ----

const PROTECTIONS: Record<string, (r: PlanResource, names: Names) => string> = {
    "aws:wafv2/webAclAssociation:WebAclAssociation": (r, n) => `WAF removed from ${n.of(r.inputs.resourceArn)}`,
    "aws:wafv2/webAcl:WebAcl": () => "WAF web ACL removed",
    "aws:ec2/flowLog:FlowLog": (r, n) => `VPC flow logs turned off for ${n.of(r.inputs.vpcId)}`,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (r, n) =>
        `public access block removed from bucket ${n.of(r.inputs.bucket)}`,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (r, n) =>
        `default encryption removed from bucket ${n.of(r.inputs.bucket)}`,
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": (r, n) =>
        `default encryption removed from bucket ${n.of(r.inputs.bucket)}`,
    "aws:s3/bucketPolicy:BucketPolicy": (r, n) =>
        `bucket policy removed from ${n.of(r.inputs.bucket)} (its TLS-only and access rules go with it)`,
};

function removedFindings(
    base: readonly PlanResource[],
    head: ReadonlyMap<string, PlanResource>,
    names: Names,
): SecurityFinding[] {
    return base
        .filter((r) => !head.has(r.urn) && PROTECTIONS[r.type])
        .map((r) => ({ resource: r.name, type: r.type, change: PROTECTIONS[r.type](r, names) }))
        .filter((f) => f.change !== "");
}

/** The security-relevant changes from `base` to `head`, most serious kinds first. */
export function securityChanges(base: readonly PlanResource[], head: readonly PlanResource[]): SecurityFinding[] {
    const names = new Names(head, base);
    const baseByUrn = new Map(base.map((r) => [r.urn, r]));
    const headByUrn = new Map(head.map((r) => [r.urn, r]));
    return [
        ...firewallFindings(base, head, names),
        ...iamFindings(base, head, names),
        ...guardFindings(baseByUrn, head),
        ...tlsFindings(baseByUrn, head),
        ...removedFindings(base, headByUrn, names),
    ];
}

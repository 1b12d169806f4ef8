/**
 * The security-relevant changes between two plans, in plain words: what a reviewer must look at
 * twice. Each finding names the resource and what became weaker: a firewall opened wider or to
 * the internet, a new port, a security group newly attached; IAM, trust and resource policies
 * widened, a Deny removed or a condition loosened; encryption, deletion protection, backups, TLS
 * to the database, access logs or flow logs turned off or narrowed; something made public (a
 * database, a bucket, a subnet, a route to the internet gateway); TLS weakened; a protection
 * (WAF, flow logs, public access block) removed. Changes that tighten things are not listed here
 * (they are in the resource diff); a value this review does not know is named "review", never
 * assumed safe.
 *
 * A guarded resource removed and another of the same type added in its place (a rename, so a
 * replacement) is compared with the one it replaces, so a weakening cannot hide behind a new name.
 */
import type { PlanResource } from "./document";
import {
    conditionsLost,
    conditionText,
    dimensionText,
    grantCovers,
    grantsOf,
    principalText,
    statementsOf,
    type Condition,
    type Dimension,
    type Grant,
    type Statement,
} from "./policyDocuments";
import { TLS_POLICIES } from "../../components/shared/tlsPolicies";

export interface SecurityFinding {
    /** The resource's logical name. */
    readonly resource: string;
    readonly type: string;
    /** The change in plain words. */
    readonly change: string;
}

type Inputs = Record<string, any>;
type Side = "base" | "head";

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

const isArnPrefix = (ref: string, value: string) =>
    ref.startsWith("arn:") && value.length > ref.length && value.startsWith(ref) && "/:".includes(value[ref.length]);

/** Both plans, with what lets one compare them: references by name, and replacements paired. */
class Review {
    readonly baseByUrn: ReadonlyMap<string, PlanResource>;
    readonly headByUrn: ReadonlyMap<string, PlanResource>;
    /** Head resource URN → the base resource it replaces (same type, a new name). */
    readonly replaces = new Map<string, PlanResource>();
    private readonly replaced = new Set<string>();
    /** A replacement's references → the replaced resource's (its id, ARN, name). */
    private readonly alias = new Map<string, string>();
    private readonly arnAliases: Array<[string, string]> = [];
    private readonly owners: Record<Side, Map<string, PlanResource>> = { base: new Map(), head: new Map() };
    private readonly names = new Map<string, string>();
    private readonly arnNames: Array<[string, string]> = [];

    constructor(
        readonly base: readonly PlanResource[],
        readonly head: readonly PlanResource[],
    ) {
        this.baseByUrn = new Map(base.map((r) => [r.urn, r]));
        this.headByUrn = new Map(head.map((r) => [r.urn, r]));
        for (const [side, resources] of [
            ["head", head],
            ["base", base],
        ] as const) {
            for (const r of resources) {
                for (const ref of r.refs) {
                    if (!this.owners[side].has(ref)) this.owners[side].set(ref, r);
                    if (!this.names.has(ref)) {
                        this.names.set(ref, r.name);
                        if (ref.startsWith("arn:")) this.arnNames.push([ref, r.name]);
                    }
                }
            }
        }
        pairReplacements(this);
    }

    /** Records `head` as the replacement of `base`. */
    pair(head: PlanResource, base: PlanResource): void {
        this.replaces.set(head.urn, base);
        this.replaced.add(base.urn);
        head.refs.forEach((ref, i) => {
            const to = base.refs[i];
            if (to === undefined || this.alias.has(ref)) return;
            this.alias.set(ref, to);
            if (ref.startsWith("arn:")) this.arnAliases.push([ref, to]);
        });
    }

    isReplaced(base: PlanResource): boolean {
        return this.replaced.has(base.urn);
    }

    /** The base resource a head resource is compared with: the same URN, or the one it replaces. */
    before(r: PlanResource): PlanResource | undefined {
        return this.baseByUrn.get(r.urn) ?? this.replaces.get(r.urn);
    }

    /** A reference as the base plan spells it (a replacement's id or ARN becomes the replaced one's). */
    canon(v: unknown, side: Side): string {
        const s = typeof v === "string" ? v : JSON.stringify(v ?? null);
        if (side === "base") return s;
        const exact = this.alias.get(s);
        if (exact !== undefined) return exact;
        const prefix = this.arnAliases.find(([from]) => isArnPrefix(from, s));
        return prefix ? prefix[1] + s.slice(prefix[0].length) : s;
    }

    /** The resource a reference points at, in one plan. */
    owner(v: unknown, side: Side): PlanResource | undefined {
        return typeof v === "string" ? this.owners[side].get(v) : undefined;
    }

    /** A reference as the name of the resource it points at (`bucket-x/*` for an object ARN). */
    name(v: unknown): string {
        if (typeof v !== "string") return JSON.stringify(v);
        const exact = this.names.get(v);
        if (exact !== undefined) return exact;
        const prefix = this.arnNames.find(([ref]) => isArnPrefix(ref, v));
        return prefix ? prefix[1] + v.slice(prefix[0].length) : v;
    }

    /** " (replaces X)" for a replacement, "" otherwise. */
    replacing(r: PlanResource): string {
        const old = this.replaces.get(r.urn);
        return old ? ` (replaces ${old.name})` : "";
    }
}

// ---- replacements ----

/** The input that ties a resource to the one it belongs to: a replacement must keep it. */
const TARGET: Record<string, string> = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "securityGroupId",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "securityGroupId",
    "aws:ec2/flowLog:FlowLog": "vpcId",
    "aws:ec2/routeTable:RouteTable": "vpcId",
    "aws:ec2/subnet:Subnet": "vpcId",
    "aws:ec2/securityGroup:SecurityGroup": "vpcId",
    "aws:iam/rolePolicy:RolePolicy": "role",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "role",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "bucket",
    "aws:sns/topicPolicy:TopicPolicy": "arn",
    "aws:lambda/permission:Permission": "function",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "resourceArn",
};

/** The types this review reads by resource (firewall rules are compared by content instead). */
const PAIRED = new Set([
    ...Object.keys(TARGET).filter((t) => !t.startsWith("aws:vpc/")),
    "aws:rds/instance:Instance",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/listener:Listener",
    "aws:alb/listener:Listener",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:s3/bucket:Bucket",
    "aws:sns/topic:Topic",
    "aws:wafv2/webAcl:WebAcl",
]);

const tokens = (name: string) => new Set(name.toLowerCase().split(/[^a-z0-9]+|(?<=[a-z])(?=[0-9])/));

/** How alike two resources of one type are: their names' words and their inputs (0..2). */
function likeness(a: PlanResource, b: PlanResource): number {
    const [x, y] = [tokens(a.name), tokens(b.name)];
    const shared = [...x].filter((t) => y.has(t)).length;
    const keys = [...new Set([...Object.keys(a.inputs), ...Object.keys(b.inputs)])].filter((k) => k !== "tags");
    const same = keys.filter((k) => JSON.stringify(a.inputs[k]) === JSON.stringify(b.inputs[k])).length;
    return shared / (x.size + y.size - shared) + (keys.length === 0 ? 0 : same / keys.length);
}

/** Whether two resources can play the same role: a primary is not a replica, a rule stays on its group. */
function sameRole(review: Review, added: PlanResource, removed: PlanResource): boolean {
    if (added.type === "aws:rds/instance:Instance") {
        return Boolean(added.inputs.replicateSourceDb) === Boolean(removed.inputs.replicateSourceDb);
    }
    const target = TARGET[added.type];
    return target === undefined || review.canon(added.inputs[target], "head") === String(removed.inputs[target]);
}

/**
 * Pairs each removed guarded resource with the most alike added one of its type, greedily; the
 * resources others belong to first (a bucket before its policy), so a renamed bucket's policy
 * pairs with the old bucket's.
 */
function pairReplacements(review: Review): void {
    const removed = review.base.filter((r) => r.custom && PAIRED.has(r.type) && !review.headByUrn.has(r.urn));
    const added = review.head.filter((r) => r.custom && PAIRED.has(r.type) && !review.baseByUrn.has(r.urn));
    for (const round of [false, true]) {
        const candidates: Array<[number, PlanResource, PlanResource]> = [];
        for (const a of added.filter((r) => (TARGET[r.type] !== undefined) === round)) {
            for (const b of removed.filter((r) => r.type === a.type)) {
                if (sameRole(review, a, b)) candidates.push([likeness(a, b), a, b]);
            }
        }
        candidates.sort((p, q) => q[0] - p[0] || p[1].name.localeCompare(q[1].name));
        const used = new Set<string>();
        for (const [score, a, b] of candidates) {
            if (score <= 0 || used.has(a.urn) || used.has(b.urn)) continue;
            used.add(a.urn).add(b.urn);
            review.pair(a, b);
        }
    }
}

// ---- firewall ----

type PeerKind = "cidr" | "group" | "prefix list";

interface Rule {
    readonly direction: "ingress" | "egress";
    /** The security group the rule belongs to, as the base plan names it. */
    readonly group: string;
    /** The group's reference as written (for its name). */
    readonly groupRef: string;
    readonly protocol: string;
    readonly from: number;
    readonly to: number;
    /** A CIDR, or a security group / prefix list reference (as the base plan names it). */
    readonly peer: string;
    readonly peerRef: string;
    readonly peerKind: PeerKind;
    readonly resource: PlanResource;
}

const INTERNET = new Set(["0.0.0.0/0", "::/0"]);

/** IANA protocol numbers as EC2 names them; `-1` and `all` are all protocols. */
const PROTOCOL_NAMES: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", all: "-1" };

function protocolName(v: unknown): string {
    const p = String(v ?? "-1").toLowerCase();
    return PROTOCOL_NAMES[p] ?? p;
}

/** Every rule a plan's resources define: standalone rules, legacy `SecurityGroupRule`s and inline rules. */
function rules(review: Review, side: Side): Rule[] {
    const out: Rule[] = [];
    const add = (
        r: PlanResource,
        direction: Rule["direction"],
        group: unknown,
        x: Inputs,
        peers: Array<[unknown, PeerKind]>,
    ) => {
        const protocol = protocolName(x.ipProtocol ?? x.protocol);
        const all = protocol === "-1";
        const from = Number(x.fromPort ?? 0);
        // ICMP's "ports" are its type and code; -1 is every type.
        const anyType = !["tcp", "udp"].includes(protocol) && from === -1;
        for (const [peer, peerKind] of peers) {
            if (typeof peer !== "string") continue;
            out.push({
                direction,
                group: review.canon(group ?? "", side),
                groupRef: String(group ?? ""),
                protocol,
                from: all || anyType ? 0 : from,
                to: all || anyType ? 65535 : Number(x.toPort ?? x.fromPort ?? 0),
                peer: peerKind === "cidr" ? peer : review.canon(peer, side),
                peerRef: peer,
                peerKind,
                resource: r,
            });
        }
    };
    for (const r of side === "base" ? review.base : review.head) {
        const i = r.inputs as Inputs;
        if (
            r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" ||
            r.type === "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
        ) {
            const direction = r.type.endsWith("IngressRule") ? "ingress" : "egress";
            add(r, direction, i.securityGroupId, i, [
                [i.cidrIpv4, "cidr"],
                [i.cidrIpv6, "cidr"],
                [i.referencedSecurityGroupId, "group"],
                [i.prefixListId, "prefix list"],
            ]);
        } else if (r.type === "aws:ec2/securityGroupRule:SecurityGroupRule") {
            add(r, i.type === "egress" ? "egress" : "ingress", i.securityGroupId, i, [
                ...list(i.cidrBlocks).map((c): [unknown, PeerKind] => [c, "cidr"]),
                ...list(i.ipv6CidrBlocks).map((c): [unknown, PeerKind] => [c, "cidr"]),
                ...list(i.prefixListIds).map((c): [unknown, PeerKind] => [c, "prefix list"]),
                [i.sourceSecurityGroupId, "group"],
                ...(i.self ? [[i.securityGroupId, "group"] as [unknown, PeerKind]] : []),
            ]);
        } else if (
            r.type === "aws:ec2/securityGroup:SecurityGroup" ||
            r.type === "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
        ) {
            const group = r.refs[0] ?? r.name;
            for (const direction of ["ingress", "egress"] as const) {
                for (const x of list(i[direction]) as Inputs[]) {
                    add(r, direction, group, x, [
                        ...list(x.cidrBlocks).map((c): [unknown, PeerKind] => [c, "cidr"]),
                        ...list(x.ipv6CidrBlocks).map((c): [unknown, PeerKind] => [c, "cidr"]),
                        ...list(x.securityGroups).map((c): [unknown, PeerKind] => [c, "group"]),
                        ...list(x.prefixListIds).map((c): [unknown, PeerKind] => [c, "prefix list"]),
                        ...(x.self ? [[group, "group"] as [unknown, PeerKind]] : []),
                    ]);
                }
            }
        }
    }
    return out;
}

function portText(r: Rule): string {
    if (r.protocol === "-1") return "all traffic";
    if (!["tcp", "udp"].includes(r.protocol) && r.from === 0 && r.to === 65535) return `${r.protocol} (all types)`;
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

/** Whether CIDR `outer` contains CIDR `inner` (IPv4, or either internet). */
function cidrCovers(outer: string, inner: string): boolean {
    if (INTERNET.has(outer)) return outer.includes(":") === inner.includes(":");
    const [outerIp, outerBits] = outer.split("/");
    const [innerIp, innerBits] = inner.split("/");
    const bits = Number(outerBits);
    if (Number.isNaN(ipv4(outerIp)) || Number.isNaN(ipv4(innerIp)) || Number(innerBits) < bits) return false;
    const block = 2 ** (32 - bits);
    return Math.floor(ipv4(outerIp) / block) === Math.floor(ipv4(innerIp) / block);
}

/** The CIDR of the VPC a security group is in, when the plan has both. */
function groupVpcCidr(review: Review, groupRef: string): string | undefined {
    const group = review.owner(groupRef, "head");
    const vpc = group ? review.owner(group.inputs.vpcId, "head") : undefined;
    return typeof vpc?.inputs.cidrBlock === "string" ? vpc.inputs.cidrBlock : undefined;
}

/**
 * Whether rule `outer` (base) allows everything `inner` (head) does: its ports and its peer. A
 * security group's members sit in its VPC, so a CIDR holding the VPC covers the group; a prefix
 * list may hold any address, so only the whole internet (both families) covers it.
 */
function covers(review: Review, outer: Rule, inner: Rule, others: readonly Rule[]): boolean {
    if (outer.protocol !== "-1" && outer.protocol !== inner.protocol) return false;
    if (outer.from > inner.from || outer.to < inner.to) return false;
    if (outer.peerKind !== "cidr") return outer.peerKind === inner.peerKind && outer.peer === inner.peer;
    if (inner.peerKind === "cidr") return cidrCovers(outer.peer, inner.peer);
    if (inner.peerKind === "group") {
        if (outer.peer === "0.0.0.0/0") return true;
        const vpc = groupVpcCidr(review, inner.peerRef);
        return vpc !== undefined && cidrCovers(outer.peer, vpc);
    }
    const wide = (cidr: string) =>
        others.some(
            (o) =>
                o.peer === cidr &&
                (o.protocol === "-1" || o.protocol === inner.protocol) &&
                o.from <= inner.from &&
                o.to >= inner.to,
        );
    return wide("0.0.0.0/0") && wide("::/0");
}

/** An IPv4/IPv6 CIDR's prefix length, for "wider than" (NaN when not a CIDR). */
function prefixLength(cidr: string): number {
    return Number(cidr.split("/")[1]);
}

function peerText(review: Review, kind: PeerKind, ref: string): string {
    if (kind === "cidr") return INTERNET.has(ref) ? `${ref} (the whole internet)` : ref;
    if (kind === "group") return `security group ${review.name(ref)}`;
    const list = review.owner(ref, "head") ?? review.owner(ref, "base");
    const label =
        typeof list?.inputs.name === "string" ? `${list.inputs.name} (${review.name(ref)})` : review.name(ref);
    return `prefix list ${label}`;
}

function firewallFindings(review: Review): SecurityFinding[] {
    const key = (r: Rule) => `${r.direction}|${r.group}|${r.protocol}|${r.from}|${r.to}|${r.peer}`;
    const before = rules(review, "base");
    const known = new Set(before.map(key));
    const findings: SecurityFinding[] = [];
    for (const rule of rules(review, "head")) {
        if (known.has(key(rule))) continue;
        const samePorts = before.filter((b) => overlaps(b, rule));
        // Already allowed by a rule as wide (0.0.0.0/0 narrowed to 203.0.113.0/24, or to a group): not a widening.
        if (samePorts.some((b) => covers(review, b, rule, samePorts))) continue;
        const group = review.name(rule.groupRef);
        const peer = peerText(review, rule.peerKind, rule.peerRef);
        const verb =
            rule.direction === "ingress"
                ? `now accepts ${portText(rule)} from ${peer}`
                : `may now send ${portText(rule)} to ${peer}`;
        const was = [
            ...new Set(
                samePorts.map((b) => (b.peerKind === "cidr" ? b.peer : peerText(review, b.peerKind, b.peerRef))),
            ),
        ].join(", ");
        const isCidr = rule.peerKind === "cidr";
        const toInternet = isCidr && INTERNET.has(rule.peer);
        const wider =
            isCidr && samePorts.every((b) => b.peerKind !== "cidr" || prefixLength(rule.peer) < prefixLength(b.peer));
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

/** The security groups of the database, the servers and the load balancer: one newly attached is named. */
const ATTACHED_GROUPS: Record<string, { what: string; groups: (i: Inputs) => unknown[] }> = {
    "aws:rds/instance:Instance": { what: "database", groups: (i) => list(i.vpcSecurityGroupIds) },
    "aws:ec2/launchTemplate:LaunchTemplate": {
        what: "servers of launch template",
        groups: (i) => [
            ...list(i.vpcSecurityGroupIds),
            ...list(i.securityGroupNames),
            ...(list(i.networkInterfaces) as Inputs[]).flatMap((n) => list(n?.securityGroups)),
        ],
    },
    "aws:lb/loadBalancer:LoadBalancer": { what: "load balancer", groups: (i) => list(i.securityGroups) },
};

function attachmentFindings(review: Review): SecurityFinding[] {
    const findings: SecurityFinding[] = [];
    for (const r of review.head) {
        const kind = ATTACHED_GROUPS[r.type];
        const before = review.before(r);
        if (!kind || !before) continue;
        const had = new Set(kind.groups(before.inputs).map((g) => review.canon(g, "base")));
        for (const g of kind.groups(r.inputs)) {
            if (had.has(review.canon(g, "head"))) continue;
            findings.push({
                resource: r.name,
                type: r.type,
                change: `security group ${review.name(g)} newly attached to the ${kind.what} ${r.name}: its rules now apply there${review.replacing(r)}`,
            });
        }
    }
    return findings;
}

// ---- IAM, trust and resource policies ----

type PolicyKind = "identity" | "trust" | "resource";

interface PolicySource {
    readonly resource: PlanResource;
    readonly kind: PolicyKind;
    /** Whose policy this is, as the base plan names it (`role|<ref>`, `bucket|<ref>`). */
    readonly holder: string;
    /** Whose policy, in words: `role app-role`, `bucket policy of logs`. */
    readonly subject: string;
    readonly statements: Statement[];
}

/** Resource policies: the type, the input holding the document, the input naming what it protects. */
const RESOURCE_POLICIES: Record<string, { policy: string; of?: string; words: string }> = {
    "aws:s3/bucketPolicy:BucketPolicy": { policy: "policy", of: "bucket", words: "bucket policy of" },
    "aws:s3/bucket:Bucket": { policy: "policy", words: "bucket policy of" },
    "aws:sns/topicPolicy:TopicPolicy": { policy: "policy", of: "arn", words: "topic policy of" },
    "aws:sns/topic:Topic": { policy: "policy", words: "topic policy of" },
    "aws:sqs/queuePolicy:QueuePolicy": { policy: "policy", of: "queueUrl", words: "queue policy of" },
    "aws:sqs/queue:Queue": { policy: "policy", words: "queue policy of" },
    "aws:kms/key:Key": { policy: "policy", words: "key policy of" },
    "aws:secretsmanager/secretPolicy:SecretPolicy": { policy: "policy", of: "secretArn", words: "secret policy of" },
};

const IDENTITY_POLICIES: Record<string, { policy: string; of?: string; words: string }> = {
    "aws:iam/rolePolicy:RolePolicy": { policy: "policy", of: "role", words: "role" },
    "aws:iam/userPolicy:UserPolicy": { policy: "policy", of: "user", words: "user" },
    "aws:iam/groupPolicy:GroupPolicy": { policy: "policy", of: "group", words: "group" },
    "aws:iam/policy:Policy": { policy: "policy", words: "policy" },
};

/** The holder key of the resource a reference points at (a replacement keyed as the replaced one). */
function holderKey(review: Review, side: Side, ref: unknown, self?: PlanResource): string {
    const owner = self ?? review.owner(ref, side);
    if (!owner) return `ref|${review.canon(ref, side)}`;
    const base = side === "head" ? (review.before(owner) ?? owner) : owner;
    return `urn|${base.urn}`;
}

/** A Lambda permission as the statement of the function's resource policy that it is. */
function permissionStatement(i: Inputs): Statement {
    const principal = String(i.principal ?? "");
    const item =
        principal === "*"
            ? "*"
            : /^\d{12}$/.test(principal)
              ? `AWS:arn:aws:iam::${principal}:root`
              : principal.startsWith("arn:")
                ? `AWS:${principal}`
                : `Service:${principal.toLowerCase()}`;
    const conditions: Condition[] = [
        ...(i.sourceArn ? [{ operator: "ArnLike", key: "aws:sourcearn", values: [String(i.sourceArn)] }] : []),
        ...(i.sourceAccount
            ? [{ operator: "StringEquals", key: "aws:sourceaccount", values: [String(i.sourceAccount)] }]
            : []),
        ...(i.principalOrgId
            ? [{ operator: "StringEquals", key: "aws:principalorgid", values: [String(i.principalOrgId)] }]
            : []),
        ...(i.functionUrlAuthType
            ? [{ operator: "StringEquals", key: "lambda:functionurlauthtype", values: [String(i.functionUrlAuthType)] }]
            : []),
    ];
    const target = i.qualifier ? `${String(i.function)}:${String(i.qualifier)}` : String(i.function);
    return {
        index: 0,
        effect: "Allow",
        principals: [{ not: false, item }],
        actions: [{ not: false, item: String(i.action ?? "") }],
        resources: [{ not: false, item: target }],
        conditions,
    };
}

/** Every policy document of a plan, with whose it is. */
function policySources(review: Review, side: Side): PolicySource[] {
    const out: PolicySource[] = [];
    for (const r of side === "base" ? review.base : review.head) {
        const i = r.inputs as Inputs;
        const identity = IDENTITY_POLICIES[r.type];
        const resource = RESOURCE_POLICIES[r.type];
        for (const [kind, spec] of [
            ["identity", identity],
            ["resource", resource],
        ] as const) {
            if (!spec || i[spec.policy] === undefined) continue;
            const of = spec.of ? i[spec.of] : undefined;
            out.push({
                resource: r,
                kind,
                holder: `${spec.words}|${holderKey(review, side, of, spec.of ? undefined : r)}`,
                subject: `${spec.words} ${spec.of ? review.name(of) : r.name}`,
                statements: statementsOf(i[spec.policy], kind === "identity"),
            });
        }
        if (r.type === "aws:iam/role:Role") {
            const holder = `role|${holderKey(review, side, undefined, r)}`;
            for (const inline of list(i.inlinePolicies) as Inputs[]) {
                out.push({
                    resource: r,
                    kind: "identity",
                    holder,
                    subject: `role ${r.name}`,
                    statements: statementsOf(inline?.policy, true),
                });
            }
            if (i.assumeRolePolicy !== undefined) {
                out.push({
                    resource: r,
                    kind: "trust",
                    holder: `trust|${holderKey(review, side, undefined, r)}`,
                    subject: `trust policy of role ${r.name}`,
                    statements: statementsOf(i.assumeRolePolicy, false),
                });
            }
        }
        if (r.type === "aws:lambda/permission:Permission") {
            out.push({
                resource: r,
                kind: "resource",
                holder: `function|${holderKey(review, side, i.function)}`,
                subject: `function ${review.name(i.function)}`,
                statements: [permissionStatement(i)],
            });
        }
    }
    return out;
}

/** A grant as the base plan spells it (matched on that), and as written (named from that). */
interface HeldGrant {
    readonly grant: Grant;
    readonly raw: Grant;
    readonly source: PolicySource;
}

function heldGrants(review: Review, sources: readonly PolicySource[], effect: "Allow" | "Deny", side: Side) {
    const dim = (d: Dimension): Dimension =>
        d.not
            ? { not: true, items: d.items.map((x) => review.canon(x, side)) }
            : { not: false, item: review.canon(d.item, side) };
    const map = new Map<string, HeldGrant[]>();
    for (const source of sources) {
        for (const raw of grantsOf(source.statements.filter((st) => st.effect === effect))) {
            const grant = { ...raw, principal: dim(raw.principal), resource: dim(raw.resource) };
            map.set(source.holder, [...(map.get(source.holder) ?? []), { grant, raw, source }]);
        }
    }
    return map;
}

const PREFIX: Record<PolicyKind, string> = { identity: "IAM", trust: "trust policy", resource: "resource policy" };

const actionText = (d: Dimension) => (d.not ? `everything but ${d.items.join(",")}` : d.item);

interface Entry {
    readonly source: PolicySource;
    readonly principal: string;
    readonly actions: Set<string>;
    readonly resources: Set<string>;
    /** What follows the grant: its conditions, or the conditions it lost. */
    readonly detail: string;
}

function entry(review: Review, h: HeldGrant, detail: string): Entry {
    const name = (v: string) => review.name(v);
    const resource = h.source.kind === "trust" ? "" : dimensionText(h.raw.resource, name);
    return {
        source: h.source,
        principal: principalText(h.raw.principal, name),
        actions: new Set([actionText(h.raw.action)]),
        resources: new Set(resource === "" ? [] : [resource]),
        detail,
    };
}

/** "may now X on Y" (identity), "now lets P X on Y" (trust, resource). */
function grantWords(kind: PolicyKind, principal: string, actions: string[], resources: string[], now = "now "): string {
    const on = resources.length === 0 ? "" : ` on ${[...resources].sort().join(", ")}`;
    return kind === "identity"
        ? `may ${now}${actions.join(", ")}${on}`
        : `${now}lets ${principal} ${actions.join(", ")}${on}`;
}

/** One finding per policy, principal and detail: its new resources per action set. */
function grouped(entries: readonly Entry[], words: (e: Entry, actions: string[], resources: string[]) => string) {
    const byResources = new Map<string, Entry>();
    for (const e of entries) {
        const id = `${e.source.resource.urn}|${e.source.subject}|${e.principal}|${e.detail}|${[...e.resources].join(",")}`;
        const m = byResources.get(id);
        if (m) e.actions.forEach((a) => m.actions.add(a));
        else byResources.set(id, { ...e, actions: new Set(e.actions), resources: new Set(e.resources) });
    }
    const byActions = new Map<string, Entry>();
    for (const e of byResources.values()) {
        const actions = [...e.actions].sort();
        const id = `${e.source.resource.urn}|${e.source.subject}|${e.principal}|${e.detail}|${actions.join(",")}`;
        const m = byActions.get(id);
        if (m) e.resources.forEach((x) => m.resources.add(x));
        else byActions.set(id, { ...e, actions: new Set(actions), resources: new Set(e.resources) });
    }
    return [...byActions.values()].map((e) => ({
        resource: e.source.resource.name,
        type: e.source.resource.type,
        change: words(e, [...e.actions], [...e.resources]),
    }));
}

/** A managed policy attached to a role (an attachment, or the role's `managedPolicyArns`). */
function managedPolicies(review: Review, side: Side): Array<{ holder: string; arn: string; resource: PlanResource }> {
    const out: Array<{ holder: string; arn: string; resource: PlanResource }> = [];
    for (const r of side === "base" ? review.base : review.head) {
        if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
            out.push({ holder: holderKey(review, side, r.inputs.role), arn: String(r.inputs.policyArn), resource: r });
        } else if (r.type === "aws:iam/role:Role") {
            for (const arn of list(r.inputs.managedPolicyArns)) {
                out.push({ holder: holderKey(review, side, undefined, r), arn: String(arn), resource: r });
            }
        }
    }
    return out;
}

function policyFindings(review: Review): SecurityFinding[] {
    const baseSources = policySources(review, "base");
    const headSources = policySources(review, "head");
    const baseAllow = heldGrants(review, baseSources, "Allow", "base");
    const widened: Entry[] = [];
    const loosened: Entry[] = [];
    // Allow: a head grant that no base grant of the same holder covers is a widening; one covered
    // only by grants whose conditions it dropped or loosened is a loosened condition.
    for (const [holder, grants] of heldGrants(review, headSources, "Allow", "head")) {
        const known = baseAllow.get(holder) ?? [];
        for (const h of grants) {
            const covering = known.filter((b) => grantCovers(b.grant, h.grant));
            const conditions = h.grant.statement.conditions;
            if (covering.length === 0) {
                const when = conditions.map(conditionText).join(" and ");
                widened.push(entry(review, h, when === "" ? "" : ` when ${when}`));
                continue;
            }
            const lost = covering
                .map((b) => conditionsLost(conditions, b.grant.statement.conditions))
                .sort((x, y) => x.length - y.length)[0];
            if (lost.length === 0) continue;
            const detail = lost
                .map((c) => {
                    const kept = conditions.filter((n) => n.key === c.key);
                    return kept.length === 0
                        ? `without ${conditionText(c)}`
                        : `with ${kept.map(conditionText).join(" and ")} (was ${conditionText(c)})`;
                })
                .join("; ");
            loosened.push(entry(review, h, detail));
        }
    }
    const attached = new Set(managedPolicies(review, "base").map((m) => `${m.holder}|${m.arn}`));
    const managed = managedPolicies(review, "head")
        .filter((m) => !attached.has(`${m.holder}|${m.arn}`))
        .map((m) => {
            const role =
                m.resource.type === "aws:iam/role:Role" ? m.resource.name : review.name(m.resource.inputs.role);
            return {
                resource: m.resource.name,
                type: m.resource.type,
                change: `IAM widened: role ${role} gets managed policy ${m.arn}`,
            };
        });
    return [
        ...grouped(
            widened,
            (e, actions, resources) =>
                `${PREFIX[e.source.kind]} widened: ${e.source.subject} ${grantWords(e.source.kind, e.principal, actions, resources)}${e.detail}`,
        ),
        ...managed,
        ...grouped(
            loosened,
            (e, actions, resources) =>
                `${PREFIX[e.source.kind]} condition ${e.detail.startsWith("without") ? "removed" : "loosened"}: ` +
                `${e.source.subject} ${grantWords(e.source.kind, e.principal, actions, resources, "")} ${e.detail}`,
        ),
        ...denyFindings(review, baseSources, headSources),
    ];
}

/**
 * Deny: what each base Deny statement denied must still be denied by the holder's head Denies, as
 * widely (their conditions no stricter). A policy removed as a whole is named by its removal (a
 * bucket policy) or not at all (a removed identity policy only takes rights away).
 */
function denyFindings(
    review: Review,
    baseSources: readonly PolicySource[],
    headSources: readonly PolicySource[],
): SecurityFinding[] {
    const headDeny = heldGrants(review, headSources, "Deny", "head");
    const findings: SecurityFinding[] = [];
    const name = (v: string) => review.name(v);
    for (const source of baseSources) {
        const successor = headSources.find((s) => s.holder === source.holder);
        if (!successor) continue;
        const current = headDeny.get(source.holder) ?? [];
        for (const statement of source.statements.filter((s) => s.effect === "Deny")) {
            const grants = grantsOf([statement]);
            const uncovered = grants.filter((d) => !current.some((h) => grantCovers(h.grant, d)));
            const narrowed = grants.filter(
                (d) =>
                    !uncovered.includes(d) &&
                    !current.some(
                        (h) =>
                            grantCovers(h.grant, d) &&
                            conditionsLost(statement.conditions, h.grant.statement.conditions).length === 0,
                    ),
            );
            const lost = [...uncovered, ...narrowed];
            if (lost.length === 0) continue;
            const sameSid = statement.sid !== undefined && current.some((h) => h.grant.statement.sid === statement.sid);
            const removed = uncovered.length === grants.length && !sameSid;
            const whom =
                source.kind === "identity"
                    ? ""
                    : `${[...new Set(lost.map((d) => principalText(d.principal, name)))].join(", ")} `;
            const actions = [...new Set(lost.map((d) => actionText(d.action)))].join(", ");
            const on =
                source.kind === "trust"
                    ? ""
                    : ` on ${[...new Set(lost.map((d) => dimensionText(d.resource, name)))].join(", ")}`;
            const when = statement.conditions.map(conditionText).join(" and ");
            findings.push({
                resource: successor.resource.name,
                type: successor.resource.type,
                change:
                    `${PREFIX[source.kind]} Deny ${removed ? "removed" : "narrowed"}: ${successor.subject} no longer denies ` +
                    `${whom}${actions}${on}${when ? ` when ${when}` : ""}` +
                    `${narrowed.length > 0 ? " (the Deny now has a condition it did not have)" : ""}` +
                    `${statement.sid ? ` (statement ${statement.sid})` : ""}`,
            });
        }
    }
    return findings;
}

// ---- settings that protect ----

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

function valueAt(inputs: Inputs, path: string): unknown {
    return path
        .split(".")
        .reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Inputs)[k] : undefined), inputs);
}

function show(v: unknown): string {
    return v === undefined ? "unset" : JSON.stringify(v);
}

function guardFindings(review: Review): SecurityFinding[] {
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
function serverFindings(review: Review): SecurityFinding[] {
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
function databaseTlsFindings(review: Review): SecurityFinding[] {
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

// ---- routes ----

interface Routes {
    /** Route table (as the base plan names it) → its routes to an internet gateway. */
    readonly internet: Map<string, string[]>;
    /** Subnet (as the base plan names it) → its route table. */
    readonly association: Map<string, string>;
}

const IPV4_OR_6 = (x: Inputs) =>
    String(
        x.cidrBlock ??
            x.destinationCidrBlock ??
            x.ipv6CidrBlock ??
            x.destinationIpv6CidrBlock ??
            x.destinationPrefixListId ??
            "?",
    );

function routesOf(review: Review, side: Side): Routes {
    const internet = new Map<string, string[]>();
    const association = new Map<string, string>();
    const isInternetGateway = (v: unknown) =>
        typeof v === "string" &&
        (review.owner(v, side)?.type === "aws:ec2/internetGateway:InternetGateway" || /^igw-/.test(v));
    const add = (table: string, route: Inputs) => {
        const list = internet.get(table) ?? [];
        internet.set(table, list);
        if (isInternetGateway(route.gatewayId))
            list.push(`${IPV4_OR_6(route)} → internet gateway ${review.name(route.gatewayId)}`);
    };
    for (const r of side === "base" ? review.base : review.head) {
        const i = r.inputs as Inputs;
        if (r.type === "aws:ec2/routeTable:RouteTable") {
            const table = review.canon(r.refs[0] ?? r.name, side);
            add(table, {});
            (list(i.routes) as Inputs[]).forEach((route) => add(table, route));
        } else if (r.type === "aws:ec2/route:Route") {
            add(review.canon(i.routeTableId, side), i);
        } else if (r.type === "aws:ec2/routeTableAssociation:RouteTableAssociation" && i.subnetId) {
            association.set(review.canon(i.subnetId, side), review.canon(i.routeTableId, side));
        }
    }
    return { internet, association };
}

/**
 * A route to an internet gateway added to a route table that had none (its subnets become
 * public), and a subnet moved from such a table to one with an internet route.
 */
function routeFindings(review: Review): SecurityFinding[] {
    const [was, now] = [routesOf(review, "base"), routesOf(review, "head")];
    const findings: SecurityFinding[] = [];
    for (const r of review.head) {
        const i = r.inputs as Inputs;
        if (r.type === "aws:ec2/routeTable:RouteTable" || r.type === "aws:ec2/route:Route") {
            const isRoute = r.type === "aws:ec2/route:Route";
            const table = review.canon(isRoute ? i.routeTableId : (r.refs[0] ?? r.name), "head");
            const before = was.internet.get(table);
            // Only a table that exists in both plans and had no internet route is "private" here.
            if (before === undefined || before.length > 0) continue;
            const added = isRoute
                ? (now.internet.get(table) ?? []).filter((x) =>
                      x.endsWith(`internet gateway ${review.name(i.gatewayId)}`),
                  )
                : (now.internet.get(table) ?? []);
            if (added.length === 0 || (isRoute && i.gatewayId === undefined)) continue;
            const tableName = isRoute ? review.name(i.routeTableId) : r.name;
            findings.push({
                resource: r.name,
                type: r.type,
                change: `internet route added to private route table ${tableName}: ${added.join(", ")} (its subnets become public)`,
            });
        } else if (r.type === "aws:ec2/routeTableAssociation:RouteTableAssociation" && i.subnetId) {
            const subnet = review.canon(i.subnetId, "head");
            const table = review.canon(i.routeTableId, "head");
            const oldTable = was.association.get(subnet);
            if (oldTable === undefined || oldTable === table) continue;
            if ((was.internet.get(oldTable) ?? []).length > 0 || (now.internet.get(table) ?? []).length === 0) continue;
            findings.push({
                resource: r.name,
                type: r.type,
                change: `private subnet ${review.name(i.subnetId)} made public: moved to route table ${review.name(i.routeTableId)} (${(now.internet.get(table) ?? []).join(", ")})`,
            });
        }
    }
    return findings;
}

// ---- TLS ----

/**
 * What an ELB security policy admits: its lowest TLS version, and the weaker kinds of TLS 1.2
 * cipher it offers ("cbc": CBC with SHA-2; "sha1": CBC with SHA-1; "no-fs": RSA key exchange,
 * without forward secrecy). TLS 1.3 only policies offer AEAD ciphers with forward secrecy only.
 * FIPS and post-quantum (PQ) variants are named so; the PQ policies offer their counterparts'
 * protocols and ciphers plus hybrid ML-KEM key exchange. From AWS's tables "Protocols by policy"
 * and "Ciphers by policy":
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/network/describe-ssl-policies.html
 * A policy not in this table is named "changed, review", never ranked by its name.
 */
const TLS_POLICY_RANKS: Readonly<Record<string, { min: number; weak: readonly string[] }>> = (() => {
    const table: Record<string, { min: number; weak: readonly string[] }> = {};
    const family = (names: string[], min: number, weak: string[]) => names.forEach((n) => (table[n] = { min, weak }));
    const ALL = ["cbc", "sha1", "no-fs"];
    for (const pq of ["", "-PQ"]) {
        const date = pq ? "2025-09" : "2021-06";
        family([`ELBSecurityPolicy-TLS13-1-3${pq}-${date}`], 1.3, []);
        family([`ELBSecurityPolicy-TLS13-1-2-Res${pq}-${date}`], 1.2, []);
        family([`ELBSecurityPolicy-TLS13-1-2${pq}-${date}`], 1.2, ["cbc"]);
        family([`ELBSecurityPolicy-TLS13-1-2-Ext1${pq}-${date}`], 1.2, ["cbc", "no-fs"]);
        family([`ELBSecurityPolicy-TLS13-1-2-Ext2${pq}-${date}`], 1.2, ALL);
        family([`ELBSecurityPolicy-TLS13-1-0${pq}-${date}`], 1.0, ALL);
        const fips = pq ? "FIPS-PQ-2025-09" : "FIPS-2023-04";
        family([`ELBSecurityPolicy-TLS13-1-3-${fips}`], 1.3, []);
        family([`ELBSecurityPolicy-TLS13-1-2-Res-${fips}`], 1.2, []);
        family([`ELBSecurityPolicy-TLS13-1-2-${fips}`], 1.2, ["cbc"]);
        family([`ELBSecurityPolicy-TLS13-1-2-Ext0-${fips}`], 1.2, ["cbc", "sha1"]);
        family([`ELBSecurityPolicy-TLS13-1-2-Ext1-${fips}`], 1.2, ["cbc", "no-fs"]);
        family([`ELBSecurityPolicy-TLS13-1-2-Ext2-${fips}`], 1.2, ALL);
        family([`ELBSecurityPolicy-TLS13-1-0-${fips}`], 1.0, ALL);
    }
    family(["ELBSecurityPolicy-TLS13-1-1-2021-06", "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04"], 1.1, ALL);
    family(["ELBSecurityPolicy-TLS13-1-2-RFC9151-FIPS-2023-07"], 1.2, []);
    family(["ELBSecurityPolicy-TLS13-1-3-RFC9151-FIPS-2023-07"], 1.3, []);
    family(["ELBSecurityPolicy-FS-1-2-Res-2020-10"], 1.2, []);
    family(["ELBSecurityPolicy-FS-1-2-Res-2019-08"], 1.2, ["cbc"]);
    family(["ELBSecurityPolicy-FS-1-2-2019-08"], 1.2, ["cbc", "sha1"]);
    family(["ELBSecurityPolicy-FS-1-1-2019-08"], 1.1, ["cbc", "sha1"]);
    family(["ELBSecurityPolicy-FS-2018-06"], 1.0, ["cbc", "sha1"]);
    family(["ELBSecurityPolicy-TLS-1-2-2017-01"], 1.2, ["cbc", "no-fs"]);
    family(["ELBSecurityPolicy-TLS-1-2-Ext-2018-06"], 1.2, ALL);
    family(["ELBSecurityPolicy-TLS-1-1-2017-01"], 1.1, ALL);
    family(["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-2015-05", "ELBSecurityPolicy-TLS-1-0-2015-04"], 1.0, ALL);
    return table;
})();

const WEAK_CIPHERS: Record<string, string> = {
    cbc: "no longer the restricted cipher list (CBC ciphers)",
    sha1: "SHA-1 ciphers",
    "no-fs": "ciphers without forward secrecy",
};

/** Why policy `now` is weaker than `was` (empty: as strong or stronger); `undefined` when either is unknown. */
export function tlsWeakening(was: string, now: string): string[] | undefined {
    const [a, b] = [TLS_POLICY_RANKS[was], TLS_POLICY_RANKS[now]];
    if (!a || !b) return undefined;
    const allowed = (p: string) => (TLS_POLICIES as readonly string[]).includes(p);
    const reasons: string[] = [];
    const added = b.weak.filter((w) => !a.weak.includes(w));
    if (allowed(was) && !allowed(now) && (b.min < 1.2 || added.includes("no-fs"))) {
        reasons.push("allows TLS below 1.2 or ciphers without forward secrecy");
    } else {
        if (b.min < a.min) reasons.push(`minimum TLS ${a.min.toFixed(1)} → ${b.min.toFixed(1)}`);
        // From a TLS 1.3-only policy, the TLS 1.2 it now allows brings its ciphers: named with the
        // version unless they lack forward secrecy or use SHA-1.
        const fromTls13 = a.min === 1.3;
        for (const w of added) if (!fromTls13 || w !== "cbc") reasons.push(WEAK_CIPHERS[w]);
    }
    if (/FIPS/.test(was) && !/FIPS/.test(now)) reasons.push("no longer FIPS");
    if (/PQ/.test(was) && !/PQ/.test(now)) reasons.push("no longer post-quantum key exchange");
    return reasons;
}

function tlsFindings(review: Review): SecurityFinding[] {
    const findings: SecurityFinding[] = [];
    for (const r of review.head.filter(
        (x) => x.type === "aws:lb/listener:Listener" || x.type === "aws:alb/listener:Listener",
    )) {
        const before = review.before(r);
        const i = r.inputs as Inputs;
        const add = (change: string) =>
            findings.push({ resource: r.name, type: r.type, change: `${change}${review.replacing(r)}` });
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
        if (!isTls) continue;
        if (!before || !wasTls) {
            if (!(TLS_POLICIES as readonly string[]).includes(String(i.sslPolicy)))
                add(`new TLS listener with a weak policy ${show(i.sslPolicy)} (TLS below 1.2 or weak ciphers)`);
            continue;
        }
        const [was, now] = [String(before.inputs.sslPolicy ?? "unset"), String(i.sslPolicy ?? "unset")];
        if (was === now) continue;
        const reasons = tlsWeakening(was, now);
        if (reasons === undefined) {
            add(`TLS policy changed to one this review does not know, review: ${was} → ${now}`);
        } else if (reasons.length > 0) {
            add(`TLS policy weakened: ${was} → ${now} (${reasons.join("; ")})`);
        }
    }
    return findings;
}

// ---- protections removed ----

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

function removedFindings(review: Review): SecurityFinding[] {
    return review.base
        .filter((r) => !review.headByUrn.has(r.urn) && !review.isReplaced(r) && PROTECTIONS[r.type])
        .map((r) => ({ resource: r.name, type: r.type, change: PROTECTIONS[r.type](r, review) }))
        .filter((f) => f.change !== "");
}

/** The security-relevant changes from `base` to `head`, most serious kinds first. */
export function securityChanges(base: readonly PlanResource[], head: readonly PlanResource[]): SecurityFinding[] {
    const review = new Review(base, head);
    return [
        ...firewallFindings(review),
        ...attachmentFindings(review),
        ...routeFindings(review),
        ...policyFindings(review),
        ...guardFindings(review),
        ...serverFindings(review),
        ...databaseTlsFindings(review),
        ...tlsFindings(review),
        ...removedFindings(review),
    ];
}

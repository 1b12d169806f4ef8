/** Security group rules opened wider, to the internet or to a new port; groups newly attached. */
import type { PlanResource } from "../document";
import { list, Review, type Inputs, type SecurityFinding, type Side } from "./review";

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

export function firewallFindings(review: Review): SecurityFinding[] {
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

export function attachmentFindings(review: Review): SecurityFinding[] {
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

/**
 * The architecture diagram, as a Mermaid flowchart, drawn from the resources the program registers:
 * the tiers (load balancer, servers, database) with their AZs, the target groups with the weights
 * the HTTPS listener gives them, and the flows the security groups allow, with their ports. Nothing
 * in it is drawn by hand: a flow appears because the security groups allow it (an ingress rule on the
 * destination's group and a matching egress rule on the source's), a weight because a listener
 * sets it, a replication edge because an instance replicates another.
 */
import type { PlanResource } from "./document";

const T = {
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    routeTable: "aws:ec2/routeTable:RouteTable",
    routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    nat: "aws:ec2/natGateway:NatGateway",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    defaultSg: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    legacyRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    lb: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    asg: "aws:autoscaling/group:Group",
    db: "aws:rds/instance:Instance",
    dbSubnetGroup: "aws:rds/subnetGroup:SubnetGroup",
    fn: "aws:lambda/function:Function",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    wafAssociation: "aws:wafv2/webAclAssociation:WebAclAssociation",
} as const;

type Inputs = Record<string, any>;

/** Text for inside a quoted Mermaid label: quotes and angle brackets as Mermaid entity codes. */
export function escapeLabel(text: string): string {
    return text.replace(/#/g, "#35;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

/** A quoted label of several lines (each escaped). */
function label(...lines: string[]): string {
    return `"${lines
        .filter((l) => l !== "")
        .map(escapeLabel)
        .join("<br/>")}"`;
}

/**
 * Mermaid ids for nodes and subgraphs (one namespace): letters, digits and underscores, prefixed
 * by their kind so that no id is a keyword (`end`) or starts an edge (`o`, `x`). Two things whose
 * names sanitise alike (`a-b` and `a_b`) get distinct ids: the second gets `_2`, and so on. The
 * same thing (kind and key, e.g. a resource's URN) always gets the same id.
 */
export class NodeIds {
    private readonly taken = new Set<string>();
    private readonly byKey = new Map<string, string>();

    constructor(...reserved: string[]) {
        reserved.forEach((id) => this.taken.add(id));
    }

    id(kind: string, key: string, name: string = key): string {
        const k = `${kind}\u0000${key}`;
        const known = this.byKey.get(k);
        if (known) return known;
        const base = `${kind}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
        let id = base;
        for (let n = 2; this.taken.has(id); n++) id = `${base}_${n}`;
        this.taken.add(id);
        this.byKey.set(k, id);
        return id;
    }

    /** The id of a resource's node. */
    of(kind: string, r: PlanResource): string {
        return this.id(kind, r.urn, r.name);
    }
}

// ---- security group rules, normalised ----

/** What a rule allows traffic from (ingress) or to (egress). */
export type Peer =
    | { readonly kind: "group"; readonly ref: string; readonly group?: PlanResource }
    | { readonly kind: "cidr"; readonly cidr: string }
    | { readonly kind: "prefixList"; readonly ref: string };

/** A security group rule, whichever resource declares it. */
export interface FirewallRule {
    readonly direction: "ingress" | "egress";
    /** The security group the rule belongs to (undefined when the program does not create it). */
    readonly group?: PlanResource;
    /** "-1" (all traffic), or a lower-case protocol name: "tcp", "udp", "icmp", ... */
    readonly protocol: string;
    /** The port range (0-65535 for all traffic). */
    readonly from: number;
    readonly to: number;
    readonly peer: Peer;
    /** The resource that declares the rule (for an inline rule, its security group). */
    readonly declaredBy: PlanResource;
}

/** Protocol numbers and aliases AWS accepts, by the name the diagram shows. */
const PROTOCOL_NAMES: Record<string, string> = {
    all: "-1",
    "-1": "-1",
    "6": "tcp",
    "17": "udp",
    "1": "icmp",
    "58": "icmpv6",
};

/**
 * Every security group rule among the resources, in one form, from the three ways to declare one:
 * inline `ingress`/`egress` blocks of `aws.ec2.SecurityGroup` (and `DefaultSecurityGroup`), the
 * legacy `aws.ec2.SecurityGroupRule` (`type` ingress or egress), and
 * `aws.vpc.SecurityGroupIngressRule`/`SecurityGroupEgressRule` (one peer each). A rule with several
 * peers (CIDR lists, groups, `self`) becomes one rule per peer.
 */
export function firewallRules(resources: readonly PlanResource[]): FirewallRule[] {
    const g = new Graph(resources);
    const out: FirewallRule[] = [];
    const add = (
        declaredBy: PlanResource,
        direction: FirewallRule["direction"],
        group: PlanResource | undefined,
        x: Inputs,
        peers: Peer[],
    ) => {
        const raw = String(x.ipProtocol ?? x.protocol ?? "-1").toLowerCase();
        const protocol = PROTOCOL_NAMES[raw] ?? raw;
        const all = protocol === "-1";
        const from = all ? 0 : Number(x.fromPort ?? 0);
        const to = all ? 65535 : Number(x.toPort ?? x.fromPort ?? 0);
        for (const peer of peers) out.push({ direction, group, protocol, from, to, peer, declaredBy });
    };
    const strings = (v: unknown) => list(v).filter((x): x is string => typeof x === "string");
    const groupPeer = (ref: string): Peer => ({ kind: "group", ref, group: g.ref(ref) });
    const groupOf = (ref: unknown) => {
        const sg = g.ref(ref);
        return sg?.type === T.sg || sg?.type === T.defaultSg ? sg : undefined;
    };
    for (const r of g.resources) {
        const i = r.inputs as Inputs;
        if (r.type === T.ingress || r.type === T.egress) {
            add(r, r.type === T.ingress ? "ingress" : "egress", groupOf(i.securityGroupId), i, [
                ...strings(i.cidrIpv4).map((cidr): Peer => ({ kind: "cidr", cidr })),
                ...strings(i.cidrIpv6).map((cidr): Peer => ({ kind: "cidr", cidr })),
                ...strings(i.referencedSecurityGroupId).map(groupPeer),
                ...strings(i.prefixListId).map((ref): Peer => ({ kind: "prefixList", ref })),
            ]);
        } else if (r.type === T.legacyRule) {
            const group = groupOf(i.securityGroupId);
            add(r, i.type === "egress" ? "egress" : "ingress", group, i, [
                ...strings(i.cidrBlocks).map((cidr): Peer => ({ kind: "cidr", cidr })),
                ...strings(i.ipv6CidrBlocks).map((cidr): Peer => ({ kind: "cidr", cidr })),
                ...strings(i.sourceSecurityGroupId).map(groupPeer),
                ...strings(i.prefixListIds).map((ref): Peer => ({ kind: "prefixList", ref })),
                ...(i.self === true && typeof i.securityGroupId === "string" ? [groupPeer(i.securityGroupId)] : []),
            ]);
        } else if (r.type === T.sg || r.type === T.defaultSg) {
            for (const direction of ["ingress", "egress"] as const) {
                for (const x of list(i[direction]) as Inputs[]) {
                    add(r, direction, r, x, [
                        ...strings(x.cidrBlocks).map((cidr): Peer => ({ kind: "cidr", cidr })),
                        ...strings(x.ipv6CidrBlocks).map((cidr): Peer => ({ kind: "cidr", cidr })),
                        ...strings(x.securityGroups).map(groupPeer),
                        ...strings(x.prefixListIds).map((ref): Peer => ({ kind: "prefixList", ref })),
                        ...(x.self === true ? [{ kind: "group", ref: r.refs[0] ?? r.name, group: r } as Peer] : []),
                    ]);
                }
            }
        }
    }
    return out;
}

/** The traffic two rules both allow (an ingress rule and the matching egress rule), if any. */
function commonPorts(a: FirewallRule, b: FirewallRule): { protocol: string; from: number; to: number } | undefined {
    if (a.protocol !== "-1" && b.protocol !== "-1" && a.protocol !== b.protocol) return undefined;
    const protocol = a.protocol === "-1" ? b.protocol : a.protocol;
    const from = Math.max(a.from, b.from);
    const to = Math.min(a.to, b.to);
    return from <= to ? { protocol, from, to } : undefined;
}

// ---- CIDR arithmetic (IPv4 and IPv6) ----

interface AddressRange {
    readonly v6: boolean;
    readonly first: bigint;
    readonly last: bigint;
}

function ipv4(text: string): bigint | undefined {
    const parts = text.split(".");
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
    return parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n);
}

function ipv6(text: string): bigint | undefined {
    const halves = text.split("::");
    if (halves.length > 2) return undefined;
    const groups = halves.map((h) => (h === "" ? [] : h.split(":")));
    const missing = 8 - groups.reduce((n, h) => n + h.length, 0);
    if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
    const all = halves.length === 2 ? [...groups[0], ...Array<string>(missing).fill("0"), ...groups[1]] : groups[0];
    if (all.some((h) => !/^[0-9a-fA-F]{1,4}$/.test(h))) return undefined;
    return all.reduce((n, h) => (n << 16n) | BigInt(`0x${h}`), 0n);
}

/** The addresses of a CIDR block; undefined when it is not one. */
export function cidrRange(cidr: string): AddressRange | undefined {
    const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(cidr.trim());
    if (!m) return undefined;
    const v6 = m[1].includes(":");
    const bits = v6 ? 128 : 32;
    const prefix = Number(m[2]);
    if (prefix > bits) return undefined;
    const address = v6 ? ipv6(m[1]) : ipv4(m[1]);
    if (address === undefined) return undefined;
    const size = 1n << BigInt(bits - prefix);
    const first = (address / size) * size;
    return { v6, first, last: first + size - 1n };
}

const contains = (outer: AddressRange, inner: AddressRange) =>
    outer.v6 === inner.v6 && outer.first <= inner.first && inner.last <= outer.last;
/** Whether a CIDR is every address of its family: 0.0.0.0/0 or ::/0. */
function isInternet(cidr: string): boolean {
    const range = cidrRange(cidr);
    return range !== undefined && range.first === 0n && range.last === (1n << (range.v6 ? 128n : 32n)) - 1n;
}

const byName = (a: PlanResource, b: PlanResource) =>
    a.name.localeCompare(b.name, "en", { numeric: true }) || a.urn.localeCompare(b.urn);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** The component a resource belongs to (its parent's name), e.g. the ServerPool of an auto scaling group. */
function componentName(r: PlanResource): string | undefined {
    return r.parent?.split("::").pop();
}

interface Flow {
    from: string;
    to: string;
    /** "tcp 443", "all traffic", ... */
    ports: Set<string>;
    dotted?: boolean;
}

class Graph {
    private readonly refs = new Map<string, PlanResource>();
    readonly resources: PlanResource[];

    constructor(resources: readonly PlanResource[]) {
        this.resources = resources.filter((r) => r.custom);
        for (const r of this.resources) for (const ref of r.refs) if (!this.refs.has(ref)) this.refs.set(ref, r);
    }

    of(type: string): PlanResource[] {
        return this.resources.filter((r) => r.type === type).sort(byName);
    }

    ref(value: unknown): PlanResource | undefined {
        return typeof value === "string" ? this.refs.get(value) : undefined;
    }

    /** The AZ of a subnet (given by reference). */
    az(subnetRef: unknown): string | undefined {
        const subnet = this.ref(subnetRef);
        return subnet?.type === T.subnet ? (subnet.inputs.availabilityZone as string | undefined) : undefined;
    }

    /** The NAT gateway a subnet's default route goes through, if any. */
    natOf(subnetRef: unknown): PlanResource | undefined {
        const subnet = this.ref(subnetRef);
        const association = this.of(T.routeTableAssociation).find((a) => this.ref(a.inputs.subnetId) === subnet);
        const table = this.ref(association?.inputs.routeTableId);
        const route = list(table?.inputs.routes).find((x: any) => x?.cidrBlock === "0.0.0.0/0") as Inputs | undefined;
        const nat = this.ref(route?.natGatewayId);
        return nat?.type === T.nat ? nat : undefined;
    }
}

function ports(p: { protocol: string; from: number; to: number }): string {
    if (p.protocol === "-1") return "all traffic";
    return `${p.protocol} ${p.from === p.to ? p.from : `${p.from}-${p.to}`}`;
}

const portText = (set: Set<string>) =>
    [...set]
        .sort()
        .map((p) => p.replace(/^tcp /, ":"))
        .join(" ");

/** Renders the Mermaid flowchart of a plan's resources. */
export function renderDiagram(resources: readonly PlanResource[]): string {
    const g = new Graph(resources);
    const internet = "internet";
    const ids = new NodeIds(internet, "vpc");
    const lines: string[] = ["flowchart LR"];
    /** Nodes outside the VPC (the internet, other CIDRs, prefix lists), by id: their lines. */
    const outside = new Map<string, string>();
    const outsider = (peer: Peer): string => {
        if (peer.kind === "cidr" && isInternet(peer.cidr)) {
            outside.set(internet, `${internet}(("Internet"))`);
            return internet;
        }
        const text =
            peer.kind === "cidr"
                ? peer.cidr
                : peer.kind === "prefixList"
                  ? `prefix list ${g.ref(peer.ref)?.name ?? peer.ref}`
                  : `security group ${peer.ref}`;
        const id = ids.id(peer.kind === "cidr" ? "cidr" : peer.kind === "prefixList" ? "pl" : "sg", text);
        outside.set(id, `${id}((${label(text)}))`);
        return id;
    };

    /** Security group (by resource) → the diagram nodes it is attached to. */
    const members = new Map<PlanResource, string[]>();
    const attach = (sgRefs: unknown, node: string) => {
        for (const ref of list(sgRefs)) {
            const sg = g.ref(ref);
            if (sg) members.set(sg, [...(members.get(sg) ?? []), node]);
        }
    };
    /** Diagram node → the subnets it has addresses in (what an egress rule's CIDR is checked against). */
    const subnetsOf = new Map<string, PlanResource[]>();
    const inSubnets = (node: string, subnetRefs: unknown) =>
        subnetsOf.set(
            node,
            list(subnetRefs)
                .map((s) => g.ref(s))
                .filter((s): s is PlanResource => s?.type === T.subnet),
        );

    // Tier → AZ ("" = spans AZs) → node lines.
    const tiers = new Map<string, Map<string, string[]>>();
    const place = (tier: string, az: string, line: string) => {
        const zones = tiers.get(tier) ?? new Map<string, string[]>();
        zones.set(az, [...(zones.get(az) ?? []), line]);
        tiers.set(tier, zones);
    };
    const edges: string[] = [];

    // ---- load balancers, listeners, target groups ----
    const tgNode = new Map<PlanResource, string>();
    const lbOfTargetGroup = new Map<PlanResource, string>();
    for (const lb of g.of(T.lb)) {
        const id = ids.of("lb", lb);
        const listeners = g.of(T.listener).filter((l) => g.ref(l.inputs.loadBalancerArn) === lb);
        const waf = g.of(T.wafAssociation).some((w) => g.ref(w.inputs.resourceArn) === lb);
        const listenerText = listeners.map((l) => {
            const action = list(l.inputs.defaultActions)[0] as Inputs | undefined;
            const what =
                action?.type === "redirect"
                    ? `redirect to :${action.redirect?.port}`
                    : action?.type === "forward"
                      ? "forward"
                      : String(action?.type ?? "");
            return `${l.inputs.protocol} :${l.inputs.port} → ${what}`;
        });
        place(
            "public",
            "",
            `${id}[${label(
                `Application Load Balancer ${lb.name}`,
                `${lb.inputs.internal ? "internal" : "internet-facing"}${waf ? ", WAF attached" : ""}`,
                `in ${[...new Set(list(lb.inputs.subnets).map((x) => g.az(x)))].filter(Boolean).sort().join(", ")}`,
                ...listenerText,
            )}]`,
        );
        attach(lb.inputs.securityGroups, id);
        inSubnets(id, lb.inputs.subnets);
        for (const listener of listeners) {
            for (const action of list(listener.inputs.defaultActions) as Inputs[]) {
                const forwards: Inputs[] =
                    action.type === "forward"
                        ? action.forward
                            ? (list(action.forward.targetGroups) as Inputs[])
                            : [{ arn: action.targetGroupArn, weight: undefined }]
                        : [];
                for (const target of forwards) {
                    const tg = g.ref(target.arn);
                    if (!tg) continue;
                    if (!tgNode.has(tg)) {
                        const tid = ids.of("tg", tg);
                        tgNode.set(tg, tid);
                        lbOfTargetGroup.set(tg, id);
                        const health = tg.inputs.healthCheck as Inputs | undefined;
                        place(
                            "public",
                            "",
                            `${tid}[${label(`target group ${tg.name}`, `${tg.inputs.protocol} :${tg.inputs.port}`, health?.path ? `health ${health.path}` : "")}]`,
                        );
                    }
                    const weight = target.weight === undefined ? "" : `weight ${target.weight}`;
                    const arrow = target.weight === 0 ? "-.->" : "==>";
                    edges.push(
                        `    ${id} ${arrow}|${label(`${listener.inputs.protocol} :${listener.inputs.port} ${weight}`.trim())}| ${tgNode.get(tg)}`,
                    );
                }
            }
        }
    }

    // ---- server pools (auto scaling groups) ----
    const poolNodes = new Map<string, PlanResource>();
    const poolTargets = new Map<string, PlanResource[]>();
    const natEdges = new Map<string, Set<string>>();
    for (const asg of g.of(T.asg)) {
        const id = ids.of("pool", asg);
        const template = g.ref((asg.inputs.launchTemplate as Inputs | undefined)?.id);
        const subnets = list(asg.inputs.vpcZoneIdentifiers);
        const zones = [...new Set(subnets.map((s) => g.az(s)).filter((z): z is string => z !== undefined))].sort();
        const size = `${asg.inputs.minSize}..${asg.inputs.maxSize} × ${template?.inputs.instanceType ?? "?"} (desired ${asg.inputs.desiredCapacity ?? asg.inputs.minSize})`;
        const line = `${id}[${label(`server pool ${componentName(asg) ?? asg.name}`, size, zones.length > 1 ? `in ${zones.join(", ")}` : "")}]`;
        place("app", zones.length === 1 ? zones[0] : "", line);
        poolNodes.set(id, asg);
        attach(template?.inputs.vpcSecurityGroupIds, id);
        inSubnets(id, subnets);
        poolTargets.set(
            id,
            list(asg.inputs.targetGroupArns)
                .map((t) => g.ref(t))
                .filter((t): t is PlanResource => t !== undefined),
        );
        for (const subnet of subnets) {
            const nat = g.natOf(subnet);
            if (nat) natEdges.set(id, (natEdges.get(id) ?? new Set()).add(ids.of("nat", nat)));
        }
    }
    for (const nat of g.of(T.nat)) {
        place("public", g.az(nat.inputs.subnetId) ?? "", `${ids.of("nat", nat)}[${label(`NAT gateway ${nat.name}`)}]`);
    }

    // ---- databases ----
    for (const db of g.of(T.db)) {
        const id = ids.of("db", db);
        const source = g.ref(db.inputs.replicateSourceDb);
        const role = source ? `MySQL read replica ${db.name}` : `MySQL primary ${db.name}`;
        const multiAz = db.inputs.multiAz === true;
        place(
            "data",
            multiAz ? "" : String(db.inputs.availabilityZone ?? ""),
            `${id}[(${label(role, `${db.inputs.instanceClass}${multiAz ? ", Multi-AZ (standby in another AZ)" : ""}`)})]`,
        );
        attach(db.inputs.vpcSecurityGroupIds, id);
        // A replica in the same region has no subnet group of its own: it is in its source's.
        const subnetGroup = g.ref(db.inputs.dbSubnetGroupName ?? source?.inputs.dbSubnetGroupName);
        if (subnetGroup?.type === T.dbSubnetGroup) inSubnets(id, subnetGroup.inputs.subnetIds);
        if (source) edges.push(`    ${ids.of("db", source)} -.->|${label("async replication")}| ${id}`);
    }

    // ---- the failover controller: a function allowed to modify a listener moves the weights ----
    const controllers: string[] = [];
    for (const fn of g.of(T.fn)) {
        const role = g.ref(fn.inputs.role);
        const listeners = g
            .of(T.rolePolicy)
            .filter((p) => g.ref(p.inputs.role) === role)
            .flatMap((p) => list((p.inputs.policy as Inputs | undefined)?.Statement) as Inputs[])
            .filter((st) => st.Effect === "Allow" && list(st.Action).includes("elasticloadbalancing:ModifyListener"))
            .flatMap((st) => list(st.Resource).map((x) => g.ref(x)))
            .filter((l): l is PlanResource => l?.type === T.listener);
        if (listeners.length === 0) continue;
        const id = ids.of("fn", fn);
        controllers.push(
            `    ${id}[${label(`failover controller ${componentName(fn) ?? fn.name}`, "Lambda, polls target health")}]`,
        );
        for (const lb of new Set(listeners.map((l) => g.ref(l.inputs.loadBalancerArn)))) {
            if (lb?.type === T.lb) edges.push(`    ${id} -.->|${label("sets the weights")}| ${ids.of("lb", lb)}`);
        }
    }

    // ---- flows the security groups allow: ingress on the destination and egress on the source ----
    const vpcRanges = g
        .of(T.vpc)
        .flatMap((v) => [v.inputs.cidrBlock, v.inputs.ipv6CidrBlock])
        .map((c) => (typeof c === "string" ? cidrRange(c) : undefined))
        .filter((r): r is AddressRange => r !== undefined);
    /** The addresses of a node: its subnets' blocks; unknown (none) when its subnets are not known. */
    const addresses = (node: string) =>
        (subnetsOf.get(node) ?? [])
            .flatMap((s) => [s.inputs.cidrBlock, s.inputs.ipv6CidrBlock])
            .map((c) => (typeof c === "string" ? cidrRange(c) : undefined))
            .filter((r): r is AddressRange => r !== undefined);
    /**
     * Whether an egress rule lets traffic reach node `to` (a member of security group `group`): its
     * peer is that group, or a CIDR that holds all of one of the node's subnets.
     */
    const reaches = (egress: FirewallRule, group: PlanResource, to: string) => {
        const peer = egress.peer;
        if (peer.kind === "group") return peer.group === group;
        if (peer.kind !== "cidr") return false;
        const range = cidrRange(peer.cidr);
        if (!range) return false;
        if (!range.v6 && isInternet(peer.cidr)) return true; // every IPv4 address
        const known = addresses(to);
        // Where a node's subnets are not known, all that is known is that it is in the VPC.
        return (known.length > 0 ? known : vpcRanges).some((a) => contains(range, a));
    };
    /** Whether a CIDR lies outside the VPC (traffic to it leaves the VPC). */
    const external = (cidr: string) => {
        const range = cidrRange(cidr);
        return range !== undefined && !vpcRanges.some((v) => contains(v, range));
    };

    const flows = new Map<string, Flow>();
    const flow = (from: string, to: string, p: string, dotted = false) => {
        const key = `${from}>${to}`;
        const f = flows.get(key) ?? { from, to, ports: new Set<string>(), dotted };
        f.ports.add(p);
        flows.set(key, f);
    };
    const rules = firewallRules(resources);
    const egressOf = (group: PlanResource) => rules.filter((r) => r.direction === "egress" && r.group === group);
    for (const ingress of rules.filter((r) => r.direction === "ingress" && r.group)) {
        const group = ingress.group!;
        for (const to of members.get(group) ?? []) {
            const peer = ingress.peer;
            if (peer.kind === "group" && peer.group) {
                // From the members of the peer group, as far as that group's egress rules let them.
                for (const egress of egressOf(peer.group)) {
                    const common = reaches(egress, group, to) ? commonPorts(ingress, egress) : undefined;
                    if (!common) continue;
                    for (const from of members.get(peer.group) ?? []) flow(from, to, ports(common));
                }
            } else {
                // From outside the program's groups (the internet, a CIDR, a prefix list, another
                // account's group): no egress rule of ours governs it.
                flow(outsider(peer), to, ports(ingress));
            }
        }
    }
    // Traffic out of the VPC (through the NAT gateway where the subnets route through one).
    const outOfVpc = new Map<string, Set<string>>();
    for (const egress of rules.filter((r) => r.direction === "egress" && r.group)) {
        const peer = egress.peer;
        if (peer.kind === "cidr" ? !external(peer.cidr) : peer.kind === "group" && peer.group) continue;
        const to = outsider(peer);
        for (const from of members.get(egress.group!) ?? []) {
            const nats = peer.kind === "cidr" ? natEdges.get(from) : undefined;
            for (const nat of nats ?? []) {
                flow(from, nat, `${ports(egress)} out`, true);
                outOfVpc.set(nat, (outOfVpc.get(nat) ?? new Set()).add(to));
            }
            if (!nats) flow(from, to, `${ports(egress)} out`, true);
        }
    }
    for (const [nat, destinations] of outOfVpc) for (const to of destinations) flow(nat, to, "out", true);
    for (const f of [...flows.values()].sort((a, b) => `${a.from}>${a.to}`.localeCompare(`${b.from}>${b.to}`))) {
        // Load balancer → pool: drawn from the target group(s) of that load balancer the pool is in.
        const asg = poolNodes.get(f.to);
        const viaGroups = asg ? (poolTargets.get(f.to) ?? []).filter((tg) => lbOfTargetGroup.get(tg) === f.from) : [];
        const text = label(portText(f.ports));
        if (viaGroups.length > 0) {
            for (const tg of viaGroups) edges.push(`    ${tgNode.get(tg)} -->|${text}| ${f.to}`);
        } else {
            edges.push(`    ${f.from} ${f.dotted ? "-.->" : "-->"}|${text}| ${f.to}`);
        }
    }

    // ---- outside the VPC: the internet and other sources, the controller ----
    if (outside.has(internet)) lines.push(`    ${outside.get(internet)}`);
    for (const [id, line] of [...outside.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        if (id !== internet) lines.push(`    ${line}`);
    }
    lines.push(...controllers);

    // ---- the tiers, each with its AZs, inside the VPC ----
    const TIERS: Array<[string, string]> = [
        ["public", "Public tier: load balancer, NAT"],
        ["app", "App tier: servers (private subnets)"],
        ["data", "Data tier: MySQL (isolated subnets)"],
    ];
    const vpc = g.of(T.vpc)[0];
    lines.push(`    subgraph vpc[${label(vpc ? `VPC ${vpc.name} ${vpc.inputs.cidrBlock ?? ""}`.trim() : "VPC")}]`);
    lines.push("        direction LR");
    for (const [tier, title] of TIERS) {
        const zones = tiers.get(tier);
        if (!zones) continue;
        lines.push(`        subgraph ${ids.id("tier", tier)}[${label(title)}]`);
        for (const [az, nodes] of [...zones.entries()].sort(([a], [b]) => a.localeCompare(b))) {
            if (az === "") {
                nodes.forEach((n) => lines.push(`            ${n}`));
                continue;
            }
            lines.push(`            subgraph ${ids.id(tier, az)}[${label(az)}]`);
            nodes.forEach((n) => lines.push(`                ${n}`));
            lines.push("            end");
        }
        lines.push("        end");
    }
    lines.push("    end");
    return [...lines, ...edges].join("\n") + "\n";
}

/**
 * The architecture diagram, as a Mermaid flowchart, drawn from the resources the program registers:
 * the tiers (load balancer, servers, database) with their AZs, the target groups with the weights
 * the HTTPS listener gives them, and the flows the security groups allow, with their ports. Nothing
 * in it is drawn by hand: a flow appears because a security group rule allows it, a weight because
 * a listener sets it, a replication edge because an instance replicates another.
 */
import type { PlanResource } from "./document";

const T = {
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    routeTable: "aws:ec2/routeTable:RouteTable",
    routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    nat: "aws:ec2/natGateway:NatGateway",
    sg: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    lb: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    asg: "aws:autoscaling/group:Group",
    db: "aws:rds/instance:Instance",
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

/** A Mermaid node id: letters, digits and underscores, prefixed so that no id is a keyword (`end`). */
function nodeId(kind: string, name: string): string {
    return `${kind}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
}

const byName = (a: PlanResource, b: PlanResource) => a.name.localeCompare(b.name, "en", { numeric: true });
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

function ports(rule: Inputs): string {
    if (String(rule.ipProtocol ?? rule.protocol) === "-1") return "all traffic";
    const from = rule.fromPort;
    const to = rule.toPort;
    return `${rule.ipProtocol ?? rule.protocol} ${from === to ? from : `${from}-${to}`}`;
}

const portText = (set: Set<string>) =>
    [...set]
        .sort()
        .map((p) => p.replace(/^tcp /, ":"))
        .join(" ");

/** Renders the Mermaid flowchart of a plan's resources. */
export function renderDiagram(resources: readonly PlanResource[]): string {
    const g = new Graph(resources);
    const lines: string[] = ["flowchart LR"];
    const internet = "internet";
    lines.push(`    ${internet}(("Internet"))`);

    /** Security group (by resource) → the diagram nodes it is attached to. */
    const members = new Map<PlanResource, string[]>();
    const attach = (sgRefs: unknown, node: string) => {
        for (const ref of list(sgRefs)) {
            const sg = g.ref(ref);
            if (sg) members.set(sg, [...(members.get(sg) ?? []), node]);
        }
    };

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
        const id = nodeId("lb", lb.name);
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
                        const tid = nodeId("tg", tg.name);
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
        const id = nodeId("pool", asg.name);
        const template = g.ref((asg.inputs.launchTemplate as Inputs | undefined)?.id);
        const subnets = list(asg.inputs.vpcZoneIdentifiers);
        const zones = [...new Set(subnets.map((s) => g.az(s)).filter((z): z is string => z !== undefined))].sort();
        const size = `${asg.inputs.minSize}..${asg.inputs.maxSize} × ${template?.inputs.instanceType ?? "?"} (desired ${asg.inputs.desiredCapacity ?? asg.inputs.minSize})`;
        const line = `${id}[${label(`server pool ${componentName(asg) ?? asg.name}`, size, zones.length > 1 ? `in ${zones.join(", ")}` : "")}]`;
        place("app", zones.length === 1 ? zones[0] : "", line);
        poolNodes.set(id, asg);
        attach(template?.inputs.vpcSecurityGroupIds, id);
        poolTargets.set(
            id,
            list(asg.inputs.targetGroupArns)
                .map((t) => g.ref(t))
                .filter((t): t is PlanResource => t !== undefined),
        );
        for (const subnet of subnets) {
            const nat = g.natOf(subnet);
            if (nat) natEdges.set(id, (natEdges.get(id) ?? new Set()).add(nodeId("nat", nat.name)));
        }
    }
    for (const nat of g.of(T.nat)) {
        place(
            "public",
            g.az(nat.inputs.subnetId) ?? "",
            `${nodeId("nat", nat.name)}[${label(`NAT gateway ${nat.name}`)}]`,
        );
    }

    // ---- databases ----
    for (const db of g.of(T.db)) {
        const id = nodeId("db", db.name);
        const source = g.ref(db.inputs.replicateSourceDb);
        const role = source ? `MySQL read replica ${db.name}` : `MySQL primary ${db.name}`;
        const multiAz = db.inputs.multiAz === true;
        place(
            "data",
            multiAz ? "" : String(db.inputs.availabilityZone ?? ""),
            `${id}[(${label(role, `${db.inputs.instanceClass}${multiAz ? ", Multi-AZ (standby in another AZ)" : ""}`)})]`,
        );
        attach(db.inputs.vpcSecurityGroupIds, id);
        if (source) edges.push(`    ${nodeId("db", source.name)} -.->|${label("async replication")}| ${id}`);
    }

    // ---- the failover controller: a function allowed to modify a listener moves the weights ----
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
        const id = nodeId("fn", fn.name);
        lines.push(
            `    ${id}[${label(`failover controller ${componentName(fn) ?? fn.name}`, "Lambda, polls target health")}]`,
        );
        for (const lb of new Set(listeners.map((l) => g.ref(l.inputs.loadBalancerArn)))) {
            if (lb) edges.push(`    ${id} -.->|${label("sets the weights")}| ${nodeId("lb", lb.name)}`);
        }
    }

    // ---- flows the security groups allow ----
    const flows = new Map<string, Flow>();
    const flow = (from: string, to: string, p: string, dotted = false) => {
        const key = `${from}>${to}`;
        const f = flows.get(key) ?? { from, to, ports: new Set<string>(), dotted };
        f.ports.add(p);
        flows.set(key, f);
    };
    for (const rule of g.of(T.ingress)) {
        const targets = members.get(g.ref(rule.inputs.securityGroupId)!) ?? [];
        const source = g.ref(rule.inputs.referencedSecurityGroupId);
        const cidr = (rule.inputs.cidrIpv4 ?? rule.inputs.cidrIpv6) as string | undefined;
        for (const to of targets) {
            if (source) for (const from of members.get(source) ?? []) flow(from, to, ports(rule.inputs));
            else if (cidr)
                flow(internet, to, `${ports(rule.inputs)}${/^(0\.0\.0\.0|::)\/0$/.test(cidr) ? "" : ` from ${cidr}`}`);
        }
    }
    for (const rule of g.of(T.egress)) {
        const cidr = rule.inputs.cidrIpv4 as string | undefined;
        if (cidr !== "0.0.0.0/0") continue;
        for (const from of members.get(g.ref(rule.inputs.securityGroupId)!) ?? []) {
            const nats = natEdges.get(from);
            for (const nat of nats ?? [internet]) flow(from, nat, `${ports(rule.inputs)} out`, true);
        }
    }
    for (const nat of new Set([...natEdges.values()].flatMap((s) => [...s]))) {
        flow(nat, internet, "out", true);
    }
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
        lines.push(`        subgraph tier_${tier}[${label(title)}]`);
        for (const [az, nodes] of [...zones.entries()].sort(([a], [b]) => a.localeCompare(b))) {
            if (az === "") {
                nodes.forEach((n) => lines.push(`            ${n}`));
                continue;
            }
            lines.push(`            subgraph ${nodeId(tier, az)}[${label(az)}]`);
            nodes.forEach((n) => lines.push(`                ${n}`));
            lines.push("            end");
        }
        lines.push("        end");
    }
    lines.push("    end");
    return [...lines, ...edges].join("\n") + "\n";
}

/**
 * The architecture diagram (scripts/plan/diagram.ts): drawn from what is registered (a flow only
 * where the destination's ingress rules and the source's egress rules allow it), parsed by mermaid's own parser, and rendered to SVG by
 * mermaid in a real headless Chromium, as GitHub shows the plan's markdown.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ARCHITECTURE } from "../scripts/docs";
import { evaluate, Evaluation } from "../scripts/offline";
import { buildDocument, planResources, PlanResource } from "../scripts/plan/document";
import { cidrRange, escapeLabel, firewallRules, renderDiagram } from "../scripts/plan/diagram";
import { renderMarkdown } from "../scripts/plan/render";
import { stackConfig } from "./helpers";

import program = require("../index");

const ROOT = path.join(__dirname, "..");

/** active-active, reachable from two CIDRs only (one evaluation shared by the tests that need either). */
const ACTIVE_ACTIVE_FROM_CIDRS = { mode: "active-active", allowedCidrs: "203.0.113.0/24,198.51.100.7/32" };

const evaluations = new Map<string, Promise<Evaluation>>();

/** A shipped stack evaluated with some keys replaced, once per config in this file. */
function evaluationOf(stack: string, overrides: Record<string, string> = {}): Promise<Evaluation> {
    const key = `${stack} ${JSON.stringify(overrides)}`;
    if (!evaluations.has(key))
        evaluations.set(key, evaluate(program, { stack, config: stackConfig(stack, overrides) }));
    return evaluations.get(key)!;
}

async function resourcesOf(stack: string, overrides: Record<string, string> = {}): Promise<PlanResource[]> {
    return planResources((await evaluationOf(stack, overrides)).resources);
}

/** Parses diagrams with mermaid (ESM, so in a child process: tests/support/mermaid-parse.mjs). */
function parse(diagrams: string[]): Array<{ ok: boolean; type?: string; error?: string }> {
    const run = spawnSync(process.execPath, [path.join(__dirname, "support", "mermaid-parse.mjs")], {
        input: JSON.stringify(diagrams),
        encoding: "utf8",
        cwd: ROOT,
    });
    if (run.status !== 0) throw new Error(`mermaid-parse.mjs failed: ${run.stderr}`);
    return JSON.parse(run.stdout);
}

const mermaidBlock = (markdown: string) => /```mermaid\n([\s\S]*?)```/.exec(markdown)![1];

const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const SG = "aws:ec2/securityGroup:SecurityGroup";

/** The resources without those named. */
const without = (resources: PlanResource[], ...names: string[]) => resources.filter((r) => !names.includes(r.name));
/** The resources with one's inputs changed. */
const withInputs = (resources: PlanResource[], name: string, inputs: Record<string, unknown>) =>
    resources.map((r) => (r.name === name ? { ...r, inputs: { ...r.inputs, ...inputs } } : r));
/** The ids of the nodes a diagram defines (a line that opens with an id and a shape). */
const definedNodes = (diagram: string) =>
    diagram
        .split("\n")
        .map((l) => /^\s+(?:subgraph )?(\w+)[[(]/.exec(l)?.[1])
        .filter((id): id is string => id !== undefined);

/** The program's aws.vpc rules as legacy aws.ec2.SecurityGroupRules (protocol by number). */
function asLegacyRules(resources: PlanResource[]): PlanResource[] {
    return resources.map((r) => {
        if (r.type !== INGRESS && r.type !== EGRESS) return r;
        const i = r.inputs as Record<string, any>;
        return {
            ...r,
            type: "aws:ec2/securityGroupRule:SecurityGroupRule",
            inputs: {
                type: r.type === INGRESS ? "ingress" : "egress",
                securityGroupId: i.securityGroupId,
                protocol: i.ipProtocol === "tcp" ? "6" : i.ipProtocol,
                fromPort: i.fromPort,
                toPort: i.toPort,
                ...(i.cidrIpv4 ? { cidrBlocks: [i.cidrIpv4] } : {}),
                ...(i.referencedSecurityGroupId ? { sourceSecurityGroupId: i.referencedSecurityGroupId } : {}),
            },
        };
    });
}

/** The program's aws.vpc rules as inline ingress/egress blocks of their security groups. */
function asInlineRules(resources: PlanResource[]): PlanResource[] {
    const rules = resources.filter((r) => r.type === INGRESS || r.type === EGRESS);
    return resources
        .filter((r) => !rules.includes(r))
        .map((r) => {
            if (r.type !== SG) return r;
            const block = (type: string) =>
                rules
                    .filter((x) => x.type === type && r.refs.includes(x.inputs.securityGroupId as string))
                    .map(({ inputs: i }) => ({
                        protocol: i.ipProtocol,
                        fromPort: i.fromPort,
                        toPort: i.toPort,
                        ...(i.cidrIpv4 ? { cidrBlocks: [i.cidrIpv4] } : {}),
                        ...(i.referencedSecurityGroupId ? { securityGroups: [i.referencedSecurityGroupId] } : {}),
                    }));
            return { ...r, inputs: { ...r.inputs, ingress: block(INGRESS), egress: block(EGRESS) } };
        });
}

describe("the architecture diagram", () => {
    it("should draw a flow only where a security group rule allows it, with the rule's port", async () => {
        const shipped = await resourcesOf("dev");
        expect(renderDiagram(shipped)).toContain('tg_dev_active_tg -->|":80"| pool_dev_active_asg');
        // The port on the arrow is the rule's, not the target group's.
        const resources = shipped.map((r) =>
            ["dev-active-in-from-alb", "dev-active-alb-out"].includes(r.name)
                ? { ...r, inputs: { ...r.inputs, fromPort: 8080, toPort: 8080 } }
                : r,
        );
        const diagram = renderDiagram(resources);
        expect(diagram).toContain('tg_dev_active_tg -->|":8080"| pool_dev_active_asg');
        expect(diagram).toContain('pool_dev_active_asg -->|":3306"| db_dev_db_primary');
        // Without the database's ingress rule from the active pool, there is no such flow.
        const closed = resources.filter((r) => r.name !== "dev-db-active-in");
        expect(renderDiagram(closed)).not.toContain('pool_dev_active_asg -->|":3306"|');
        expect(renderDiagram(closed)).toContain('pool_dev_failover_asg -->|":3306"| db_dev_db_primary');
    });

    it("should draw a flow only where the source's egress rules allow it too", async () => {
        const shipped = await resourcesOf("dev");
        const toDb = 'pool_dev_active_asg -->|":3306"| db_dev_db_primary';
        // The ALB's egress to the active pool's group and the active pool's egress to the database.
        const noAlbEgress = renderDiagram(without(shipped, "dev-active-alb-out"));
        expect(noAlbEgress).not.toMatch(/-->\|[^|]*\| pool_dev_active_asg/);
        expect(noAlbEgress).toContain('tg_dev_failover_tg -->|":80"| pool_dev_failover_asg');
        const noDbEgress = renderDiagram(without(shipped, "dev-db-active-out"));
        expect(noDbEgress).not.toContain("pool_dev_active_asg -->|");
        expect(noDbEgress).toContain('pool_dev_failover_asg -->|":3306"| db_dev_db_primary');
        // The active pool's 0.0.0.0/0 egress is for 443 only: it does not open 3306.
        expect(shipped.find((r) => r.name === "dev-active-out-https")?.inputs).toMatchObject({
            cidrIpv4: "0.0.0.0/0",
            fromPort: 443,
        });
        // Egress on another port than the database's ingress: no flow.
        expect(renderDiagram(withInputs(shipped, "dev-db-active-out", { fromPort: 5432, toPort: 5432 }))).not.toContain(
            toDb,
        );
        // Egress to a CIDR: drawn when the CIDR holds the database's subnets (10.0.128.0/21 and
        // 10.0.136.0/21), with the ports both rules allow; not when it holds the servers' subnets only.
        const byCidr = (cidrIpv4: string) =>
            renderDiagram(
                withInputs(shipped, "dev-db-active-out", {
                    referencedSecurityGroupId: undefined,
                    cidrIpv4,
                    fromPort: 0,
                    toPort: 65535,
                }),
            );
        expect(byCidr("10.0.128.0/20")).toContain(toDb);
        expect(byCidr("10.0.128.0/20")).toContain('pool_dev_active_asg -->|":3306"| db_dev_db_replica_0');
        expect(byCidr("10.0.64.0/18")).not.toContain("pool_dev_active_asg -->|");
        // All traffic out to the VPC's whole block reaches the database too (but only 3306 is let in).
        expect(
            renderDiagram(
                withInputs(shipped, "dev-db-active-out", {
                    referencedSecurityGroupId: undefined,
                    cidrIpv4: "10.0.0.0/16",
                    ipProtocol: "-1",
                    fromPort: undefined,
                    toPort: undefined,
                }),
            ),
        ).toContain(toDb);
    });

    it("should read inline rules, legacy SecurityGroupRules and aws.vpc rules alike", async () => {
        const shipped = await resourcesOf("dev");
        const legacy = asLegacyRules(shipped);
        const inline = asInlineRules(shipped);
        expect(legacy.some((r) => r.type === INGRESS || r.type === EGRESS)).toBe(false);
        expect(inline.some((r) => r.type === INGRESS || r.type === EGRESS)).toBe(false);
        // One normalisation: the same rules, whoever declares them.
        const normal = (resources: PlanResource[]) =>
            firewallRules(resources)
                .map((r) => {
                    const peer = r.peer.kind === "group" ? `group ${r.peer.group?.name}` : JSON.stringify(r.peer);
                    return `${r.direction} ${r.group?.name} ${r.protocol} ${r.from}-${r.to} ${peer}`;
                })
                .sort();
        const rules = normal(shipped);
        expect(rules).toContain("egress dev-alb-sg tcp 80-80 group dev-active-sg");
        expect(rules).toContain('ingress dev-alb-sg tcp 443-443 {"kind":"cidr","cidr":"0.0.0.0/0"}');
        expect(rules).toHaveLength(shipped.filter((r) => r.type === INGRESS || r.type === EGRESS).length);
        expect(normal(legacy)).toEqual(rules);
        expect(normal(inline)).toEqual(rules);
        // And so the same diagram, egress checks included.
        const diagram = renderDiagram(shipped);
        expect(renderDiagram(legacy)).toBe(diagram);
        expect(renderDiagram(inline)).toBe(diagram);
        // Without the inline egress block of the active pool's group, its flows to MySQL are gone.
        const noEgress = inline.map((r) =>
            r.name === "dev-active-sg" ? { ...r, inputs: { ...r.inputs, egress: [] } } : r,
        );
        expect(renderDiagram(noEgress)).not.toContain("pool_dev_active_asg -->|");
        expect(renderDiagram(noEgress)).toContain('pool_dev_failover_asg -->|":3306"| db_dev_db_primary');
    });

    it("should give a CIDR other than 0.0.0.0/0 a node of its own, labelled with the CIDR", async () => {
        const diagram = renderDiagram(await resourcesOf("dev", ACTIVE_ACTIVE_FROM_CIDRS));
        expect(diagram).toContain('cidr_203_0_113_0_24(("203.0.113.0/24"))');
        expect(diagram).toContain('cidr_198_51_100_7_32(("198.51.100.7/32"))');
        expect(diagram).toContain('cidr_203_0_113_0_24 -->|":443 :80"| lb_dev_alb');
        expect(diagram).toContain('cidr_198_51_100_7_32 -->|":443 :80"| lb_dev_alb');
        // The internet is still there, for the servers' traffic out through the NAT gateway, but
        // it does not reach the load balancer.
        expect(diagram).not.toMatch(/internet -->\|[^|]*\| lb_/);
        expect(diagram).toContain('nat_dev_nat_0 -.->|"out"| internet');
        expect(renderDiagram(await resourcesOf("dev"))).toContain('internet -->|":443 :80"| lb_dev_alb');
        expect(cidrRange("2001:db8::/32")).toEqual({
            v6: true,
            first: 0x20010db8n << 96n,
            last: (0x20010db8n << 96n) + (1n << 96n) - 1n,
        });
        expect(cidrRange("10.0.0.0/33")).toBeUndefined();
        expect(cidrRange("10.0.0/8")).toBeUndefined();
    });

    it("should give each resource its own node id, even when names sanitise alike", async () => {
        const shipped = await resourcesOf("dev");
        // dev-failover-asg renamed dev_active_asg: both would be pool_dev_active_asg.
        const clash = shipped.map((r) => (r.name === "dev-failover-asg" ? { ...r, name: "dev_active_asg" } : r));
        const diagram = renderDiagram(clash);
        const nodes = definedNodes(diagram);
        expect(new Set(nodes).size).toBe(nodes.length);
        const poolId = (component: string) =>
            new RegExp(`^\\s+(\\w+)\\["server pool ${component}<br/>`, "m").exec(diagram)?.[1];
        const active = poolId("dev-active");
        const failover = poolId("dev-failover");
        expect([active, failover].sort()).toEqual(["pool_dev_active_asg", "pool_dev_active_asg_2"]);
        expect(diagram).toContain(`tg_dev_active_tg -->|":80"| ${active}\n`);
        expect(diagram).toContain(`tg_dev_failover_tg -->|":80"| ${failover}\n`);
        expect(diagram).toContain(`${failover} -->|":3306"| db_dev_db_primary`);
        expect(diagram).toContain(`${active} -->|":3306"| db_dev_db_primary`);
        expect(definedNodes(renderDiagram(shipped))).toHaveLength(nodes.length);
    });

    it("should parse with mermaid's own parser, for every shipped stack, both modes, and odd names", async () => {
        const diagrams = [
            renderDiagram(await resourcesOf("dev")),
            renderDiagram(await resourcesOf("dev", ACTIVE_ACTIVE_FROM_CIDRS)),
            renderDiagram(await resourcesOf("prod")),
            mermaidBlock(fs.readFileSync(ARCHITECTURE, "utf8")),
            // Names that would break an unescaped label or id: quotes, brackets, #, a keyword.
            renderDiagram(
                (await resourcesOf("dev")).map((r) =>
                    ["aws:autoscaling/group:Group", "aws:ec2/natGateway:NatGateway"].includes(r.type)
                        ? { ...r, name: `end"<b>#1;[x]|y` }
                        : r,
                ),
            ),
            // Two pools whose names sanitise to one id.
            renderDiagram(
                (await resourcesOf("dev")).map((r) =>
                    r.name === "dev-failover-asg" ? { ...r, name: "dev_active_asg" } : r,
                ),
            ),
        ];
        // Last, a broken diagram: the parser does reject one, so the check can fail.
        const results = parse([...diagrams, 'flowchart LR\n    a -->|"x"| end\n']);
        expect(results.slice(0, -1)).toEqual(diagrams.map(() => ({ ok: true, type: "flowchart-v2" })));
        expect(results[results.length - 1].ok).toBe(false);
        expect(escapeLabel('a"b<c>#d')).toBe("a#quot;b#lt;c#gt;#35;d");
    });

    it("should render to SVG in headless Chromium with the tiers and their nodes", async () => {
        const doc = buildDocument("dev", stackConfig("dev"), await evaluationOf("dev"));
        const diagram = mermaidBlock(renderMarkdown(doc));
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "diagram-"));
        const page = path.join(dir, "page.html");
        const html = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
        const script = `file://${path.join(ROOT, "node_modules", "mermaid", "dist", "mermaid.min.js")}`;
        fs.writeFileSync(
            page,
            `<!doctype html><html><head><meta charset="utf-8"><title>pending</title><script src="${script}"></script></head>
<body><pre class="mermaid">${html(diagram)}</pre><script>
mermaid.initialize({ startOnLoad: false });
mermaid.run().then(() => {
    const svg = document.querySelector("pre.mermaid svg");
    document.title = "rendered " + svg.querySelectorAll("g.node").length + " nodes " + svg.querySelectorAll("g.cluster").length + " clusters";
}).catch((e) => { document.title = "error: " + e.message; });
</script></body></html>`,
        );
        const chromium = spawnSync(
            "chromium",
            [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                `--user-data-dir=${path.join(dir, "profile")}`,
                "--virtual-time-budget=5000",
                "--dump-dom",
                `file://${page}`,
            ],
            { encoding: "utf8", timeout: 25000 },
        );
        fs.rmSync(dir, { recursive: true, force: true });
        expect(chromium.error).toBeUndefined();
        const dom = chromium.stdout;
        // internet, the controller, the ALB, 2 target groups, the NAT gateway, 2 pools, 2 databases;
        // the VPC, 3 tiers and 5 AZ boxes.
        expect(/<title>([^<]*)<\/title>/.exec(dom)?.[1]).toBe("rendered 10 nodes 9 clusters");
        expect(dom).toMatch(/<svg[^>]+id="mermaid-/);
        for (const text of [
            "Public tier: load balancer, NAT",
            "App tier: servers (private subnets)",
            "Data tier: MySQL (isolated subnets)",
            "Application Load Balancer dev-alb",
            "server pool dev-active",
            "MySQL primary dev-db-primary",
            "HTTPS :443 weight 100",
        ]) {
            expect(dom).toContain(text);
        }
    });
});

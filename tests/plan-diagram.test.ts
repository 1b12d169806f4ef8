/**
 * The architecture diagram (scripts/plan/diagram.ts): drawn from what is registered (a flow only
 * where a security group rule allows it), parsed by mermaid's own parser, and rendered to SVG by
 * mermaid in a real headless Chromium, as GitHub shows the plan's markdown.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ARCHITECTURE } from "../scripts/docs";
import { evaluate, Evaluation } from "../scripts/offline";
import { buildDocument, planResources, PlanResource } from "../scripts/plan/document";
import { escapeLabel, renderDiagram } from "../scripts/plan/diagram";
import { renderMarkdown } from "../scripts/plan/render";
import { stackConfig } from "./helpers";

import program = require("../index");

const ROOT = path.join(__dirname, "..");

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

describe("the architecture diagram", () => {
    it("should draw a flow only where a security group rule allows it, with the rule's port", async () => {
        const shipped = await resourcesOf("dev");
        expect(renderDiagram(shipped)).toContain('tg_dev_active_tg -->|":80"| pool_dev_active_asg');
        // The port on the arrow is the rule's, not the target group's.
        const resources = shipped.map((r) =>
            r.name === "dev-active-in-from-alb" ? { ...r, inputs: { ...r.inputs, fromPort: 8080, toPort: 8080 } } : r,
        );
        const diagram = renderDiagram(resources);
        expect(diagram).toContain('tg_dev_active_tg -->|":8080"| pool_dev_active_asg');
        expect(diagram).toContain('pool_dev_active_asg -->|":3306"| db_dev_db_primary');
        // Without the database's ingress rule from the active pool, there is no such flow.
        const closed = resources.filter((r) => r.name !== "dev-db-active-in");
        expect(renderDiagram(closed)).not.toContain('pool_dev_active_asg -->|":3306"|');
        expect(renderDiagram(closed)).toContain('pool_dev_failover_asg -->|":3306"| db_dev_db_primary');
    });

    it("should parse with mermaid's own parser, for every shipped stack, both modes, and odd names", async () => {
        const diagrams = [
            renderDiagram(await resourcesOf("dev")),
            renderDiagram(await resourcesOf("dev", { mode: "active-active" })),
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

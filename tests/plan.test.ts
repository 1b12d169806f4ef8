/**
 * The plan for people (scripts/plan/): the diagram drawn from what the program registers, the
 * cost estimate, the policy results, the JSON document, and the command's options and exit codes.
 * The change review (--compare) is in tests/plan-compare.test.ts; the diagram's parse and render
 * checks in tests/plan-diagram.test.ts.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bundleHandler } from "../components/failoverController/bundle";
import { evaluate, Evaluation, listStacks } from "../scripts/offline";
import { estimateCost, FREE_TYPES } from "../scripts/plan/cost";
import { buildDocument, parseDocument, planResources, PlanDocument, PlanResource } from "../scripts/plan/document";
import { exitCodeOf, parseOptions, plan } from "../scripts/plan/make";
import { renderMarkdown, renderText } from "../scripts/plan/render";
import { PRICES, RDS_MYSQL_HOURLY, EC2_HOURLY } from "../scripts/plan/prices";
import { ofType, only, resolveRef, stackConfig, T } from "./helpers";

import program = require("../index");

const plans = new Map<string, Promise<{ ev: Evaluation; doc: PlanDocument }>>();

/** A shipped stack's plan with some keys replaced, evaluated once per config in this file. */
function planOf(stack: string, overrides: Record<string, string | undefined> = {}) {
    const key = `${stack} ${JSON.stringify(overrides)}`;
    if (!plans.has(key)) {
        const config = stackConfig(stack, overrides);
        plans.set(
            key,
            evaluate(program, { stack, config }).then((ev) => ({ ev, doc: buildDocument(stack, config, ev) })),
        );
    }
    return plans.get(key)!;
}

const edgesOf = (diagram: string) =>
    diagram
        .split("\n")
        .filter((l) => /-->|==>|-\.->/.test(l))
        .map((l) => l.trim());

describe.each(listStacks().flatMap((stack) => [[stack, "active-passive"] as const, [stack, "active-active"] as const]))(
    "the plan of Pulumi.%s.yaml in %s mode",
    (stack, mode) => {
        let ev: Evaluation;
        let doc: PlanDocument;
        beforeAll(async () => {
            // The shipped files are active-passive: the same evaluation as planOf(stack) elsewhere here.
            ({ ev, doc } = await planOf(stack, mode === "active-passive" ? {} : { mode }));
        });

        it("should draw the tiers, with every server pool and database instance in its AZ", () => {
            for (const tier of ["tier_public", "tier_app", "tier_data"])
                expect(doc.diagram).toContain(`subgraph ${tier}[`);
            const lines = doc.diagram.split("\n");
            for (const asg of ofType(ev, T.asg)) {
                const zones = new Set<string>(
                    asg.inputs.vpcZoneIdentifiers.map((s: string) => resolveRef(ev, s)?.inputs.availabilityZone),
                );
                const node = lines.findIndex((l) => l.includes(`pool_${asg.name.replace(/-/g, "_")}[`));
                expect(node).toBeGreaterThan(0);
                if (zones.size === 1) {
                    // The nearest subgraph above the node is its AZ's.
                    const az = lines
                        .slice(0, node)
                        .reverse()
                        .find((l) => l.includes("subgraph "));
                    expect(az).toContain(`subgraph app_${[...zones][0].replace(/-/g, "_")}[`);
                }
            }
            for (const db of ofType(ev, "aws:rds/instance:Instance")) {
                expect(doc.diagram).toContain(`db_${db.name.replace(/-/g, "_")}[(`);
            }
        });

        it("should label the listener's target groups with the weights it gives them", () => {
            const https = only(ev, T.listener, "-https");
            const targets = https.inputs.defaultActions[0].forward.targetGroups as Array<{
                arn: string;
                weight: number;
            }>;
            expect(targets.length).toBeGreaterThan(0);
            for (const t of targets) {
                const tg = resolveRef(ev, t.arn)!;
                const edge = edgesOf(doc.diagram).find((e) => e.endsWith(`| tg_${tg.name.replace(/-/g, "_")}`));
                expect(edge).toContain(`"HTTPS :443 weight ${t.weight}"`);
                // Weight 0 is the standby: dotted.
                expect(edge).toContain(t.weight === 0 ? "-.->" : "==>");
            }
            expect(doc.diagram.includes("weight 0")).toBe(mode === "active-passive");
        });

        it("should draw the flows the security groups allow, with their ports", () => {
            const edges = edgesOf(doc.diagram);
            expect(edges.filter((e) => e.startsWith("internet -->"))).toEqual([
                `internet -->|":443 :80"| lb_${stack}_alb`,
            ]);
            const pools = ofType(ev, T.asg).map((a) => `pool_${a.name.replace(/-/g, "_")}`);
            const dbs = ofType(ev, "aws:rds/instance:Instance").map((d) => `db_${d.name.replace(/-/g, "_")}`);
            for (const pool of pools) {
                expect(edges.some((e) => e.startsWith("tg_") && e.endsWith(`|":80"| ${pool}`))).toBe(true);
                for (const db of dbs) expect(edges).toContain(`${pool} -->|":3306"| ${db}`);
            }
            const replicas = ofType(ev, "aws:rds/instance:Instance").filter((d) => d.inputs.replicateSourceDb);
            expect(edges.filter((e) => e.includes('"async replication"'))).toHaveLength(replicas.length);
        });

        it("should price the stack item by item, and name what it cannot price", () => {
            const items = doc.cost.lines.map((l) => l.item);
            expect(items).toEqual(
                expect.arrayContaining(["Application Load Balancer", "NAT gateways", "Public IPv4 addresses"]),
            );
            const priced = doc.cost.lines.filter((l) => l.notPriced === undefined);
            expect(doc.cost.totalUsd).toBeCloseTo(
                priced.reduce((s, l) => s + l.monthlyUsd!, 0),
                6,
            );
            for (const l of priced) expect(l.monthlyUsd).toBeCloseTo(l.quantity! * l.unitUsd!, 9);
            const servers = ofType(ev, T.asg).reduce((n, a) => n + a.inputs.desiredCapacity, 0);
            const ec2 = doc.cost.lines.find((l) => l.item.startsWith("EC2 instances"))!;
            expect(ec2.quantity).toBe(servers * 730);
            expect(doc.cost.warnings).toEqual([]);
            expect(doc.cost.assumptions.join(" ")).toMatch(/730 hours/);
            expect(doc.cost.leftOut.join(" ")).toMatch(/data transfer/);
        });

        it("should run the policy pack: no mandatory violation, the advice only where the stack chose so", () => {
            expect(doc.policy.mandatory).toEqual([]);
            expect(doc.policy.advisory.map((f) => f.policy).sort()).toEqual(
                stack === "prod" ? [] : ["alb-deletion-protection", "rds-multi-az"],
            );
            expect(exitCodeOf(doc)).toBe(0);
        });

        it("should show the diagram, the cost and the policy results in both formats", () => {
            const md = renderMarkdown(doc);
            expect(md).toContain("```mermaid\nflowchart LR\n");
            expect(md).toContain(`| **total** | | | **$${doc.cost.totalUsd.toFixed(2)}** |`);
            expect(md).toContain("**Mandatory: no violations.**");
            const text = renderText(doc, "(tree)");
            expect(text).toContain("flowchart LR");
            expect(text).toMatch(new RegExp(`total\\s+\\$${doc.cost.totalUsd.toFixed(2)}`));
            expect(text).toContain("mandatory: no violations");
        });
    },
);

describe("the cost estimate", () => {
    let dev: Awaited<ReturnType<typeof planOf>>;
    beforeAll(async () => {
        dev = await planOf("dev");
    });

    it("should price dev at the table's prices: 2 servers, 2 db.t4g.micro, one NAT gateway, three public IPv4s", () => {
        const line = (item: string) => dev.doc.cost.lines.find((l) => l.item === item)!;
        expect(line("EC2 instances (t4g.micro)").monthlyUsd).toBeCloseTo(2 * 730 * EC2_HOURLY["t4g.micro"].usd, 6);
        expect(line("RDS MySQL (db.t4g.micro)").monthlyUsd).toBeCloseTo(
            2 * 730 * RDS_MYSQL_HOURLY["db.t4g.micro"].usd,
            6,
        );
        expect(line("NAT gateways").quantity).toBe(730);
        // Two for the ALB (one per AZ), one for the NAT gateway's Elastic IP.
        expect(line("Public IPv4 addresses").quantity).toBe(3 * 730);
        // A replica has its source's storage.
        expect(line("RDS gp3 storage").quantity).toBe(2 * 20);
    });

    it("should price prod's Multi-AZ primary as two instances, its replicas as one each", async () => {
        const { doc } = await planOf("prod");
        const line = (item: string) => doc.cost.lines.find((l) => l.item === item)!;
        expect(line("RDS MySQL (db.m7g.large, Multi-AZ)").quantity).toBe(2 * 730);
        expect(line("RDS MySQL (db.m7g.large)").quantity).toBe(2 * 730);
        expect(line("RDS gp3 storage (Multi-AZ)").quantity).toBe(100);
        expect(doc.cost.lines.filter((l) => l.notPriced)).toEqual([]);
    });

    it("should show a DB instance class it has no price for as not priced, outside the total, rather than as $0", async () => {
        const priced = (await planOf("prod")).doc;
        // The same stack with another class (the estimate reads only the registered resources).
        const resources = priced.resources.map((r) =>
            r.type === "aws:rds/instance:Instance"
                ? { ...r, inputs: { ...r.inputs, instanceClass: "db.r7g.large" } }
                : r,
        );
        const doc = { ...priced, cost: estimateCost(resources, "us-east-1") };
        const db = doc.cost.lines.find((l) => l.item === "RDS MySQL (db.r7g.large, Multi-AZ)")!;
        expect(db.notPriced).toMatch(/no price for DB instance class db\.r7g\.large/);
        expect(db.monthlyUsd).toBeUndefined();
        const rds = priced.cost.lines
            .filter((l) => l.item.startsWith("RDS MySQL"))
            .reduce((n, l) => n + l.monthlyUsd!, 0);
        expect(doc.cost.totalUsd).toBeCloseTo(priced.cost.totalUsd - rds, 6);
        expect(renderMarkdown(doc)).toContain("| RDS MySQL (db.r7g.large, Multi-AZ) | | **not priced** |");
        expect(renderMarkdown(doc)).toContain("(+2 not priced)");
        expect(renderText(doc, "")).toContain("RDS MySQL (db.r7g.large, Multi-AZ)");
    });

    it("should name an instance type or a resource type it has no price for, and never crash", async () => {
        const resources = dev.doc.resources.map((r) =>
            r.type === "aws:ec2/launchTemplate:LaunchTemplate"
                ? { ...r, inputs: { ...r.inputs, instanceType: "c7g.xlarge" } }
                : r,
        );
        const cost = estimateCost(resources, "us-east-1");
        expect(cost.lines.find((l) => l.item === "EC2 instances (c7g.xlarge)")?.notPriced).toMatch(/c7g\.xlarge/);
        const odd = estimateCost(
            [
                {
                    urn: "urn:x",
                    type: "aws:elasticache/cluster:Cluster",
                    name: "cache",
                    custom: true,
                    refs: [],
                    inputs: {},
                },
            ],
            "us-east-1",
        );
        expect(odd.lines).toEqual([
            {
                item: "aws:elasticache/cluster:Cluster",
                notPriced: "resource type aws:elasticache/cluster:Cluster is not in the price table",
            },
        ]);
        expect(odd.totalUsd).toBe(0);
    });

    it("should list every resource type the stacks register as priced, not priced or free: none counts as $0 silently", () => {
        const resources = planResources(dev.ev.resources).filter((r) => r.custom);
        for (const type of new Set(resources.map((r) => r.type))) {
            const report = estimateCost(
                resources.filter((r) => r.type === type),
                "us-east-1",
            );
            const free = report.free.some((f) => f.startsWith(type));
            // Either it costs something (priced or named as not priced), or it is named as free.
            expect([type, report.lines.length > 0 || free]).toEqual([type, true]);
            // Free by type, or free as one kind of it, named with why (a gateway endpoint, a rollout starter's function).
            const annotated = report.free.filter((f) => f.startsWith(`${type} (`));
            expect([type, free]).toEqual([type, FREE_TYPES.has(type) || annotated.length > 0]);
        }
        expect(dev.doc.cost.free).toEqual(
            expect.arrayContaining([
                "aws:ec2/vpc:Vpc",
                "aws:ec2/vpcEndpoint:VpcEndpoint (Gateway)",
                "aws:lambda/function:Function (rollout starter: one invocation a deployment)",
                "aws:cloudwatch/logGroup:LogGroup (rollout starter: a line or two a deployment)",
                "aws:lambda/invocation:Invocation",
            ]),
        );
    });

    it("should apply the controller's measured traffic only to the controller, and price only what it knows", () => {
        const r = (type: string, name: string, inputs: Record<string, unknown>, parent?: string): PlanResource => ({
            urn: `urn:pulumi:dev::ha-webstack::${type}::${name}`,
            type,
            name,
            custom: true,
            refs: [name],
            inputs,
            ...(parent ? { parent } : {}),
        });
        const cost = estimateCost(
            [
                r("aws:lambda/function:Function", "resizer", { memorySize: 1024, architectures: ["x86_64"] }),
                r("aws:dynamodb/table:Table", "sessions", {}),
                r("aws:lb/loadBalancer:LoadBalancer", "nlb", { loadBalancerType: "network", subnets: ["a", "b"] }),
                r("aws:lb/loadBalancer:LoadBalancer", "internal", { internal: true, subnets: ["a", "b"] }),
                r("aws:rds/instance:Instance", "db", {
                    instanceClass: "db.t4g.micro",
                    allocatedStorage: 100,
                    storageType: "io2",
                    iops: 20000,
                }),
            ],
            "us-east-1",
        );
        expect(cost.lines.filter((l) => l.notPriced).map((l) => [l.item, l.notPriced])).toEqual([
            ["DynamoDB table sessions", "its requests are not known to the estimate"],
            ["Lambda function resizer", "its invocations are not known to the estimate"],
            ["Load balancer nlb (network)", "network load balancers are not in the price table"],
            [
                "RDS io2 storage with provisioned IOPS",
                "RDS io2 storage and provisioned IOPS are not in the price table",
            ],
        ]);
        // The internal ALB is priced, without public addresses.
        expect(cost.lines.map((l) => l.item)).toContain("Application Load Balancer");
        expect(cost.lines.map((l) => l.item)).not.toContain("Public IPv4 addresses");
        // The controller's function and table are priced at what bench:failover measured.
        const controller = dev.doc.resources.filter((x) => /FailoverController::[^:]+$/.test(x.parent ?? ""));
        const priced = estimateCost(controller, "us-east-1").lines.map((l) => l.item);
        expect(priced).toEqual(
            expect.arrayContaining(["Lambda compute (failover controller)", "DynamoDB writes (on demand)"]),
        );
    });

    it("should price the two alarms Auto Scaling creates for each target tracking policy", () => {
        const item = "CloudWatch alarms (target tracking, created by Auto Scaling)";
        const policies = dev.doc.resources.filter((r) => r.type === "aws:autoscaling/policy:Policy");
        // dev: two pools, each tracking requests per target and CPU.
        expect(policies.map((p) => p.inputs.policyType)).toEqual(Array(4).fill("TargetTrackingScaling"));
        const line = dev.doc.cost.lines.find((l) => l.item === item)!;
        expect(line.quantity).toBe(2 * policies.length);
        expect(line.monthlyUsd).toBeCloseTo(2 * policies.length * PRICES.alarmMetricMonth.usd, 6);
        expect(dev.doc.cost.leftOut.join(" ")).not.toMatch(/target tracking/);
        // Without the policies, neither the line nor its cost remains; a simple scaling policy is free.
        const without = estimateCost(
            dev.doc.resources.filter((r) => r.type !== "aws:autoscaling/policy:Policy"),
            "us-east-1",
        );
        expect(without.lines.map((l) => l.item)).not.toContain(item);
        expect(without.totalUsd).toBeCloseTo(dev.doc.cost.totalUsd - line.monthlyUsd!, 6);
        const simple = estimateCost(
            [{ ...policies[0], inputs: { ...policies[0].inputs, policyType: "SimpleScaling" } }],
            "us-east-1",
        );
        expect(simple.lines).toEqual([]);
        expect(simple.free).toEqual(["aws:autoscaling/policy:Policy (SimpleScaling)"]);
    });

    it("should estimate another region at us-east-1's prices, with a warning", async () => {
        const cost = estimateCost(dev.doc.resources, "eu-west-1");
        expect(cost.warnings).toEqual([expect.stringContaining("eu-west-1")]);
        expect(cost.totalUsd).toBeCloseTo(dev.doc.cost.totalUsd, 6);
        expect(renderMarkdown({ ...dev.doc, cost })).toContain("> [!WARNING]");
    });

    it("should give each price its source page and the date it was read", () => {
        for (const price of [
            ...Object.values(PRICES),
            ...Object.values(EC2_HOURLY),
            ...Object.values(RDS_MYSQL_HOURLY),
        ]) {
            expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
            expect(price.read).toMatch(/^\d{4}-\d{2}-\d{2}/);
            expect(price.usd).toBeGreaterThan(0);
        }
    });
});

describe("the policy results", () => {
    it("should list a mandatory violation and make the plan exit 2", async () => {
        const { ev } = await planOf("dev");
        // What the program would register if the encryption default were lost.
        const resources = ev.resources.map((r) =>
            r.name === "dev-db-primary" ? { ...r, state: { ...r.state, storageEncrypted: false } } : r,
        );
        const doc = buildDocument("dev", stackConfig("dev"), { ...ev, resources });
        expect(doc.policy.mandatory).toEqual([
            expect.objectContaining({
                policy: "rds-storage-encrypted",
                level: "mandatory",
                resource: "dev-db-primary",
            }),
        ]);
        expect(exitCodeOf(doc)).toBe(2);
        expect(renderMarkdown(doc)).toContain("**Mandatory: 1 violation(s): the plan fails.**");
    });
});

describe("the JSON plan", () => {
    let doc: PlanDocument;
    beforeAll(async () => {
        ({ doc } = await planOf("dev"));
    });

    it("should read back what it wrote", () => {
        const text = JSON.stringify(doc);
        expect(parseDocument(text, "base.json")).toEqual(JSON.parse(text));
    });

    it("should refuse a file that is not a plan, naming it", () => {
        expect(() => parseDocument("{", "base.json")).toThrow(/^base\.json is not JSON/);
        expect(() => parseDocument('{"resources": []}', "base.json")).toThrow(
            "base.json is not a plan written by npm run plan -- --format json (format ha-webstack-plan/1)",
        );
    });

    it("should hold no secret: the database password and secret string are markers", () => {
        const text = JSON.stringify(doc);
        expect(text).not.toMatch(/mock-[0-9a-f]{8}/);
        const version = doc.resources.find((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion")!;
        expect(version.inputs.secretString).toBe("[secret]");
        const primary = doc.resources.find((r) => r.name === "dev-db-primary")!;
        expect(primary.inputs.password).toBe("[secret]");
    });

    it("should show an asset by its contents, so that a change of the Lambda's code shows in a review", () => {
        const fn = doc.resources.find(
            (r) => r.type === "aws:lambda/function:Function" && r.name === "dev-controller-fn",
        )!;
        const bundle = bundleHandler();
        const sha = crypto.createHash("sha256").update(bundle).digest("hex").slice(0, 12);
        expect(fn.inputs.code).toBe(`[archive of index.js: ${Buffer.byteLength(bundle)} bytes, sha256 ${sha}]`);
    });

    it("should keep IAM policies as documents, and long strings as their size and hash", () => {
        const policy = doc.resources.find((r) => r.name === "dev-controller-policy")!;
        expect(policy.inputs.policy).toMatchObject({ Version: "2012-10-17", Statement: expect.any(Array) });
        const template = doc.resources.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")!;
        expect(template.inputs.userData).toMatch(/^\[\d+ bytes, sha256 [0-9a-f]{12}\]$/);
    });
});

describe("npm run plan", () => {
    it("should read the stack, --format, --compare and --out, and refuse anything else by name", () => {
        expect(parseOptions([])).toEqual({ stack: "dev", format: "text" });
        expect(parseOptions(["prod", "--format", "json", "--compare", "b.json", "--out", "p.json"])).toEqual({
            stack: "prod",
            format: "json",
            compare: "b.json",
            out: "p.json",
        });
        expect(() => parseOptions(["--format", "yaml"])).toThrow('--format "yaml" is not one of text, markdown, json');
        expect(() => parseOptions(["dev", "prod"])).toThrow("one stack at a time, got dev, prod");
        expect(() => parseOptions(["--colour"])).toThrow(/colour/);
    });

    it("should refuse an unknown stack and a missing base before evaluating anything", async () => {
        await expect(plan({ stack: "staging", format: "text" })).rejects.toThrow(
            "no stack config Pulumi.staging.yaml; this repository ships: dev, prod",
        );
        await expect(plan({ stack: "dev", format: "text", compare: "/nonexistent/base.json" })).rejects.toThrow(
            /nonexistent\/base\.json/,
        );
    });

    it("should run as a command: the plan to a file (exit 0), a bad option named (exit 1)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
        const base = path.join(dir, "base.json");
        const run = (...args: string[]) =>
            new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
                const child = spawn(process.execPath, ["scripts/run.mjs", "scripts/plan.ts", ...args], {
                    cwd: path.join(__dirname, ".."),
                });
                let stdout = "";
                let stderr = "";
                child.stdout.on("data", (d) => (stdout += d));
                child.stderr.on("data", (d) => (stderr += d));
                child.on("close", (status) => resolve({ status, stdout, stderr }));
            });
        // Both at once: each takes a second or two.
        const [json, bad] = await Promise.all([
            run("dev", "--format", "json", "--out", base),
            run("dev", "--format", "yaml"),
        ]);
        expect([json.status, json.stderr, json.stdout]).toEqual([0, "", ""]);
        expect(bad.status).toBe(1);
        expect(bad.stderr).toContain('plan failed: --format "yaml" is not one of text, markdown, json');
        // The file it wrote is a base --compare reads.
        const { output, exitCode } = await plan({ stack: "dev", format: "markdown", compare: base });
        expect(exitCode).toBe(0);
        expect(output).toContain("### Change review against the base (`dev`");
        expect(output).toContain("**0 added, 0 removed, 0 changed**");
    });
});

/**
 * The change review (`npm run plan -- --compare base.json`): on real pairs of evaluations (the
 * dev stack against dev with one setting changed, each pair with the lines it must produce), and
 * the security rules one by one on small resource lists.
 */
import { evaluate } from "../scripts/offline";
import { compare, Comparison, diffInputs } from "../scripts/plan/compare";
import { estimateCost } from "../scripts/plan/cost";
import { buildDocument, PlanDocument, PlanResource } from "../scripts/plan/document";
import { renderMarkdown, renderText } from "../scripts/plan/render";
import { securityChanges } from "../scripts/plan/security";
import { stackConfig } from "./helpers";

import program = require("../index");

const plans = new Map<string, Promise<PlanDocument>>();

/** The dev plan with some keys replaced, through JSON as `--format json` writes it (evaluated once per config). */
function planOf(overrides: Record<string, string | undefined> = {}): Promise<PlanDocument> {
    const key = JSON.stringify(overrides);
    if (!plans.has(key)) {
        const config = stackConfig("dev", overrides);
        plans.set(
            key,
            evaluate(program, { stack: "dev", config }).then(
                (ev) => JSON.parse(JSON.stringify(buildDocument("dev", config, ev))) as PlanDocument,
            ),
        );
    }
    return plans.get(key)!;
}

async function review(
    base: Record<string, string | undefined>,
    head: Record<string, string | undefined>,
): Promise<Comparison> {
    return compare(await planOf(base), await planOf(head));
}

const findings = (c: Comparison) => c.security.map((f) => `${f.resource}: ${f.change}`);
const names = (rs: Comparison["added"]) => rs.map((r) => r.name).sort();

describe("the change review of real evaluations", () => {
    it("dev against itself: no change, no finding, no cost delta", async () => {
        const c = await review({}, {});
        expect(c).toMatchObject({ added: [], removed: [], changed: [], security: [] });
        expect(c.cost).toMatchObject({ lines: [], deltaUsd: 0, notPriced: [] });
        expect(renderMarkdown(await planOf(), c)).toContain("None found (firewall, IAM,");
    });

    it("allowedCidrs widened to the internet: both listener ports named as opened to the internet", async () => {
        // The shipped dev stack allows 0.0.0.0/0.
        const c = await review({ allowedCidrs: '["203.0.113.0/24"]' }, {});
        expect(findings(c)).toEqual([
            "dev-alb-in-80-0: ingress opened to the internet: dev-alb-sg now accepts tcp 80 from 0.0.0.0/0 (the whole internet) (was 203.0.113.0/24)",
            "dev-alb-in-443-0: ingress opened to the internet: dev-alb-sg now accepts tcp 443 from 0.0.0.0/0 (the whole internet) (was 203.0.113.0/24)",
        ]);
        expect(c.changed.map((r) => [r.name, r.inputs])).toEqual([
            ["dev-alb-in-80-0", [{ path: "cidrIpv4", before: "203.0.113.0/24", after: "0.0.0.0/0" }]],
            ["dev-alb-in-443-0", [{ path: "cidrIpv4", before: "203.0.113.0/24", after: "0.0.0.0/0" }]],
        ]);
        expect(c.cost.deltaUsd).toBe(0);
    });

    it("allowedCidrs narrowed: a change, but nothing weaker", async () => {
        const c = await review({}, { allowedCidrs: '["203.0.113.0/24"]' });
        expect(c.changed.map((r) => r.name)).toEqual(["dev-alb-in-80-0", "dev-alb-in-443-0"]);
        expect(c.security).toEqual([]);
    });

    it("waf off: the web ACL and its association removed, named, and $8 a month less", async () => {
        const c = await review({ waf: "true" }, {});
        expect(findings(c)).toEqual(["dev-waf: WAF web ACL removed", "dev-waf-alb: WAF removed from dev-alb"]);
        expect(names(c.removed)).toEqual(["dev-waf", "dev-waf-alb"]);
        expect(c.cost.lines).toEqual([
            { item: "WAF web ACLs", beforeUsd: 5, deltaUsd: -5 },
            { item: "WAF rules", beforeUsd: 3, deltaUsd: -3 },
        ]);
        expect(c.cost.deltaUsd).toBeCloseTo(-8, 9);
        const md = renderMarkdown(await planOf(), c);
        expect(md).toContain("- :warning: `dev-waf-alb`: WAF removed from dev-alb");
        expect(md).toContain("| WAF web ACLs | $5.00 | – | −$5.00 |");
        const [before, after] = [(await planOf({ waf: "true" })).cost.totalUsd, (await planOf()).cost.totalUsd];
        expect(before - after).toBeCloseTo(8, 9);
        expect(md).toContain(`| **total** | $${before.toFixed(2)} | $${after.toFixed(2)} | **−$8.00** |`);
    });

    it("waf on: a new protection is no security finding, and its cost shows", async () => {
        const c = await review({}, { waf: "true" });
        expect(c.security).toEqual([]);
        expect(c.cost.deltaUsd).toBeCloseTo(8, 9);
    });

    it("replicaCount 1 → 2: the replica and its alarms added, no finding, the instance and storage priced", async () => {
        const c = await review({}, { replicaCount: "2" });
        expect(names(c.added)).toEqual([
            "dev-db-replica-1",
            "dev-monitoring-db-replica-2-lag-high",
            "dev-monitoring-db-replica-2-replication-stopped",
        ]);
        expect(c.security).toEqual([]);
        expect(c.cost.lines).toEqual([
            { item: "RDS MySQL (db.t4g.micro)", beforeUsd: 23.36, afterUsd: 35.04, deltaUsd: expect.closeTo(11.68, 9) },
            {
                item: "RDS gp3 storage",
                beforeUsd: expect.closeTo(4.6, 9),
                afterUsd: expect.closeTo(6.9, 9),
                deltaUsd: expect.closeTo(2.3, 9),
            },
            {
                item: "CloudWatch alarm metrics",
                beforeUsd: expect.closeTo(2.4, 9),
                afterUsd: expect.closeTo(2.6, 9),
                deltaUsd: expect.closeTo(0.2, 9),
            },
        ]);
        const text = renderText(await planOf({ replicaCount: "2" }), "", c);
        const [before, after] = [(await planOf()).cost.totalUsd, (await planOf({ replicaCount: "2" })).cost.totalUsd];
        expect(after - before).toBeCloseTo(14.18, 9);
        expect(text).toContain(`monthly cost: $${before.toFixed(2)} → $${after.toFixed(2)} (+$14.18)`);
        expect(text).toContain("  + dev-db-replica-1 (aws:rds/instance:Instance)");
    });

    it("dbDeletionProtection off: named on the primary, with the input", async () => {
        const c = await review({ dbDeletionProtection: "true" }, {}); // dev's default is false
        expect(findings(c)).toEqual([
            "dev-db-primary: deletion protection turned off on the database (deletionProtection: true → false)",
        ]);
        expect(c.changed.find((r) => r.name === "dev-db-primary")?.inputs).toContainEqual({
            path: "deletionProtection",
            before: true,
            after: false,
        });
    });

    it("sslPolicy from TLS 1.3 only back to TLS 1.2: TLS weakened", async () => {
        const c = await review({ sslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06" }, {});
        expect(findings(c)).toEqual([
            "dev-https: TLS policy weakened: ELBSecurityPolicy-TLS13-1-3-2021-06 → ELBSecurityPolicy-TLS13-1-2-2021-06 (minimum TLS 1.3 → 1.2)",
        ]);
    });
});

// ---- the rules one by one ----

function res(type: string, name: string, inputs: Record<string, unknown>, refs: string[] = [name]): PlanResource {
    return { urn: `urn:pulumi:dev::ha-webstack::${type}::${name}`, type, name, custom: true, refs, inputs };
}
const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const LISTENER = "aws:lb/listener:Listener";
const TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const words = (base: PlanResource[], head: PlanResource[]) => securityChanges(base, head).map((f) => f.change);

describe("the security-relevant changes", () => {
    const group = res(SG, "web-sg", {}, ["sg-1"]);
    const rule = (name: string, port: number, from: Record<string, string>) =>
        res(INGRESS, name, { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: port, toPort: port, ...from });

    it("names a new port, and a new port open to the internet", () => {
        const base = [group, rule("in-443", 443, { cidrIpv4: "10.0.0.0/16" })];
        expect(words(base, [...base, rule("in-8080", 8080, { cidrIpv4: "10.0.0.0/16" })])).toEqual([
            "new port: web-sg now accepts tcp 8080 from 10.0.0.0/16",
        ]);
        expect(words(base, [...base, rule("in-22", 22, { cidrIpv4: "0.0.0.0/0" })])).toEqual([
            "new port open to the internet: web-sg now accepts tcp 22 from 0.0.0.0/0 (the whole internet)",
        ]);
    });

    it("names an ingress opened wider and one opened to another source, not one narrowed", () => {
        const base = [group, rule("in-443-0", 443, { cidrIpv4: "203.0.113.0/24" })];
        expect(
            words(base, [
                group,
                rule("in-443-0", 443, { cidrIpv4: "203.0.112.0/20" }),
                rule("in-443-1", 443, { cidrIpv4: "198.51.100.0/24" }),
            ]),
        ).toEqual([
            "ingress opened wider: web-sg now accepts tcp 443 from 203.0.112.0/20 (was 203.0.113.0/24)",
            "ingress opened to another source: web-sg now accepts tcp 443 from 198.51.100.0/24 (was 203.0.113.0/24)",
        ]);
        expect(words(base, [group, rule("in-443-0", 443, { cidrIpv4: "203.0.113.128/25" })])).toEqual([]);
    });

    it("names flow logs and a bucket policy removed", () => {
        const vpc = res("aws:ec2/vpc:Vpc", "vpc", {}, ["vpc-1"]);
        const flow = res("aws:ec2/flowLog:FlowLog", "flow", { vpcId: "vpc-1" });
        const policy = res("aws:s3/bucketPolicy:BucketPolicy", "logs-policy", { bucket: "logs" });
        expect(words([vpc, flow, policy], [vpc])).toEqual([
            "VPC flow logs turned off for vpc",
            "bucket policy removed from logs (its TLS-only and access rules go with it)",
        ]);
    });

    it("reads inline security group rules as well as separate ones", () => {
        const inline = (cidr: string) =>
            res(SG, "legacy-sg", { ingress: [{ protocol: "tcp", fromPort: 3306, toPort: 3306, cidrBlocks: [cidr] }] }, [
                "sg-9",
            ]);
        expect(words([inline("10.0.1.0/24")], [inline("10.0.0.0/16")])).toEqual([
            "ingress opened wider: legacy-sg now accepts tcp 3306 from 10.0.0.0/16 (was 10.0.1.0/24)",
        ]);
    });

    it("names IAM actions and resources widened, with references as names", () => {
        const doc = (action: string[], resource: string) => ({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: action, Resource: resource }],
        });
        const role = res("aws:iam/role:Role", "app-role", {}, [
            "app-role-1",
            "arn:aws:iam::123456789012:role/app-role-1",
        ]);
        const before = [
            role,
            res(ROLE_POLICY, "app-read", { role: "app-role-1", policy: doc(["s3:GetObject"], "arn:aws:s3:::b/*") }),
        ];
        const after = [
            role,
            res(ROLE_POLICY, "app-read", { role: "app-role-1", policy: doc(["s3:GetObject", "s3:PutObject"], "*") }),
        ];
        expect(words(before, after)).toEqual([
            "IAM widened: role app-role may now s3:GetObject, s3:PutObject on * (any resource)",
        ]);
        // A policy given as a JSON string, as the program passes it, reads the same.
        const asString = [
            role,
            res(ROLE_POLICY, "app-read", {
                role: "app-role-1",
                policy: JSON.stringify(doc(["s3:GetObject"], "arn:aws:s3:::b/*")),
            }),
        ];
        expect(words(before, asString)).toEqual([]);
        const attach = res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "admin", {
            role: "app-role-1",
            policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        });
        expect(words(before, [...before, attach])).toEqual([
            "IAM widened: role app-role gets managed policy arn:aws:iam::aws:policy/AdministratorAccess",
        ]);
    });

    it("names TLS removed and plain HTTP served", () => {
        const https = res(LISTENER, "web-https", {
            protocol: "HTTPS",
            port: 443,
            sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
            defaultActions: [{ type: "forward" }],
        });
        const http = res(LISTENER, "web-https", { protocol: "HTTP", port: 443, defaultActions: [{ type: "forward" }] });
        expect(words([https], [http])).toEqual(["TLS removed: the listener on :443 now speaks HTTP (was HTTPS)"]);
        const redirect = res(LISTENER, "web-http", {
            protocol: "HTTP",
            port: 80,
            defaultActions: [{ type: "redirect" }],
        });
        const forward = res(LISTENER, "web-http", {
            protocol: "HTTP",
            port: 80,
            defaultActions: [{ type: "forward" }],
        });
        expect(words([redirect], [forward])).toEqual([
            "plain HTTP served: the HTTP listener on :80 no longer only redirects to HTTPS",
        ]);
        const weak = res(LISTENER, "web-https", { ...https.inputs, sslPolicy: "ELBSecurityPolicy-2016-08" });
        expect(words([https], [weak])).toEqual([
            "TLS policy weakened: ELBSecurityPolicy-TLS13-1-2-2021-06 → ELBSecurityPolicy-2016-08 (allows TLS below 1.2 or ciphers without forward secrecy)",
        ]);
    });

    it("names servers opened up: IMDSv1, a key pair, unencrypted volumes", () => {
        const lt = (extra: Record<string, unknown>) =>
            res(TEMPLATE, "web-lt", {
                metadataOptions: { httpTokens: "required" },
                blockDeviceMappings: [{ ebs: { encrypted: "true" } }],
                ...extra,
            });
        expect(
            words(
                [lt({})],
                [
                    lt({
                        metadataOptions: { httpTokens: "optional" },
                        keyName: "ops",
                        blockDeviceMappings: [{ ebs: { encrypted: "false" } }],
                    }),
                ],
            ),
        ).toEqual([
            'IMDSv1 allowed on the servers (httpTokens no longer required) (metadataOptions.httpTokens: "required" → "optional")',
            'SSH key pair ops added to the servers (keyName: unset → "ops")',
            'server root volumes no longer encrypted (blockDeviceMappings.0.ebs.encrypted: "true" → "false")',
        ]);
    });

    it("names databases and buckets made public, encryption and backups off", () => {
        const db = (extra: Record<string, unknown>) =>
            res("aws:rds/instance:Instance", "db", {
                storageEncrypted: true,
                backupRetentionPeriod: 7,
                publiclyAccessible: false,
                ...extra,
            });
        expect(
            words([db({})], [db({ storageEncrypted: false, backupRetentionPeriod: 0, publiclyAccessible: true })]),
        ).toEqual([
            "database storage encryption turned off (storageEncrypted: true → false)",
            "database made public (publiclyAccessible: true) (publiclyAccessible: false → true)",
            "automated backups turned off (backupRetentionPeriod 0) (backupRetentionPeriod: 7 → 0)",
        ]);
        // A new database is named when it is exposed, not when it merely lacks a protection.
        expect(words([], [db({ storageEncrypted: false, deletionProtection: false })])).toEqual([
            "new database without storage encryption (storageEncrypted: false)",
        ]);
        const block = (flag: boolean) =>
            res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "logs-pab", {
                bucket: "logs",
                blockPublicAcls: true,
                blockPublicPolicy: flag,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
        expect(words([block(true)], [block(false)])).toEqual([
            "bucket made public: blockPublicPolicy turned off (blockPublicPolicy: true → false)",
        ]);
        expect(words([block(true)], [])).toEqual(["public access block removed from bucket logs"]);
    });
});

describe("the cost delta", () => {
    it("should name an item it cannot price and mark the delta incomplete, rather than count it as $0", async () => {
        const dev = await planOf();
        const withType = (doc: PlanDocument, type: string, servers: number): PlanDocument => {
            const resources = doc.resources.map((r) =>
                r.type === "aws:ec2/launchTemplate:LaunchTemplate"
                    ? { ...r, inputs: { ...r.inputs, instanceType: type } }
                    : r.type === "aws:autoscaling/group:Group"
                      ? { ...r, inputs: { ...r.inputs, desiredCapacity: servers } }
                      : r,
            );
            return { ...doc, resources, cost: estimateCost(resources, "us-east-1") };
        };
        const bigger = compare(dev, withType(dev, "m7g.4xlarge", 1));
        expect(bigger.cost.notPriced).toEqual(["EC2 instances (m7g.4xlarge) (none → 1460 instance-hour)"]);
        expect(renderMarkdown(withType(dev, "m7g.4xlarge", 1), bigger)).toContain(
            "; incomplete: 1 item(s) not priced).",
        );
        // More servers of a type without a price: still named, with the change of quantity.
        const more = compare(withType(dev, "m7g.4xlarge", 1), withType(dev, "m7g.4xlarge", 6));
        expect(more.cost.notPriced).toEqual(["EC2 instances (m7g.4xlarge) (1460 instance-hour → 8760 instance-hour)"]);
    });
});

describe("the input diff", () => {
    it("names each changed path, arrays by index, added and removed keys", () => {
        expect(diffInputs({ a: 1, b: [1, 2], c: { d: "x" } }, { a: 1, b: [1, 3, 4], c: {}, e: true })).toEqual([
            { path: "b.1", before: 2, after: 3 },
            { path: "b.2", after: 4 },
            { path: "c.d", before: "x" },
            { path: "e", after: true },
        ]);
    });
});

import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Evaluation, evaluate, listStacks } from "../scripts/offline";
import { renderTree } from "../scripts/plan/describe";
import { runPolicyPack } from "../scripts/plan/policyReport";
import { cloudWatchAgentUserData, rolloutAlarmKeys, serverLogGroupNames } from "../components/monitoring";
import { renderUserData } from "../components/serverPool/userData";
import { defaultMaxConnections } from "../components/database";
import { failoverCallSeconds, failoverTimeSeconds } from "../components/failoverController";
import { WebStack } from "../components/webStack";
import { expectRejectedBeforeCreate, T, ofType, only, resolveRef, stackConfig, userDataOf } from "./helpers";
import { bootOptionsOf } from "./support/boot";

import program = require("../index");
const stacks = listStacks();
const scenarios = stacks.flatMap((stack) =>
    (["active-passive", "active-active"] as const).map((mode) => [stack, mode] as const),
);

/**
 * The program evaluated under a shipped stack and a config, once per config in this file: the
 * scenarios and the tests that need a shipped config unchanged share one evaluation (the tests
 * only read it). Evaluations run one at a time, as Jest runs this file's tests.
 */
const evaluations = new Map<string, Promise<Evaluation>>();
function evaluateShipped(stack: string, config: Record<string, string>): Promise<Evaluation> {
    const key = JSON.stringify([stack, Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1))]);
    if (!evaluations.has(key)) evaluations.set(key, evaluate(program, { stack, config }));
    return evaluations.get(key)!;
}

/** The AZ of a subnet referenced by id. */
const azOf = (ev: Evaluation, subnetId: string) => resolveRef(ev, subnetId)?.inputs.availabilityZone;

describe("the stack program", () => {
    it("should ship a dev and a prod stack config", () => {
        expect(stacks).toEqual(expect.arrayContaining(["dev", "prod"]));
    });

    describe.each(scenarios)("under Pulumi.%s.yaml in %s mode", (stack, mode) => {
        let ev: Evaluation;
        const config = stackConfig(stack, { mode });
        const azCount = Number(config["ha-webstack:azCount"] ?? 2);

        beforeAll(async () => {
            ev = await evaluateShipped(stack, config);
        });

        it("should register every resource once, each under a component", () => {
            const urns = ev.resources.map((r) => r.urn);
            expect(new Set(urns).size).toBe(urns.length);
            // Autonamed AWS names start with the logical name: two of one type must not share it.
            const typeNames = ev.resources.filter((r) => r.custom).map((r) => `${r.type} ${r.name}`);
            expect(typeNames.filter((n, i) => typeNames.indexOf(n) !== i)).toEqual([]);
            const orphans = ev.resources.filter((r) => r.custom && !r.parentUrn).map((r) => r.urn);
            expect(orphans).toEqual([]);
            expect(
                ev.resources
                    .filter((r) => !r.custom)
                    .map((r) => r.type.split(":")[2])
                    .sort(),
            ).toEqual(
                [
                    "Database",
                    "LoadBalancer",
                    "Monitoring",
                    "Network",
                    "WebStack",
                    ...(mode === "active-passive"
                        ? ["ServerPool", "ServerPool", "FailoverController"]
                        : ["ServerPool"]),
                ].sort(),
            );
        });

        it("should roll each pool out under its target group's unhealthy-hosts alarm and the 5xx-rate alarms it registered", () => {
            const roles = mode === "active-passive" ? ["active", "failover"] : ["web"];
            const alarms = ofType(ev, T.alarm);
            for (const role of roles) {
                const asg = only(ev, T.asg, `-${role}-asg`);
                const watched = rolloutAlarmKeys(role).map((key) => only(ev, T.alarm, `-${key}`));
                expect(watched.map((a) => a.inputs.name)).toEqual([
                    expect.stringMatching(new RegExp(`-alb-${role}-unhealthy-hosts$`)),
                    expect.stringMatching(/-alb-5xx-rate$/),
                    expect.stringMatching(/-alb-target-5xx-rate$/),
                ]);
                // The group leaves its launch template version to the refresh (no provider-started
                // refresh: its rollback would return to the new version, terraform-provider-aws#34189).
                expect(asg.inputs.instanceRefresh).toBeUndefined();
                expect(asg.options.ignoreChanges).toEqual(["desiredCapacity", "launchTemplate"]);
                // The rollout starter's invocation names the group, the template's numbered version
                // (rollback needs one), and hands StartInstanceRefresh those alarms' own names...
                const lt = only(ev, T.launchTemplate, `-${role}-lt`);
                const invocation = only(ev, T.invocation, `-${role}-rollout`);
                expect(JSON.parse(invocation.inputs.input)).toEqual({
                    autoScalingGroupName: asg.state.name,
                    launchTemplate: { id: lt.id, version: String(lt.state.latestVersion) },
                    preferences: {
                        minHealthyPercentage: 100,
                        maxHealthyPercentage: 200,
                        instanceWarmup: 120,
                        checkpointPercentages: [50, 100],
                        checkpointDelay: 300,
                        skipMatching: true,
                        autoRollback: true,
                        alarms: watched.map((a) => a.inputs.name),
                    },
                });
                expect(invocation.inputs.functionName).toBe(only(ev, T.fn, `-${role}-rollout`).state.name);
                // ...and depends on them (they exist before a refresh starts), on no other alarm, and on the group.
                const alarmDeps = invocation.options.dependencies.filter((urn) => alarms.some((a) => a.urn === urn));
                expect(alarmDeps.sort()).toEqual(watched.map((a) => a.urn).sort());
                expect(invocation.options.dependencies).toContain(asg.urn);
                expect(asg.inputs.launchTemplate.version).toBe(lt.state.latestVersion.toString());
                expect(only(ev, T.launchTemplate, `-${role}-lt`).inputs.imageId).toMatch(/^ami-[0-9a-f]{17}$/);
            }
        });

        it("should put the ALB in a public subnet of every AZ", () => {
            const alb = only(ev, T.alb);
            expect(alb.inputs.subnets.map((s: string) => resolveRef(ev, s)?.inputs.tags.Tier)).toEqual(
                Array(azCount).fill("public"),
            );
            expect(new Set(alb.inputs.subnets.map((s: string) => azOf(ev, s))).size).toBe(azCount);
        });

        it("should wire the mode's target groups to their server pools", () => {
            const https = only(ev, T.listener, "-https");
            const weights = https.inputs.defaultActions[0].forward.targetGroups.map((t: any) => [
                resolveRef(ev, t.arn)?.name,
                t.weight,
            ]);
            const asgs = ofType(ev, T.asg);
            const poolOf = (tg: string) =>
                asgs.filter((a) =>
                    a.inputs.targetGroupArns.map((arn: string) => resolveRef(ev, arn)?.name).includes(tg),
                );
            if (mode === "active-passive") {
                expect(weights).toEqual([
                    [`${stack}-active-tg`, 100],
                    [`${stack}-failover-tg`, 0],
                ]);
                const [active] = poolOf(`${stack}-active-tg`);
                const [failover] = poolOf(`${stack}-failover-tg`);
                const activeAzs = active.inputs.vpcZoneIdentifiers.map((s: string) => azOf(ev, s));
                const failoverAzs = failover.inputs.vpcZoneIdentifiers.map((s: string) => azOf(ev, s));
                expect(activeAzs.length + failoverAzs.length).toBe(azCount);
                expect(activeAzs.filter((az: string) => failoverAzs.includes(az))).toEqual([]);
            } else {
                expect(weights).toEqual([[`${stack}-web-tg`, 1]]);
                const [pool] = poolOf(`${stack}-web-tg`);
                expect(new Set(pool.inputs.vpcZoneIdentifiers.map((s: string) => azOf(ev, s))).size).toBe(azCount);
            }
            for (const asg of asgs) {
                expect(
                    asg.inputs.vpcZoneIdentifiers.every(
                        (s: string) => resolveRef(ev, s)?.inputs.tags.Tier === "private",
                    ),
                ).toBe(true);
                expect(asg.inputs.minSize).toBe(Number(config["ha-webstack:serversPerPool"] ?? 1));
            }
        });

        it("should scale each pool on its own target group's requests per server and on CPU", () => {
            const alb = only(ev, T.alb);
            for (const asg of ofType(ev, T.asg)) {
                const tg = resolveRef(ev, asg.inputs.targetGroupArns[0])!;
                const policies = ofType(ev, "aws:autoscaling/policy:Policy").filter(
                    (p) => p.inputs.autoscalingGroupName === asg.state.name,
                );
                const specs = policies
                    .map((p) => p.inputs.targetTrackingConfiguration)
                    .sort((a, b) => a.targetValue - b.targetValue);
                expect(specs).toEqual([
                    {
                        predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
                        targetValue: 60,
                    },
                    {
                        predefinedMetricSpecification: {
                            predefinedMetricType: "ALBRequestCountPerTarget",
                            resourceLabel: `${alb.state.arnSuffix}/${tg.state.arnSuffix}`,
                        },
                        targetValue: 1000,
                    },
                ]);
                expect(asg.inputs.maxSize).toBeGreaterThan(asg.inputs.minSize);
                expect(asg.options.ignoreChanges).toEqual(["desiredCapacity", "launchTemplate"]);
            }
        });

        it("should chain the firewall: world → ALB on 80/443 only → servers on the app port only → database on 3306 only", () => {
            const albSg = only(ev, T.sg, "-alb-sg").name;
            const dbSg = only(ev, T.sg, "-db-sg").name;
            const serverGroups = ofType(ev, T.sg)
                .filter((g) => g.name !== albSg && g.name !== dbSg)
                .map((g) => g.name);
            expect(serverGroups).toHaveLength(mode === "active-passive" ? 2 : 1);
            const ingress = ofType(ev, T.ingress).map((r) => r.inputs);
            const egress = ofType(ev, T.egress).map((r) => r.inputs);
            // From the internet: only the ALB, only 80 and 443.
            expect(
                ingress
                    .filter((r) => r.cidrIpv4 !== undefined)
                    .every(
                        (r) => r.securityGroupId === albSg && [80, 443].includes(r.fromPort) && r.fromPort === r.toPort,
                    ),
            ).toBe(true);
            for (const group of serverGroups) {
                expect(ingress.filter((r) => r.securityGroupId === group)).toEqual([
                    expect.objectContaining({ referencedSecurityGroupId: albSg, fromPort: 80, toPort: 80 }),
                ]);
                expect(
                    egress.filter((r) => r.securityGroupId === group && r.referencedSecurityGroupId === dbSg),
                ).toEqual([expect.objectContaining({ fromPort: 3306, toPort: 3306 })]);
            }
            expect(
                ingress
                    .filter((r) => r.securityGroupId === dbSg)
                    .map((r) => [r.referencedSecurityGroupId, r.fromPort, r.toPort])
                    .sort(),
            ).toEqual(serverGroups.map((g) => [g, 3306, 3306]).sort());
            expect(egress.filter((r) => r.securityGroupId === dbSg)).toEqual([]);
            expect(
                ingress.concat(egress).filter((r) => r.ipProtocol === "-1" || (r.fromPort <= 22 && r.toPort >= 22)),
            ).toEqual([]);
        });

        it("should give the servers the writer, the readers and read access to the database secret only", () => {
            const primary = ofType(ev, "aws:rds/instance:Instance").find((i) => !i.inputs.replicateSourceDb)!;
            const replicas = ofType(ev, "aws:rds/instance:Instance").filter((i) => i.inputs.replicateSourceDb);
            expect(replicas).toHaveLength(Number(config["ha-webstack:replicaCount"] ?? 1));
            expect(replicas.every((r) => r.inputs.replicateSourceDb === primary.state.identifier)).toBe(true);
            const secretArn = only(ev, "aws:secretsmanager/secret:Secret").state.arn;
            for (const lt of ofType(ev, T.launchTemplate)) {
                const expected = renderUserData({
                    region: "us-east-1",
                    stack,
                    appPort: 80,
                    ...bootOptionsOf(ev, lt.name.replace(/-lt$/, "")),
                    db: {
                        writerHost: primary.state.address,
                        writerPort: 3306,
                        readerHosts: replicas.map((r) => r.state.address),
                        readerPort: 3306,
                        secretArn,
                        database: "app",
                    },
                    ...cloudWatchAgentUserData({ logGroups: serverLogGroupNames(`/ha-webstack/${stack}`) }),
                });
                expect(userDataOf(lt)).toBe(expected);
            }
            const secretPolicies = ofType(ev, T.rolePolicy).filter((p) => p.name.endsWith("-db-secret"));
            expect(secretPolicies).toHaveLength(mode === "active-passive" ? 2 : 1);
            for (const policy of secretPolicies) {
                expect(JSON.parse(policy.inputs.policy).Statement.map((st: any) => st.Resource)).toEqual([secretArn]);
            }
            expect(ev.outputs.dbWriterEndpoint).toBe(primary.state.address);
            expect(ev.outputs.dbReaderEndpoints).toEqual(replicas.map((r) => r.state.address));
        });

        it("should follow the stack's NAT and certificate settings", () => {
            const nats = ofType(ev, T.natGateway).length;
            expect(nats).toBe({ none: 0, single: 1, perAz: azCount }[config["ha-webstack:natGateways"] ?? "single"]);
            const certificateArn = config["ha-webstack:certificateArn"];
            expect(only(ev, T.listener, "-https").inputs.certificateArn).toBe(
                certificateArn ?? only(ev, T.certificate).state.arn,
            );
            expect(ev.outputs.selfSignedCertificate).toBe(certificateArn === undefined);
        });

        it("should run a failover controller on the stack's listener and groups in active-passive mode only", () => {
            const functions = ofType(ev, T.fn).filter((f) => f.name.endsWith("-controller-fn"));
            const https = only(ev, T.listener, "-https");
            if (mode === "active-active") {
                expect(functions).toEqual([]);
                expect(ofType(ev, "aws:cloudwatch/eventRule:EventRule")).toEqual([]);
                expect(https.options.ignoreChanges).toEqual([]);
                expect(ev.outputs.failoverTimeSeconds).toBeUndefined();
                return;
            }
            const env = only(ev, T.fn, "-controller-fn").inputs.environment.variables;
            expect(env.LISTENER_ARN).toBe(https.state.arn);
            expect(resolveRef(ev, env.ACTIVE_TARGET_GROUP_ARN)?.name).toBe(`${stack}-active-tg`);
            expect(resolveRef(ev, env.FAILOVER_TARGET_GROUP_ARN)?.name).toBe(`${stack}-failover-tg`);
            expect(env.FAILBACK).toBe(config["ha-webstack:failback"] ?? "automatic");
            // pulumi up must not undo a failover.
            expect(https.options.ignoreChanges).toEqual(["defaultActions", "tags"]);
            // The bounds the controller's defaults add up to (pinned in failoverController.test.ts).
            expect(ev.outputs.failoverTimeSeconds).toBe(failoverTimeSeconds());
            expect(ev.outputs.failoverCallSeconds).toBe(failoverCallSeconds());
            expect(ev.outputs.failoverCallSeconds).toBe(15.2);
            // The lease and the state live in the controller's table; no concurrency is reserved.
            expect(env.TABLE_NAME).toBe(only(ev, "aws:dynamodb/table:Table").state.name);
            expect(only(ev, T.fn, "-controller-fn").inputs.reservedConcurrentExecutions).toBeUndefined();
        });

        it("should watch every tier of this stack and alert one topic", () => {
            const alarms = ofType(ev, "aws:cloudwatch/metricAlarm:MetricAlarm");
            const dims = (a: any) =>
                a.inputs.dimensions ??
                Object.assign({}, ...(a.inputs.metricQueries ?? []).map((q: any) => q.metric?.dimensions ?? {}));
            const alb = only(ev, T.alb);
            const tgSuffixes = ofType(ev, T.targetGroup).map((t) => t.state.arnSuffix);
            const albAlarms = alarms.filter((a) => dims(a).LoadBalancer !== undefined);
            expect(albAlarms.length).toBeGreaterThan(0);
            expect(albAlarms.every((a) => dims(a).LoadBalancer === alb.state.arnSuffix)).toBe(true);
            expect(new Set(albAlarms.map((a) => dims(a).TargetGroup).filter(Boolean))).toEqual(new Set(tgSuffixes));
            const asgNames = ofType(ev, T.asg).map((a) => a.state.name);
            expect(new Set(alarms.map((a) => dims(a).AutoScalingGroupName).filter(Boolean))).toEqual(new Set(asgNames));
            const dbIds = ofType(ev, "aws:rds/instance:Instance").map((i) => i.state.identifier);
            expect(new Set(alarms.map((a) => dims(a).DBInstanceIdentifier).filter(Boolean))).toEqual(new Set(dbIds));
            const lagAlarms = alarms.filter((a) => a.inputs.metricName === "ReplicaLag");
            expect(lagAlarms).toHaveLength(2 * Number(config["ha-webstack:replicaCount"] ?? 1));
            // Every monitoring alarm notifies the stack's one alert topic, on ALARM and on OK.
            const topicArn = ev.outputs.alertTopicArn;
            expect(ofType(ev, "aws:sns/topic:Topic")).toHaveLength(1);
            // The controller-down alarm also starts a run: its actions are the function and the topic.
            for (const alarm of alarms.filter((a) => !a.name.endsWith("-controller-down"))) {
                expect(alarm.inputs.alarmActions).toEqual([topicArn]);
                expect(alarm.inputs.okActions).toEqual([topicArn]);
            }
            // The topic is Monitoring's, whatever the mode.
            const topic = only(ev, "aws:sns/topic:Topic");
            expect(topic.parentUrn).toMatch(/ha-webstack:index:Monitoring::[^:]+-monitoring$/);
            if (mode === "active-passive") {
                const fn = only(ev, T.fn, "-controller-fn");
                expect(only(ev, T.alarm, "-controller-down").inputs.alarmActions).toEqual([fn.state.arn, topicArn]);
                expect(fn.inputs.environment.variables.TOPIC_ARN).toBe(topicArn);
                expect(alarms.some((a) => a.name.endsWith("failover-happened"))).toBe(true);
                // Monitoring learns the controller's function once it exists (a deferred output).
                expect(only(ev, T.alarm, "-controller-errors").inputs.dimensions).toEqual({
                    FunctionName: fn.state.name,
                });
                // ha-webstack 0.1 created the topic in the controller: a stack created then keeps it.
                expect(topic.options.aliases).toEqual([
                    `urn:pulumi:${stack}::ha-webstack::ha-webstack:index:WebStack$ha-webstack:index:FailoverController$aws:sns/topic:Topic::${stack}-controller-topic`,
                ]);
            } else {
                expect(topic.options.aliases).toEqual([]);
            }
            expect(ev.outputs.dashboardUrl).toMatch(
                /^https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=us-east-1#dashboards:name=/,
            );
        });

        it("should let each server ship its logs to the stack's log groups and nowhere else", () => {
            const logGroups = ofType(ev, "aws:cloudwatch/logGroup:LogGroup").filter((g) =>
                g.inputs.name?.startsWith(`/ha-webstack/${stack}/`),
            );
            expect(logGroups.map((g) => g.inputs.name).sort()).toEqual([
                `/ha-webstack/${stack}/app`,
                `/ha-webstack/${stack}/nginx/access`,
                `/ha-webstack/${stack}/nginx/error`,
            ]);
            const roles = ofType(ev, T.role)
                .filter((r) => /-(active|failover|web)-role$/.test(r.name))
                .map((r) => r.state.name);
            const shipping = ofType(ev, T.rolePolicy).filter(
                (p) => JSON.stringify(p.inputs.policy).includes("logs:PutLogEvents") && roles.includes(p.inputs.role),
            );
            expect(shipping.map((p) => p.inputs.role).sort()).toEqual([...roles].sort());
            for (const policy of shipping) {
                const resources = JSON.parse(policy.inputs.policy).Statement.flatMap((st: any) =>
                    [].concat(st.Resource),
                );
                expect(
                    resources.every((arn: string) => logGroups.some((g) => arn.startsWith(g.state.arn)) || arn === "*"),
                ).toBe(true);
            }
        });

        it("should keep the S3 resources' URNs as recorded (a changed URN replaces a bucket and what it holds)", () => {
            if (mode !== "active-passive") return;
            const recorded = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "s3-urns.json"), "utf8"));
            const urns = ev.resources.filter((r) => r.type.startsWith("aws:s3/")).map((r) => r.urn);
            expect(urns.sort()).toEqual(recorded[stack]);
        });

        it("should render the servers' user data byte for byte as recorded (a changed byte rolls every server)", () => {
            const recorded = JSON.parse(
                fs.readFileSync(path.join(__dirname, "fixtures", "user-data-sha256.json"), "utf8"),
            );
            for (const lt of ofType(ev, T.launchTemplate)) {
                const hash = crypto.createHash("sha256").update(lt.inputs.userData).digest("hex");
                expect({ [lt.name]: hash }).toEqual({ [lt.name]: recorded[stack][lt.name] });
            }
        });

        it("should pass every mandatory policy of the pack, and take the advice where the stack means production", () => {
            const report = runPolicyPack(ev.resources);
            expect(report.mandatory).toEqual([]);
            // dev chooses a single-AZ database and no deletion protection; prod neither.
            expect(report.advisory.map((f) => f.policy).sort()).toEqual(
                stack === "prod" ? [] : ["alb-deletion-protection", "rds-multi-az"],
            );
        });

        it("should export the url and the target groups", () => {
            expect(ev.outputs.url).toMatch(/^https:\/\/.+\.elb\.amazonaws\.com$/);
            expect(ev.outputs.mode).toBe(mode);
            expect(ev.outputs.activeTargetGroupArn).toBe(ofType(ev, T.targetGroup)[0].state.arn);
            expect(ev.outputs.failoverTargetGroupArn === undefined).toBe(mode === "active-active");
        });

        it("should render as a plan naming every resource", () => {
            const plan = renderTree(stack, config, ev.resources, ev.outputs);
            for (const r of ev.resources) {
                expect(plan).toContain(` ${r.name}`);
            }
            expect(plan).toContain(mode === "active-passive" ? "weight 100" : "weight 1");
        });
    });

    it("should serve a domain with a validated certificate behind WAF when configured", async () => {
        const config = stackConfig("dev", {
            domainName: "shop.example.com",
            hostedZoneId: "Z0123456789ABCDEFGHIJ",
            waf: "true",
            wafRateLimit: "500",
        });
        const ev = await evaluate(program, { stack: "dev", config });
        expect(ev.outputs.url).toBe("https://shop.example.com");
        expect(ev.outputs.selfSignedCertificate).toBe(false);
        const validation = only(ev, "aws:acm/certificateValidation:CertificateValidation");
        expect(only(ev, T.listener, "-https").inputs.certificateArn).toBe(
            validation.state.certificateArn ?? validation.inputs.certificateArn,
        );
        const alias = ofType(ev, "aws:route53/record:Record").find((r) => r.inputs.type === "A");
        expect(alias?.inputs).toMatchObject({ zoneId: "Z0123456789ABCDEFGHIJ", name: "shop.example.com" });
        const acl = only(ev, "aws:wafv2/webAcl:WebAcl");
        expect(
            acl.inputs.rules.find((r: any) => r.statement.rateBasedStatement)?.statement.rateBasedStatement.limit,
        ).toBe(500);
        expect(only(ev, "aws:wafv2/webAclAssociation:WebAclAssociation").inputs.resourceArn).toBe(
            only(ev, T.alb).state.arn,
        );
        expect(runPolicyPack(ev.resources).mandatory).toEqual([]);
    });

    it("should leave out a scaling policy turned off", async () => {
        const ev = await evaluate(program, {
            stack: "dev",
            config: stackConfig("dev", { scaleOnRequestsPerTarget: "off", scaleOnCpuPercent: "45" }),
        });
        expect(
            ofType(ev, "aws:autoscaling/policy:Policy").map((p) => [
                p.inputs.targetTrackingConfiguration.predefinedMetricSpecification.predefinedMetricType,
                p.inputs.targetTrackingConfiguration.targetValue,
            ]),
        ).toEqual([
            ["ASGAverageCPUUtilization", 45],
            ["ASGAverageCPUUtilization", 45],
        ]);
    });

    it("should leave out access logs and flow logs when turned off", async () => {
        const on = await evaluateShipped("dev", stackConfig("dev"));
        expect(ofType(on, "aws:s3/bucket:Bucket").filter((b) => b.name.endsWith("-alb-logs"))).toHaveLength(1);
        expect(ofType(on, "aws:ec2/flowLog:FlowLog")).toHaveLength(1);
        expect(only(on, T.alb).inputs.accessLogs).toMatchObject({
            enabled: true,
            bucket: only(on, "aws:s3/bucket:Bucket", "-alb-logs").state.bucket,
        });
        const off = await evaluate(program, {
            stack: "dev",
            config: stackConfig("dev", { accessLogs: "false", flowLogs: "false" }),
        });
        // The servers' bundle buckets stay: they are not logs.
        expect(
            ofType(off, "aws:s3/bucket:Bucket")
                .map((b) => b.name)
                .filter((n) => !n.endsWith("-bundle")),
        ).toEqual([]);
        expect(ofType(off, "aws:ec2/flowLog:FlowLog")).toEqual([]);
        expect(only(off, T.alb).inputs.accessLogs).toBeUndefined();
    });

    it("should subscribe the alert email when configured, and only then", async () => {
        const without = await evaluateShipped("dev", stackConfig("dev"));
        expect(ofType(without, "aws:sns/topicSubscription:TopicSubscription")).toEqual([]);
        const withEmail = await evaluate(program, {
            stack: "dev",
            config: stackConfig("dev", { alertEmail: "ops@example.com" }),
        });
        const subscription = only(withEmail, "aws:sns/topicSubscription:TopicSubscription");
        expect(subscription.inputs).toMatchObject({
            protocol: "email",
            endpoint: "ops@example.com",
            topic: withEmail.outputs.alertTopicArn,
        });
    });

    it("should let two WebStacks share one program without claiming the same names", async () => {
        const ev = await evaluate(
            () => [new WebStack("shop", { mode: "active-active" }), new WebStack("blog", { mode: "active-active" })],
            { stack: "dev" },
        );
        const logGroups = ofType(ev, "aws:cloudwatch/logGroup:LogGroup")
            .map((g) => g.inputs.name)
            .filter(Boolean);
        expect(logGroups).toEqual(expect.arrayContaining(["/ha-webstack/dev/shop/app", "/ha-webstack/dev/blog/app"]));
        expect(new Set(logGroups).size).toBe(logGroups.length);
        const typeNames = ev.resources.filter((r) => r.custom).map((r) => `${r.type} ${r.name}`);
        expect(typeNames.filter((n, i) => typeNames.indexOf(n) !== i)).toEqual([]);
    });

    it("should refuse natGateways none for the stack's servers unless they bring their own user data", async () => {
        await expectRejectedBeforeCreate(
            evaluate(() => new WebStack("web", { natGateways: "none" }), { stack: "dev" }),
            "WebStack args.natGateways=none is not valid: expected one of single, perAz",
        );
        const own = await evaluate(
            () => new WebStack("web", { natGateways: "none", userData: "#!/bin/bash\necho own\n" }),
            { stack: "dev" },
        );
        expect(ofType(own, T.natGateway)).toEqual([]);
    });

    it("should hold prod to production settings: 3 AZs, a NAT gateway per AZ, deletion protection", async () => {
        const ev = await evaluateShipped("prod", stackConfig("prod"));
        expect(new Set(ofType(ev, T.subnet).map((s) => s.inputs.availabilityZone)).size).toBe(3);
        expect(ofType(ev, T.natGateway)).toHaveLength(3);
        expect(only(ev, T.alb).inputs.enableDeletionProtection).toBe(true);
        const primary = ofType(ev, "aws:rds/instance:Instance").find((i) => !i.inputs.replicateSourceDb);
        expect(primary?.inputs).toMatchObject({ multiAz: true, deletionProtection: true, backupRetentionPeriod: 14 });
        // The connections alarm follows the class: 80 % of db.m7g.large's default max_connections.
        const connections = ofType(ev, "aws:cloudwatch/metricAlarm:MetricAlarm").find(
            (a) => a.inputs.metricName === "DatabaseConnections",
        );
        expect(connections?.inputs.threshold).toBe(Math.floor(defaultMaxConnections("db.m7g.large")! * 0.8));
        expect(connections?.inputs.threshold).toBeGreaterThan(400);
        expect(ofType(ev, "aws:rds/instance:Instance").filter((i) => i.inputs.replicateSourceDb)).toHaveLength(2);
        expect(ofType(ev, T.launchTemplate).every((lt) => lt.inputs.instanceType !== "t4g.micro")).toBe(true);
    });
});

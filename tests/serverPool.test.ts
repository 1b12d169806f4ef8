import { Database } from "../components/database";
import { ServerPool, ServerPoolArgs, ServerPoolDatabase } from "../components/serverPool";
import { amiFromParameter } from "../components/serverPool/image";
import { rolloutHandlerBundle, rolloutStarterPolicy } from "../components/serverPool/rolloutStarter";
import { requestCountLabel } from "../components/serverPool/scaling";
import { renderUserData } from "../components/serverPool/userData";
import { Evaluation, EvaluateOptions, evaluate } from "../scripts/offline";
import { runPolicyPack } from "../scripts/plan/policyReport";
import { expectRejectedBeforeCreate, T, ofType, only, userDataOf } from "./helpers";
import { bootOptionsOf } from "./support/boot";

const base: ServerPoolArgs = {
    vpcId: "vpc-1",
    subnetIds: ["subnet-private-a"],
    targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/act-x/0123",
    loadBalancerSecurityGroupId: "sg-alb",
};
const ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-alb/50dc6c495c0c9188";
const build = (args: Partial<ServerPoolArgs> = {}, calls?: EvaluateOptions["calls"]) =>
    evaluate(() => new ServerPool("pool", { ...base, ...args }), { stack: "test", calls });
const AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-";
/** SSM answers: the parameters' AMI ids as AWS would hold them (one id per parameter name). */
const AMIS: Record<string, string> = {
    [`${AL2023}arm64`]: "ami-0a1a1a1a1a1a1a1a1",
    [`${AL2023}x86_64`]: "ami-0b2b2b2b2b2b2b2b2",
    "/my/golden-ami": "ami-0c3c3c3c3c3c3c3c3",
};
const ssm = (values: Record<string, unknown>) => ({
    "aws:ssm/getParameter:getParameter": (inputs: Record<string, any>, answer: Record<string, any>) => ({
        ...answer,
        value: values[inputs.name],
    }),
});
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-secret-AbCdEf";
const database: ServerPoolDatabase = {
    writerHost: "db-primary.c0abcdefghij.us-east-1.rds.amazonaws.com",
    readerHosts: [
        "db-replica-0.c0abcdefghij.us-east-1.rds.amazonaws.com",
        "db-replica-1.c0abcdefghij.us-east-1.rds.amazonaws.com",
    ],
    port: 3306,
    secretArn: SECRET_ARN,
    databaseName: "app",
};
/** The one inline policy's statements. */
const secretStatements = (ev: Awaited<ReturnType<typeof build>>) =>
    JSON.parse(only(ev, T.rolePolicy, "-db-secret").inputs.policy).Statement;

describe("ServerPool", () => {
    it("should launch Amazon Linux 2023 with IMDSv2 only, an encrypted gp3 root and no key pair", async () => {
        const ev = await build({}, ssm(AMIS));
        const lt = only(ev, T.launchTemplate);
        // The AMI id the public parameter holds at deploy time, not the parameter: a refresh can
        // roll back only to a launch template that names an AMI id.
        expect(lt.inputs.imageId).toBe(AMIS[`${AL2023}arm64`]);
        expect(lt.inputs.instanceType).toBe("t4g.micro");
        expect(lt.inputs.metadataOptions).toMatchObject({
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
        });
        expect(lt.inputs.blockDeviceMappings).toEqual([
            {
                deviceName: "/dev/xvda",
                ebs: { volumeType: "gp3", volumeSize: 16, encrypted: "true", deleteOnTermination: "true" },
            },
        ]);
        expect(lt.inputs.keyName).toBeUndefined();
        expect(lt.inputs.vpcSecurityGroupIds).toEqual(["pool-sg"]);
        expect(lt.inputs.iamInstanceProfile.arn).toBe(only(ev, T.instanceProfile).state.arn);
    });

    it("should pick the x86_64 AMI for an Intel or AMD instance type", async () => {
        const ev = await build({ instanceType: "m7i.large" }, ssm(AMIS));
        expect(only(ev, T.launchTemplate).inputs.imageId).toBe(AMIS[`${AL2023}x86_64`]);
    });

    it("should read a resolve:ssm: image from its parameter, and refuse a parameter that holds no AMI id", async () => {
        const ev = await build({ imageId: "resolve:ssm:/my/golden-ami" }, ssm(AMIS));
        expect(only(ev, T.launchTemplate).inputs.imageId).toBe(AMIS["/my/golden-ami"]);
        // What an answer that is no AMI id does (an error in an apply: checked on the function).
        expect(() => amiFromParameter("/my/golden-ami", "latest")).toThrow(
            "the SSM parameter /my/golden-ami=latest is not valid: expected an AMI id (ami-0123456789abcdef0)",
        );
        expect(amiFromParameter("/p", "ami-0123456789abcdef0")).toBe("ami-0123456789abcdef0");
    });

    it("should install nginx and the sample app by default, on the app port", async () => {
        const ev = await build({ appPort: 8080 });
        const script = userDataOf(only(ev, T.launchTemplate));
        // What the script does on a server is run for real in server.test.ts; here: it is that script.
        expect(script).toBe(
            renderUserData({ region: "us-east-1", stack: "test", appPort: 8080, ...bootOptionsOf(ev, "pool") }),
        );
        expect(Buffer.byteLength(script)).toBeLessThan(16384);
    });

    it("should take the user's own user data and AMI as they are", async () => {
        const ev = await build({ userData: "#!/bin/bash\necho custom\n", imageId: "ami-0123456789abcdef0" });
        const lt = only(ev, T.launchTemplate);
        expect(userDataOf(lt)).toBe("#!/bin/bash\necho custom\n");
        expect(lt.inputs.imageId).toBe("ami-0123456789abcdef0");
    });

    it("should keep the Auto Scaling group in the target group with ELB health checks and a rolling refresh", async () => {
        const ev = await build({ size: 2, subnetIds: ["subnet-a", "subnet-b"] });
        const asg = only(ev, T.asg);
        expect(asg.inputs).toMatchObject({
            minSize: 2,
            desiredCapacity: 2,
            maxSize: 4,
            vpcZoneIdentifiers: ["subnet-a", "subnet-b"],
            targetGroupArns: [base.targetGroupArn],
            healthCheckType: "ELB",
            launchTemplate: { id: "pool-lt", version: "1" },
        });
        expect(asg.inputs.tags).toContainEqual({ key: "Name", value: "pool", propagateAtLaunch: true });
    });

    it("should admit only the load balancer on the app port, and open the load balancer's egress to this pool only", async () => {
        const ev = await build({ appPort: 8080 });
        const ingress = ofType(ev, T.ingress);
        expect(ingress.map((r) => r.inputs)).toEqual([
            expect.objectContaining({
                securityGroupId: "pool-sg",
                referencedSecurityGroupId: "sg-alb",
                ipProtocol: "tcp",
                fromPort: 8080,
                toPort: 8080,
            }),
        ]);
        expect(ingress[0].inputs.cidrIpv4).toBeUndefined();
        const egress = ofType(ev, T.egress).map((r) => r.inputs);
        expect(egress).toContainEqual(
            expect.objectContaining({
                securityGroupId: "sg-alb",
                referencedSecurityGroupId: "pool-sg",
                fromPort: 8080,
                toPort: 8080,
            }),
        );
        // The servers themselves may only speak HTTPS outwards: no port 22, no all-protocol rule.
        expect(egress.filter((r) => r.securityGroupId === "pool-sg")).toEqual([
            expect.objectContaining({ cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443 }),
        ]);
    });

    it("should give the instances SSM Session Manager and any extra policies, and nothing inline", async () => {
        const extra = "arn:aws:iam::123456789012:policy/extra";
        const ev = await build({ policyArns: [extra] });
        const role = only(ev, T.role, "pool-role");
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
            { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
        ]);
        expect(
            ofType(ev, T.policyAttachment)
                .map((a) => a.inputs.policyArn)
                .sort(),
        ).toEqual([extra, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
        // Inline: only the launch hook's completion and the bundle's read access (lifecycle.test.ts).
        expect(
            ofType(ev, T.rolePolicy)
                .filter((p) => p.inputs.role === role.state.name)
                .map((p) => p.name)
                .sort(),
        ).toEqual(["pool-bundle-read", "pool-launch-hook"]);
    });

    it("should hand the app the database endpoints and secret through the default user data", async () => {
        const ev = await build({ database, appPort: 8080 });
        expect(userDataOf(only(ev, T.launchTemplate))).toBe(
            renderUserData({
                region: "us-east-1",
                stack: "test",
                appPort: 8080,
                ...bootOptionsOf(ev, "pool"),
                db: {
                    writerHost: database.writerHost as string,
                    writerPort: 3306,
                    readerHosts: database.readerHosts as string[],
                    readerPort: 3306,
                    secretArn: SECRET_ARN,
                    database: "app",
                },
            }),
        );
    });

    it("should let the instances read that one secret and nothing else", async () => {
        const ev = await build({ database });
        const policy = only(ev, T.rolePolicy, "-db-secret");
        expect(policy.name).toBe("pool-db-secret");
        expect(policy.inputs.role).toBe(only(ev, T.role, "pool-role").state.name);
        expect(secretStatements(ev)).toEqual([
            {
                Sid: "ReadDatabaseSecret",
                Effect: "Allow",
                Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                Resource: SECRET_ARN,
            },
        ]);
        expect(policy.inputs.policy).not.toContain("*");
        // Managed policies unchanged: SSM only.
        expect(ofType(ev, T.policyAttachment).map((a) => a.inputs.policyArn)).toEqual([
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        ]);
    });

    it("should grant the secret also to a pool with its own user data, which it leaves as it is", async () => {
        const ev = await build({ database, userData: "#!/bin/bash\necho custom\n" });
        expect(userDataOf(only(ev, T.launchTemplate))).toBe("#!/bin/bash\necho custom\n");
        expect(secretStatements(ev)).toEqual([expect.objectContaining({ Resource: SECRET_ARN })]);
    });

    it("should wire a Database: its endpoints in the user data, its secret in the policy, and the firewall chain", async () => {
        const ev = await evaluate(
            () => {
                const db = new Database("db", {
                    vpcId: "vpc-1",
                    subnetIds: ["subnet-iso-a", "subnet-iso-b"],
                    availabilityZones: ["us-east-1a", "us-east-1b"],
                    replicaCount: 2,
                });
                const pool = new ServerPool("pool", { ...base, database: db.connection });
                db.allowClient("pool", pool.securityGroup.id);
            },
            { stack: "test" },
        );
        const instances = ofType(ev, "aws:rds/instance:Instance");
        const primary = instances.find((r) => r.name === "db-primary")!;
        const replicas = ["db-replica-0", "db-replica-1"].map((n) => instances.find((r) => r.name === n)!);
        const secretArn = only(ev, "aws:secretsmanager/secret:Secret").state.arn;
        expect(userDataOf(only(ev, T.launchTemplate))).toBe(
            renderUserData({
                region: "us-east-1",
                stack: "test",
                appPort: 80,
                ...bootOptionsOf(ev, "pool"),
                db: {
                    writerHost: primary.state.address,
                    writerPort: 3306,
                    readerHosts: replicas.map((r) => r.state.address),
                    readerPort: 3306,
                    secretArn,
                    database: "app",
                },
            }),
        );
        expect(secretStatements(ev)).toEqual([expect.objectContaining({ Resource: secretArn })]);
        // servers -> database on 3306 only, both directions of the chain.
        expect(
            ofType(ev, T.ingress)
                .filter((r) => r.inputs.securityGroupId === "db-sg")
                .map((r) => r.inputs),
        ).toEqual([expect.objectContaining({ referencedSecurityGroupId: "pool-sg", fromPort: 3306, toPort: 3306 })]);
        expect(
            ofType(ev, T.egress)
                .filter((r) => r.inputs.securityGroupId === "pool-sg")
                .map((r) => [r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId, r.inputs.fromPort]),
        ).toEqual(
            expect.arrayContaining([
                ["0.0.0.0/0", 443],
                ["db-sg", 3306],
            ]),
        );
    });

    it.each([
        [
            { database: { ...database, secretArn: "*" } },
            "ServerPool args.database.secretArn=* is not valid: expected a Secrets Manager secret ARN",
        ],
        [
            { database: { ...database, secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:*" } },
            "ServerPool args.database.secretArn=arn:aws:secretsmanager:us-east-1:123456789012:secret:* is not valid",
        ],
        [
            { database: { ...database, port: 0 } },
            "ServerPool args.database.port=0 is not valid: expected an integer from 1 to 65535",
        ],
        [{ size: 0 }, "ServerPool args.size=0 is not valid: expected an integer from 1 to 100"],
        [{ size: 3, maxSize: 2 }, "ServerPool args.maxSize=2 is not valid: expected an integer from 3 to 200"],
        [
            { instanceType: "db.t4g.micro" },
            "ServerPool args.instanceType=db.t4g.micro is not valid: expected an EC2 instance type",
        ],
        [{ imageId: "ubuntu" }, "ServerPool args.imageId=ubuntu is not valid: expected an AMI id"],
        [{ appPort: 0 }, "ServerPool args.appPort=0 is not valid"],
        [
            { appPort: 8000 },
            "ServerPool args.appPort=8000 is not valid: expected a port from 1 to 65535 other than 22 and 8000",
        ],
        [
            { appPort: 22, userData: "#!/bin/bash\n" },
            "ServerPool args.appPort=22 is not valid: expected a port from 1 to 65535 other than 22 (22: SSH stays closed)",
        ],
        [
            { rootVolumeSizeGb: 4 },
            "ServerPool args.rootVolumeSizeGb=4 is not valid: expected an integer from 8 to 16384",
        ],
        [{ subnetIds: [] }, "ServerPool args.subnetIds=[] is not valid: expected at least one private subnet"],
        [
            { scaling: { cpuPercent: 95 } },
            "ServerPool args.scaling.cpuPercent=95 is not valid: expected an integer from 10 to 90",
        ],
        [
            { scaling: { loadBalancerArn: ALB_ARN, requestsPerTarget: 100_001 } },
            "ServerPool args.scaling.requestsPerTarget=100001 is not valid: expected an integer from 1 to 100000",
        ],
        [
            { scaling: { requestsPerTarget: 500 } },
            "ServerPool args.scaling.loadBalancerArn=undefined is not valid: expected the load balancer's ARN, to scale on requestsPerTarget",
        ],
        [{ scaling: "fast" }, "ServerPool args.scaling=fast is not valid: expected an object"],
    ])("should reject %j before creating anything", async (args, message) => {
        await expectRejectedBeforeCreate(build(args as any), message);
    });

    describe("scaling", () => {
        const policies = (ev: Awaited<ReturnType<typeof build>>) =>
            ofType(ev, "aws:autoscaling/policy:Policy")
                .sort((a, b) => b.name.localeCompare(a.name))
                .map((p) => [
                    p.name,
                    p.inputs.targetTrackingConfiguration.predefinedMetricSpecification,
                    p.inputs.targetTrackingConfiguration.targetValue,
                ]);

        it("should track requests per server on its own target group and CPU, between size and maxSize", async () => {
            const ev = await build({ size: 2, maxSize: 6, scaling: { loadBalancerArn: ALB_ARN } });
            expect(policies(ev)).toEqual([
                [
                    "pool-scale-requests",
                    {
                        predefinedMetricType: "ALBRequestCountPerTarget",
                        resourceLabel: "app/web-alb/50dc6c495c0c9188/targetgroup/act-x/0123",
                    },
                    1000,
                ],
                ["pool-scale-cpu", { predefinedMetricType: "ASGAverageCPUUtilization" }, 60],
            ]);
            const group = only(ev, T.asg);
            for (const p of ofType(ev, "aws:autoscaling/policy:Policy")) {
                expect(p.inputs).toMatchObject({
                    autoscalingGroupName: group.state.name,
                    policyType: "TargetTrackingScaling",
                    estimatedInstanceWarmup: 120,
                });
            }
            expect(group.inputs).toMatchObject({ minSize: 2, maxSize: 6, desiredCapacity: 2 });
            // The desired capacity is Auto Scaling's from then on: never drift, never reset by pulumi up.
            expect(group.options.ignoreChanges).toEqual(["desiredCapacity", "launchTemplate"]);
        });

        it("should take other targets, turn either policy off, and scale on CPU alone without a load balancer", async () => {
            const ev = await build({
                scaling: { loadBalancerArn: ALB_ARN, requestsPerTarget: 250, cpuPercent: 0 },
            });
            expect(policies(ev)).toEqual([
                [
                    "pool-scale-requests",
                    expect.objectContaining({ predefinedMetricType: "ALBRequestCountPerTarget" }),
                    250,
                ],
            ]);
            expect(policies(await build())).toEqual([
                ["pool-scale-cpu", { predefinedMetricType: "ASGAverageCPUUtilization" }, 60],
            ]);
            expect(policies(await build({ scaling: { cpuPercent: 0 } }))).toEqual([]);
        });

        it("should name what it cannot build a request metric from", () => {
            expect(() =>
                requestCountLabel(
                    "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/x/1",
                    base.targetGroupArn as string,
                ),
            ).toThrow(
                "ServerPool args.scaling.loadBalancerArn=arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/x/1 is not valid: expected an Application Load Balancer ARN",
            );
        });
    });
    describe("rollout", () => {
        const ALARMS = ["web-dev-alb-active-unhealthy-hosts", "web-dev-alb-5xx-rate", "web-dev-alb-target-5xx-rate"];

        const inputOf = (ev: Evaluation) => JSON.parse(only(ev, T.invocation, "pool-rollout").inputs.input);

        it("should start a refresh of every new launch template version itself, the group left on the running one", async () => {
            const ev = await build({ rollout: { alarmNames: ALARMS } });
            const asg = only(ev, T.asg);
            const lt = only(ev, T.launchTemplate);
            // A numbered version (the template's latest), never $Latest: rollback needs one. After
            // creation the group's version is the refresh's to change, not the provider's.
            expect(asg.inputs.launchTemplate).toEqual({ id: "pool-lt", version: "1" });
            expect(asg.options.ignoreChanges).toContain("launchTemplate");
            expect(asg.inputs.instanceRefresh).toBeUndefined();
            expect(lt.inputs.updateDefaultVersion).toBe(true);
            // The invocation names the new version as the desired configuration, with the preferences:
            // launch before terminate, checkpoints, rollback on the alarms.
            expect(inputOf(ev)).toEqual({
                autoScalingGroupName: asg.state.name,
                launchTemplate: { id: "pool-lt", version: "1" },
                preferences: {
                    minHealthyPercentage: 100,
                    maxHealthyPercentage: 200,
                    instanceWarmup: 120,
                    checkpointPercentages: [50, 100],
                    checkpointDelay: 300,
                    skipMatching: true,
                    autoRollback: true,
                    alarms: ALARMS,
                },
            });
            const invocation = only(ev, T.invocation, "pool-rollout");
            const fn = only(ev, T.fn, "pool-rollout");
            expect(invocation.inputs.functionName).toBe(fn.state.name);
            // It runs on create and on replace only (a new input), once the group and the permissions exist.
            expect(invocation.inputs.lifecycleScope).toBeUndefined();
            expect(invocation.options.dependencies).toEqual(
                expect.arrayContaining([
                    asg.urn,
                    only(ev, T.rolePolicy, "pool-rollout").urn,
                    only(ev, T.rolePolicy, "pool-rollout-logs").urn,
                ]),
            );
            // The function is the bundled lambda/rollout/handler.ts, on Node.js 22.
            expect(fn.inputs).toMatchObject({ runtime: "nodejs22.x", handler: "index.handler", timeout: 30 });
            const assets = await fn.inputs.code.assets;
            expect(Object.keys(assets)).toEqual(["index.js"]);
            expect(await assets["index.js"].text).toBe(rolloutHandlerBundle());
        });

        it("should let the starter read groups, start a refresh of its own group only, and launch from its own template only", async () => {
            const ev = await build();
            const role = only(ev, T.role, "pool-rollout-role");
            expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({
                Service: "lambda.amazonaws.com",
            });
            const statements = JSON.parse(only(ev, T.rolePolicy, "pool-rollout").inputs.policy).Statement;
            expect(statements).toEqual(
                (
                    rolloutStarterPolicy({
                        groupArn: only(ev, T.asg).state.arn,
                        launchTemplateArn: only(ev, T.launchTemplate).state.arn,
                        instanceRoleArn: only(ev, T.role, "pool-role").state.arn,
                    }) as { Statement: unknown[] }
                ).Statement,
            );
            const start = statements.find((st: any) => st.Action === "autoscaling:StartInstanceRefresh");
            expect(start.Resource).toBe(only(ev, T.asg).state.arn);
            const pass = statements.find((st: any) => st.Action === "iam:PassRole");
            expect(pass.Resource).toBe(only(ev, T.role, "pool-role").state.arn);
            // The policy pack's IAM rules (no admin, no PassRole on any role) hold for it.
            const report = runPolicyPack(ev.resources);
            expect(report.mandatory.filter((f) => /iam/.test(f.policy))).toEqual([]);
        });

        it("should take other checkpoints, no rollback, and no alarms", async () => {
            const ev = await build({
                rollout: { checkpointPercentages: [20, 60, 100], checkpointDelaySeconds: 0, autoRollback: false },
            });
            expect(inputOf(ev).preferences).toMatchObject({
                checkpointPercentages: [20, 60, 100],
                checkpointDelay: 0,
                autoRollback: false,
                alarms: [],
            });
        });

        it.each([
            [{ checkpointPercentages: [50] }, "ServerPool args.rollout.checkpointPercentages=[50] is not valid"],
            [{ checkpointPercentages: [100, 50] }, "checkpointPercentages=[100,50] is not valid: expected ascending"],
            [{ checkpointPercentages: [50, 50, 100] }, "checkpointPercentages=[50,50,100] is not valid"],
            [{ checkpointPercentages: [0, 100] }, "checkpointPercentages=[0,100] is not valid"],
            [{ checkpointPercentages: [] }, "checkpointPercentages=[] is not valid"],
            [
                { checkpointDelaySeconds: 172801 },
                "checkpointDelaySeconds=172801 is not valid: expected an integer from 0 to 172800",
            ],
            [{ checkpointDelaySeconds: 1.5 }, "checkpointDelaySeconds=1.5 is not valid"],
            [{ autoRollback: "yes" }, "ServerPool args.rollout.autoRollback=yes is not valid"],
            [
                { alarmNames: Array(11).fill("a") },
                "ServerPool args.rollout.alarmNames=11 names is not valid: expected a list of at most 10",
            ],
            [
                { alarmNames: ["arn:aws:cloudwatch:us-east-1:1:alarm:x"] },
                "alarmNames[0]=arn:aws:cloudwatch:us-east-1:1:alarm:x is not valid",
            ],
            ["fast", "ServerPool args.rollout=fast is not valid: expected an object"],
        ])("should reject rollout %j before creating anything", async (rollout, message) => {
            await expectRejectedBeforeCreate(build({ rollout: rollout as ServerPoolArgs["rollout"] }), message);
        });
    });
});

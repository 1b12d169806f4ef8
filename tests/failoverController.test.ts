import * as vm from "vm";
import {
    bundleHandler,
    FailoverController,
    FailoverControllerArgs,
    failoverTimeSeconds,
    DEFAULT_TIMING,
    RUN_SECONDS,
} from "../components/failoverController";
import { STATE_TAG_KEY } from "../lambda/failover/protocol";
import { evaluate } from "../scripts/offline";
import { expectRejectedBeforeCreate, ofType, only } from "./helpers";

const LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/abc/def";
const ACTIVE = {
    arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/act-1/aaa",
    arnSuffix: "targetgroup/act-1/aaa",
};
const FAILOVER = {
    arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fo-1/bbb",
    arnSuffix: "targetgroup/fo-1/bbb",
};
const base: FailoverControllerArgs = {
    listenerArn: LISTENER,
    loadBalancerArnSuffix: "app/web/abc",
    activeTargetGroup: ACTIVE,
    failoverTargetGroup: FAILOVER,
};
const build = (args: Partial<FailoverControllerArgs> = {}) =>
    evaluate(() => new FailoverController("fc", { ...base, ...args }), { stack: "test" });

const FN = "aws:lambda/function:Function";
const PERMISSION = "aws:lambda/permission:Permission";

describe("FailoverController", () => {
    it("should run the bundled handler on Node.js 22, one invocation at a time, outliving its polling run", async () => {
        const ev = await build();
        const fn = only(ev, FN);
        expect(fn.inputs).toMatchObject({
            runtime: "nodejs22.x",
            handler: "index.handler",
            reservedConcurrentExecutions: 1,
            memorySize: 128,
        });
        expect(fn.inputs.timeout).toBeGreaterThan(RUN_SECONDS);
        const assets = await fn.inputs.code.assets;
        expect(Object.keys(assets)).toEqual(["index.js"]);
        expect(await assets["index.js"].text).toBe(bundleHandler());
        expect(fn.inputs.role).toBe(only(ev, "aws:iam/role:Role").state.arn);
        expect(fn.inputs.loggingConfig).toEqual({
            logFormat: "Text",
            logGroup: only(ev, "aws:cloudwatch/logGroup:LogGroup").state.name,
        });
    });

    it("should hand the function the listener, both groups, the topic and the failback policy", async () => {
        const ev = await build({ failback: "manual", failbackAfterSeconds: 600 });
        expect(only(ev, FN).inputs.environment.variables).toEqual({
            LISTENER_ARN: LISTENER,
            ACTIVE_TARGET_GROUP_ARN: ACTIVE.arn,
            FAILOVER_TARGET_GROUP_ARN: FAILOVER.arn,
            TOPIC_ARN: only(ev, "aws:sns/topic:Topic").state.arn,
            FAILBACK: "manual",
            FAILBACK_AFTER_SECONDS: "600",
            POLL_INTERVAL_SECONDS: "5",
            CONFIRMATIONS: "2",
            RUN_SECONDS: String(RUN_SECONDS),
        });
    });

    it("should use a given topic instead of creating one", async () => {
        const topicArn = "arn:aws:sns:us-east-1:123456789012:alerts";
        const ev = await build({ topicArn });
        expect(ofType(ev, "aws:sns/topic:Topic")).toEqual([]);
        expect(only(ev, FN).inputs.environment.variables.TOPIC_ARN).toBe(topicArn);
    });

    it("should be started every minute by a schedule allowed to invoke it", async () => {
        const ev = await build();
        const rule = only(ev, "aws:cloudwatch/eventRule:EventRule");
        expect(rule.inputs.scheduleExpression).toBe("rate(1 minute)");
        expect(only(ev, "aws:cloudwatch/eventTarget:EventTarget").inputs).toMatchObject({
            rule: rule.state.name,
            arn: only(ev, FN).state.arn,
        });
        const permission = ofType(ev, PERMISSION).find((p) => p.inputs.principal === "events.amazonaws.com");
        expect(permission?.inputs).toMatchObject({
            action: "lambda:InvokeFunction",
            function: only(ev, FN).state.name,
            sourceArn: rule.state.arn,
        });
    });

    it("should also be invoked by an alarm on the active group's healthy host count", async () => {
        const ev = await build();
        const alarm = only(ev, "aws:cloudwatch/metricAlarm:MetricAlarm");
        expect(alarm.inputs).toMatchObject({
            namespace: "AWS/ApplicationELB",
            metricName: "HealthyHostCount",
            dimensions: { LoadBalancer: "app/web/abc", TargetGroup: ACTIVE.arnSuffix },
            statistic: "Minimum",
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            treatMissingData: "breaching",
            alarmActions: [only(ev, FN).state.arn],
        });
        const permission = ofType(ev, PERMISSION).find(
            (p) => p.inputs.principal === "lambda.alarms.cloudwatch.amazonaws.com",
        );
        expect(permission?.inputs.sourceArn).toBe(alarm.state.arn);
    });

    it("should grant only what the controller does, each change scoped to one resource", async () => {
        const ev = await build({ topicArn: "arn:aws:sns:us-east-1:123456789012:alerts" });
        const policy = JSON.parse(only(ev, "aws:iam/rolePolicy:RolePolicy").inputs.policy);
        const logGroupArn = only(ev, "aws:cloudwatch/logGroup:LogGroup").state.arn;
        const grants = policy.Statement.map((s: any) => [
            ([] as string[]).concat(s.Action).sort().join(","),
            s.Resource,
        ]);
        expect(grants).toEqual([
            [
                "elasticloadbalancing:DescribeListeners,elasticloadbalancing:DescribeTags,elasticloadbalancing:DescribeTargetHealth",
                "*",
            ],
            ["elasticloadbalancing:ModifyListener", LISTENER],
            ["elasticloadbalancing:AddTags,elasticloadbalancing:RemoveTags", LISTENER],
            ["sns:Publish", "arn:aws:sns:us-east-1:123456789012:alerts"],
            ["logs:CreateLogStream,logs:PutLogEvents", `${logGroupArn}:*`],
        ]);
        expect(policy.Statement[2].Condition).toEqual({
            "ForAllValues:StringEquals": { "aws:TagKeys": [STATE_TAG_KEY] },
        });
        const trust = JSON.parse(only(ev, "aws:iam/role:Role").inputs.assumeRolePolicy);
        expect(trust.Statement).toEqual([
            {
                Effect: "Allow",
                Principal: { Service: "lambda.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
            },
        ]);
    });

    it("should keep its logs for the retention asked", async () => {
        const ev = await build({ logRetentionDays: 90 });
        expect(only(ev, "aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays).toBe(90);
    });

    it("should fail over within 25 s with the defaults, and say how long it takes with other settings", async () => {
        expect(failoverTimeSeconds()).toBe(25);
        expect(failoverTimeSeconds({ ...DEFAULT_TIMING, confirmations: 3 })).toBe(30);
        let controller: FailoverController | undefined;
        await evaluate(() => (controller = new FailoverController("fc", { ...base, pollIntervalSeconds: 10 })), {
            stack: "test",
        });
        expect(controller?.failoverTimeSeconds).toBe(35);
    });

    it("should bundle a handler that loads with only the AWS SDK left to the runtime", () => {
        const code = bundleHandler();
        const required = new Set<string>();
        const module = { exports: {} as Record<string, unknown> };
        const sandboxRequire = (id: string) => {
            required.add(id);
            return new Proxy({}, { get: () => class {} });
        };
        vm.runInNewContext(code, {
            module,
            exports: module.exports,
            require: sandboxRequire,
            process: { env: {} },
            console,
            setTimeout,
            Buffer,
        });
        expect(typeof module.exports.handler).toBe("function");
        expect([...required].every((id) => id.startsWith("@aws-sdk/"))).toBe(true);
        expect(bundleHandler()).toBe(code);
    });

    it.each([
        [{ failback: "auto" }, "FailoverController args.failback=auto is not valid: expected one of automatic, manual"],
        [
            { failbackAfterSeconds: -1 },
            "FailoverController args.failbackAfterSeconds=-1 is not valid: expected an integer from 0 to 86400",
        ],
        [
            { pollIntervalSeconds: 0 },
            "FailoverController args.pollIntervalSeconds=0 is not valid: expected an integer from 1 to 15",
        ],
        [
            { confirmations: 0 },
            "FailoverController args.confirmations=0 is not valid: expected an integer from 1 to 10",
        ],
        [
            { logRetentionDays: 10 },
            "FailoverController args.logRetentionDays=10 is not valid: expected a CloudWatch Logs retention in days: one of 1, 3, 5, 7, 14, 30",
        ],
    ])("should reject %j before creating anything", async (args, message) => {
        await expectRejectedBeforeCreate(build(args as any), message);
    });
});

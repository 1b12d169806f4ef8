import * as vm from "vm";
import {
    apiSeconds,
    bundleHandler,
    handoverSeconds,
    DEFAULT_TIMING,
    FailoverController,
    FailoverControllerArgs,
    failoverCallSeconds,
    failoverTimeSeconds,
    FUNCTION_TIMEOUT_SECONDS,
    HEARTBEAT_PATTERN,
    MAX_RUN_SECONDS,
} from "../components/failoverController";
import { classifyEvent, createHandler } from "../lambda/failover/handler";
import { EMPTY_PERSISTED } from "../lambda/failover/controller";
import { DEFAULT_CONFIG } from "../lambda/failover/config";
import { ENV } from "../lambda/failover/protocol";
import { CALL_TIMEOUTS_MS } from "../lambda/failover/runtime";
import { SCENARIOS, sweep, trial } from "../scripts/failover-trials";
import { invoke, SCHEDULED_EVENT, World, WORLD_ENV } from "../scripts/failover-world";
import { evaluate } from "../scripts/offline";
import { expectRejectedBeforeCreate, ofType, only } from "./helpers";

const LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/abc/def";
const ACTIVE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/act-1/aaa";
const FAILOVER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fo-1/bbb";
const base: FailoverControllerArgs = {
    listenerArn: LISTENER,
    activeTargetGroupArn: ACTIVE,
    failoverTargetGroupArn: FAILOVER,
};
const build = (args: Partial<FailoverControllerArgs> = {}) =>
    evaluate(() => new FailoverController("fc", { ...base, ...args }), { stack: "test" });

const FN = "aws:lambda/function:Function";
const PERMISSION = "aws:lambda/permission:Permission";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TABLE = "aws:dynamodb/table:Table";

describe("FailoverController", () => {
    it("should run the bundled handler on Node.js 22 with no reserved concurrency, outliving its longest run", async () => {
        const ev = await build();
        const fn = only(ev, FN);
        expect(fn.inputs).toMatchObject({
            runtime: "nodejs22.x",
            handler: "index.handler",
            memorySize: 128,
            architectures: ["arm64"],
        });
        expect(fn.inputs.reservedConcurrentExecutions).toBeUndefined();
        expect(fn.inputs.timeout).toBe(FUNCTION_TIMEOUT_SECONDS);
        expect(FUNCTION_TIMEOUT_SECONDS).toBeGreaterThan(MAX_RUN_SECONDS);
        const assets = await fn.inputs.code.assets;
        expect(Object.keys(assets)).toEqual(["index.js"]);
        expect(await assets["index.js"].text).toBe(bundleHandler());
        expect(fn.inputs.role).toBe(only(ev, "aws:iam/role:Role", "fc-role").state.arn);
        expect(fn.inputs.loggingConfig).toEqual({
            logFormat: "Text",
            logGroup: only(ev, "aws:cloudwatch/logGroup:LogGroup").state.name,
        });
    });

    it("should reserve concurrency only when asked", async () => {
        const ev = await build({ reservedConcurrency: 5 });
        expect(only(ev, FN).inputs.reservedConcurrentExecutions).toBe(5);
    });

    it("should hand the function the listener, both groups, the table, the topic and the policy, under protocol.ts's names", async () => {
        const ev = await build({ failback: "manual", failbackAfterSeconds: 600 });
        expect(only(ev, FN).inputs.environment.variables).toEqual({
            [ENV.listenerArn]: LISTENER,
            [ENV.activeTargetGroupArn]: ACTIVE,
            [ENV.failoverTargetGroupArn]: FAILOVER,
            [ENV.topicArn]: only(ev, "aws:sns/topic:Topic").state.arn,
            [ENV.tableName]: only(ev, TABLE).state.name,
            [ENV.failback]: "manual",
            [ENV.failbackAfterSeconds]: "600",
            [ENV.maxHoldDownLevel]: "2",
            [ENV.pollIntervalSeconds]: "0.8",
            [ENV.confirmations]: "1",
        });
    });

    it("should keep its lease and state in an on-demand table keyed by id", async () => {
        const ev = await build();
        expect(only(ev, TABLE).inputs).toMatchObject({
            billingMode: "PAY_PER_REQUEST",
            hashKey: "id",
            attributes: [{ name: "id", type: "S" }],
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
        // A delivery EventBridge could not make within the minute is dropped, not retried for a day.
        expect(only(ev, "aws:cloudwatch/eventTarget:EventTarget").inputs.retryPolicy).toEqual({
            maximumEventAgeInSeconds: 60,
            maximumRetryAttempts: 2,
        });
    });

    it("should be started every minute by a second schedule in EventBridge Scheduler, through a role that may only invoke it", async () => {
        const ev = await build();
        const fn = only(ev, FN);
        const schedule = only(ev, "aws:scheduler/schedule:Schedule");
        const role = only(ev, "aws:iam/role:Role", "fc-scheduler-role");
        expect(schedule.inputs).toMatchObject({
            name: "fc-schedule-2",
            scheduleExpression: "rate(1 minute)",
            flexibleTimeWindow: { mode: "OFF" },
            target: {
                arn: fn.state.arn,
                roleArn: role.state.arn,
                retryPolicy: { maximumEventAgeInSeconds: 60, maximumRetryAttempts: 2 },
            },
        });
        // What it sends is a scheduled run to the handler.
        expect(classifyEvent(JSON.parse(schedule.inputs.target.input))).toEqual({ kind: "schedule" });
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
            {
                Effect: "Allow",
                Principal: { Service: "scheduler.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
            },
        ]);
        const policy = only(ev, "aws:iam/rolePolicy:RolePolicy", "fc-scheduler-policy");
        expect(policy.inputs.role).toBe(role.state.name);
        expect(JSON.parse(policy.inputs.policy).Statement).toEqual([
            { Sid: "StartRuns", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: fn.state.arn },
        ]);
        expect(schedule.options.dependencies).toContain(policy.urn);
    });

    it("should have Lambda drop, not retry, asynchronous invocations (a retry reuses the request id; a stale run is useless)", async () => {
        const topicArn = "arn:aws:sns:us-east-1:123456789012:alerts";
        const ev = await build({ topicArn });
        expect(only(ev, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs).toEqual({
            functionName: only(ev, FN).state.name,
            maximumRetryAttempts: 0,
            maximumEventAgeInSeconds: 60,
            // A failed run (above all the alarm's backstop run: a timeout, a crash, dropped after
            // throttling) goes to the alert topic, which the function's role may publish to.
            destinationConfig: { onFailure: { destination: topicArn } },
        });
        const policy = JSON.parse(only(ev, "aws:iam/rolePolicy:RolePolicy", "fc-policy").inputs.policy as string) as {
            Statement: Array<{ Action: string | string[]; Resource: string }>;
        };
        expect(policy.Statement).toContainEqual(expect.objectContaining({ Action: "sns:Publish", Resource: topicArn }));
    });

    it("should restart the poller and alert when its heartbeat stops, counting the heartbeats it really logs", async () => {
        const ev = await build({ topicArn: "arn:aws:sns:us-east-1:123456789012:alerts" });
        const alarm = only(ev, ALARM);
        const filter = only(ev, "aws:cloudwatch/logMetricFilter:LogMetricFilter");
        expect(filter.inputs).toMatchObject({
            logGroupName: only(ev, "aws:cloudwatch/logGroup:LogGroup").state.name,
            pattern: HEARTBEAT_PATTERN,
            metricTransformation: { name: "Heartbeats", namespace: "HaWebstack/fc", value: "1" },
        });
        expect(alarm.inputs).toMatchObject({
            name: "fc-down",
            namespace: "HaWebstack/fc",
            metricName: "Heartbeats",
            statistic: "Sum",
            period: 60,
            evaluationPeriods: 3,
            datapointsToAlarm: 3,
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            treatMissingData: "breaching",
            alarmActions: [only(ev, FN).state.arn, "arn:aws:sns:us-east-1:123456789012:alerts"],
            okActions: ["arn:aws:sns:us-east-1:123456789012:alerts"],
        });
        expect(alarm.inputs.alarmDescription).toMatch(/--cli-binary-format raw-in-base64-out --payload/);
        const permission = ofType(ev, PERMISSION).find(
            (p) => p.inputs.principal === "lambda.alarms.cloudwatch.amazonaws.com",
        );
        expect(permission?.inputs.sourceArn).toBe(alarm.state.arn);
        // The pattern matches the lines a running poller writes (the simulated account runs it).
        const world = new World();
        world.table.set("controller", {
            id: { S: "controller" },
            state: { S: JSON.stringify({ ...EMPTY_PERSISTED, armed: true, lastPosition: "active" }) },
        });
        const lines: string[] = [];
        const handler = createHandler({
            env: WORLD_ENV,
            clients: world.clients(),
            clock: world.clock,
            log: (r) => lines.push(JSON.stringify(r)),
        });
        void invoke(world, handler, SCHEDULED_EVENT);
        await world.clock.run(60_000);
        const event = /\$\.event = "([^"]+)"/.exec(HEARTBEAT_PATTERN)![1];
        expect(lines.filter((l) => JSON.parse(l).event === event).length).toBeGreaterThanOrEqual(5);
    });

    it("should grant only what the controller does, each change scoped to one resource", async () => {
        const ev = await build({ topicArn: "arn:aws:sns:us-east-1:123456789012:alerts" });
        const policy = JSON.parse(only(ev, "aws:iam/rolePolicy:RolePolicy", "fc-policy").inputs.policy);
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
            ["dynamodb:GetItem,dynamodb:UpdateItem", only(ev, TABLE).state.arn],
            ["sns:Publish", "arn:aws:sns:us-east-1:123456789012:alerts"],
            ["logs:CreateLogStream,logs:PutLogEvents", `${logGroupArn}:*`],
        ]);
        const trust = JSON.parse(only(ev, "aws:iam/role:Role", "fc-role").inputs.assumeRolePolicy);
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

    it("should bound the time to the move by 15.2 s and to traffic moved by 20.2 s with the defaults, and follow the settings", async () => {
        // 5 × 2 + 3 (a hung server's checks) + 0.8 (the next poll) + 2 × 0.5 (its reads) + 0.35 (a handover).
        expect(handoverSeconds()).toBeCloseTo(0.35);
        expect(apiSeconds()).toBeCloseTo(1.35);
        expect(failoverCallSeconds()).toBe(15.2);
        expect(failoverTimeSeconds()).toBe(20.2);
        expect(failoverCallSeconds({ ...DEFAULT_TIMING, confirmations: 3 })).toBe(16.8);
        // The timeouts the bound counts are the ones the controller uses.
        expect(DEFAULT_TIMING.readTimeoutSeconds * 1000).toBe(CALL_TIMEOUTS_MS.elb);
        expect(DEFAULT_TIMING.dbTimeoutSeconds * 1000).toBe(CALL_TIMEOUTS_MS.db);
        expect(DEFAULT_TIMING.pollIntervalSeconds).toBe(DEFAULT_CONFIG.pollIntervalSeconds);
        let controller: FailoverController | undefined;
        await evaluate(() => (controller = new FailoverController("fc", { ...base, pollIntervalSeconds: 2 })), {
            stack: "test",
        });
        // Polls 2 s apart: a handover fits in the slack before the next poll.
        expect(controller?.failoverCallSeconds).toBe(16);
        expect(controller?.failoverTimeSeconds).toBe(21);
    });

    it("should never promise less than the simulated ALB measures, with every call just under its timeout, a lost poll and a handover", async () => {
        // A thinner grid of the benchmark's slow sweeps (scripts/failover-trials.ts): servers that
        // hang, the check before the death just before it, the death across a renewal period,
        // handover moments.
        const grid = { check: 200, death: 500, successor: 1_000 };
        let worst = 0;
        for (const scenario of SCENARIOS.filter((s) => s.failure === "hang" && s.targets === 1 && !s.coldStart)) {
            for (const lost of [false, true]) {
                for (const alignment of sweep(scenario, "near", lost, grid)) {
                    worst = Math.max(worst, await trial(scenario, alignment));
                }
            }
        }
        // At least the ALB's own detection of a hung server, and the poll after it.
        expect(worst).toBeGreaterThan(13 + DEFAULT_CONFIG.pollIntervalSeconds);
        expect(worst).toBeLessThanOrEqual(failoverCallSeconds());
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
            AbortController,
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
            "FailoverController args.pollIntervalSeconds=0 is not valid: expected a number of seconds from 0.5 to 15 in tenths (like 0.8)",
        ],
        [
            { pollIntervalSeconds: 0.85 },
            "FailoverController args.pollIntervalSeconds=0.85 is not valid: expected a number of seconds from 0.5 to 15 in tenths (like 0.8)",
        ],
        [
            { confirmations: 0 },
            "FailoverController args.confirmations=0 is not valid: expected an integer from 1 to 10",
        ],
        [
            { reservedConcurrency: 1 },
            "FailoverController args.reservedConcurrency=1 is not valid: expected an integer from 3 to 1000",
        ],
        [
            { maxHoldDownLevel: 9 },
            "FailoverController args.maxHoldDownLevel=9 is not valid: expected an integer from 0 to 6",
        ],
        [
            { logRetentionDays: 10 },
            "FailoverController args.logRetentionDays=10 is not valid: expected a CloudWatch Logs retention in days: one of 1, 3, 5, 7, 14, 30",
        ],
    ])("should reject %j before creating anything", async (args, message) => {
        await expectRejectedBeforeCreate(build(args as any), message);
    });
});

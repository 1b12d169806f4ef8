/**
 * The failover controller Lambda: pure state machine (controller.ts) and the real handler
 * (handler.ts) run against mocked SDK clients (aws-sdk-client-mock) and a fake clock, so a
 * 10-minute failback scenario runs in milliseconds.
 *
 * The mocked ELB API is a small simulated world: ModifyListener really changes the weights that
 * the next DescribeListeners returns, and AddTags/RemoveTags really change the tags that the
 * next invocation's DescribeTags reads. That way a test checks behaviour across polls and
 * invocations, not just one call.
 */
import * as path from "path";
import {
    AddTagsCommand,
    DescribeListenersCommand,
    DescribeTagsCommand,
    DescribeTargetHealthCommand,
    ElasticLoadBalancingV2Client,
    ModifyListenerCommand,
    RemoveTagsCommand,
    type Action,
    type ModifyListenerCommandInput,
    type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { PublishCommand, SNSClient, type PublishCommandInput } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import {
    ACTIVE_WEIGHTS,
    DEFAULT_SETTINGS,
    FAILOVER_WEIGHTS,
    INITIAL_STATE,
    afterMove,
    decide,
    decideManual,
    parseState,
    positionOf,
    restoreState,
    serializeState,
    type ControllerSettings,
    type ControllerState,
    type Weights,
} from "../lambda/failover/controller";
import {
    ConfigError,
    MAX_UNOBSERVED_GAP_MS,
    STATE_TAG_KEY,
    classifyEvent,
    countHealthy,
    createHandler,
    loadConfig,
    readWeights,
    withWeights,
    type HandlerResult,
    type ManualResult,
    type RunSummary,
} from "../lambda/failover/handler";
import { logMetricPattern, type ControllerLogMetric } from "../components/monitoring/alarms";
import { LOG_EVENTS } from "../lambda/failover/protocol";

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const LISTENER_ARN =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
const ACTIVE_TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/act-a1/73e2d6bc24d8a067";
const FAILOVER_TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/fo-b1/5d1f2a8e9c3b4a71";
const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:web-alerts";
const ARNS = { activeTargetGroupArn: ACTIVE_TG, failoverTargetGroupArn: FAILOVER_TG };

const ENV = {
    LISTENER_ARN,
    ACTIVE_TARGET_GROUP_ARN: ACTIVE_TG,
    FAILOVER_TARGET_GROUP_ARN: FAILOVER_TG,
    TOPIC_ARN,
    FAILBACK: "automatic",
};

const T0 = Date.parse("2025-03-01T12:00:00.000Z");
const POLL_MS = 5_000;
const SCHEDULED_EVENT = {
    source: "aws.events",
    "detail-type": "Scheduled Event",
    resources: ["arn:aws:events:eu-west-1:123456789012:rule/failover-every-minute"],
};
const ALARM_EVENT = {
    source: "aws.cloudwatch",
    alarmArn: "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-active-no-healthy-hosts",
    accountId: "123456789012",
    time: "2025-03-01T12:00:00.000+0000",
    region: "eu-west-1",
    alarmData: {
        alarmName: "web-active-no-healthy-hosts",
        state: { value: "ALARM", reason: "Threshold Crossed", timestamp: "2025-03-01T12:00:00.000+0000" },
        previousState: { value: "OK", reason: "", timestamp: "2025-03-01T11:00:00.000+0000" },
        configuration: { description: "active target group has no healthy host", metrics: [] },
    },
};

/** n healthy targets plus non-healthy ones, which must never be counted. */
function targets(healthy: number): TargetHealthDescription[] {
    const ok = Array.from({ length: healthy }, (_, i) => ({
        Target: { Id: `i-0healthy${i}`, Port: 8080 },
        TargetHealth: { State: "healthy" as const },
    }));
    return [
        ...ok,
        {
            Target: { Id: "i-0sick", Port: 8080 },
            TargetHealth: { State: "unhealthy" as const, Reason: "Target.FailedHealthChecks" },
        },
    ];
}

type Health = readonly [active: number, failover: number];

/** A simulated AWS account: one listener, two target groups, tags and a clock. */
class World {
    t = T0;
    weights: Weights = { ...ACTIVE_WEIGHTS };
    readonly stickiness = { Enabled: true, DurationSeconds: 3600 };
    // An established stack: the controller has seen the active group healthy before.
    tags = new Map<string, string>([[STATE_TAG_KEY, "v1 armed=1"]]);
    health: (t: number) => Health = () => [2, 2];
    describeHealthFails: (t: number) => boolean = () => false;
    modifyFails: (attempt: number) => boolean = () => false;
    modifyAttempts = 0;
    /** Time of each successful ModifyListener, for "when exactly did it move". */
    readonly movedAt: number[] = [];

    readonly now = () => this.t;
    readonly sleep = async (ms: number) => {
        this.t += ms;
    };

    defaultActions(): Action[] {
        return [
            {
                Type: "forward",
                Order: 1,
                ForwardConfig: {
                    TargetGroups: [
                        { TargetGroupArn: ACTIVE_TG, Weight: this.weights.active },
                        { TargetGroupArn: FAILOVER_TG, Weight: this.weights.failover },
                    ],
                    TargetGroupStickinessConfig: this.stickiness,
                },
            },
        ];
    }

    /** Health per poll of the run started at `start`: index = polls since start. */
    perPoll(sequence: Health[], start = T0): void {
        this.health = (t) => sequence[Math.min(sequence.length - 1, Math.round((t - start) / POLL_MS))];
    }
}

const elbMock = mockClient(ElasticLoadBalancingV2Client);
const snsMock = mockClient(SNSClient);
let world: World;
let logSpy: jest.SpyInstance;

function install(w: World): void {
    elbMock.reset();
    snsMock.reset();
    elbMock.on(DescribeTargetHealthCommand).callsFake((input) => {
        if (w.describeHealthFails(w.t)) {
            throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
        }
        const [active, failover] = w.health(w.t);
        if (input.TargetGroupArn === ACTIVE_TG) return { TargetHealthDescriptions: targets(active) };
        if (input.TargetGroupArn === FAILOVER_TG) return { TargetHealthDescriptions: targets(failover) };
        throw new Error(`unexpected target group ${input.TargetGroupArn}`);
    });
    elbMock.on(DescribeListenersCommand).callsFake(() => ({
        Listeners: [{ ListenerArn: LISTENER_ARN, Port: 443, Protocol: "HTTPS", DefaultActions: w.defaultActions() }],
    }));
    elbMock.on(ModifyListenerCommand).callsFake((input: ModifyListenerCommandInput) => {
        w.modifyAttempts += 1;
        if (w.modifyFails(w.modifyAttempts)) {
            throw Object.assign(new Error("Listener is being modified"), { name: "OperationNotPermittedException" });
        }
        const weights = readWeights(input.DefaultActions, ARNS);
        if (!weights) throw new Error("ModifyListener without our forward action");
        w.weights = weights;
        w.movedAt.push(w.t);
        return { Listeners: [{ ListenerArn: LISTENER_ARN, DefaultActions: input.DefaultActions }] };
    });
    elbMock.on(DescribeTagsCommand).callsFake(() => ({
        TagDescriptions: [
            {
                ResourceArn: LISTENER_ARN,
                Tags: [{ Key: "Name", Value: "web-https" }, ...[...w.tags].map(([Key, Value]) => ({ Key, Value }))],
            },
        ],
    }));
    elbMock.on(AddTagsCommand).callsFake((input) => {
        for (const tag of input.Tags ?? []) w.tags.set(tag.Key!, tag.Value ?? "");
        return {};
    });
    elbMock.on(RemoveTagsCommand).callsFake((input) => {
        for (const key of input.TagKeys ?? []) w.tags.delete(key);
        return {};
    });
    snsMock.on(PublishCommand).resolves({ MessageId: "msg-1" });
}

beforeAll(() => {
    process.env.AWS_REGION = "eu-west-1";
});

beforeEach(() => {
    world = new World();
    install(world);
    // The handler writes one JSON line per event straight to stdout (see defaultLog).
    logSpy = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});

afterEach(() => {
    logSpy.mockRestore();
});

/** The real handler, with the fake clock; everything else (clients, logging) is the default. */
function makeHandler(env: Record<string, string> = {}) {
    return createHandler({ env: { ...ENV, ...env }, now: world.now, sleep: world.sleep });
}

/** Invokes like Lambda would: a context whose remaining time follows the fake clock. */
async function invoke(
    handler: ReturnType<typeof makeHandler>,
    event: unknown,
    timeoutMs = 90_000,
): Promise<HandlerResult> {
    const deadline = world.t + timeoutMs;
    return handler(event, { getRemainingTimeInMillis: () => deadline - world.t });
}

/** One scheduled invocation per minute, as the EventBridge schedule does. */
async function runMinutes(handler: ReturnType<typeof makeHandler>, minutes: number): Promise<void> {
    for (let i = 0; i < minutes; i++) {
        const start = world.t;
        await invoke(handler, SCHEDULED_EVENT);
        world.t = start + 60_000;
    }
}

function logLines(): Array<Record<string, unknown>> {
    return logSpy.mock.calls.map((args) => {
        const line = String(args[0]);
        // Exactly one line per record: a CloudWatch Logs event per move.
        expect(line.endsWith("\n") && !line.slice(0, -1).includes("\n")).toBe(true);
        return JSON.parse(line) as Record<string, unknown>;
    });
}

function logEvents(event: string) {
    return logLines().filter((l) => l.event === event);
}

function modifyInputs(): ModifyListenerCommandInput[] {
    return elbMock.commandCalls(ModifyListenerCommand).map((c) => c.args[0].input);
}

function publishInputs(): PublishCommandInput[] {
    return snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
}

/** Every ModifyListener must carry the complete forward action with both groups. */
function expectCompleteForward(input: ModifyListenerCommandInput, expected: Weights): void {
    expect(input.ListenerArn).toBe(LISTENER_ARN);
    expect(input.DefaultActions).toHaveLength(1);
    const forward = input.DefaultActions![0];
    expect(forward.Type).toBe("forward");
    expect(forward.TargetGroupArn).toBeUndefined();
    expect(forward.ForwardConfig?.TargetGroups).toEqual([
        { TargetGroupArn: ACTIVE_TG, Weight: expected.active },
        { TargetGroupArn: FAILOVER_TG, Weight: expected.failover },
    ]);
    expect(forward.ForwardConfig?.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 3600 });
}

// ---------------------------------------------------------------------------------------------
// controller.ts: the pure state machine
// ---------------------------------------------------------------------------------------------

describe("controller (pure)", () => {
    const settings: ControllerSettings = DEFAULT_SETTINGS;

    /** Feeds observations poll by poll; returns every decision. */
    const ARMED: ControllerState = { ...INITIAL_STATE, armed: true };

    function walk(
        weights: Weights,
        healths: Health[],
        s: ControllerSettings = settings,
        initial: ControllerState = ARMED,
    ) {
        let state = initial;
        let w = weights;
        return healths.map(([activeHealthy, failoverHealthy], i) => {
            const d = decide(state, { time: T0 + i * POLL_MS, activeHealthy, failoverHealthy, weights: w }, s);
            state = d.move ? afterMove(d.state, d.move) : d.state;
            if (d.move) w = d.move.to;
            return d;
        });
    }

    it("classifies the listener's position from its weights", () => {
        expect(positionOf({ active: 100, failover: 0 })).toBe("active");
        expect(positionOf({ active: 1, failover: 0 })).toBe("active");
        expect(positionOf({ active: 0, failover: 100 })).toBe("failover");
        expect(positionOf({ active: 50, failover: 50 })).toBe("split");
        expect(positionOf({ active: 0, failover: 0 })).toBe("none");
    });

    it("fails over after 2 consecutive unhealthy polls, not after 1", () => {
        const decisions = walk(ACTIVE_WEIGHTS, [
            [0, 2],
            [3, 2],
            [0, 2],
            [0, 2],
        ]);
        expect(decisions.map((d) => d.move?.kind ?? null)).toEqual([null, null, null, "failover"]);
        expect(decisions[3].move?.to).toEqual(FAILOVER_WEIGHTS);
        expect(decisions[3].reason).toMatch(/no healthy target for 2 consecutive polls; failover group has 2 healthy/);
        expect(decisions[0].reason).toMatch(/unhealthy for 1\/2 polls/);
    });

    it("fails back only after as many healthy polls as a failover needs, even with no failback delay", () => {
        const decisions = walk(
            ACTIVE_WEIGHTS,
            [
                [0, 2],
                [0, 2],
                [2, 2],
                [2, 2],
            ],
            { ...settings, failbackAfterSeconds: 0 },
        );
        expect(decisions.map((d) => d.move?.kind ?? null)).toEqual([null, "failover", null, "failback"]);
        expect(decisions[2].reason).toMatch(/healthy for 1\/2 polls before failback/);
    });

    it("honours a larger confirmation count", () => {
        const decisions = walk(
            ACTIVE_WEIGHTS,
            [
                [0, 1],
                [0, 1],
                [0, 1],
            ],
            { ...settings, confirmations: 3 },
        );
        expect(decisions.map((d) => d.move?.kind ?? null)).toEqual([null, null, "failover"]);
    });

    it("never moves to a dead failover group and reports 'both groups unhealthy' once", () => {
        const decisions = walk(ACTIVE_WEIGHTS, [
            [0, 0],
            [0, 0],
            [0, 0],
            [0, 0],
            [0, 1],
        ]);
        expect(decisions.slice(0, 4).every((d) => d.move === null)).toBe(true);
        expect(decisions.map((d) => d.notice?.kind ?? null)).toEqual([null, "both_unhealthy", null, null, null]);
        expect(decisions[2].reason).toMatch(/both groups unhealthy/);
        // The failover group comes back: move at once (the active streak is long confirmed).
        expect(decisions[4].move).toEqual({ kind: "failover", to: FAILOVER_WEIGHTS });
    });

    it("reports a new both-unhealthy episode after recovery", () => {
        const decisions = walk(ACTIVE_WEIGHTS, [
            [0, 0],
            [0, 0],
            [2, 0],
            [0, 0],
            [0, 0],
        ]);
        expect(decisions.map((d) => d.notice?.kind ?? null)).toEqual([
            null,
            "both_unhealthy",
            null,
            null,
            "both_unhealthy",
        ]);
    });

    it("fails back automatically only after failbackAfterSeconds of continuous health", () => {
        // 300 s at 5 s per poll: healthy since poll 0, eligible at poll 60.
        const decisions = walk(
            FAILOVER_WEIGHTS,
            Array.from({ length: 62 }, () => [2, 2] as Health),
        );
        const moves = decisions.map((d, i) => (d.move ? i : -1)).filter((i) => i >= 0);
        expect(moves).toEqual([60]);
        expect(decisions[60].move).toEqual({ kind: "failback", to: ACTIVE_WEIGHTS });
        expect(decisions[59].reason).toMatch(/healthy for 295 s of 300 s/);
    });

    it("restarts the failback window on any unhealthy poll", () => {
        const healths: Health[] = Array.from({ length: 100 }, (_, i) => (i === 40 ? [0, 2] : [2, 2]));
        const decisions = walk(FAILOVER_WEIGHTS, healths);
        const moves = decisions.map((d, i) => (d.move ? i : -1)).filter((i) => i >= 0);
        // Healthy again from poll 41: 300 s later is poll 101 -> no failback within 100 polls.
        expect(moves).toEqual([]);
        const longer = walk(FAILOVER_WEIGHTS, [...healths, [2, 2], [2, 2]]);
        expect(longer.map((d, i) => (d.move ? i : -1)).filter((i) => i >= 0)).toEqual([101]);
    });

    it("never fails back by itself under the manual policy", () => {
        const decisions = walk(
            FAILOVER_WEIGHTS,
            Array.from({ length: 200 }, () => [3, 3] as Health),
            { ...settings, failback: "manual" },
        );
        expect(decisions.every((d) => d.move === null)).toBe(true);
        expect(decisions[199].reason).toMatch(/failback policy is manual/);
    });

    it("leaves a dead failover group at once under automatic failback, only reports it under manual", () => {
        const healths: Health[] = [
            [2, 0],
            [2, 0],
            [2, 0],
        ];
        const automatic = walk(FAILOVER_WEIGHTS, healths);
        expect(automatic.map((d) => d.move?.kind ?? null)).toEqual([null, "failback", null]);
        const manual = walk(FAILOVER_WEIGHTS, healths, { ...settings, failback: "manual" });
        expect(manual.every((d) => d.move === null)).toBe(true);
        expect(manual.map((d) => d.notice?.kind ?? null)).toEqual([null, "failover_group_unhealthy", null]);
        expect(manual[1].reason).toMatch(/invoke \{"action":"failback"\}/);
    });

    it("keeps an operator's hold: no automatic failback", () => {
        const held: ControllerState = { ...ARMED, hold: true };
        const decisions = walk(
            FAILOVER_WEIGHTS,
            Array.from({ length: 100 }, () => [2, 2] as Health),
            settings,
            held,
        );
        expect(decisions.every((d) => d.move === null)).toBe(true);
        expect(decisions[99].reason).toMatch(/held by an operator/);
    });

    it("treats a split set by an operator as serving from both groups", () => {
        const decisions = walk({ active: 50, failover: 50 }, [
            [0, 2],
            [0, 2],
        ]);
        expect(decisions[1].move).toEqual({ kind: "failover", to: FAILOVER_WEIGHTS });
        const healthy = walk(
            { active: 50, failover: 50 },
            Array.from({ length: 80 }, () => [2, 2] as Health),
        );
        expect(healthy.every((d) => d.move === null)).toBe(true);
    });

    it("guards manual moves and honours force", () => {
        const onActive = { activeHealthy: 2, failoverHealthy: 0, weights: ACTIVE_WEIGHTS };
        const refused = decideManual(INITIAL_STATE, { action: "failover", force: false }, onActive);
        expect(refused).toMatchObject({ move: null, refused: true });
        expect(refused.message).toMatch(/failover group has no healthy target.*"force":true/);
        const forced = decideManual(INITIAL_STATE, { action: "failover", force: true }, onActive);
        expect(forced.move).toEqual({ kind: "failover", to: FAILOVER_WEIGHTS });
        expect(forced.message).toMatch(/\(forced\)/);
        expect(forced.state.hold).toBe(true);

        const unknown = decideManual(
            INITIAL_STATE,
            { action: "failback", force: false },
            { activeHealthy: null, failoverHealthy: 2, weights: FAILOVER_WEIGHTS },
        );
        expect(unknown.refused).toBe(true);
        expect(unknown.message).toMatch(/health of the active group is unknown/);

        const already = decideManual(
            INITIAL_STATE,
            { action: "failback", force: false },
            { activeHealthy: 2, failoverHealthy: 2, weights: { active: 1, failover: 0 } },
        );
        expect(already).toMatchObject({ move: null, refused: false });
        expect(already.message).toMatch(/already on the active group/);
    });

    it("does not fail over before the active group has been healthy once (a new stack booting)", () => {
        // Both pools boot together; the failover pool is up first.
        const booting = walk(
            ACTIVE_WEIGHTS,
            [
                [0, 0],
                [0, 1],
                [0, 2],
                [0, 2],
                [0, 2],
            ],
            settings,
            INITIAL_STATE,
        );
        expect(booting.every((d) => d.move === null && d.notice === null)).toBe(true);
        expect(booting[4].reason).toMatch(/not healthy once since the controller started watching/);
        expect(booting[4].state.armed).toBe(false);
        // Once the active group has served, a failure is a failure.
        const later = walk(
            ACTIVE_WEIGHTS,
            [
                [0, 2],
                [2, 2],
                [0, 2],
                [0, 2],
            ],
            settings,
            INITIAL_STATE,
        );
        expect(later.map((d) => d.move?.kind ?? null)).toEqual([null, null, null, "failover"]);
        expect(later[1].state.armed).toBe(true);
    });

    it("persists only what outlives an invocation, in tag-safe characters", () => {
        expect(serializeState(INITIAL_STATE, T0)).toBeNull();
        const value = serializeState(
            {
                ...INITIAL_STATE,
                activeHealthySince: T0,
                hold: true,
                reported: "both_unhealthy",
                activeUnhealthyPolls: 7,
            },
            T0 + 50_000,
        );
        expect(value).toBe(`v1 since=${T0} checked=${T0 + 50_000} hold=1 reported=both_unhealthy`);
        // ELB tag values allow letters, digits, spaces and _ . : / = + - @ only.
        expect(value).toMatch(/^[\p{L}\p{N} _.:/=+\-@]{1,256}$/u);
        expect(parseState(value)).toEqual({
            activeHealthySince: T0,
            checkedAt: T0 + 50_000,
            hold: true,
            reported: "both_unhealthy",
            armed: false,
        });
        expect(parseState("garbage")).toEqual({
            activeHealthySince: null,
            checkedAt: null,
            hold: false,
            reported: null,
            armed: false,
        });
        expect(serializeState(ARMED, T0)).toBe("v1 armed=1");
        expect(parseState("v1 armed=1").armed).toBe(true);
    });

    it("drops a persisted healthy streak that was not observed recently", () => {
        const persisted = parseState(`v1 since=${T0} checked=${T0 + 50_000} hold=1`);
        expect(restoreState(persisted, T0 + 60_000, MAX_UNOBSERVED_GAP_MS).activeHealthySince).toBe(T0);
        const stale = restoreState(persisted, T0 + 50_000 + MAX_UNOBSERVED_GAP_MS + 1, MAX_UNOBSERVED_GAP_MS);
        expect(stale.activeHealthySince).toBeNull();
        expect(stale.hold).toBe(true);
    });
});

// ---------------------------------------------------------------------------------------------
// handler.ts: pure helpers
// ---------------------------------------------------------------------------------------------

describe("handler helpers", () => {
    it("counts only 'healthy' targets; an empty group has none", () => {
        const states = ["initial", "draining", "unused", "unavailable", "unhealthy", "unhealthy.draining"] as const;
        expect(countHealthy(states.map((State) => ({ TargetHealth: { State } })))).toBe(0);
        expect(countHealthy([])).toBe(0);
        expect(countHealthy(undefined)).toBe(0);
        expect(countHealthy(targets(3))).toBe(3);
    });

    it("rebuilds the complete default actions with both groups, keeping the rest", () => {
        const actions: Action[] = [
            {
                Type: "authenticate-oidc",
                Order: 1,
                AuthenticateOidcConfig: {
                    Issuer: "https://idp",
                    AuthorizationEndpoint: "https://idp/a",
                    TokenEndpoint: "https://idp/t",
                    UserInfoEndpoint: "https://idp/u",
                    ClientId: "web",
                },
            },
            {
                Type: "forward",
                Order: 2,
                TargetGroupArn: ACTIVE_TG,
                ForwardConfig: {
                    TargetGroups: [{ TargetGroupArn: ACTIVE_TG, Weight: 1 }],
                    TargetGroupStickinessConfig: { Enabled: false },
                },
            },
        ];
        expect(readWeights(actions, ARNS)).toEqual({ active: 1, failover: 0 });
        const rebuilt = withWeights(actions, ARNS, FAILOVER_WEIGHTS);
        expect(rebuilt[0].AuthenticateOidcConfig?.UseExistingClientSecret).toBe(true);
        expect(rebuilt[0].Order).toBe(1);
        expect(rebuilt[1]).toEqual({
            Type: "forward",
            Order: 2,
            ForwardConfig: {
                TargetGroups: [
                    { TargetGroupArn: ACTIVE_TG, Weight: 0 },
                    { TargetGroupArn: FAILOVER_TG, Weight: 100 },
                ],
                TargetGroupStickinessConfig: { Enabled: false },
            },
        });
        expect(() =>
            withWeights([{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "503" } }], ARNS, ACTIVE_WEIGHTS),
        ).toThrow(/no default forward action/);
    });

    it("classifies schedule, alarm and manual events", () => {
        expect(classifyEvent(SCHEDULED_EVENT)).toEqual({ kind: "schedule" });
        expect(classifyEvent({})).toEqual({ kind: "schedule" });
        expect(classifyEvent(ALARM_EVENT)).toEqual({ kind: "alarm", alarmName: "web-active-no-healthy-hosts" });
        expect(classifyEvent({ action: "failback", force: true })).toEqual({
            kind: "manual",
            request: { action: "failback", force: true },
        });
        expect(classifyEvent({ action: "falback" })).toMatchObject({
            kind: "invalid",
            error: expect.stringMatching(/unknown action "falback"/),
        });
        expect(classifyEvent({ action: "failover", force: "yes" })).toMatchObject({
            kind: "invalid",
            error: expect.stringMatching(/"force" must be true or false/),
        });
    });
});

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

describe("configuration", () => {
    it("applies the documented defaults", () => {
        expect(loadConfig(ENV)).toEqual({
            listenerArn: LISTENER_ARN,
            activeTargetGroupArn: ACTIVE_TG,
            failoverTargetGroupArn: FAILOVER_TG,
            topicArn: TOPIC_ARN,
            failback: "automatic",
            failbackAfterSeconds: 300,
            pollIntervalSeconds: 5,
            confirmations: 2,
            runSeconds: 58,
        });
    });

    it.each([
        [{ LISTENER_ARN: undefined }, "LISTENER_ARN", /missing/],
        [{ LISTENER_ARN: "listener-1" }, "LISTENER_ARN", /not an ARN/],
        [{ ACTIVE_TARGET_GROUP_ARN: LISTENER_ARN }, "ACTIVE_TARGET_GROUP_ARN", /not an ARN like .*targetgroup/],
        [{ FAILOVER_TARGET_GROUP_ARN: ACTIVE_TG }, "FAILOVER_TARGET_GROUP_ARN", /must differ/],
        [{ TOPIC_ARN: "" }, "TOPIC_ARN", /missing/],
        [{ FAILBACK: "sometimes" }, "FAILBACK", /'sometimes' is not 'automatic' or 'manual'/],
        [{ FAILBACK: undefined }, "FAILBACK", /missing/],
        [{ FAILBACK_AFTER_SECONDS: "5m" }, "FAILBACK_AFTER_SECONDS", /not a whole number/],
        [{ POLL_INTERVAL_SECONDS: "0" }, "POLL_INTERVAL_SECONDS", /outside 1\.\.60/],
        [{ CONFIRMATIONS: "-1" }, "CONFIRMATIONS", /not a whole number/],
        [{ RUN_SECONDS: "3", POLL_INTERVAL_SECONDS: "5" }, "RUN_SECONDS", /shorter than POLL_INTERVAL_SECONDS/],
    ])("rejects %j naming %s", (patch, variable, message) => {
        const env: Record<string, string | undefined> = { ...ENV, ...patch };
        let thrown: unknown;
        try {
            loadConfig(env);
        } catch (err) {
            thrown = err;
        }
        expect(thrown).toBeInstanceOf(ConfigError);
        expect((thrown as ConfigError).variable).toBe(variable);
        expect((thrown as ConfigError).message).toMatch(new RegExp(`^${variable}: `));
        expect((thrown as ConfigError).message).toMatch(message);
    });

    it("a handler with a bad variable logs it, returns normally and calls no API", async () => {
        const handler = makeHandler({ FAILBACK: "sometimes" });
        const result = await invoke(handler, SCHEDULED_EVENT);
        expect(result).toEqual({
            ok: false,
            error: "invalid configuration: FAILBACK: 'sometimes' is not 'automatic' or 'manual'",
        });
        expect(logEvents("config_error")).toHaveLength(1);
        expect(elbMock.calls()).toHaveLength(0);
    });
});

// ---------------------------------------------------------------------------------------------
// The handler, run for real against the mocked ELB and SNS APIs
// ---------------------------------------------------------------------------------------------

describe("scheduled runs", () => {
    it("fails over after 2 unhealthy polls (not after 1), once, with both groups in ModifyListener", async () => {
        world.perPoll([
            [2, 2],
            [0, 2],
            [2, 2],
            [0, 2],
            [0, 2],
            [0, 2],
        ]);
        const result = (await invoke(makeHandler(), SCHEDULED_EVENT)) as RunSummary;

        expect(result).toMatchObject({ ok: true, trigger: "schedule", polls: 12, pollErrors: 0 });
        expect(modifyInputs()).toHaveLength(1);
        expectCompleteForward(modifyInputs()[0], FAILOVER_WEIGHTS);
        // Poll 1 alone was not enough; polls 3 and 4 confirm.
        expect(world.movedAt).toEqual([T0 + 4 * POLL_MS]);
        expect(world.weights).toEqual(FAILOVER_WEIGHTS);

        const published = publishInputs();
        expect(published).toHaveLength(1);
        expect(published[0].TopicArn).toBe(TOPIC_ARN);
        expect(published[0].Subject).toBe("ha-webstack failover: traffic moved to the failover target group (web)");
        expect(published[0].Subject!.length).toBeLessThanOrEqual(100);
        expect(published[0].Message).toMatch(/Weights \(active\/failover\): 100\/0 -> 0\/100/);
        expect(published[0].Message).toMatch(/"action":"failback"/);

        const lines = logEvents("failover");
        expect(lines).toEqual([
            {
                event: "failover",
                listenerArn: LISTENER_ARN,
                from: { active: 100, failover: 0 },
                to: { active: 0, failover: 100 },
                reason: "active group has had no healthy target for 2 consecutive polls; failover group has 2 healthy",
                trigger: "schedule",
                activeHealthy: 0,
                failoverHealthy: 2,
                notified: true,
            },
        ]);
    });

    it("finishes a failure that starts at the end of a run instead of restarting it in the next", async () => {
        // The active group fails at the run's last poll (55 s): one more poll at 60 s confirms it.
        world.health = (t) => (t >= T0 + 55_000 ? [0, 2] : [2, 2]);
        const result = (await invoke(makeHandler(), SCHEDULED_EVENT)) as RunSummary;
        expect(result.polls).toBe(13);
        expect(world.movedAt).toEqual([T0 + 60_000]);
    });

    it("does nothing for a single unhealthy poll between healthy ones", async () => {
        world.perPoll([
            [0, 2],
            [2, 2],
            [0, 2],
            [1, 2],
            [0, 2],
            [2, 2],
        ]);
        await invoke(makeHandler(), SCHEDULED_EVENT);
        expect(modifyInputs()).toHaveLength(0);
        expect(publishInputs()).toHaveLength(0);
        // Normal operation writes no state to the listener (it is armed already).
        expect(elbMock.commandCalls(AddTagsCommand)).toHaveLength(0);
    });

    it("polls every POLL_INTERVAL_SECONDS for RUN_SECONDS", async () => {
        const result = (await invoke(
            makeHandler({ POLL_INTERVAL_SECONDS: "10", RUN_SECONDS: "40" }),
            SCHEDULED_EVENT,
        )) as RunSummary;
        expect(result.polls).toBe(4);
        expect(elbMock.commandCalls(DescribeTargetHealthCommand)).toHaveLength(8);
        expect(elbMock.commandCalls(DescribeListenersCommand)).toHaveLength(4);
        expect(world.t).toBe(T0 + 30_000);
    });

    it("never moves to an unhealthy failover group; 'both groups unhealthy' is reported once across invocations", async () => {
        world.health = () => [0, 0];
        const handler = makeHandler();
        await runMinutes(handler, 3);
        expect(modifyInputs()).toHaveLength(0);
        expect(logEvents("both_unhealthy")).toHaveLength(1);
        expect(publishInputs()).toHaveLength(1);
        expect(publishInputs()[0].Subject).toMatch(/both unhealthy/);
        expect(world.tags.get(STATE_TAG_KEY)).toBe("v1 reported=both_unhealthy armed=1");

        // The failover group recovers: fail over at once, and the episode's state is cleared.
        world.health = () => [0, 2];
        await runMinutes(handler, 1);
        expect(modifyInputs()).toHaveLength(1);
        expectCompleteForward(modifyInputs()[0], FAILOVER_WEIGHTS);
        expect(world.tags.get(STATE_TAG_KEY)).toBe("v1 armed=1");
    });

    it("on a new stack, waits for the active group before arming, and records that once", async () => {
        world.tags.clear();
        // Minute 1: the failover pool is healthy first; the active one boots a minute later.
        world.health = (t) => (t < T0 + 60_000 ? [0, 2] : [2, 2]);
        const handler = makeHandler();
        await runMinutes(handler, 3);
        expect(modifyInputs()).toHaveLength(0);
        expect(publishInputs()).toHaveLength(0);
        expect(world.tags.get(STATE_TAG_KEY)).toBe("v1 armed=1");
        expect(elbMock.commandCalls(AddTagsCommand)).toHaveLength(1);
        // From then on the active group's failure moves traffic.
        world.health = () => [0, 2];
        await runMinutes(handler, 1);
        expect(world.weights).toEqual(FAILOVER_WEIGHTS);
    });

    it("is idempotent: already failed over means no ModifyListener", async () => {
        world.weights = { ...FAILOVER_WEIGHTS };
        world.health = () => [0, 2];
        await runMinutes(makeHandler(), 2);
        expect(modifyInputs()).toHaveLength(0);
        expect(publishInputs()).toHaveLength(0);
        expect(logLines().filter((l) => l.event !== "run_complete")).toEqual([]);
    });

    it("fails back automatically after 300 s of continuous health, across invocations", async () => {
        world.weights = { ...FAILOVER_WEIGHTS };
        world.health = () => [2, 2];
        const handler = makeHandler();
        await runMinutes(handler, 5);
        expect(modifyInputs()).toHaveLength(0);
        // The window is longer than one invocation: it lives in a tag on the listener.
        expect(world.tags.get(STATE_TAG_KEY)).toMatch(new RegExp(`^v1 since=${T0} checked=\\d+ armed=1$`));

        await runMinutes(handler, 1);
        expect(world.movedAt).toEqual([T0 + 300_000]);
        expectCompleteForward(modifyInputs()[0], ACTIVE_WEIGHTS);
        expect(logEvents("failback")).toEqual([
            expect.objectContaining({
                from: { active: 0, failover: 100 },
                to: { active: 100, failover: 0 },
                reason: expect.stringMatching(/active group healthy for 300 s \(failback after 300 s\)/),
                activeHealthy: 2,
                failoverHealthy: 2,
            }),
        ]);
        expect(publishInputs().map((p) => p.TopicArn)).toEqual([TOPIC_ARN]);
        expect(world.tags.get(STATE_TAG_KEY)).toBe("v1 armed=1");
    });

    it("restarts the failback window after an unhealthy blip", async () => {
        world.weights = { ...FAILOVER_WEIGHTS };
        world.health = (t) => (t === T0 + 200_000 ? [0, 2] : [2, 2]);
        await runMinutes(makeHandler(), 10);
        // Healthy again from T0+205 s: failback 300 s later, not at T0+300 s.
        expect(world.movedAt).toEqual([T0 + 505_000]);
    });

    it("honours FAILBACK_AFTER_SECONDS", async () => {
        world.weights = { ...FAILOVER_WEIGHTS };
        world.health = () => [2, 2];
        await runMinutes(makeHandler({ FAILBACK_AFTER_SECONDS: "30" }), 1);
        expect(world.movedAt).toEqual([T0 + 30_000]);
    });

    it("never fails back under FAILBACK=manual", async () => {
        world.weights = { ...FAILOVER_WEIGHTS };
        world.health = () => [3, 3];
        await runMinutes(makeHandler({ FAILBACK: "manual" }), 12);
        expect(modifyInputs()).toHaveLength(0);
        expect(world.weights).toEqual(FAILOVER_WEIGHTS);
    });

    it("does not trust a healthy streak from a tag that went unobserved", async () => {
        world.weights = { ...FAILOVER_WEIGHTS };
        world.health = () => [2, 2];
        world.tags.set(STATE_TAG_KEY, `v1 since=${T0 - 3_600_000} checked=${T0 - 600_000}`);
        await runMinutes(makeHandler(), 1);
        expect(modifyInputs()).toHaveLength(0);
        expect(world.tags.get(STATE_TAG_KEY)).toMatch(new RegExp(`^v1 since=${T0} `));
    });

    it("stops polling before the Lambda runs out of time", async () => {
        const result = (await invoke(makeHandler(), SCHEDULED_EVENT, 20_000)) as RunSummary;
        // Polls at 0, 5 and 10 s; a poll at 15 s would leave less than the 8 s margin.
        expect(result.polls).toBe(3);
    });
});

describe("API errors", () => {
    it("a failing DescribeTargetHealth never counts as unhealthy; the handler resolves", async () => {
        world.health = () => [0, 2];
        world.describeHealthFails = () => true;
        const result = (await invoke(makeHandler(), SCHEDULED_EVENT)) as RunSummary;
        expect(result).toMatchObject({ ok: true, polls: 12, pollErrors: 12, moves: [] });
        expect(modifyInputs()).toHaveLength(0);
        const errors = logEvents("poll_error");
        expect(errors).toHaveLength(12);
        expect(errors[0]).toMatchObject({ listenerArn: LISTENER_ARN, error: "ThrottlingException: Rate exceeded" });
    });

    it("an error between two unhealthy polls does not make a confirmation", async () => {
        world.perPoll([
            [0, 2],
            [0, 2],
            [2, 2],
        ]);
        world.describeHealthFails = (t) => t === T0 + POLL_MS;
        // The alarm run makes exactly CONFIRMATIONS (2) polls: one bad, one unknown.
        const result = (await invoke(makeHandler(), ALARM_EVENT)) as RunSummary;
        expect(result).toMatchObject({ polls: 2, pollErrors: 1 });
        expect(modifyInputs()).toHaveLength(0);
    });

    it("a failing ModifyListener is retried on the next polls, reported once by SNS, and never crashes", async () => {
        world.health = () => [0, 2];
        world.modifyFails = (attempt) => attempt <= 2;
        const result = (await invoke(makeHandler(), SCHEDULED_EVENT)) as RunSummary;
        expect(result.ok).toBe(true);
        expect(result.moves.map((m) => m.ok)).toEqual([false, false, true]);
        expect(modifyInputs()).toHaveLength(3);
        modifyInputs().forEach((input) => expectCompleteForward(input, FAILOVER_WEIGHTS));
        expect(world.movedAt).toEqual([T0 + 3 * POLL_MS]);

        const failed = logEvents("failover_failed");
        expect(failed).toHaveLength(2);
        expect(failed[0]).toMatchObject({
            error: "OperationNotPermittedException: Listener is being modified",
            notified: true,
        });
        expect(failed[1]).toMatchObject({ notified: false });
        expect(logEvents("failover")).toHaveLength(1);
        // One failure notice (at most once per invocation) + one for the successful move.
        expect(publishInputs().map((p) => p.Subject)).toEqual([
            expect.stringMatching(/failover FAILED/),
            "ha-webstack failover: traffic moved to the failover target group (web)",
        ]);
    });

    it("a ModifyListener that keeps failing sends one SNS message per invocation", async () => {
        world.health = () => [0, 2];
        world.modifyFails = () => true;
        const handler = makeHandler();
        await runMinutes(handler, 2);
        expect(modifyInputs().length).toBe(22);
        expect(publishInputs()).toHaveLength(2);
        expect(world.weights).toEqual(ACTIVE_WEIGHTS);
    });

    it("an SNS outage does not stop a failover", async () => {
        world.health = () => [0, 2];
        snsMock.on(PublishCommand).rejects(Object.assign(new Error("SNS down"), { name: "InternalErrorException" }));
        await invoke(makeHandler(), SCHEDULED_EVENT);
        expect(world.weights).toEqual(FAILOVER_WEIGHTS);
        expect(logEvents("failover")).toEqual([
            expect.objectContaining({ notified: false, notifyError: "InternalErrorException: SNS down" }),
        ]);
    });

    it("a failing DescribeTags or AddTags is logged and the run goes on", async () => {
        elbMock.on(DescribeTagsCommand).rejects(new Error("AccessDenied"));
        elbMock.on(AddTagsCommand).rejects(new Error("AccessDenied"));
        world.weights = { ...FAILOVER_WEIGHTS };
        const result = (await invoke(makeHandler(), SCHEDULED_EVENT)) as RunSummary;
        expect(result.polls).toBe(12);
        expect(logEvents("state_load_failed")).toHaveLength(1);
        expect(logEvents("state_save_failed")).toHaveLength(1);
    });
});

describe("alarm invocations", () => {
    it("accepts the CloudWatch alarm event and fails over after CONFIRMATIONS polls", async () => {
        world.health = () => [0, 1];
        const result = (await invoke(makeHandler(), ALARM_EVENT)) as RunSummary;
        expect(result).toMatchObject({ ok: true, trigger: "alarm", polls: 2 });
        expect(modifyInputs()).toHaveLength(1);
        expectCompleteForward(modifyInputs()[0], FAILOVER_WEIGHTS);
        expect(logEvents("alarm_trigger")).toEqual([
            expect.objectContaining({ alarmName: "web-active-no-healthy-hosts" }),
        ]);
        expect(logEvents("failover")[0]).toMatchObject({ trigger: "alarm" });
        expect(world.t).toBe(T0 + POLL_MS);
    });

    it("decides on target health, not on the alarm: a healthy group is left alone", async () => {
        await invoke(makeHandler(), ALARM_EVENT);
        expect(modifyInputs()).toHaveLength(0);
    });
});

describe("manual payloads", () => {
    it("status reports health and weights and changes nothing", async () => {
        world.weights = { ...FAILOVER_WEIGHTS };
        world.health = () => [1, 3];
        const result = (await invoke(makeHandler(), { action: "status" })) as ManualResult;
        expect(result).toMatchObject({
            ok: true,
            action: "status",
            listenerArn: LISTENER_ARN,
            weights: { active: 0, failover: 100 },
            position: "failover",
            activeHealthy: 1,
            failoverHealthy: 3,
            failback: "automatic",
            hold: false,
            activeHealthySince: null,
        });
        expect(result.message).toMatch(/position failover \(weights 0\/100\)/);
        expect(modifyInputs()).toHaveLength(0);
        expect(elbMock.commandCalls(AddTagsCommand)).toHaveLength(0);
        expect(publishInputs()).toHaveLength(0);
    });

    it("failback moves to 100/0 when the active group is healthy", async () => {
        world.weights = { ...FAILOVER_WEIGHTS };
        const result = (await invoke(makeHandler(), { action: "failback" })) as ManualResult;
        expect(result).toMatchObject({ ok: true, weights: ACTIVE_WEIGHTS, position: "active" });
        expect(modifyInputs()).toHaveLength(1);
        expectCompleteForward(modifyInputs()[0], ACTIVE_WEIGHTS);
        expect(publishInputs()).toHaveLength(1);
        expect(logEvents("failback")).toEqual([
            expect.objectContaining({ trigger: "manual", from: FAILOVER_WEIGHTS, to: ACTIVE_WEIGHTS }),
        ]);
    });

    it("failback is refused when the active group has no healthy target, unless forced", async () => {
        world.weights = { ...FAILOVER_WEIGHTS };
        world.health = () => [0, 2];
        const handler = makeHandler();
        const refused = (await invoke(handler, { action: "failback" })) as ManualResult;
        expect(refused).toMatchObject({ ok: false, refused: true, activeHealthy: 0 });
        expect(refused.message).toMatch(
            /refused: the active group has no healthy target.*\{"action":"failback","force":true\}/,
        );
        expect(modifyInputs()).toHaveLength(0);
        expect(logEvents("failback_refused")).toHaveLength(1);

        const forced = (await invoke(handler, { action: "failback", force: true })) as ManualResult;
        expect(forced).toMatchObject({ ok: true, weights: ACTIVE_WEIGHTS });
        expect(forced.message).toMatch(/forced/);
        expectCompleteForward(modifyInputs()[0], ACTIVE_WEIGHTS);
    });

    it("failover is refused to an unhealthy failover group unless forced", async () => {
        world.health = () => [2, 0];
        const handler = makeHandler();
        const refused = (await invoke(handler, { action: "failover" })) as ManualResult;
        expect(refused).toMatchObject({ ok: false, refused: true, failoverHealthy: 0 });
        expect(modifyInputs()).toHaveLength(0);
        const forced = (await invoke(handler, { action: "failover", force: true })) as ManualResult;
        expect(forced.ok).toBe(true);
        expectCompleteForward(modifyInputs()[0], FAILOVER_WEIGHTS);
    });

    it("a manual failover is held: automatic failback does not undo it until a manual failback", async () => {
        const handler = makeHandler();
        const result = (await invoke(handler, { action: "failover" })) as ManualResult;
        expect(result).toMatchObject({ ok: true, hold: true, weights: FAILOVER_WEIGHTS });
        expect(world.tags.get(STATE_TAG_KEY)).toBe("v1 hold=1 armed=1");
        await runMinutes(handler, 10);
        expect(modifyInputs()).toHaveLength(1);
        expect(world.weights).toEqual(FAILOVER_WEIGHTS);

        await invoke(handler, { action: "failback" });
        expect(world.weights).toEqual(ACTIVE_WEIGHTS);
        // The hold is gone; the stack stays armed.
        expect(world.tags.get(STATE_TAG_KEY)).toBe("v1 armed=1");
    });

    it("a manual move to where traffic already is calls no ModifyListener", async () => {
        const result = (await invoke(makeHandler(), { action: "failback" })) as ManualResult;
        expect(result).toMatchObject({ ok: true });
        expect(result.message).toMatch(/already on the active group/);
        expect(modifyInputs()).toHaveLength(0);
        expect(publishInputs()).toHaveLength(0);
    });

    it("a failing ModifyListener in a manual move is reported and returned, not thrown", async () => {
        world.modifyFails = () => true;
        const result = (await invoke(makeHandler(), { action: "failover" })) as ManualResult;
        expect(result).toMatchObject({
            ok: false,
            error: "OperationNotPermittedException: Listener is being modified",
        });
        expect(logEvents("failover_failed")).toHaveLength(1);
        expect(publishInputs()).toHaveLength(1);
    });

    it("an unknown action is rejected without touching AWS", async () => {
        const result = await invoke(makeHandler(), { action: "falback" });
        expect(result).toEqual({
            ok: false,
            error: 'unknown action "falback": expected one of failover, failback, status',
        });
        expect(elbMock.calls()).toHaveLength(0);
    });
});

// ---------------------------------------------------------------------------------------------
// Bundling: what the stack deploys
// ---------------------------------------------------------------------------------------------

describe("esbuild bundle", () => {
    it("bundles to one CommonJS file that loads and exports a working handler", async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const esbuild = require("esbuild") as typeof import("esbuild");
        const result = esbuild.buildSync({
            entryPoints: [path.join(__dirname, "..", "lambda", "failover", "handler.ts")],
            bundle: true,
            platform: "node",
            format: "cjs",
            target: "node22",
            external: ["@aws-sdk/*"],
            write: false,
        });
        expect(result.errors).toEqual([]);
        expect(result.outputFiles).toHaveLength(1);
        const code = result.outputFiles[0].text;
        const required = new Set<string>();
        for (const match of code.matchAll(/require\("([^"]+)"\)/g)) required.add(match[1]);
        // Only the runtime's SDK is left external: no other runtime dependency.
        expect([...required].sort()).toEqual(["@aws-sdk/client-elastic-load-balancing-v2", "@aws-sdk/client-sns"]);

        // Load it the way Lambda's CommonJS loader would, with its env read at load (cold start).
        const saved = Object.fromEntries(Object.keys(ENV).map((k) => [k, process.env[k]]));
        Object.assign(process.env, ENV);
        const mod = { exports: {} as Record<string, unknown> };
        try {
            new Function("module", "exports", "require", code)(mod, mod.exports, (id: string) => {
                if (!id.startsWith("@aws-sdk/")) throw new Error(`unexpected require ${id}`);
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                return require(id);
            });
        } finally {
            for (const [key, value] of Object.entries(saved)) {
                if (value === undefined) delete process.env[key];
                else process.env[key] = value;
            }
        }
        expect(typeof mod.exports.handler).toBe("function");
        const bundledHandler = mod.exports.handler as (event: unknown, context: unknown) => Promise<ManualResult>;
        const status = await bundledHandler({ action: "status" }, { getRemainingTimeInMillis: () => 60_000 });
        expect(status).toMatchObject({ ok: true, weights: ACTIVE_WEIGHTS, activeHealthy: 2, failoverHealthy: 2 });
    });
});

// ---------------------------------------------------------------------------------------------
// What Monitoring counts from these log lines
// ---------------------------------------------------------------------------------------------

describe("log lines and Monitoring's metric filters", () => {
    /** The events a filter pattern such as `{ ($.event = "a") || ($.event = "b") }` matches. */
    const matches = (metric: ControllerLogMetric, line: Record<string, unknown>) =>
        [...logMetricPattern(metric).matchAll(/\$\.event = "([^"]+)"/g)].some((m) => m[1] === line.event);
    const counted = (metric: ControllerLogMetric) => logLines().filter((line) => matches(metric, line)).length;

    it("should count a failover, a failed move and failed polls from what the handler really logs", async () => {
        world.perPoll([
            [2, 2],
            [0, 2],
            [0, 2],
            [0, 2],
        ]);
        world.modifyFails = (attempt) => attempt === 1;
        world.describeHealthFails = (t) => t >= T0 + 30_000 && t < T0 + 45_000;
        await invoke(makeHandler(), SCHEDULED_EVENT);
        expect(counted("moveFailures")).toBe(1);
        expect(counted("failovers")).toBe(1);
        expect(counted("pollErrors")).toBeGreaterThanOrEqual(2);
        expect(counted("failbacks")).toBe(0);
        expect(counted("controllerFaults")).toBe(0);
    });

    it("should count a configuration fault", async () => {
        await invoke(makeHandler({ LISTENER_ARN: "not-an-arn" }), SCHEDULED_EVENT);
        expect(counted("controllerFaults")).toBe(1);
    });

    it("should only log events that protocol.ts declares", async () => {
        world.perPoll([
            [2, 2],
            [0, 2],
            [0, 2],
        ]);
        await invoke(makeHandler(), SCHEDULED_EVENT);
        await invoke(makeHandler(), { action: "status" });
        await invoke(makeHandler(), { action: "nonsense" });
        const events = new Set(logLines().map((l) => l.event));
        expect(events.size).toBeGreaterThanOrEqual(3);
        for (const event of events) expect(LOG_EVENTS).toContain(event);
    });
});

/**
 * The failover controller's pure parts: the decision core (controller.ts), the ELB helpers
 * (elb.ts), the configuration (config.ts) and the event classification. The handler itself runs
 * against a simulated account in failover-handler.test.ts.
 */
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { Action } from "@aws-sdk/client-elastic-load-balancing-v2";
import {
    ACTIVE_WEIGHTS,
    afterMove,
    decide,
    decideManual,
    DEFAULT_SETTINGS,
    EMPTY_PERSISTED,
    FAILOVER_WEIGHTS,
    FLAP_WINDOW_MS,
    holdDownSeconds,
    mergeLoaded,
    parseLegacyTag,
    parsePending,
    PENDING_SETTLE_MS,
    parsePersisted,
    persisted,
    positionOf,
    stateFrom,
    UNKNOWN_STATE,
    type ControllerSettings,
    type ControllerState,
    type Decision,
    type PendingMove,
    type Weights,
} from "../lambda/failover/controller";
import {
    classifyEvent,
    ConfigError,
    healthyCount,
    loadConfig,
    readWeights,
    withWeights,
} from "../lambda/failover/handler";
import { ACTIVE_TG, FAILOVER_TG, World, WORLD_ENV } from "../scripts/failover-world";
import { CLOCK_MARGIN_MS } from "../lambda/failover/context";
import {
    boundedCalls,
    CALL_TIMEOUTS_MS,
    FIRST_DB_CALL_TIMEOUT_MS,
    type Calls,
    type Clients,
} from "../lambda/failover/runtime";

const ARNS = { activeTargetGroupArn: ACTIVE_TG, failoverTargetGroupArn: FAILOVER_TG };
const T0 = Date.parse("2026-03-01T12:00:00.000Z");
const ARMED: ControllerState = stateFrom({ ...EMPTY_PERSISTED, armed: true, lastPosition: "active" });
const S: ControllerSettings = DEFAULT_SETTINGS;

type Poll = [active: number | null, failover?: number | null];

/** Feeds polls one second apart (listener read each time); applies each move like the poller. */
function walk(
    polls: Poll[],
    options: { weights?: Weights; state?: ControllerState; settings?: ControllerSettings; stepMs?: number } = {},
) {
    let state = options.state ?? ARMED;
    let weights = options.weights ?? ACTIVE_WEIGHTS;
    const settings = options.settings ?? S;
    const decisions: Decision[] = [];
    polls.forEach(([activeHealthy, failoverHealthy], i) => {
        const time = T0 + i * (options.stepMs ?? 1000);
        const d = decide(state, { time, activeHealthy, failoverHealthy, weights, listenerRead: true }, settings);
        decisions.push(d);
        state = d.move ? afterMove(d.state, d.move, time, settings) : d.state;
        if (d.move) weights = d.move.to;
    });
    return { decisions, state, weights, moves: decisions.map((d) => d.move?.kind ?? null) };
}

describe("decide(): failover", () => {
    it("should fail over on the first poll that finds the active group with no healthy target", () => {
        const { moves, decisions } = walk([
            [2, 2],
            [0, 2],
        ]);
        expect(moves).toEqual([null, "failover"]);
        expect(decisions[1].move?.to).toEqual(FAILOVER_WEIGHTS);
        expect(decisions[1].reason).toMatch(
            /no healthy target for 1 poll; active group 0 healthy, failover group 2 healthy/,
        );
    });

    it("should wait for CONFIRMATIONS polls when more are asked for", () => {
        const { moves } = walk(
            [
                [0, 2],
                [0, 2],
                [0, 2],
            ],
            { settings: { ...S, confirmations: 3 } },
        );
        expect(moves).toEqual([null, null, "failover"]);
    });

    it("should never count unknown health as unhealthy", () => {
        const { moves, state } = walk([
            [null, 2],
            [null, 2],
            [null, 2],
        ]);
        expect(moves).toEqual([null, null, null]);
        expect(state.activeUnhealthyPolls).toBe(0);
    });

    it("should not move to a failover group with no healthy target, nor to one of unknown health, and report both-dead once", () => {
        const { moves, decisions } = walk([
            [0, 0],
            [0, 0],
            [0, null],
            [0, 0],
        ]);
        expect(moves).toEqual([null, null, null, null]);
        expect(decisions.map((d) => d.notices.map((n) => n.kind))).toEqual([["both_unhealthy"], [], [], []]);
        expect(decisions[2].reason).toMatch(/failover group's health unknown: not moving/);
    });

    it("should not fail over before the active group has been healthy once (a new stack booting)", () => {
        const fresh = stateFrom(EMPTY_PERSISTED);
        const { moves, state } = walk(
            [
                [0, 2],
                [0, 2],
                [1, 2],
                [0, 2],
            ],
            { state: fresh },
        );
        expect(moves).toEqual([null, null, null, "failover"]);
        expect(state.armed).toBe(true);
    });

    it("should count two samples as consecutive only if they are at least one poll interval apart", () => {
        const settings = { ...S, confirmations: 2 };
        // A slow call: two polls 200 ms apart are one confirmation, the next one a second later makes two.
        let state = ARMED;
        const at = (ms: number, active: number) => {
            const d = decide(
                state,
                {
                    time: T0 + ms,
                    activeHealthy: active,
                    failoverHealthy: 2,
                    weights: ACTIVE_WEIGHTS,
                    listenerRead: true,
                },
                settings,
            );
            state = d.state;
            return d;
        };
        expect(at(0, 0).move).toBeNull();
        expect(at(200, 0).move).toBeNull();
        expect(state.activeUnhealthyPolls).toBe(1);
        expect(at(1000, 0).move?.kind).toBe("failover");
        // A sample that breaks a streak always counts, however soon it comes.
        state = ARMED;
        at(0, 0);
        at(100, 2);
        expect(state.activeUnhealthyPolls).toBe(0);
        expect(state.activeHealthyPolls).toBe(1);
    });
});

describe("decide(): failback", () => {
    const onFailover = stateFrom({ ...EMPTY_PERSISTED, armed: true, lastPosition: "failover" });
    const healthyFor = (seconds: number): Poll[] => Array.from({ length: seconds + 1 }, () => [2, 2]);

    it("should fail back once the active group has been healthy for the failback delay", () => {
        const { moves } = walk(healthyFor(300), { state: onFailover, weights: FAILOVER_WEIGHTS });
        expect(moves.indexOf("failback")).toBe(300);
        expect(moves.filter(Boolean)).toEqual(["failback"]);
    });

    it("should restart the clock on any unhealthy sample", () => {
        const polls: Poll[] = [...healthyFor(200), [0, 2], ...healthyFor(300)];
        const { moves } = walk(polls, { state: onFailover, weights: FAILOVER_WEIGHTS });
        expect(moves.indexOf("failback")).toBe(202 + 300);
    });

    it("should need CONFIRMATIONS healthy polls too, even with no delay", () => {
        const { moves } = walk(
            [
                [2, 2],
                [2, 2],
                [2, 2],
            ],
            {
                state: onFailover,
                weights: FAILOVER_WEIGHTS,
                settings: { ...S, failbackAfterSeconds: 0, confirmations: 3 },
            },
        );
        expect(moves).toEqual([null, null, "failback"]);
    });

    it("should never fail back on a poll that could not read the active group's health", () => {
        const { moves } = walk(
            [
                [2, 2],
                [null, 2],
                [null, 0],
            ],
            {
                state: onFailover,
                weights: FAILOVER_WEIGHTS,
                settings: { ...S, failbackAfterSeconds: 1 },
            },
        );
        expect(moves).toEqual([null, null, null]);
    });

    it("should never fail back by timer under the manual policy", () => {
        const { moves } = walk(healthyFor(900), {
            state: onFailover,
            weights: FAILOVER_WEIGHTS,
            settings: { ...S, failback: "manual" },
        });
        expect(moves.filter(Boolean)).toEqual([]);
    });

    it.each(["automatic", "manual"] as const)(
        "should leave a dead failover group at once under the %s policy when the active group is healthy",
        (failback) => {
            const { moves, decisions } = walk(
                [
                    [2, 2],
                    [2, 0],
                ],
                { state: onFailover, weights: FAILOVER_WEIGHTS, settings: { ...S, failback } },
            );
            expect(moves).toEqual([null, "failback"]);
            expect(decisions[1].reason).toMatch(/failover group has had no healthy target/);
        },
    );

    it("should keep traffic on a dead failover group an operator holds it on, and say so once", () => {
        const held = { ...onFailover, hold: true };
        const { moves, decisions } = walk(
            [
                [2, 0],
                [2, 0],
                [2, 0],
            ],
            { state: held, weights: FAILOVER_WEIGHTS },
        );
        expect(moves).toEqual([null, null, null]);
        expect(decisions[0].notices).toEqual([
            expect.objectContaining({
                kind: "failover_group_unhealthy",
                message: expect.stringMatching(/an operator holds it.*invoke \{"action":"failback"\}/),
            }),
        ]);
        expect(decisions[1].notices).toEqual([]);
    });

    it("should never fail back by itself while traffic is held", () => {
        const { moves } = walk(healthyFor(1000), { state: { ...onFailover, hold: true }, weights: FAILOVER_WEIGHTS });
        expect(moves.filter(Boolean)).toEqual([]);
    });
});

describe("decide(): flapping", () => {
    it("should double the failback delay for a failover within an hour of the last failback, up to the maximum", () => {
        let state = ARMED;
        const fail = (at: number) => {
            const d = decide(
                state,
                { time: at, activeHealthy: 0, failoverHealthy: 2, weights: ACTIVE_WEIGHTS, listenerRead: true },
                S,
            );
            state = afterMove(d.state, d.move!, at, S);
        };
        const back = (at: number) => {
            state = afterMove(state, { kind: "failback", to: ACTIVE_WEIGHTS }, at, S);
        };
        fail(T0);
        expect(holdDownSeconds(S, state.holdDownLevel)).toBe(300);
        back(T0 + 400_000);
        fail(T0 + 500_000);
        expect(holdDownSeconds(S, state.holdDownLevel)).toBe(600);
        back(T0 + 1_200_000);
        fail(T0 + 1_300_000);
        expect(holdDownSeconds(S, state.holdDownLevel)).toBe(1200);
        back(T0 + 2_600_000);
        fail(T0 + 2_700_000);
        expect(holdDownSeconds(S, state.holdDownLevel)).toBe(1200);
        // A stable hour resets it.
        back(T0 + 4_000_000);
        fail(T0 + 4_000_000 + FLAP_WINDOW_MS);
        expect(holdDownSeconds(S, state.holdDownLevel)).toBe(300);
    });
});

describe("decide(): operators and hand edits", () => {
    it("should hold traffic an operator moved to the failover group by hand", () => {
        const { decisions, state } = walk([[2, 2]], { weights: FAILOVER_WEIGHTS });
        expect(decisions[0].notices).toEqual([
            expect.objectContaining({
                kind: "hand_edit",
                message: expect.stringMatching(/moved to the failover group by hand.*held there/),
            }),
        ]);
        expect(state.hold).toBe(true);
        expect(
            walk(
                Array.from({ length: 2000 }, () => [2, 2] as Poll),
                { state, weights: FAILOVER_WEIGHTS },
            ).moves.filter(Boolean),
        ).toEqual([]);
    });

    it("should not flip back traffic an operator put on an unhealthy active group, until that group has been healthy", () => {
        const onFailover = stateFrom({ ...EMPTY_PERSISTED, armed: true, lastPosition: "failover" });
        const { moves, decisions, state } = walk(
            [
                [0, 2],
                [0, 2],
                [0, 2],
                [2, 2],
                [0, 2],
            ],
            { state: onFailover, weights: ACTIVE_WEIGHTS },
        );
        expect(decisions[0].notices[0]).toMatchObject({
            kind: "hand_edit",
            message: expect.stringMatching(/no failover until it has been healthy again/),
        });
        expect(moves).toEqual([null, null, null, null, "failover"]);
        expect(state.lastPosition).toBe("failover");
    });

    it("should move nothing while the weights are split or 0/0, and report it once", () => {
        const { moves, decisions } = walk(
            [
                [0, 2],
                [0, 2],
            ],
            { weights: { active: 50, failover: 50 } },
        );
        expect(moves).toEqual([null, null]);
        expect(decisions[0].notices.map((n) => n.kind)).toEqual(["hand_edit", "manual_weights"]);
        expect(decisions[1].notices).toEqual([]);
        expect(walk([[2, 2]], { weights: { active: 0, failover: 0 } }).moves).toEqual([null]);
    });

    it("should take the weights as they are the first time it sees the listener", () => {
        const fresh = stateFrom({ ...EMPTY_PERSISTED, armed: true });
        const { decisions, state } = walk([[2, 2]], { state: fresh, weights: FAILOVER_WEIGHTS });
        expect(decisions[0].notices).toEqual([]);
        expect(state).toMatchObject({ lastPosition: "failover", hold: false });
    });

    it("should guard manual moves, honour force, and record the operator's intent", () => {
        const obs = (active: number | null, failover: number | null, weights: Weights) => ({
            time: T0,
            activeHealthy: active,
            failoverHealthy: failover,
            weights,
        });
        const refused = decideManual(ARMED, { action: "failover", force: false }, obs(2, 0, ACTIVE_WEIGHTS), S);
        expect(refused).toMatchObject({
            move: null,
            refused: true,
            message: expect.stringMatching(/no healthy target.*"force":true/),
        });
        const forced = decideManual(ARMED, { action: "failover", force: true }, obs(2, 0, ACTIVE_WEIGHTS), S);
        expect(forced.move?.to).toEqual(FAILOVER_WEIGHTS);
        expect(forced.state).toMatchObject({ hold: true, lastPosition: "failover" });
        const unknown = decideManual(ARMED, { action: "failback", force: false }, obs(null, 2, FAILOVER_WEIGHTS), S);
        expect(unknown.message).toMatch(/health of the active group is unknown/);
        const forcedBack = decideManual(
            { ...ARMED, hold: true, lastPosition: "failover" },
            { action: "failback", force: true },
            obs(0, 2, FAILOVER_WEIGHTS),
            S,
        );
        expect(forcedBack.state).toMatchObject({ hold: false, armed: false, lastPosition: "active" });
        const already = decideManual(ARMED, { action: "failover", force: false }, obs(2, 2, FAILOVER_WEIGHTS), S);
        expect(already).toMatchObject({ move: null, refused: false, state: expect.objectContaining({ hold: true }) });
    });
});

describe("decide(): a pending move", () => {
    const pending: PendingMove = { kind: "failover", at: T0, byOperator: false, activeHealthy: 0 };
    const observe = (state: ControllerState, weights: Weights, time = T0 + 5_000, listenerRead = true) =>
        decide(state, { time, activeHealthy: 0, failoverHealthy: 1, weights, listenerRead }, S);

    it("should take the listener at the pending move's position for that move, not for a hand edit", () => {
        const d = observe({ ...ARMED, pending }, FAILOVER_WEIGHTS);
        expect(d.confirmed).toEqual(pending);
        expect(d.notices).toEqual([]);
        expect(d.state).toMatchObject({ lastPosition: "failover", hold: false, pending: null });
    });

    it("should hold traffic when the pending move was an operator's", () => {
        const d = observe({ ...ARMED, pending: { ...pending, byOperator: true } }, FAILOVER_WEIGHTS);
        expect(d.state).toMatchObject({ lastPosition: "failover", hold: true });
    });

    it("should keep the pending move while it can still land, and settle it at the first listener read after that", () => {
        // Read before it could have landed for sure: still pending, whatever its age.
        expect(observe({ ...ARMED, pending }, ACTIVE_WEIGHTS, T0 + PENDING_SETTLE_MS).state.pending).toEqual(pending);
        // No listener read, however long: no wall-clock limit, it stays pending.
        expect(observe({ ...ARMED, pending }, ACTIVE_WEIGHTS, T0 + 3_600_000, false).state.pending).toEqual(pending);
        // The first read after: not carried out, so forgotten; a later hand edit is a hand edit.
        const settled = observe({ ...ARMED, pending }, ACTIVE_WEIGHTS, T0 + PENDING_SETTLE_MS + 1);
        expect(settled.state.pending).toBeNull();
        expect(settled.confirmed).toBeUndefined();
        const edit = observe(settled.state, FAILOVER_WEIGHTS, T0 + PENDING_SETTLE_MS + 1_000);
        expect(edit.notices.map((n) => n.kind)).toEqual(["hand_edit"]);
        expect(edit.state).toMatchObject({ hold: true, pending: null });
        // The first read after shows it: it landed (late), the controller's own move.
        const late = observe({ ...ARMED, pending }, FAILOVER_WEIGHTS, T0 + 120_000);
        expect(late.confirmed).toEqual(pending);
        expect(late.notices).toEqual([]);
    });

    it("should settle a pending move once its record's and its call's limits and the clocks' margin have passed", () => {
        expect(PENDING_SETTLE_MS).toBe(CALL_TIMEOUTS_MS.db + CALL_TIMEOUTS_MS.elbWrite + CLOCK_MARGIN_MS);
    });

    it("should need a fresh listener read and a known state", () => {
        expect(observe({ ...ARMED, pending }, FAILOVER_WEIGHTS, T0 + 5_000, false).confirmed).toBeUndefined();
        const unknown = observe({ ...UNKNOWN_STATE, pending }, FAILOVER_WEIGHTS);
        expect(unknown.confirmed).toBeUndefined();
        expect(unknown.state.hold).toBe(false);
    });

    it("should drop a pending move the saved state already records", () => {
        const recorded = stateFrom({ ...EMPTY_PERSISTED, armed: true, lastPosition: "failover" });
        const d = observe({ ...recorded, pending }, FAILOVER_WEIGHTS);
        expect(d.confirmed).toBeUndefined();
        expect(d.state.pending).toBeNull();
    });

    it("should read a pending move strictly", () => {
        expect(parsePending(JSON.stringify(pending))).toEqual(pending);
        expect(parsePending(JSON.stringify({ ...pending, kind: "sideways" }))).toBeNull();
        expect(parsePending("{not json")).toBeNull();
        expect(parsePending(undefined)).toBeNull();
    });
});

describe("decide(): unknown saved state and a misconfigured listener", () => {
    it("should still fail over while the saved state is unknown, but never fail back or write a position", () => {
        const { moves, state } = walk(
            [
                [2, 2],
                [0, 2],
            ],
            { state: UNKNOWN_STATE },
        );
        expect(moves).toEqual([null, "failover"]);
        const after = walk(
            Array.from({ length: 1000 }, () => [2, 2] as Poll),
            { state, weights: FAILOVER_WEIGHTS },
        );
        expect(after.moves.filter(Boolean)).toEqual([]);
        expect(
            walk(
                [
                    [2, 0],
                    [2, 0],
                ],
                { state, weights: FAILOVER_WEIGHTS },
            ).moves,
        ).toEqual([null, null]);
    });

    it("should merge a state read late: what was saved, plus armed if this run saw the active group healthy", () => {
        const seen = { ...UNKNOWN_STATE, armed: true, activeHealthySince: T0 };
        const merged = mergeLoaded(seen, { ...EMPTY_PERSISTED, hold: true, activeHealthySince: T0 - 999_000 });
        expect(merged).toMatchObject({ known: true, hold: true, armed: true, activeHealthySince: T0 });
    });

    it("should report a listener that is not our two-group forward once, and move nothing", () => {
        let state = ARMED;
        const kinds: string[][] = [];
        for (let i = 0; i < 3; i++) {
            const d = decide(
                state,
                { time: T0 + i * 1000, activeHealthy: 0, failoverHealthy: 2, weights: null, listenerRead: true },
                S,
            );
            state = d.state;
            kinds.push(d.notices.map((n) => n.kind));
            expect(d.move).toBeNull();
        }
        expect(kinds).toEqual([["listener_misconfigured"], [], []]);
    });
});

describe("saved state", () => {
    it("should round-trip, and refuse anything that is not a well-formed state", () => {
        const state = {
            ...EMPTY_PERSISTED,
            armed: true,
            hold: true,
            lastPosition: "failover" as const,
            activeHealthySince: T0,
            holdDownLevel: 2,
            lastFailbackAt: T0 - 1,
        };
        expect(parsePersisted(JSON.parse(JSON.stringify(persisted(stateFrom(state)))))).toEqual(state);
        for (const bad of [
            null,
            42,
            {},
            { ...state, hold: "yes" },
            { ...state, lastPosition: "up" },
            { ...state, holdDownLevel: -1 },
            { ...state, reported: "x" },
        ]) {
            expect(parsePersisted(bad)).toBeNull();
        }
    });

    it("should carry the hold and the armed flag over from ha-webstack 0.1's listener tag", () => {
        expect(parseLegacyTag("v1 since=1740830400000 checked=1740830450000 hold=1 armed=1")).toEqual({
            ...EMPTY_PERSISTED,
            hold: true,
            armed: true,
        });
        expect(parseLegacyTag("v1 armed=1")).toEqual({ ...EMPTY_PERSISTED, armed: true });
        expect(parseLegacyTag("garbage")).toEqual(EMPTY_PERSISTED);
        expect(parseLegacyTag(undefined)).toEqual(EMPTY_PERSISTED);
    });
});

describe("ELB helpers", () => {
    it("should count healthy targets, and call a group with no healthy target but an internal error unknown", () => {
        const t = (State: string, Reason?: string) => ({
            TargetHealth: { State: State as "healthy", Reason: Reason as "Elb.InternalError" },
        });
        expect(healthyCount([t("healthy"), t("unhealthy"), t("healthy")])).toBe(2);
        expect(healthyCount([t("initial"), t("draining"), t("unused"), t("unhealthy", "Target.Timeout")])).toBe(0);
        expect(healthyCount([])).toBe(0);
        expect(healthyCount([t("unhealthy", "Elb.InternalError"), t("unhealthy")])).toBeNull();
        expect(healthyCount([t("unavailable")])).toBeNull();
        expect(healthyCount([t("healthy"), t("unhealthy", "Elb.InternalError")])).toBe(1);
    });

    it("should read the weights only from a forward naming both groups, and rebuild the whole action list", () => {
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
                ForwardConfig: {
                    TargetGroups: [
                        { TargetGroupArn: ACTIVE_TG, Weight: 100 },
                        { TargetGroupArn: FAILOVER_TG, Weight: 0 },
                    ],
                    TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
                },
            },
        ];
        expect(readWeights(actions, ARNS)).toEqual({ active: 100, failover: 0 });
        const rebuilt = withWeights(actions, ARNS, FAILOVER_WEIGHTS);
        expect(rebuilt[0].AuthenticateOidcConfig?.UseExistingClientSecret).toBe(true);
        expect(rebuilt[1].ForwardConfig).toEqual({
            TargetGroups: [
                { TargetGroupArn: ACTIVE_TG, Weight: 0 },
                { TargetGroupArn: FAILOVER_TG, Weight: 100 },
            ],
            TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
        });
        // One group only, or a fixed response: not ours to move.
        expect(readWeights([{ Type: "forward", TargetGroupArn: ACTIVE_TG }], ARNS)).toBeNull();
        expect(readWeights([{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "503" } }], ARNS)).toBeNull();
        expect(() => withWeights([{ Type: "forward", TargetGroupArn: ACTIVE_TG }], ARNS, ACTIVE_WEIGHTS)).toThrow(
            /no default forward action to both/,
        );
    });

    it("should classify schedule, alarm and operator events strictly", () => {
        expect(classifyEvent({ source: "aws.events", "detail-type": "Scheduled Event" })).toEqual({ kind: "schedule" });
        expect(classifyEvent({})).toEqual({ kind: "schedule" });
        expect(classifyEvent({ source: "aws.cloudwatch", alarmData: { alarmName: "web-controller-down" } })).toEqual({
            kind: "alarm",
            alarmName: "web-controller-down",
        });
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

describe("configuration", () => {
    it("should apply the documented defaults", () => {
        expect(loadConfig(WORLD_ENV)).toMatchObject({
            failback: "automatic",
            failbackAfterSeconds: 300,
            maxHoldDownLevel: 2,
            pollIntervalSeconds: 0.8,
            confirmations: 1,
            standbyCheckSeconds: 30,
            leaseSeconds: 15,
            renewSeconds: 5,
            maxRunSeconds: 240,
        });
    });

    it.each([
        [{ LISTENER_ARN: "" }, "LISTENER_ARN: missing"],
        [
            { LISTENER_ARN: "arn:aws:sns:eu-west-1:123456789012:x" },
            "LISTENER_ARN: 'arn:aws:sns:eu-west-1:123456789012:x' is not an ARN",
        ],
        [
            { FAILOVER_TARGET_GROUP_ARN: ACTIVE_TG },
            "FAILOVER_TARGET_GROUP_ARN: must differ from ACTIVE_TARGET_GROUP_ARN",
        ],
        [{ TABLE_NAME: "" }, "TABLE_NAME: missing"],
        [{ FAILBACK: "sometimes" }, "FAILBACK: 'sometimes' is not 'automatic' or 'manual'"],
        [{ POLL_INTERVAL_SECONDS: "0" }, "POLL_INTERVAL_SECONDS: 0 is outside 0.5..15"],
        [{ POLL_INTERVAL_SECONDS: "0.75" }, "POLL_INTERVAL_SECONDS: '0.75' is not a number of seconds in tenths"],
        [{ LEASE_SECONDS: "10", RENEW_SECONDS: "6" }, "RENEW_SECONDS: 6 must be at most half of LEASE_SECONDS (10)"],
        [{ CONFIRMATIONS: "two" }, "CONFIRMATIONS: 'two' is not a whole number"],
    ])("should reject %j naming the variable", (override, message) => {
        expect(() => loadConfig({ ...WORLD_ENV, ...override })).toThrow(ConfigError);
        expect(() => loadConfig({ ...WORLD_ENV, ...override })).toThrow(message);
    });

    it("should report which group is where", () => {
        expect(positionOf({ active: 1, failover: 0 })).toBe("active");
        expect(positionOf({ active: 0, failover: 3 })).toBe("failover");
        expect(positionOf({ active: 5, failover: 5 })).toBe("split");
        expect(positionOf({ active: 0, failover: 0 })).toBe("none");
    });
});

describe("bounded calls", () => {
    /** A stand-in client whose calls each take the next of `latencies` (ms) on the world's clock. */
    function slowClient(world: World, latencies: number[]) {
        return {
            send: async () => {
                await world.clock.sleep(latencies.shift() ?? 10);
                return {};
            },
        };
    }
    /** The outcome of each call, made one after the other: "ok" or the error's name. */
    async function outcomes(world: World, calls: Calls, n: number): Promise<string[]> {
        const done = (async () => {
            const out: string[] = [];
            for (let i = 0; i < n; i++) {
                out.push(
                    await calls.db(new GetItemCommand({ TableName: "t", Key: {} })).then(
                        () => "ok",
                        (e: Error) => e.name,
                    ),
                );
            }
            return out;
        })();
        await world.clock.run(world.clock.now() + 10_000);
        return done;
    }

    it("should give a DynamoDB client's first call after a cold start FIRST_DB_CALL_TIMEOUT_MS, until the service has answered once", async () => {
        const world = new World();
        const slow = FIRST_DB_CALL_TIMEOUT_MS - 100;
        expect(slow).toBeGreaterThan(CALL_TIMEOUTS_MS.db);
        const clients = (dynamodb: { send: () => Promise<object> }) =>
            ({ ...world.clients(), dynamodb }) as unknown as Clients;
        // A fresh client: the first (slow) call answers; once warm, the same latency times out.
        const fresh = slowClient(world, [slow, slow, 10]);
        expect(await outcomes(world, boundedCalls(clients(fresh), world.clock), 3)).toEqual([
            "ok",
            "CallTimeoutError",
            "ok",
        ]);
        // The same client in the next invocation (a warm container) stays warm.
        fresh.send = slowClient(world, [slow]).send;
        const again = boundedCalls(clients(fresh), world.clock);
        expect(await outcomes(world, again, 1)).toEqual(["CallTimeoutError"]);
        // A first call that gets no answer leaves the client cold: the next one gets the long limit too.
        const lost = slowClient(world, [FIRST_DB_CALL_TIMEOUT_MS + 100, slow]);
        expect(await outcomes(world, boundedCalls(clients(lost), world.clock), 2)).toEqual(["CallTimeoutError", "ok"]);
    });
});

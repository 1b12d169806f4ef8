/**
 * Lambda entry of the active-passive failover controller (Node.js 22 runtime, AWS SDK v3 from
 * the runtime: bundle with `@aws-sdk/*` external).
 *
 * An ALB never fails over between the target groups of one forward action, so this function
 * does it: started every minute by an EventBridge schedule, it polls both groups' health
 * every POLL_INTERVAL_SECONDS for RUN_SECONDS and moves the listener's weights when
 * `controller.decide()` says so. A CloudWatch alarm invokes it too, as a backstop (a short run
 * of CONFIRMATIONS polls), and an operator invokes it with `{"action": ...}`.
 *
 * Failure policy: an API error is retried by the SDK, then by the next poll; it is logged as one
 * JSON line and never counts as "unhealthy" (unknown is not unhealthy). The handler catches
 * everything and returns normally, so a broken dependency never turns into a crash loop.
 */
import {
    AddTagsCommand,
    DescribeListenersCommand,
    DescribeTagsCommand,
    DescribeTargetHealthCommand,
    ElasticLoadBalancingV2Client,
    ModifyListenerCommand,
    RemoveTagsCommand,
    type Action,
    type TargetHealthDescription,
    type TargetGroupTuple,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import {
    ACTIVE_WEIGHTS,
    FAILOVER_WEIGHTS,
    afterMove,
    decide,
    decideManual,
    formatWeights,
    parseState,
    positionOf,
    restoreState,
    samePosition,
    serializeState,
    type ControllerSettings,
    type ControllerState,
    type FailbackPolicy,
    type ManualActionName,
    type ManualRequest,
    type Move,
    type Notice,
    type Weights,
} from "./controller";
import { STATE_TAG_KEY, type LogEvent } from "./protocol";

export { LOG_EVENTS, STATE_TAG_KEY, type LogEvent } from "./protocol";

// ---------------------------------------------------------------------------------------------
// Configuration (environment variables, validated once at cold start)
// ---------------------------------------------------------------------------------------------

export interface FailoverConfig extends ControllerSettings {
    readonly listenerArn: string;
    readonly activeTargetGroupArn: string;
    readonly failoverTargetGroupArn: string;
    readonly topicArn: string;
    readonly pollIntervalSeconds: number;
    readonly runSeconds: number;
}

export class ConfigError extends Error {
    constructor(
        readonly variable: string,
        message: string,
    ) {
        super(`${variable}: ${message}`);
        this.name = "ConfigError";
    }
}

type Env = Readonly<Record<string, string | undefined>>;

function requireArn(env: Env, name: string, pattern: RegExp, example: string): string {
    const value = env[name]?.trim();
    if (!value) throw new ConfigError(name, `missing (expected an ARN like ${example})`);
    if (!pattern.test(value)) throw new ConfigError(name, `'${value}' is not an ARN like ${example}`);
    return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `'${raw}' is not a whole number`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `${value} is outside ${min}..${max}`);
    return value;
}

const ELB_ARN = "arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:";

/** Throws a ConfigError naming the offending variable. */
export function loadConfig(env: Env): FailoverConfig {
    const listenerArn = requireArn(
        env,
        "LISTENER_ARN",
        new RegExp(`^${ELB_ARN}listener/app/\\S+$`),
        "arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID",
    );
    const tgExample = "arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID";
    const tgPattern = new RegExp(`^${ELB_ARN}targetgroup/\\S+$`);
    const activeTargetGroupArn = requireArn(env, "ACTIVE_TARGET_GROUP_ARN", tgPattern, tgExample);
    const failoverTargetGroupArn = requireArn(env, "FAILOVER_TARGET_GROUP_ARN", tgPattern, tgExample);
    if (activeTargetGroupArn === failoverTargetGroupArn) {
        throw new ConfigError("FAILOVER_TARGET_GROUP_ARN", "must differ from ACTIVE_TARGET_GROUP_ARN");
    }
    const topicArn = requireArn(
        env,
        "TOPIC_ARN",
        /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:\S+$/,
        "arn:aws:sns:REGION:ACCOUNT:TOPIC",
    );
    const failback = (env.FAILBACK?.trim() || "") as FailbackPolicy | "";
    if (failback !== "automatic" && failback !== "manual") {
        throw new ConfigError(
            "FAILBACK",
            failback === ""
                ? "missing (expected 'automatic' or 'manual')"
                : `'${failback}' is not 'automatic' or 'manual'`,
        );
    }
    const pollIntervalSeconds = integer(env, "POLL_INTERVAL_SECONDS", 5, 1, 60);
    const runSeconds = integer(env, "RUN_SECONDS", 58, 1, 900);
    if (runSeconds < pollIntervalSeconds) {
        throw new ConfigError(
            "RUN_SECONDS",
            `${runSeconds} is shorter than POLL_INTERVAL_SECONDS (${pollIntervalSeconds})`,
        );
    }
    return {
        listenerArn,
        activeTargetGroupArn,
        failoverTargetGroupArn,
        topicArn,
        failback,
        failbackAfterSeconds: integer(env, "FAILBACK_AFTER_SECONDS", 300, 0, 86_400),
        pollIntervalSeconds,
        confirmations: integer(env, "CONFIRMATIONS", 2, 1, 20),
        runSeconds,
    };
}

// ---------------------------------------------------------------------------------------------
// Pure helpers around the ELB API shapes
// ---------------------------------------------------------------------------------------------

/** Only "healthy" serves traffic; initial, draining, unused, unavailable, unhealthy do not. */
export function countHealthy(descriptions: readonly TargetHealthDescription[] | undefined): number {
    return (descriptions ?? []).filter((d) => d.TargetHealth?.State === "healthy").length;
}

interface GroupArns {
    readonly activeTargetGroupArn: string;
    readonly failoverTargetGroupArn: string;
}

function forwardGroups(action: Action): TargetGroupTuple[] {
    if (action.ForwardConfig?.TargetGroups?.length) return action.ForwardConfig.TargetGroups;
    // A single-group forward may only carry TargetGroupArn; its weight is implicitly "all".
    return action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : [];
}

function isOurForward(action: Action, arns: GroupArns): boolean {
    return (
        action.Type === "forward" &&
        forwardGroups(action).some(
            (g) => g.TargetGroupArn === arns.activeTargetGroupArn || g.TargetGroupArn === arns.failoverTargetGroupArn,
        )
    );
}

/** Weights of both groups in the listener's default forward action; null if there is none. */
export function readWeights(defaultActions: readonly Action[] | undefined, arns: GroupArns): Weights | null {
    const forward = (defaultActions ?? []).find((a) => isOurForward(a, arns));
    if (!forward) return null;
    const groups = forwardGroups(forward);
    // ALB treats a listed group without a weight as weight 1; an absent group gets nothing.
    const weightOf = (arn: string) => {
        const tuple = groups.find((g) => g.TargetGroupArn === arn);
        return tuple ? (tuple.Weight ?? 1) : 0;
    };
    return { active: weightOf(arns.activeTargetGroupArn), failover: weightOf(arns.failoverTargetGroupArn) };
}

/**
 * The listener's complete default actions with new weights. ModifyListener replaces the whole
 * list, so every other action (e.g. authenticate-*) is sent back unchanged, and the forward
 * action names BOTH groups (a group left out would stop being health-checked, and the standby
 * could no longer be observed) and keeps its stickiness configuration.
 */
export function withWeights(defaultActions: readonly Action[], arns: GroupArns, to: Weights): Action[] {
    let found = false;
    const actions = defaultActions.map((action): Action => {
        if (
            action.Type === "authenticate-oidc" &&
            action.AuthenticateOidcConfig &&
            action.AuthenticateOidcConfig.ClientSecret === undefined
        ) {
            // Describe never returns the client secret; without this flag ModifyListener demands it.
            return {
                ...action,
                AuthenticateOidcConfig: { ...action.AuthenticateOidcConfig, UseExistingClientSecret: true },
            };
        }
        if (found || !isOurForward(action, arns)) return action;
        found = true;
        const others = forwardGroups(action).filter(
            (g) => g.TargetGroupArn !== arns.activeTargetGroupArn && g.TargetGroupArn !== arns.failoverTargetGroupArn,
        );
        // TargetGroupArn is dropped: AWS rejects it next to a ForwardConfig with more than one group.
        const { TargetGroupArn: _single, ...rest } = action;
        return {
            ...rest,
            ForwardConfig: {
                ...action.ForwardConfig,
                TargetGroups: [
                    { TargetGroupArn: arns.activeTargetGroupArn, Weight: to.active },
                    { TargetGroupArn: arns.failoverTargetGroupArn, Weight: to.failover },
                    ...others,
                ],
            },
        };
    });
    if (!found) throw new Error("the listener has no default forward action to the configured target groups");
    return actions;
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

export type Trigger = "schedule" | "alarm" | "manual";

export type ClassifiedEvent =
    | { readonly kind: "schedule" }
    | { readonly kind: "alarm"; readonly alarmName: string }
    | { readonly kind: "manual"; readonly request: ManualRequest }
    | { readonly kind: "invalid"; readonly error: string };

const MANUAL_ACTIONS: readonly ManualActionName[] = ["failover", "failback", "status"];

/**
 * An `action` field makes an operator request (validated strictly: a typo must not start a
 * 55-second run). An alarm-to-Lambda event has `source: "aws.cloudwatch"` and `alarmData`.
 * Anything else (the EventBridge schedule's "Scheduled Event", or `{}`) is a scheduled run.
 */
export function classifyEvent(event: unknown): ClassifiedEvent {
    const e = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
    if ("action" in e) {
        const action = e.action;
        if (typeof action !== "string" || !MANUAL_ACTIONS.includes(action as ManualActionName)) {
            return {
                kind: "invalid",
                error: `unknown action ${JSON.stringify(action)}: expected one of ${MANUAL_ACTIONS.join(", ")}`,
            };
        }
        if (e.force !== undefined && typeof e.force !== "boolean") {
            return { kind: "invalid", error: `"force" must be true or false, got ${JSON.stringify(e.force)}` };
        }
        return { kind: "manual", request: { action: action as ManualActionName, force: e.force === true } };
    }
    if (e.source === "aws.cloudwatch" && typeof e.alarmData === "object" && e.alarmData !== null) {
        const name = (e.alarmData as Record<string, unknown>).alarmName;
        return { kind: "alarm", alarmName: typeof name === "string" ? name : "unknown" };
    }
    return { kind: "schedule" };
}

// ---------------------------------------------------------------------------------------------
// The controller run
// ---------------------------------------------------------------------------------------------

/** A persisted healthy streak older than this was not continuously observed: it restarts. */
export const MAX_UNOBSERVED_GAP_MS = 150_000;
/** Never start a poll with less than this left: a move, a notification and the state save follow. */
export const STOP_MARGIN_MS = 8_000;

/** One JSON log line; `event` is one of {@link LOG_EVENTS}. */
export type LogRecord = Record<string, unknown> & { event: LogEvent };

export interface ControllerDeps {
    readonly config: FailoverConfig;
    readonly elbv2: ElasticLoadBalancingV2Client;
    readonly sns: SNSClient;
    /** ms since epoch */
    readonly now: () => number;
    readonly sleep: (ms: number) => Promise<void>;
    readonly log: (record: LogRecord) => void;
    /** Lambda's context.getRemainingTimeInMillis; absent = unbounded. */
    readonly remainingTimeMs?: () => number;
}

interface Snapshot {
    readonly activeHealthy: number;
    readonly failoverHealthy: number;
    readonly weights: Weights;
    readonly defaultActions: Action[];
}

export interface MoveOutcome {
    readonly kind: Move["kind"];
    readonly from: Weights;
    readonly to: Weights;
    readonly ok: boolean;
    readonly error?: string;
}

export interface RunSummary {
    readonly ok: true;
    readonly trigger: "schedule" | "alarm";
    readonly polls: number;
    readonly pollErrors: number;
    readonly moves: MoveOutcome[];
    readonly lastReason: string | null;
}

export function errorText(err: unknown): string {
    if (err instanceof Error) return `${err.name}: ${err.message}`;
    return String(err);
}

/** One poll: both groups' health and the listener's weights, all read at the same moment. */
async function observe(deps: ControllerDeps): Promise<Snapshot> {
    const { config, elbv2 } = deps;
    const [active, failover, listeners] = await Promise.all([
        elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: config.activeTargetGroupArn })),
        elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: config.failoverTargetGroupArn })),
        elbv2.send(new DescribeListenersCommand({ ListenerArns: [config.listenerArn] })),
    ]);
    const listener = listeners.Listeners?.find((l) => l.ListenerArn === config.listenerArn) ?? listeners.Listeners?.[0];
    if (!listener) throw new Error(`listener ${config.listenerArn} not found`);
    const defaultActions = listener.DefaultActions ?? [];
    const weights = readWeights(defaultActions, config);
    if (!weights) throw new Error("the listener has no default forward action to the configured target groups");
    return {
        activeHealthy: countHealthy(active.TargetHealthDescriptions),
        failoverHealthy: countHealthy(failover.TargetHealthDescriptions),
        weights,
        defaultActions,
    };
}

async function loadPersisted(deps: ControllerDeps): Promise<string | null> {
    const out = await deps.elbv2.send(new DescribeTagsCommand({ ResourceArns: [deps.config.listenerArn] }));
    const tags =
        out.TagDescriptions?.find((d) => d.ResourceArn === deps.config.listenerArn)?.Tags ??
        out.TagDescriptions?.[0]?.Tags ??
        [];
    return tags.find((t) => t.Key === STATE_TAG_KEY)?.Value ?? null;
}

/** Writes only when the value changed; nothing at all in normal operation. */
async function savePersisted(deps: ControllerDeps, previous: string | null, value: string | null): Promise<void> {
    if (value === previous) return;
    const ResourceArns = [deps.config.listenerArn];
    if (value === null) {
        await deps.elbv2.send(new RemoveTagsCommand({ ResourceArns, TagKeys: [STATE_TAG_KEY] }));
    } else {
        await deps.elbv2.send(new AddTagsCommand({ ResourceArns, Tags: [{ Key: STATE_TAG_KEY, Value: value }] }));
    }
}

async function loadState(deps: ControllerDeps): Promise<{ state: ControllerState; stored: string | null }> {
    try {
        const stored = await loadPersisted(deps);
        return { state: restoreState(parseState(stored), deps.now(), MAX_UNOBSERVED_GAP_MS), stored };
    } catch (err) {
        // Without the saved state the failback window restarts: a later failback, never a wrong move.
        deps.log({ event: "state_load_failed", listenerArn: deps.config.listenerArn, error: errorText(err) });
        return { state: restoreState(parseState(null), deps.now(), MAX_UNOBSERVED_GAP_MS), stored: null };
    }
}

async function saveState(deps: ControllerDeps, stored: string | null, state: ControllerState): Promise<void> {
    try {
        await savePersisted(deps, stored, serializeState(state, deps.now()));
    } catch (err) {
        deps.log({ event: "state_save_failed", listenerArn: deps.config.listenerArn, error: errorText(err) });
    }
}

/** Publishes to TOPIC_ARN; returns whether it worked (a failed notification never stops a move). */
async function notify(
    deps: ControllerDeps,
    subject: string,
    lines: string[],
): Promise<{ notified: boolean; notifyError?: string }> {
    try {
        await deps.sns.send(
            new PublishCommand({
                TopicArn: deps.config.topicArn,
                // SNS: at most 100 characters, no line breaks.
                Subject: subject.replace(/\s+/g, " ").slice(0, 100),
                Message: lines.join("\n"),
            }),
        );
        return { notified: true };
    } catch (err) {
        return { notified: false, notifyError: errorText(err) };
    }
}

/** The load balancer's name (at most 32 characters): short enough for an SNS subject. */
function loadBalancerName(listenerArn: string): string {
    return listenerArn.split(":listener/")[1]?.split("/")[1] ?? "listener";
}

function describeGroupMove(kind: Move["kind"]): string {
    return kind === "failover"
        ? "traffic moved to the failover target group"
        : "traffic back on the active target group";
}

interface MoveContext {
    readonly trigger: Trigger;
    readonly reason: string;
    readonly weights: Weights;
    readonly defaultActions: readonly Action[];
    /** null = unknown (a forced manual move after DescribeTargetHealth failed). */
    readonly activeHealthy: number | null;
    readonly failoverHealthy: number | null;
    /** A failure notification was already sent in this invocation. */
    readonly failureNotified: boolean;
}

/**
 * ModifyListener, then the SNS notification, then exactly one JSON log line describing the
 * move (or its failure): the line carries whether the notification went out.
 */
async function executeMove(deps: ControllerDeps, move: Move, ctx: MoveContext): Promise<MoveOutcome> {
    const { config } = deps;
    const from = ctx.weights;
    const base = {
        listenerArn: config.listenerArn,
        from,
        to: move.to,
        reason: ctx.reason,
        trigger: ctx.trigger,
        activeHealthy: ctx.activeHealthy,
        failoverHealthy: ctx.failoverHealthy,
    };
    const details = [
        `Listener: ${config.listenerArn}`,
        `Weights (active/failover): ${formatWeights(from)} -> ${formatWeights(move.to)}`,
        `Reason: ${ctx.reason}`,
        `Healthy targets: active group ${ctx.activeHealthy ?? "unknown"}, failover group ${ctx.failoverHealthy ?? "unknown"}`,
        `Active target group: ${config.activeTargetGroupArn}`,
        `Failover target group: ${config.failoverTargetGroupArn}`,
        `Triggered by: ${ctx.trigger}`,
        `Time: ${new Date(deps.now()).toISOString()}`,
    ];
    try {
        await deps.elbv2.send(
            new ModifyListenerCommand({
                ListenerArn: config.listenerArn,
                DefaultActions: withWeights(ctx.defaultActions, config, move.to),
            }),
        );
    } catch (err) {
        const error = errorText(err);
        const notice = ctx.failureNotified
            ? { notified: false }
            : await notify(
                  deps,
                  `ha-webstack ${move.kind} FAILED: weights unchanged (${loadBalancerName(config.listenerArn)})`,
                  [
                      `The failover controller could not change the listener's weights; it retries on its next poll.`,
                      `Error: ${error}`,
                      ...details,
                  ],
              );
        deps.log({ event: `${move.kind}_failed`, ...base, error, ...notice });
        return { kind: move.kind, from, to: move.to, ok: false, error };
    }
    const followUp =
        move.kind === "failover"
            ? [
                  `To move traffic back by hand: aws lambda invoke --function-name <controller> --cli-binary-format raw-in-base64-out --payload '{"action":"failback"}' out.json`,
              ]
            : [];
    const notice = await notify(
        deps,
        `ha-webstack ${move.kind}: ${describeGroupMove(move.kind)} (${loadBalancerName(config.listenerArn)})`,
        [
            `The failover controller changed the listener's weights: ${describeGroupMove(move.kind)}.`,
            ...details,
            ...followUp,
        ],
    );
    deps.log({ event: move.kind, ...base, ...notice });
    return { kind: move.kind, from, to: move.to, ok: true };
}

async function reportNotice(deps: ControllerDeps, notice: Notice, snapshot: Snapshot, trigger: Trigger): Promise<void> {
    const { config } = deps;
    const sent = await notify(
        deps,
        `ha-webstack: ${notice.kind.replace(/_/g, " ")} (${loadBalancerName(config.listenerArn)})`,
        [
            notice.message,
            `Listener: ${config.listenerArn}`,
            `Weights (active/failover): ${formatWeights(snapshot.weights)}`,
            `Healthy targets: active group ${snapshot.activeHealthy}, failover group ${snapshot.failoverHealthy}`,
            `Time: ${new Date(deps.now()).toISOString()}`,
        ],
    );
    deps.log({
        event: notice.kind,
        listenerArn: config.listenerArn,
        weights: snapshot.weights,
        reason: notice.message,
        trigger,
        activeHealthy: snapshot.activeHealthy,
        failoverHealthy: snapshot.failoverHealthy,
        ...sent,
    });
}

/**
 * The polling loop: one poll every POLL_INTERVAL_SECONDS (on a fixed grid, so slow API calls do
 * not stretch it) until RUN_SECONDS have passed, `maxPolls` polls were made, or too little of
 * the Lambda's time is left. Never throws.
 */
export async function runController(
    deps: ControllerDeps,
    options: { trigger: "schedule" | "alarm"; maxPolls?: number } = { trigger: "schedule" },
): Promise<RunSummary> {
    const { config } = deps;
    const intervalMs = config.pollIntervalSeconds * 1000;
    const runMs = config.runSeconds * 1000;
    const maxPolls = options.maxPolls ?? Number.POSITIVE_INFINITY;
    const startedAt = deps.now();
    const loaded = await loadState(deps);
    let state = loaded.state;
    let polls = 0;
    let pollErrors = 0;
    let failureNotified = false;
    let lastReason: string | null = null;
    const moves: MoveOutcome[] = [];

    while (polls < maxPolls) {
        const pollAt = startedAt + polls * intervalMs;
        // A streak that has started but is not confirmed yet is finished in this run rather than
        // restarted by the next one (the streak counters are not persisted): at most
        // CONFIRMATIONS - 1 extra polls, and only while a group is failing.
        const streakOpen = (n: number) => n > 0 && n < config.confirmations;
        const finishing = streakOpen(state.activeUnhealthyPolls) || streakOpen(state.failoverUnhealthyPolls);
        if (pollAt - startedAt >= runMs && polls > 0 && !finishing) break;
        const wait = Math.max(0, pollAt - deps.now());
        if (deps.remainingTimeMs && deps.remainingTimeMs() - wait < STOP_MARGIN_MS) break;
        if (wait > 0) await deps.sleep(wait);
        polls += 1;

        let snapshot: Snapshot;
        try {
            snapshot = await observe(deps);
        } catch (err) {
            // Unknown is not unhealthy: the state machine does not advance on a failed poll.
            pollErrors += 1;
            deps.log({
                event: "poll_error",
                listenerArn: config.listenerArn,
                trigger: options.trigger,
                error: errorText(err),
            });
            continue;
        }

        const decision = decide(state, { time: deps.now(), ...snapshot }, config);
        state = decision.state;
        lastReason = decision.reason;
        if (decision.notice) await reportNotice(deps, decision.notice, snapshot, options.trigger);
        // Idempotence guard: never rewrite a listener that is already where the move would put it.
        if (decision.move && !samePosition(snapshot.weights, decision.move.to)) {
            const outcome = await executeMove(deps, decision.move, {
                trigger: options.trigger,
                reason: decision.reason,
                failureNotified,
                ...snapshot,
            });
            moves.push(outcome);
            if (outcome.ok) state = afterMove(state, decision.move);
            else failureNotified = true;
        }
    }

    await saveState(deps, loaded.stored, state);
    // One line per run: answers "why has it not failed back yet?" without reading every poll.
    deps.log({
        event: "run_complete",
        listenerArn: config.listenerArn,
        trigger: options.trigger,
        polls,
        pollErrors,
        moves: moves.length,
        lastReason,
    });
    return { ok: true, trigger: options.trigger, polls, pollErrors, moves, lastReason };
}

export interface ManualResult {
    readonly ok: boolean;
    readonly action: ManualActionName;
    readonly message: string;
    readonly refused?: boolean;
    readonly listenerArn: string;
    readonly weights?: Weights;
    readonly position?: string;
    readonly activeHealthy?: number | null;
    readonly failoverHealthy?: number | null;
    readonly failback?: FailbackPolicy;
    readonly hold?: boolean;
    readonly activeHealthySince?: string | null;
    readonly error?: string;
}

async function healthOrNull(
    deps: ControllerDeps,
    targetGroupArn: string,
): Promise<{ count: number | null; error?: string }> {
    try {
        const out = await deps.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
        return { count: countHealthy(out.TargetHealthDescriptions) };
    } catch (err) {
        return { count: null, error: errorText(err) };
    }
}

/** An operator's `{"action": "failover" | "failback" | "status", "force"?: boolean}`. Never throws. */
export async function runManualAction(deps: ControllerDeps, request: ManualRequest): Promise<ManualResult> {
    const { config } = deps;
    const loaded = await loadState(deps);
    // Health is read per group so that a failure on one group still lets `force` act.
    const [active, failover] = await Promise.all([
        healthOrNull(deps, config.activeTargetGroupArn),
        healthOrNull(deps, config.failoverTargetGroupArn),
    ]);
    let defaultActions: Action[];
    let weights: Weights | null;
    try {
        const out = await deps.elbv2.send(new DescribeListenersCommand({ ListenerArns: [config.listenerArn] }));
        defaultActions = out.Listeners?.[0]?.DefaultActions ?? [];
        weights = readWeights(defaultActions, config);
        if (!weights) throw new Error("the listener has no default forward action to the configured target groups");
    } catch (err) {
        const error = errorText(err);
        deps.log({ event: `${request.action}_failed`, listenerArn: config.listenerArn, trigger: "manual", error });
        return {
            ok: false,
            action: request.action,
            listenerArn: config.listenerArn,
            message: `cannot read the listener: ${error}`,
            error,
        };
    }

    const obs = { activeHealthy: active.count, failoverHealthy: failover.count, weights };
    const decision = decideManual(loaded.state, request, obs);
    const healthErrors = [active.error, failover.error].filter((e): e is string => e !== undefined);
    const common = {
        action: request.action,
        listenerArn: config.listenerArn,
        weights,
        position: positionOf(weights),
        activeHealthy: active.count,
        failoverHealthy: failover.count,
        failback: config.failback,
        ...(healthErrors.length ? { error: healthErrors.join("; ") } : {}),
    };

    if (request.action === "status") {
        const since = loaded.state.activeHealthySince;
        return {
            ok: true,
            ...common,
            message: decision.message,
            hold: loaded.state.hold,
            activeHealthySince: since === null ? null : new Date(since).toISOString(),
        };
    }
    if (decision.refused) {
        deps.log({
            event: `${request.action}_refused`,
            listenerArn: config.listenerArn,
            from: weights,
            to: request.action === "failover" ? FAILOVER_WEIGHTS : ACTIVE_WEIGHTS,
            reason: decision.message,
            trigger: "manual",
            activeHealthy: active.count,
            failoverHealthy: failover.count,
        });
        return { ok: false, refused: true, ...common, message: decision.message };
    }
    if (!decision.move) {
        await saveState(deps, loaded.stored, decision.state);
        return { ok: true, ...common, message: decision.message, hold: decision.state.hold };
    }
    const outcome = await executeMove(deps, decision.move, {
        trigger: "manual",
        reason: decision.message,
        weights,
        defaultActions,
        activeHealthy: active.count,
        failoverHealthy: failover.count,
        failureNotified: false,
    });
    if (!outcome.ok) {
        return { ok: false, ...common, message: `${request.action} failed: ${outcome.error}`, error: outcome.error };
    }
    await saveState(deps, loaded.stored, decision.state);
    return {
        ok: true,
        ...common,
        weights: outcome.to,
        position: positionOf(outcome.to),
        message: decision.message,
        hold: decision.state.hold,
    };
}

// ---------------------------------------------------------------------------------------------
// Lambda entry
// ---------------------------------------------------------------------------------------------

export interface LambdaContextLike {
    getRemainingTimeInMillis?: () => number;
}

export type HandlerResult = RunSummary | ManualResult | { readonly ok: false; readonly error: string };

export interface HandlerOverrides {
    readonly env?: Env;
    readonly elbv2?: ElasticLoadBalancingV2Client;
    readonly sns?: SNSClient;
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly log?: (record: LogRecord) => void;
}

/**
 * One JSON object per line on stdout. Not console.log: with the Text log format the Node.js
 * runtime prefixes console output with a timestamp, request id and level, which breaks the
 * CloudWatch Logs JSON metric filters (`{ $.event = "failover" }`) that count moves. Lambda
 * turns each stdout line into one log event as it is.
 */
/** Per-request limits for the SDK clients (ms): a poll must not outlast its interval for long. */
export const REQUEST_TIMEOUTS = { connectionTimeout: 1000, requestTimeout: 3000 };

function defaultLog(record: LogRecord): void {
    process.stdout.write(`${JSON.stringify(record)}\n`);
}

/**
 * Builds the handler: the configuration is validated here, i.e. once per cold start, and the
 * SDK clients are reused across invocations. Tests pass a fake clock and sleep.
 */
export function createHandler(overrides: HandlerOverrides = {}) {
    const log = overrides.log ?? defaultLog;
    let config: FailoverConfig | null = null;
    let configError: string | null = null;
    try {
        config = loadConfig(overrides.env ?? process.env);
    } catch (err) {
        configError = err instanceof Error ? err.message : String(err);
    }
    let clients: { elbv2: ElasticLoadBalancingV2Client; sns: SNSClient } | null = null;
    const getClients = () => {
        // Standard retry mode with backoff: 3 attempts per call; the next poll is the outer retry.
        clients ??= {
            // Timeouts: the SDK's default is none, and one hung call would stall the poll loop.
            elbv2:
                overrides.elbv2 ??
                new ElasticLoadBalancingV2Client({ maxAttempts: 3, requestHandler: REQUEST_TIMEOUTS }),
            sns: overrides.sns ?? new SNSClient({ maxAttempts: 3, requestHandler: REQUEST_TIMEOUTS }),
        };
        return clients;
    };

    return async (event: unknown, context?: LambdaContextLike): Promise<HandlerResult> => {
        try {
            if (!config) {
                const error = `invalid configuration: ${configError}`;
                log({ event: "config_error", error });
                return { ok: false, error };
            }
            const remaining = context?.getRemainingTimeInMillis?.bind(context);
            const deps: ControllerDeps = {
                config,
                ...getClients(),
                now: overrides.now ?? Date.now,
                sleep: overrides.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
                log,
                ...(remaining ? { remainingTimeMs: remaining } : {}),
            };
            const classified = classifyEvent(event);
            switch (classified.kind) {
                case "invalid":
                    log({ event: "invalid_event", listenerArn: config.listenerArn, error: classified.error });
                    return { ok: false, error: classified.error };
                case "manual":
                    return await runManualAction(deps, classified.request);
                case "alarm":
                    // The alarm is a trigger, not evidence: decide on DescribeTargetHealth, and only for
                    // as many polls as a failover needs, so the single concurrency slot is soon free.
                    log({ event: "alarm_trigger", listenerArn: config.listenerArn, alarmName: classified.alarmName });
                    return await runController(deps, { trigger: "alarm", maxPolls: config.confirmations });
                case "schedule":
                    return await runController(deps, { trigger: "schedule" });
            }
        } catch (err) {
            // Last line of defence: log and return, so a bug never becomes a retry storm.
            const error = errorText(err);
            log({ event: "unexpected_error", error });
            return { ok: false, error };
        }
    };
}

export const handler = createHandler();

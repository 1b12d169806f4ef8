/**
 * Lambda entry of the active-passive failover controller (Node.js 22 runtime, AWS SDK v3 from
 * the runtime: bundle with `@aws-sdk/*` external).
 *
 * An ALB never fails over between the target groups of one forward action, so this function does
 * it. Started every minute by an EventBridge schedule, each run takes over from the previous one
 * (a lease in DynamoDB, see store.ts) and polls every 0.8 s until the next run is there to take
 * over in turn (poller.ts), so that polling never pauses. The decisions are controller.ts's. A
 * CloudWatch alarm on the poller's heartbeat starts a run when none is polling; an operator
 * invokes it with `{"action": ...}`.
 *
 * Failure policy: an API error or an unknown state is unknown, never "unhealthy" and never
 * "empty"; every AWS call has a bounded timeout; the handler catches everything and returns
 * normally, so a broken dependency never turns into a retry storm.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { SNSClient } from "@aws-sdk/client-sns";
import { loadConfig, type FailoverConfig } from "./config";
import {
    decideManual,
    parseSaved,
    positionOf,
    stateFrom,
    UNKNOWN_STATE,
    type ManualActionName,
    type ManualRequest,
} from "./controller";
import { readHealth, readListener } from "./elb";
import { CALL_MARGIN_MS } from "./context";
import {
    ANSWER_WAIT_MS,
    answerAsHolder,
    CLOCK_MARGIN_MS,
    obtainLeaseNow,
    REQUEST_TTL_MS,
    runPoller,
    type RunContext,
    type RunSummary,
} from "./poller";
import {
    boundedCalls,
    defaultLog,
    errorText,
    isConditionFailure,
    realClock,
    wasRejected,
    SDK_REQUEST_HANDLER,
    type Clients,
    type Clock,
    type LogRecord,
} from "./runtime";
import { ControllerStore, parseRequest, parseResponse, type ControllerItem, type RequestRecord } from "./store";

export { ConfigError, loadConfig, type FailoverConfig } from "./config";
export { healthyCount, readWeights, withWeights } from "./elb";
export { LOG_EVENTS, STATE_TAG_KEY, type LogEvent } from "./protocol";

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

export type ClassifiedEvent =
    | { readonly kind: "schedule" }
    | { readonly kind: "alarm"; readonly alarmName: string }
    | { readonly kind: "manual"; readonly request: ManualRequest }
    | { readonly kind: "invalid"; readonly error: string };

const MANUAL_ACTIONS: readonly ManualActionName[] = ["failover", "failback", "status"];

/**
 * An `action` field makes an operator request (validated strictly: a typo must not start a
 * poller). An alarm-to-Lambda event has `source: "aws.cloudwatch"` and `alarmData`. Anything else
 * (the EventBridge schedule's "Scheduled Event", or `{}`) is a scheduled run.
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
// Operator actions
// ---------------------------------------------------------------------------------------------

/** How long an operator's request waits for the running poller to take it. */
export const MANUAL_WAIT_MS = REQUEST_TTL_MS;
const MANUAL_POLL_MS = 250;

export interface ManualResult extends Record<string, unknown> {
    readonly ok: boolean;
    readonly action: ManualActionName;
    readonly message: string;
}

/** `status`: read-only, needs no lease. */
async function status(ctx: RunContext): Promise<ManualResult> {
    const { config, calls } = ctx;
    const store = new ControllerStore(calls, config.tableName);
    const safe = <T>(p: Promise<T>) =>
        p.then(
            (v) => ({ v }),
            (e: unknown) => ({ e: errorText(e) }),
        );
    const [active, failover, view, item] = await Promise.all([
        safe(readHealth(calls, config.activeTargetGroupArn)),
        safe(readHealth(calls, config.failoverTargetGroupArn)),
        safe(readListener(calls, config.listenerArn, config)),
        safe(store.read()),
    ]);
    const value = <T>(r: { v: T } | { e: string }): T | null => ("v" in r ? r.v : null);
    const errors = [active, failover, view, item].filter((r): r is { e: string } => "e" in r).map((r) => r.e);
    const listener = value(view);
    if (!listener?.weights) {
        return {
            ok: false,
            action: "status",
            listenerArn: config.listenerArn,
            message: "cannot read the listener's weights",
            error: errors.join("; "),
        };
    }
    const stored = value(item);
    const parsed = parseSaved(stored?.state);
    const state = parsed ? stateFrom(parsed) : UNKNOWN_STATE;
    const decision = decideManual(
        state,
        { action: "status", force: false },
        {
            time: ctx.clock.now(),
            activeHealthy: value(active),
            failoverHealthy: value(failover),
            weights: listener.weights,
        },
        config,
    );
    const poller = stored?.holder && (stored.expiresAt ?? 0) > ctx.clock.now() ? stored.holder : null;
    return {
        ok: true,
        action: "status",
        listenerArn: config.listenerArn,
        weights: listener.weights,
        position: positionOf(listener.weights),
        activeHealthy: value(active),
        failoverHealthy: value(failover),
        failback: config.failback,
        hold: parsed ? parsed.hold : null,
        activeHealthySince: parsed?.activeHealthySince ? new Date(parsed.activeHealthySince).toISOString() : null,
        poller,
        message: decision.message + (poller ? "" : "; no poller is running right now"),
        ...(errors.length ? { error: errors.join("; ") } : {}),
    };
}

/**
 * `failover` / `failback`: left in the lease item for the running poller, which takes it within
 * a few seconds and answers (one mover at a time, and the same guard as automatic moves). When no
 * poller holds the lease, this run takes it, answers, and lets it go. The reply never says
 * "nothing changed" unless that is known: a request this run could not withdraw, or whose
 * answer did not come, is reported as an unknown outcome.
 */
async function move(ctx: RunContext, request: ManualRequest): Promise<ManualResult> {
    const { config, clock } = ctx;
    const action = request.action as "failover" | "failback";
    const store = new ControllerStore(ctx.calls, config.tableName);
    const record: RequestRecord = { id: ctx.runId, action, force: request.force };
    const reply = operatorReplies(ctx, action);
    const postedAt = clock.now();
    try {
        // A request older than this can no longer be taken by any holder: it may be replaced.
        await store.postRequest(record, postedAt, REQUEST_TTL_MS + CLOCK_MARGIN_MS);
    } catch (err) {
        if (isConditionFailure(err)) return reply.failed("another operator request is pending: retry in a few seconds");
        if (wasRejected(err))
            return reply.failed("cannot reach the controller's table; nothing changed", errorText(err));
        // It may have been written: find out what became of it.
        return settle(ctx, store, record, postedAt, reply);
    }
    const deadline = postedAt + REQUEST_TTL_MS;
    while (clock.now() < deadline) {
        await clock.sleep(MANUAL_POLL_MS);
        let item;
        try {
            item = await store.read();
        } catch {
            continue;
        }
        const answered = await answerIn(store, item, record);
        if (answered) return answered;
        const pollerAlive = item.holder !== undefined && (item.expiresAt ?? 0) >= clock.now();
        if (!pollerAlive) {
            // Nobody polls: answer it here, as the lease holder for a moment.
            const lease = await obtainLeaseNow(ctx, store);
            if (!lease) continue;
            const result = await answerAsHolder(ctx, store, record, lease);
            return (result as ManualResult | null) ?? settle(ctx, store, record, postedAt, reply);
        }
    }
    return settle(ctx, store, record, postedAt, reply);
}

/** The reply to a request that was taken and answered (the answer then leaves the item); null if not yet. */
async function answerIn(
    store: ControllerStore,
    item: ControllerItem,
    record: RequestRecord,
): Promise<ManualResult | null> {
    const response = parseResponse(item.response);
    if (response?.id !== record.id) return null;
    await store.consumeResponse(item.response!).catch(() => undefined);
    return response.result as ManualResult;
}

/**
 * The request was not answered in time (or its posting failed ambiguously): withdraw it, and if
 * it is gone already, a holder took it: wait for that holder's answer. A request still in the
 * item after REQUEST_TTL_MS (and the clocks' margin) can no longer be taken.
 */
async function settle(
    ctx: RunContext,
    store: ControllerStore,
    record: RequestRecord,
    postedAt: number,
    reply: ReturnType<typeof operatorReplies>,
): Promise<ManualResult> {
    const { clock } = ctx;
    const notTaken = () =>
        reply.failed(
            `the running poller did not take the request within ${REQUEST_TTL_MS / 1000} s; nothing changed: retry`,
        );
    try {
        await store.withdrawRequest(record);
        return notTaken();
    } catch {
        // Gone (taken, or never written), or the outcome is unknown: read on.
    }
    const until = clock.now() + ANSWER_WAIT_MS;
    while (clock.now() < until) {
        await clock.sleep(MANUAL_POLL_MS);
        let item;
        try {
            item = await store.read();
        } catch {
            continue;
        }
        const answered = await answerIn(store, item, record);
        if (answered) return answered;
        if (parseRequest(item.request)?.id !== record.id) continue;
        if (clock.now() > postedAt + REQUEST_TTL_MS + CLOCK_MARGIN_MS) return notTaken();
        try {
            await store.withdrawRequest(record);
            return notTaken();
        } catch {
            // taken meanwhile, or unknown: read on
        }
    }
    return reply.unknown();
}

/** An operator's failed or unknown outcome, logged once. */
function operatorReplies(ctx: RunContext, action: "failover" | "failback") {
    const { config } = ctx;
    const log = (error: string) =>
        ctx.log({ event: `${action}_failed`, listenerArn: config.listenerArn, trigger: "manual", error });
    return {
        failed(message: string, error?: string): ManualResult {
            log(error ?? message);
            return { ok: false, action, listenerArn: config.listenerArn, message, ...(error ? { error } : {}) };
        },
        unknown(): ManualResult {
            const message =
                `outcome unknown: the request was taken or may have been, but no answer came within ${ANSWER_WAIT_MS / 1000} s; ` +
                'the move may still happen: invoke {"action":"status"} to see where traffic is';
            log(message);
            return { ok: false, action, listenerArn: config.listenerArn, outcome: "unknown", message };
        },
    };
}

export async function runManualAction(ctx: RunContext, request: ManualRequest): Promise<ManualResult> {
    return request.action === "status" ? status(ctx) : move(ctx, request);
}

// ---------------------------------------------------------------------------------------------
// Lambda entry
// ---------------------------------------------------------------------------------------------

export interface LambdaContextLike {
    getRemainingTimeInMillis?: () => number;
    awsRequestId?: string;
}

export type HandlerResult = RunSummary | ManualResult | { readonly ok: false; readonly error: string };

export interface HandlerOverrides {
    readonly env?: Readonly<Record<string, string | undefined>>;
    readonly clients?: Partial<Clients>;
    readonly clock?: Clock;
    readonly log?: (record: LogRecord) => void;
}

let runCounter = 0;

/**
 * The SDK clients, each call bounded (boundedCalls and the request handler). ELB reads and SNS
 * retry (3 attempts: a read, or a duplicate notification, is harmless). ModifyListener does not:
 * a retry inside the SDK could land a move late (after the lease check that allowed it) or twice;
 * one attempt, and the controller's next poll tries again under a new lease check. DynamoDB does
 * not either: every write is conditional, and a retry of one that landed fails its condition and
 * reads as a fact (the lease is gone, another request is pending) what is not; one attempt, and
 * the callers treat an error they cannot classify as an unknown outcome. The controller's loop
 * retries on its own.
 */
export function sdkClients(): {
    elbv2: ElasticLoadBalancingV2Client;
    elbv2Write: ElasticLoadBalancingV2Client;
    sns: SNSClient;
    dynamodb: DynamoDBClient;
} {
    return {
        elbv2: new ElasticLoadBalancingV2Client({ maxAttempts: 3, requestHandler: SDK_REQUEST_HANDLER }),
        elbv2Write: new ElasticLoadBalancingV2Client({ maxAttempts: 1, requestHandler: SDK_REQUEST_HANDLER }),
        sns: new SNSClient({ maxAttempts: 3, requestHandler: SDK_REQUEST_HANDLER }),
        dynamodb: new DynamoDBClient({ maxAttempts: 1, requestHandler: SDK_REQUEST_HANDLER }),
    };
}

/**
 * Builds the handler: the configuration is validated here, i.e. once per cold start, and the
 * SDK clients are reused across invocations. Tests and the benchmark pass a simulated clock and
 * simulated clients.
 */
export function createHandler(overrides: HandlerOverrides = {}) {
    const log = overrides.log ?? defaultLog;
    const clock = overrides.clock ?? realClock;
    let config: FailoverConfig | null = null;
    let configError: string | null = null;
    try {
        config = loadConfig(overrides.env ?? process.env);
    } catch (err) {
        configError = err instanceof Error ? err.message : String(err);
    }
    let clients: Clients | null = null;
    const getClients = (): Clients => {
        if (!clients) {
            const given = overrides.clients;
            const sdk = given?.elbv2 && given.sns && given.dynamodb ? undefined : sdkClients();
            clients = {
                elbv2: given?.elbv2 ?? sdk!.elbv2,
                // Given clients (tests, the benchmark) write through their ELB stand-in.
                elbv2Write: given?.elbv2Write ?? (given?.elbv2 ? given.elbv2 : sdk!.elbv2Write),
                sns: given?.sns ?? sdk!.sns,
                dynamodb: given?.dynamodb ?? sdk!.dynamodb,
            };
        }
        return clients;
    };

    return async (event: unknown, context?: LambdaContextLike): Promise<HandlerResult> => {
        try {
            if (!config) {
                const error = `invalid configuration: ${configError}`;
                log({ event: "config_error", error });
                return { ok: false, error };
            }
            const remainingMs = context?.getRemainingTimeInMillis
                ? context.getRemainingTimeInMillis.bind(context)
                : () => Number.POSITIVE_INFINITY;
            // What a call may take: never more than the run has left before it must wrap up.
            const calls = boundedCalls(getClients(), clock, () => remainingMs() - CALL_MARGIN_MS);
            const ctx: RunContext = {
                config,
                calls,
                clock,
                log,
                // Lambda's retries of an async invocation reuse its request id: the suffix keeps a
                // retry from taking over its dead predecessor's lease as its own (the failback clock
                // would then not restart).
                runId: `${context?.awsRequestId ?? `run-${Date.now().toString(36)}-${(runCounter += 1)}`}/${globalThis.crypto.randomUUID().slice(0, 8)}`,
                remainingMs,
            };
            const classified = classifyEvent(event);
            switch (classified.kind) {
                case "invalid":
                    log({ event: "invalid_event", listenerArn: config.listenerArn, error: classified.error });
                    return { ok: false, error: classified.error };
                case "manual":
                    return await runManualAction(ctx, classified.request);
                case "alarm":
                    // The heartbeat alarm: no poller has been seen lately. Start one (or find one).
                    log({ event: "alarm_trigger", listenerArn: config.listenerArn, alarmName: classified.alarmName });
                    return await runPoller(ctx, "alarm");
                case "schedule":
                    return await runPoller(ctx, "schedule");
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

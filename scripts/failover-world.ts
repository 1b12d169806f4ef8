/**
 * A simulated AWS account for the failover controller, on a simulated clock: an ALB whose nodes
 * health-check every target on their own schedule, its listener, a DynamoDB table (conditional
 * writes evaluated as DynamoDB does), an SNS topic, and Lambda invocations (the schedule, cold
 * starts, timeouts). The real handler (lambda/failover/handler.ts) runs against it unchanged.
 * Used by the tests and by `npm run bench:failover`.
 *
 * The ALB model (what AWS documents, and the assumptions where it does not):
 * - each load balancer node checks each target every `interval` seconds, at a phase of its own;
 *   a check of a server that refuses connections fails at once, one of a hung server fails when
 *   its `timeout` runs out; `unhealthyThreshold` failures in a row mark the target unhealthy on
 *   that node, `healthyThreshold` successes healthy again
 *   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html);
 * - DescribeTargetHealth reports a target healthy while any node still finds it healthy (AWS does
 *   not document how nodes' views are combined; this choice detects a failure last, so the
 *   failover times measured here are upper bounds), with the health as of the moment the request
 *   reaches ELB;
 * - every API call takes `latency(command)` ms; the service acts half-way through (the request
 *   arrives), the answer comes at the end; `Infinity`: no answer, and nothing applied;
 * - every call is attributed to the invocation that made it (an AsyncLocalStorage around the
 *   handler), and each ModifyListener records who held the lease in the table when it landed, so
 *   that a test can check that only the lease holder ever moved traffic (`World.unleasedMoves`).
 */
import {
    DescribeListenersCommand,
    DescribeTagsCommand,
    DescribeTargetHealthCommand,
    ModifyListenerCommand,
    type Action,
    type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetItemCommand, UpdateItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { PublishCommand } from "@aws-sdk/client-sns";
import { AsyncLocalStorage } from "node:async_hooks";
import type { Clients, Clock } from "../lambda/failover/runtime";

// ---------------------------------------------------------------------------------------------
// The clock
// ---------------------------------------------------------------------------------------------

interface Timer {
    at: number;
    seq: number;
    resolve: () => void;
}

/** A discrete-event clock: `sleep` schedules, `run` advances time from one event to the next. */
export class VirtualClock implements Clock {
    private t: number;
    private seq = 0;
    private readonly heap: Timer[] = [];

    constructor(start = 0) {
        this.t = start;
    }

    now(): number {
        return this.t;
    }

    sleep = (ms: number): Promise<void> =>
        new Promise((resolve) => this.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve }));

    /** Runs every event up to `until` (or until `stop()` is true), then sets the time to `until`. */
    async run(until: number, stop?: () => boolean): Promise<void> {
        await drain();
        while (this.heap.length > 0 && this.heap[0].at <= until && !stop?.()) {
            const timer = this.pop();
            this.t = timer.at;
            timer.resolve();
            await drain();
        }
        if (!stop?.()) this.t = Math.max(this.t, until);
    }

    /** Runs until nothing is scheduled any more, or `limit` is reached. */
    async runUntilIdle(limit = Number.POSITIVE_INFINITY): Promise<void> {
        await drain();
        while (this.heap.length > 0 && this.heap[0].at <= limit) {
            const timer = this.pop();
            this.t = timer.at;
            timer.resolve();
            await drain();
        }
    }

    private push(timer: Timer): void {
        const h = this.heap;
        h.push(timer);
        let i = h.length - 1;
        while (i > 0) {
            const parent = (i - 1) >> 1;
            if (before(h[parent], h[i])) break;
            [h[parent], h[i]] = [h[i], h[parent]];
            i = parent;
        }
    }

    private pop(): Timer {
        const h = this.heap;
        const top = h[0];
        const last = h.pop()!;
        if (h.length > 0) {
            h[0] = last;
            let i = 0;
            while (true) {
                const l = 2 * i + 1;
                const r = l + 1;
                let m = i;
                if (l < h.length && before(h[l], h[m])) m = l;
                if (r < h.length && before(h[r], h[m])) m = r;
                if (m === i) break;
                [h[m], h[i]] = [h[i], h[m]];
                i = m;
            }
        }
        return top;
    }
}

function before(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets every promise continuation that is ready run (they then wait on the clock again). */
function drain(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
}

// ---------------------------------------------------------------------------------------------
// The load balancer
// ---------------------------------------------------------------------------------------------

/** What a server does with a request at a time: answer, refuse the connection, or hang. */
export type ServerBehaviour = "up" | "refuse" | "hang";

export interface HealthCheckSettings {
    intervalMs: number;
    timeoutMs: number;
    healthyThreshold: number;
    unhealthyThreshold: number;
}

export const ALB_HEALTH_CHECK: HealthCheckSettings = {
    intervalMs: 5_000,
    timeoutMs: 3_000,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
};

/** One node's view of one target, advanced check by check. */
class NodeView {
    private nextCheck: number;
    private fails = 0;
    private successes = 0;
    healthy = true;

    constructor(
        phaseMs: number,
        private readonly settings: HealthCheckSettings,
    ) {
        this.nextCheck = phaseMs;
    }

    /** The node's verdict at time t (checks whose result is known by then). */
    at(t: number, behaviour: (t: number) => ServerBehaviour): boolean {
        const s = this.settings;
        while (true) {
            const start = this.nextCheck;
            const b = behaviour(start);
            const resultAt = b === "hang" ? start + s.timeoutMs : start;
            if (resultAt > t) break;
            if (b === "up") {
                this.fails = 0;
                this.successes += 1;
                if (this.successes >= s.healthyThreshold) this.healthy = true;
            } else {
                this.successes = 0;
                this.fails += 1;
                if (this.fails >= s.unhealthyThreshold) this.healthy = false;
            }
            this.nextCheck += s.intervalMs;
        }
        return this.healthy;
    }
}

export interface TargetSpec {
    id: string;
    /** What the server does at each moment. */
    behaviour: (t: number) => ServerBehaviour;
    /** Health-check phase of each ALB node for this target, ms in [0, interval). */
    phasesMs: number[];
    /** Report `unhealthy` with reason `Elb.InternalError` while this is true. */
    internalError?: (t: number) => boolean;
}

export class TargetGroupModel {
    private views: NodeView[][];

    constructor(
        readonly arn: string,
        readonly targets: TargetSpec[],
        settings: HealthCheckSettings = ALB_HEALTH_CHECK,
    ) {
        this.views = targets.map((target) => target.phasesMs.map((phase) => new NodeView(phase, settings)));
    }

    describe(t: number): TargetHealthDescription[] {
        return this.targets.map((target, i) => {
            if (target.internalError?.(t)) {
                return {
                    Target: { Id: target.id, Port: 80 },
                    TargetHealth: {
                        State: "unhealthy",
                        Reason: "Elb.InternalError",
                        Description: "Health checks failed due to an internal error",
                    },
                };
            }
            const healthy = this.views[i].map((view) => view.at(t, target.behaviour)).some(Boolean);
            return {
                Target: { Id: target.id, Port: 80 },
                TargetHealth: healthy
                    ? { State: "healthy" }
                    : { State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "Health checks failed" },
            };
        });
    }
}

// ---------------------------------------------------------------------------------------------
// The account
// ---------------------------------------------------------------------------------------------

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const LISTENER_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const ACTIVE_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/act-a1/73e2d6bc24d8a067`;
export const FAILOVER_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/fo-b1/5d1f2a8e9c3b4a71`;
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:web-alerts`;
export const TABLE_NAME = "web-controller-state";

export const WORLD_ENV: Record<string, string> = {
    LISTENER_ARN,
    ACTIVE_TARGET_GROUP_ARN: ACTIVE_TG,
    FAILOVER_TARGET_GROUP_ARN: FAILOVER_TG,
    TOPIC_ARN,
    TABLE_NAME,
    FAILBACK: "automatic",
};

/** A failure to inject: return an Error to make the call fail, a number to add latency (ms), or nothing. */
export type Fault = (
    command: string,
    input: Record<string, unknown>,
    t: number,
    /** The invocation making the call. */
    run?: string,
) => Error | number | undefined;

/** Every call's latency unless a test sets `World.latency` (ms). */
export const DEFAULT_LATENCY_MS = 50;

export interface Call {
    command: string;
    input: Record<string, unknown>;
    /** When the call was made. */
    at: number;
    /** The invocation that made it (its awsRequestId), when made inside `invoke`. */
    run?: string;
    /** Who held the lease in the table when the call was made. */
    holder?: string;
    error?: string;
}

/** A landed ModifyListener: who made it, and who held the lease in the table at that moment. */
export interface Move {
    /** When the call was made. */
    at: number;
    /** When ELB applied it. */
    appliedAt: number;
    weights: { active: number; failover: number };
    run?: string;
    holder?: string;
    expiresAt?: number;
}

/** An error as the SDK throws it: `$fault` "client" means the service rejected the request (nothing applied). */
function serviceError(name: string, message: string, fault: "client" | "server" = "client"): Error {
    return Object.assign(new Error(message), {
        name,
        $fault: fault,
        $metadata: { httpStatusCode: fault === "client" ? 400 : 500 },
    });
}

export function throttling(): Error {
    return serviceError("ThrottlingException", "Rate exceeded");
}

/** DynamoDB's 500: the request may or may not have been applied. */
export function internalServerError(): Error {
    return serviceError("InternalServerError", "Internal server error", "server");
}

/** The invocation a piece of code runs for (see `invoke`). */
const currentRun = new AsyncLocalStorage<string>();

/** Whether the lease holder's id (`<awsRequestId>` or `<awsRequestId>/<suffix>`) belongs to this invocation. */
export function runOf(holder: string | undefined, invocation: string | undefined): boolean {
    return (
        holder !== undefined &&
        invocation !== undefined &&
        (holder === invocation || holder.startsWith(`${invocation}/`))
    );
}

/** The simulated account. */
export class World {
    readonly clock: VirtualClock;
    readonly groups: Record<"active" | "failover", TargetGroupModel>;
    weights = { active: 100, failover: 0 };
    /** Replaces the forward action by something else (a misconfigured listener). */
    listenerActionsOverride: Action[] | null = null;
    readonly tags = new Map<string, string>();
    readonly table = new Map<string, Record<string, AttributeValue>>();
    /**
     * How far behind an eventually consistent read (`ConsistentRead` not true) may be: it returns
     * the item as it was this long before the read is served. 0: as a strongly consistent one.
     */
    eventualLagMs = 0;
    /** Every version of every item, with when it was written (for the lagging reads). */
    private readonly versions: Array<{ at: number; key: string; item: Record<string, AttributeValue> }> = [];
    readonly calls: Call[] = [];
    readonly published: Array<{ at: number; subject: string; message: string }> = [];
    /** Successful ModifyListener calls: when made and applied, the weights they set, by whom. */
    readonly moves: Move[] = [];
    latency: (command: string) => number = () => DEFAULT_LATENCY_MS;
    faults: Fault[] = [];
    /** Each Lambda invocation: when it was delivered and when the handler returned (and who held the lease then). */
    readonly invocations: Invocation[] = [];

    constructor(options: { start?: number; active?: TargetSpec[]; failover?: TargetSpec[] } = {}) {
        this.clock = new VirtualClock(options.start ?? 0);
        const healthy = (id: string): TargetSpec => ({ id, behaviour: () => "up", phasesMs: [1_000] });
        this.groups = {
            active: new TargetGroupModel(ACTIVE_TG, options.active ?? [healthy("i-active-1")]),
            failover: new TargetGroupModel(FAILOVER_TG, options.failover ?? [healthy("i-failover-1")]),
        };
    }

    defaultActions(): Action[] {
        if (this.listenerActionsOverride) return this.listenerActionsOverride;
        return [
            {
                Type: "forward",
                Order: 1,
                ForwardConfig: {
                    TargetGroups: [
                        { TargetGroupArn: ACTIVE_TG, Weight: this.weights.active },
                        { TargetGroupArn: FAILOVER_TG, Weight: this.weights.failover },
                    ],
                    TargetGroupStickinessConfig: { Enabled: false },
                },
            },
        ];
    }

    /** An operator's `aws elbv2 modify-listener`, now. */
    handEdit(weights: { active: number; failover: number }): void {
        this.weights = { ...weights };
    }

    /** The controller's saved state, as it sits in the table. */
    savedState(): Record<string, unknown> | null {
        const raw = this.table.get("controller")?.state?.S;
        return raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
    }

    /** Calls of one command, e.g. `callsOf("ModifyListener")`. */
    callsOf(command: string): Call[] {
        return this.calls.filter((c) => c.command === command);
    }

    /**
     * Moves made by a run that did not hold the lease when ELB applied them (another run held it,
     * or it had expired): what the lease exists to prevent. Empty when every move was the holder's.
     */
    unleasedMoves(): Move[] {
        return this.moves.filter((m) => !runOf(m.holder, m.run) || (m.expiresAt ?? 0) < m.appliedAt);
    }

    /**
     * Polls and moves (DescribeTargetHealth, DescribeListeners, ModifyListener) that a run which
     * held the lease at some point made while the table named another holder: two runs watching
     * and acting at once.
     */
    callsOutsideLease(): Call[] {
        const holders = [...new Set(this.calls.map((c) => c.holder).filter((h) => h !== undefined))];
        const held = (run: string | undefined) => holders.some((h) => runOf(h, run));
        return this.calls.filter(
            (c) =>
                /^(DescribeTargetHealth|DescribeListeners|ModifyListener)$/.test(c.command) &&
                held(c.run) &&
                !runOf(c.holder, c.run),
        );
    }

    /** Invocations that returned while the table still named them as the lease holder (an orphaned lease). */
    orphanedLeases(): Invocation[] {
        return this.invocations.filter((i) => i.end !== undefined && runOf(i.holderAtEnd, i.id));
    }

    /** One AWS call: record it, apply the faults and latency, then answer. */
    private async call<T>(
        command: string,
        input: Record<string, unknown>,
        answer: (t: number, call: Call) => T,
    ): Promise<T> {
        const at = this.clock.now();
        const holder = this.table.get("controller")?.holder?.S;
        const record: Call = { command, input, at, run: currentRun.getStore(), holder };
        this.calls.push(record);
        let extra = 0;
        for (const fault of this.faults) {
            const f = fault(command, input, at, record.run);
            if (f instanceof Error) {
                const latency = this.latency(command);
                await this.clock.sleep(Number.isFinite(latency) ? latency : 50);
                record.error = f.name;
                throw f;
            }
            if (typeof f === "number") extra += f;
        }
        const latency = this.latency(command) + extra;
        if (latency === Number.POSITIVE_INFINITY) {
            // A call that never answers: only the caller's timeout ends it.
            return new Promise<T>(() => undefined);
        }
        // The service acts half-way (the request arrives), the answer comes back at the end.
        await this.clock.sleep(latency / 2);
        const result = answer(this.clock.now(), record);
        await this.clock.sleep(latency / 2);
        return result;
    }

    /** Stand-ins for the SDK clients the handler takes. */
    clients(): Clients {
        const elbv2 = {
            send: (command: unknown) => {
                if (command instanceof DescribeTargetHealthCommand) {
                    const arn = command.input.TargetGroupArn;
                    return this.call("DescribeTargetHealth", { ...command.input }, (t) => {
                        const group =
                            arn === ACTIVE_TG
                                ? this.groups.active
                                : arn === FAILOVER_TG
                                  ? this.groups.failover
                                  : undefined;
                        if (!group)
                            throw Object.assign(new Error(`no target group ${arn}`), {
                                name: "TargetGroupNotFoundException",
                            });
                        return { TargetHealthDescriptions: group.describe(t) };
                    });
                }
                if (command instanceof DescribeListenersCommand) {
                    return this.call("DescribeListeners", { ...command.input }, () => ({
                        Listeners: [
                            {
                                ListenerArn: LISTENER_ARN,
                                Port: 443,
                                Protocol: "HTTPS",
                                DefaultActions: structuredClone(this.defaultActions()),
                            },
                        ],
                    }));
                }
                if (command instanceof ModifyListenerCommand) {
                    const input = command.input;
                    return this.call("ModifyListener", { ...input }, (_t, call) => {
                        const forward = input.DefaultActions?.find((a) => a.Type === "forward");
                        const groups = forward?.ForwardConfig?.TargetGroups ?? [];
                        const weight = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight ?? 0;
                        this.weights = { active: weight(ACTIVE_TG), failover: weight(FAILOVER_TG) };
                        const lease = this.table.get("controller");
                        this.moves.push({
                            at: call.at,
                            appliedAt: this.clock.now(),
                            weights: { ...this.weights },
                            run: call.run,
                            holder: lease?.holder?.S,
                            expiresAt: lease?.expiresAt?.N !== undefined ? Number(lease.expiresAt.N) : undefined,
                        });
                        return { Listeners: [{ ListenerArn: LISTENER_ARN, DefaultActions: input.DefaultActions }] };
                    });
                }
                if (command instanceof DescribeTagsCommand) {
                    return this.call("DescribeTags", { ...command.input }, () => ({
                        TagDescriptions: [
                            { ResourceArn: LISTENER_ARN, Tags: [...this.tags].map(([Key, Value]) => ({ Key, Value })) },
                        ],
                    }));
                }
                throw new Error(`the simulated ELB does not answer ${(command as object).constructor.name}`);
            },
        };
        const dynamodb = {
            send: (command: unknown) => {
                if (command instanceof GetItemCommand) {
                    return this.call("GetItem", { ...command.input }, (t) => {
                        const key = command.input.Key!.id.S!;
                        const stale = command.input.ConsistentRead !== true && this.eventualLagMs > 0;
                        const item = stale ? this.versionAt(key, t - this.eventualLagMs) : this.table.get(key);
                        return { Item: item ? structuredClone(item) : undefined };
                    });
                }
                if (command instanceof UpdateItemCommand) {
                    return this.call("UpdateItem", { ...command.input }, () => this.updateItem(command.input));
                }
                throw new Error(`the simulated DynamoDB does not answer ${(command as object).constructor.name}`);
            },
        };
        const sns = {
            send: (command: unknown) => {
                if (command instanceof PublishCommand) {
                    return this.call("Publish", { ...command.input }, (t) => {
                        this.published.push({
                            at: t,
                            subject: command.input.Subject ?? "",
                            message: command.input.Message ?? "",
                        });
                        return { MessageId: `msg-${this.published.length}` };
                    });
                }
                throw new Error(`the simulated SNS does not answer ${(command as object).constructor.name}`);
            },
        };
        return { elbv2, dynamodb, sns } as unknown as Clients;
    }

    /** The item as it was at `t`. */
    private versionAt(key: string, t: number): Record<string, AttributeValue> | undefined {
        let found: Record<string, AttributeValue> | undefined;
        for (const v of this.versions) if (v.key === key && v.at <= t) found = v.item;
        return found;
    }

    private updateItem(input: UpdateItemCommand["input"]): { Attributes?: Record<string, AttributeValue> } {
        const key = input.Key!.id.S!;
        const old = this.table.get(key);
        const names = input.ExpressionAttributeNames ?? {};
        const values = input.ExpressionAttributeValues ?? {};
        validateExpressions([input.UpdateExpression ?? "", input.ConditionExpression ?? ""], names, values);
        const item = old ? structuredClone(old) : undefined;
        if (input.ConditionExpression && !evaluateCondition(input.ConditionExpression, item, names, values)) {
            throw serviceError("ConditionalCheckFailedException", "The conditional request failed");
        }
        const next: Record<string, AttributeValue> = item ?? { id: { S: key } };
        applyUpdate(input.UpdateExpression ?? "", next, names, values);
        this.table.set(key, next);
        if (this.eventualLagMs > 0) this.versions.push({ at: this.clock.now(), key, item: structuredClone(next) });
        if (input.ReturnValues === "ALL_OLD") return { Attributes: old ? structuredClone(old) : undefined };
        if (input.ReturnValues === "ALL_NEW") return { Attributes: structuredClone(next) };
        return {};
    }
}

// ---------------------------------------------------------------------------------------------
// DynamoDB expressions (the subset the controller writes)
// ---------------------------------------------------------------------------------------------

/**
 * DynamoDB rejects (ValidationException, nothing applied) a request whose expressions use a name
 * or value it does not define, or that defines one they do not use.
 */
export function validateExpressions(
    expressions: string[],
    names: Record<string, string>,
    values: Record<string, AttributeValue>,
): void {
    const used = new Set(expressions.flatMap((e) => e.match(/[#:][A-Za-z0-9_]+/g) ?? []));
    const undefinedRefs = [...used].filter((t) => (t.startsWith("#") ? !(t in names) : !(t in values)));
    if (undefinedRefs.length > 0) {
        throw serviceError(
            "ValidationException",
            `Invalid expression: an expression attribute name or value used in an expression is not defined: ${undefinedRefs.join(", ")}`,
        );
    }
    const unusedNames = Object.keys(names).filter((n) => !used.has(n));
    const unusedValues = Object.keys(values).filter((v) => !used.has(v));
    if (unusedNames.length > 0 || unusedValues.length > 0) {
        throw serviceError(
            "ValidationException",
            `Value provided in ExpressionAttributeNames or ExpressionAttributeValues unused in expressions: keys: {${[...unusedNames, ...unusedValues].join(", ")}}`,
        );
    }
}

function compare(a: AttributeValue | undefined, b: AttributeValue | undefined): number | null {
    if (!a || !b) return null;
    if (a.N !== undefined && b.N !== undefined) return Number(a.N) - Number(b.N);
    if (a.S !== undefined && b.S !== undefined) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
    return null;
}

/** A condition of `attribute_exists`, `attribute_not_exists`, `=`, `<>`, `<`, `>`, AND, OR and parentheses. */
export function evaluateCondition(
    expression: string,
    item: Record<string, AttributeValue> | undefined,
    names: Record<string, string>,
    values: Record<string, AttributeValue>,
): boolean {
    const tokens = expression.match(/attribute_not_exists|attribute_exists|<>|[()<>=]|AND|OR|[#:][A-Za-z0-9_]+/g) ?? [];
    let i = 0;
    const attr = (token: string) => item?.[names[token] ?? token];
    const operand = (token: string) => (token.startsWith(":") ? values[token] : attr(token));
    const primary = (): boolean => {
        const token = tokens[i++];
        if (token === "(") {
            const v = or();
            i++; // ")"
            return v;
        }
        if (token === "attribute_exists" || token === "attribute_not_exists") {
            i++; // "("
            const name = tokens[i++];
            i++; // ")"
            const exists = attr(name) !== undefined;
            return token === "attribute_exists" ? exists : !exists;
        }
        const op = tokens[i++];
        const right = tokens[i++];
        const c = compare(operand(token), operand(right));
        // A missing attribute (or a value of another type) is not equal to anything, and neither
        // less nor greater than anything: `<>` is true, `=`, `<` and `>` are false.
        if (c === null) return op === "<>";
        if (op === "<>") return c !== 0;
        return op === "=" ? c === 0 : op === "<" ? c < 0 : c > 0;
    };
    const and = (): boolean => {
        let v = primary();
        while (tokens[i] === "AND") {
            i++;
            const r = primary();
            v = v && r;
        }
        return v;
    };
    const or = (): boolean => {
        let v = and();
        while (tokens[i] === "OR") {
            i++;
            const r = and();
            v = v || r;
        }
        return v;
    };
    return or();
}

/** `SET #a = :x, #b = :y REMOVE #c, #d`. */
export function applyUpdate(
    expression: string,
    item: Record<string, AttributeValue>,
    names: Record<string, string>,
    values: Record<string, AttributeValue>,
): void {
    const sections = expression.split(/\b(?=SET |REMOVE )/);
    for (const section of sections) {
        const body = section.replace(/^(SET|REMOVE)\s+/, "");
        if (section.startsWith("SET")) {
            for (const assignment of body.split(",")) {
                const [name, value] = assignment.split("=").map((s) => s.trim());
                item[names[name] ?? name] = structuredClone(values[value]);
            }
        } else if (section.startsWith("REMOVE")) {
            for (const name of body.split(",").map((s) => s.trim())) delete item[names[name] ?? name];
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lambda
// ---------------------------------------------------------------------------------------------

export type Handler = (
    event: unknown,
    context?: { getRemainingTimeInMillis?: () => number; awsRequestId?: string },
) => Promise<unknown>;

export const SCHEDULED_EVENT = { source: "aws.events", "detail-type": "Scheduled Event" };

export interface Invocation {
    /** The awsRequestId it was given. */
    id: string;
    start: number;
    end?: number;
    result?: unknown;
    /** Who held the lease in the table when the handler returned. */
    holderAtEnd?: string;
}

let invocations = 0;

/**
 * One invocation as Lambda runs it: after `coldStartMs` (the runtime starting), the handler runs
 * with a context whose remaining time counts down to `timeoutMs` from the invocation.
 */
export async function invoke(
    world: World,
    handler: Handler,
    event: unknown,
    options: { timeoutMs?: number; coldStartMs?: number; id?: string } = {},
): Promise<unknown> {
    const start = world.clock.now();
    invocations += 1;
    const id = options.id ?? `req-${invocations}`;
    const record: Invocation = { id, start };
    world.invocations.push(record);
    const deadline = start + (options.timeoutMs ?? 260_000);
    if (options.coldStartMs) await world.clock.sleep(options.coldStartMs);
    const result = await currentRun.run(id, () =>
        handler(event, {
            getRemainingTimeInMillis: () => deadline - world.clock.now(),
            awsRequestId: id,
        }),
    );
    record.end = world.clock.now();
    record.result = result;
    record.holderAtEnd = world.table.get("controller")?.holder?.S;
    return result;
}

/** The EventBridge schedule: an invocation every `periodMs`, each `delay()` ms late (jitter, cold start). */
export function schedule(
    world: World,
    handler: Handler,
    options: {
        periodMs?: number;
        first?: number;
        count: number;
        delay?: (i: number) => number;
        coldStartMs?: (i: number) => number;
    },
): Promise<unknown>[] {
    const period = options.periodMs ?? 60_000;
    const first = options.first ?? world.clock.now();
    return Array.from({ length: options.count }, async (_, i) => {
        await world.clock.sleep(first + i * period + (options.delay?.(i) ?? 0) - world.clock.now());
        return invoke(world, handler, SCHEDULED_EVENT, { coldStartMs: options.coldStartMs?.(i) });
    });
}

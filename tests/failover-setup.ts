/**
 * What the failover controller's simulation tests share: a server that goes down in given windows,
 * and a simulated account with the real handler, its log and the schedule
 * (scripts/failover-world.ts).
 */
import { createHandler } from "../lambda/failover/handler";
import { EMPTY_PERSISTED, type PersistedState } from "../lambda/failover/controller";
import type { LogRecord } from "../lambda/failover/runtime";
import { schedule, World, WORLD_ENV, type ServerBehaviour, type TargetSpec } from "../scripts/failover-world";

export const MIN = 60_000;

/** A server that is up except within the given windows, where it refuses connections (or hangs). */
export function server(
    id: string,
    down: Array<[from: number, to: number]> = [],
    mode: ServerBehaviour = "refuse",
    phase = 1_000,
): TargetSpec {
    return {
        id,
        phasesMs: [phase],
        behaviour: (t) => (down.some(([from, to]) => t >= from && t < to) ? mode : "up"),
    };
}

export interface Setup {
    world: World;
    logs: Array<LogRecord & { t: number }>;
    handler: ReturnType<typeof createHandler>;
    /** Runs the schedule (one invocation a minute, from now) and the clock for `minutes`. */
    runMinutes(minutes: number, options?: { delay?: (i: number) => number }): Promise<void>;
    events(name: string): Array<LogRecord & { t: number }>;
}

export function setup(
    options: {
        active?: TargetSpec[];
        failover?: TargetSpec[];
        state?: Partial<PersistedState> | null;
        env?: Record<string, string>;
    } = {},
): Setup {
    const world = new World({ active: options.active, failover: options.failover });
    if (options.state !== null) {
        const state = { ...EMPTY_PERSISTED, armed: true, lastPosition: "active", ...options.state };
        world.table.set("controller", { id: { S: "controller" }, state: { S: JSON.stringify(state) } });
    }
    const logs: Setup["logs"] = [];
    const handler = createHandler({
        env: { ...WORLD_ENV, ...options.env },
        clients: world.clients(),
        clock: world.clock,
        log: (r) => logs.push({ t: world.clock.now(), ...r }),
    });
    return {
        world,
        logs,
        handler,
        async runMinutes(minutes, runOptions = {}) {
            const start = world.clock.now();
            void schedule(world, handler, { count: minutes, first: start, delay: runOptions.delay ?? (() => 300) });
            await world.clock.run(start + minutes * MIN);
        },
        events: (name) => logs.filter((l) => l.event === name),
    };
}

/** Seconds from `t` to the first move at or after it. */
export const movedAfter = (world: World, t: number) => (world.moves.find((m) => m.at >= t)!.at - t) / 1000;

/** The controller's DynamoDB writes, told apart by their expressions (store.ts). */
const updateExpression = (command: string, input: Record<string, unknown>) =>
    command === "UpdateItem" ? String(input.UpdateExpression) : undefined;
/** A handover: the lease given to the waiting successor. */
export const isHandover = (command: string, input: Record<string, unknown>) =>
    updateExpression(command, input)?.startsWith("SET #holder = :successor") === true;
/** A take-back (or an acquire: the same write, under another condition). */
export const isReclaim = (command: string, input: Record<string, unknown>) =>
    updateExpression(command, input) === "SET #holder = :me, #expiresAt = :exp";
/** A renewal (an acknowledgement is one). */
export const isRenewal = (command: string, input: Record<string, unknown>) =>
    command === "UpdateItem" && String(input.ConditionExpression) === "#holder = :me";
/** The record of a move about to be made. */
export const isPendingWrite = (command: string, input: Record<string, unknown>) =>
    updateExpression(command, input)?.startsWith("SET #pendingMove") === true;

/** The largest gap between two polls of the active group, and when the last one was. */
export function pollGaps(s: Setup, from = -Infinity, to = Infinity): { last: number; largest: number } {
    const polls = s.world
        .callsOf("DescribeTargetHealth")
        .filter((c) => c.input.TargetGroupArn === s.world.groups.active.arn && c.at > from && c.at < to)
        .map((c) => c.at);
    return { last: polls[polls.length - 1], largest: Math.max(...polls.slice(1).map((t, i) => t - polls[i])) };
}

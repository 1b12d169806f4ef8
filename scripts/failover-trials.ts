/**
 * Failover trials on the simulated account (scripts/failover-world.ts): the real handler, a
 * relay of runs, the whole active pool dying at a chosen moment, and how long it takes until the
 * controller's ModifyListener call. Shared by `npm run bench:failover` (thousands of them) and by
 * the test that holds `failoverCallSeconds` above what they measure.
 *
 * Latency is per call. Typical calls take 20-150 ms; 1 % take anything up to the call's own
 * timeout (CALL_TIMEOUTS_MS: every latency the controller accepts is a latency it must cope
 * with); 0.1 % never answer. The sweeps put every call at one latency: 150 ms, half its timeout,
 * or just under it, and optionally make the first poll that could see the pool dead time out.
 */
import { createHandler } from "../lambda/failover/handler";
import { DEFAULT_CONFIG } from "../lambda/failover/config";
import { CALL_TIMEOUTS_MS } from "../lambda/failover/runtime";
import {
    invoke,
    SCHEDULED_EVENT,
    World,
    WORLD_ENV,
    type Handler,
    type ServerBehaviour,
    type TargetSpec,
} from "./failover-world";

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same trials. */
export function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export type Failure = "refuse" | "hang";

export interface Scenario {
    name: string;
    failure: Failure;
    targets: number;
    nodes: number;
    /** The next run takes over around the failure. */
    handover: boolean;
    coldStart: boolean;
}

export const SCENARIOS: Scenario[] = (["refuse", "hang"] as const).flatMap((failure) => [
    { name: `${failure}: 1 target, 1 ALB node`, failure, targets: 1, nodes: 1, handover: false, coldStart: false },
    { name: `${failure}: 2 targets × 2 ALB nodes`, failure, targets: 2, nodes: 2, handover: false, coldStart: false },
    {
        name: `${failure}: next run takes over (jitter)`,
        failure,
        targets: 1,
        nodes: 1,
        handover: true,
        coldStart: false,
    },
    { name: `${failure}: next run starts cold`, failure, targets: 1, nodes: 1, handover: true, coldStart: true },
]);

/** One trial's alignment: every choice that moves the result. */
export interface Alignment {
    /** When the holder starts (ms): with `death`, the phase of its poll grid relative to the death. */
    pollPhase: number;
    /**
     * Death, ms after warm-up plus one poll interval (never relative to the holder's start, or the
     * poll grid would never move relative to the death).
     */
    death: number;
    /** Health-check phase of each (target, node) relative to the death (ms in [0, 5000)). */
    phases: number[][];
    /** When the next run arrives, relative to the death (ms); undefined: not near. */
    successorAt?: number;
    coldStartMs: number;
    /** Each call's latency (ms; Infinity: no answer). */
    latency: (command: string) => number;
    /** The first poll whose answer would show the active group dead gets no answer. */
    timedOutPoll?: boolean;
}

/** The controller's own timeout for a call of this command (ms). */
export function timeoutOf(command: string): number {
    if (command === "ModifyListener") return CALL_TIMEOUTS_MS.elbWrite;
    if (command.startsWith("Describe")) return CALL_TIMEOUTS_MS.elb;
    if (command === "Publish") return CALL_TIMEOUTS_MS.sns;
    return CALL_TIMEOUTS_MS.db;
}

/** Typical calls 20-150 ms; 1 % anything up to just under the call's timeout; 0.1 % no answer. */
export const typicalLatency =
    (r: () => number) =>
    (command: string): number => {
        const x = r();
        if (x < 0.001) return Number.POSITIVE_INFINITY;
        if (x < 0.011) return 150 + r() * (timeoutOf(command) - 160);
        return 20 + r() * 130;
    };

/** Every call at one latency: "150" ms, "half" its timeout, or "near" it (10 ms under). */
export type LatencyLevel = "150" | "half" | "near";
export const fixedLatency =
    (level: LatencyLevel) =>
    (command: string): number =>
        level === "150" ? 150 : level === "half" ? timeoutOf(command) / 2 : timeoutOf(command) - 10;

export const WARM_UP_MS = 5_000;
/** The controller's poll interval (ms): the sweeps cover every phase of the poll grid within it. */
export const POLL_MS = DEFAULT_CONFIG.pollIntervalSeconds * 1000;

/** The seconds from death to the ModifyListener call, or Infinity when there was none in 60 s. */
export async function trial(scenario: Scenario, a: Alignment, inspect?: (world: World) => void): Promise<number> {
    const death = WARM_UP_MS + POLL_MS + a.death;
    const behaviour = (t: number): ServerBehaviour => (t >= death ? scenario.failure : "up");
    const active: TargetSpec[] = a.phases.map((nodePhases, i) => ({
        id: `i-active-${i}`,
        behaviour,
        // Phases relative to the death: a check at death + phase - k * 5 s for every k.
        phasesMs: nodePhases.map((p) => (((death + p) % 5_000) + 5_000) % 5_000),
    }));
    const world = new World({ active });
    world.latency = a.latency;
    if (a.timedOutPoll) {
        let done = false;
        const dead = (t: number) => world.groups.active.describe(t).every((d) => d.TargetHealth?.State !== "healthy");
        world.faults.push((command, input, t) => {
            if (done || command !== "DescribeTargetHealth" || input.TargetGroupArn !== world.groups.active.arn) {
                return undefined;
            }
            const arrives = t + Math.min(a.latency(command), timeoutOf(command)) / 2;
            if (!dead(arrives)) return undefined;
            done = true;
            return Number.POSITIVE_INFINITY;
        });
    }
    world.table.set("controller", {
        id: { S: "controller" },
        state: {
            S: JSON.stringify({
                armed: true,
                hold: false,
                lastPosition: "active",
                activeHealthySince: null,
                reported: null,
                holdDownLevel: 0,
                lastFailbackAt: null,
            }),
        },
    });
    const handler: Handler = createHandler({
        env: WORLD_ENV,
        clients: world.clients(),
        clock: world.clock,
        log: () => undefined,
    });
    void (async () => {
        await world.clock.sleep(a.pollPhase);
        await invoke(world, handler, SCHEDULED_EVENT);
    })();
    if (a.successorAt !== undefined) {
        void (async () => {
            await world.clock.sleep(Math.max(0, death + a.successorAt! - world.clock.now()));
            await invoke(world, handler, SCHEDULED_EVENT, { coldStartMs: a.coldStartMs });
        })();
    }
    await world.clock.run(death + 60_000, () => world.moves.length > 0);
    inspect?.(world);
    return world.moves.length > 0 ? (world.moves[0].at - death) / 1000 : Number.POSITIVE_INFINITY;
}

export function randomAlignment(s: Scenario, r: () => number): Alignment {
    return {
        pollPhase: r() * POLL_MS,
        death: r() * 5_000,
        phases: Array.from({ length: s.targets }, () => Array.from({ length: s.nodes }, () => r() * 5_000)),
        successorAt: s.handover ? -6_000 + r() * 21_000 : undefined,
        coldStartMs: s.coldStart ? 1_500 + r() * 3_000 : 0,
        latency: typicalLatency(r),
    };
}

/**
 * How finely a sweep covers each dimension (ms): the check before the death (how far back from
 * it), the death's moment relative to the holder's start (across a whole renewal period, so
 * across both the poll grid and the renewals, hence the handovers), the successor's arrival.
 */
export interface SweepGrid {
    check: number;
    death: number;
    successor: number;
}

/**
 * The benchmark's grid: 2 checks before the death; the death in 50 ms steps over the 5 s renewal
 * period (so every 50 ms phase of the 0.8 s poll grid against every renewal, hence handover,
 * moment); the successor every 3 s (what matters is which renewal finds it waiting).
 */
export const SWEEP_GRID: SweepGrid = { check: 200, death: 50, successor: 3_000 };

/** The renewal period: the holder's renewals (and so its handovers) repeat with it. */
const RENEW_MS = DEFAULT_CONFIG.renewSeconds * 1000;

/**
 * The worst alignments, swept: the last check before the death just before it (so the second
 * failed check comes as late as it can), the death at every moment of the holder's renewal
 * period (every phase of its poll grid, every renewal and handover moment), every handover moment
 * (the successor arriving from 6 s before the death to 15 s after it); every call at `level`, and
 * with `timedOutPoll` the poll that would first see the pool dead lost.
 */
export function sweep(
    s: Scenario,
    level: LatencyLevel,
    timedOutPoll: boolean,
    grid: SweepGrid = SWEEP_GRID,
): Alignment[] {
    const out: Alignment[] = [];
    const successors = s.handover
        ? Array.from({ length: Math.floor(21_000 / grid.successor) + 1 }, (_, i) => -6_000 + i * grid.successor)
        : [undefined];
    // The check before the death from 5 ms before it back to 0.4 s before.
    for (let check = 4_995; check > 4_600; check -= grid.check) {
        for (let death = 0; death < RENEW_MS; death += grid.death) {
            for (const successorAt of successors) {
                out.push({
                    pollPhase: 0,
                    death,
                    phases: Array.from({ length: s.targets }, () => Array.from({ length: s.nodes }, () => check)),
                    successorAt,
                    coldStartMs: s.coldStart ? 4_500 : 0,
                    latency: fixedLatency(level),
                    timedOutPoll,
                });
            }
        }
    }
    return out;
}

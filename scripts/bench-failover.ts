/**
 * npm run bench:failover: how long the real failover controller takes, from "the whole active
 * pool dies" to its ModifyListener call, on a simulated clock against a simulated ALB
 * (scripts/failover-world.ts: each node health-checks each target at its own phase, out after 2
 * failed checks; API calls take 20-150 ms, 1 % of them up to 600 ms).
 *
 * Scenarios: servers that refuse connections or hang (each check then waits its 3 s timeout),
 * each with one target seen by one ALB node, two targets seen by two nodes, the next scheduled
 * run taking over at any moment around the failure (EventBridge delivers "within the minute"),
 * and that run starting cold (1.5-4.5 s). Each gets `--trials` random trials (default 5,000) plus a
 * sweep of the worst alignments of health checks, polls and handovers. Then one simulated hour of
 * normal operation: ELB calls per second, DynamoDB requests, Lambda time, the monthly cost.
 *
 * The last line is exactly: `failover worst case: refuse <R> s, hang <H> s (<N> trials per scenario)`.
 */
import { createHandler } from "../lambda/failover/handler";
import {
    invoke,
    schedule,
    SCHEDULED_EVENT,
    World,
    WORLD_ENV,
    type Handler,
    type ServerBehaviour,
    type TargetSpec,
} from "./failover-world";

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same trials. */
function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

type Failure = "refuse" | "hang";

interface Scenario {
    name: string;
    failure: Failure;
    targets: number;
    nodes: number;
    /** The next run takes over around the failure. */
    handover: boolean;
    coldStart: boolean;
}

/** One trial's alignment: every choice that moves the result. */
interface Alignment {
    /** When the holder started, so the poll grid's phase (ms). */
    pollPhase: number;
    /** Death, ms after the holder's start + warm-up. */
    death: number;
    /** Health-check phase of each (target, node) relative to the death (ms in [0, 5000)). */
    phases: number[][];
    /** When the next run arrives, relative to the death (ms); undefined: not near. */
    successorAt?: number;
    coldStartMs: number;
    latency: () => number;
}

const LATENCY = (r: () => number) => () => (r() < 0.01 ? 150 + r() * 450 : 20 + r() * 130);
const WARM_UP_MS = 5_000;

/** The seconds from death to the ModifyListener call, or Infinity when there was none in 60 s. */
async function trial(scenario: Scenario, a: Alignment): Promise<number> {
    const death = WARM_UP_MS + a.pollPhase + a.death;
    const behaviour = (t: number): ServerBehaviour => (t >= death ? scenario.failure : "up");
    const active: TargetSpec[] = a.phases.map((nodePhases, i) => ({
        id: `i-active-${i}`,
        behaviour,
        // Phases relative to the death: a check at death + phase - k * 5 s for every k.
        phasesMs: nodePhases.map((p) => (((death + p) % 5_000) + 5_000) % 5_000),
    }));
    const world = new World({ active });
    world.latency = a.latency;
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
    return world.moves.length > 0 ? (world.moves[0].at - death) / 1000 : Number.POSITIVE_INFINITY;
}

function randomAlignment(s: Scenario, r: () => number): Alignment {
    return {
        pollPhase: r() * 1000,
        death: r() * 5_000,
        phases: Array.from({ length: s.targets }, () => Array.from({ length: s.nodes }, () => r() * 5_000)),
        successorAt: s.handover ? -6_000 + r() * 21_000 : undefined,
        coldStartMs: s.coldStart ? 1_500 + r() * 3_000 : 0,
        latency: LATENCY(r),
    };
}

/**
 * The worst alignments, swept: the last check before the death just before it (so the second
 * failed check comes as late as it can), every poll phase, every handover moment, the slowest
 * typical latency.
 */
function sweep(s: Scenario): Alignment[] {
    const out: Alignment[] = [];
    const slow = () => 150;
    for (let check = 4_500; check < 5_000; check += 50) {
        for (let poll = 0; poll < 1000; poll += 100) {
            const successors = s.handover ? Array.from({ length: 22 }, (_, i) => -6_000 + i * 1_000) : [undefined];
            for (const successorAt of successors) {
                out.push({
                    pollPhase: poll,
                    death: 1_000,
                    phases: Array.from({ length: s.targets }, () => Array.from({ length: s.nodes }, () => check)),
                    successorAt,
                    coldStartMs: s.coldStart ? 4_500 : 0,
                    latency: slow,
                });
            }
        }
    }
    return out;
}

function quantile(sorted: number[], q: number): number {
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** One simulated hour of normal operation: the API budget and what it costs. */
async function steadyState(): Promise<Record<string, number>> {
    const r = rng(7);
    const world = new World();
    world.latency = LATENCY(r);
    const handler: Handler = createHandler({
        env: WORLD_ENV,
        clients: world.clients(),
        clock: world.clock,
        log: () => undefined,
    });
    const minutes = 60;
    void schedule(world, handler, {
        count: minutes + 2,
        delay: () => r() * 2_000,
        coldStartMs: () => (r() < 0.05 ? 1_500 + r() * 3_000 : 0),
    });
    // Start measuring once the first run holds the lease.
    await world.clock.run(60_000);
    const elb0 = world.calls.filter((c) => /^Describe|^Modify/.test(c.command)).length;
    const writes0 = world.callsOf("UpdateItem").length;
    const reads0 = world.callsOf("GetItem").length;
    const t0 = world.clock.now();
    await world.clock.run(t0 + minutes * 60_000);
    const seconds = (world.clock.now() - t0) / 1000;
    const elb = world.calls.filter((c) => /^Describe|^Modify/.test(c.command)).length - elb0;
    const writes = world.callsOf("UpdateItem").length - writes0;
    const reads = world.callsOf("GetItem").length - reads0;
    // Each invocation's billed time: from its delivery to its return (a cold start's init is billed too).
    const done = world.invocations.filter((i) => i.end !== undefined && i.start >= t0 && i.end <= world.clock.now());
    const invocationSeconds = done.reduce((a, i) => a + (i.end! - i.start), 0) / done.length / 1000;
    const month = 730 * 60; // minutes
    const lambda = month * invocationSeconds * 0.125 * 0.0000133334 + (month / 1e6) * 0.2;
    const dynamo = ((writes / minutes) * month * 0.625) / 1e6 + ((reads / minutes) * month * 0.125) / 1e6;
    return {
        elbCallsPerSecond: elb / seconds,
        dynamoWritesPerMinute: writes / minutes,
        dynamoReadsPerMinute: reads / minutes,
        invocationSeconds,
        lambdaPerMonth: lambda,
        dynamoPerMonth: dynamo,
    };
}

async function main(): Promise<void> {
    const arg = (name: string, fallback: number) => {
        const i = process.argv.indexOf(`--${name}`);
        return i >= 0 ? Number(process.argv[i + 1]) : fallback;
    };
    const trials = arg("trials", 5_000);
    const scenarios: Scenario[] = (["refuse", "hang"] as const).flatMap((failure) => [
        { name: `${failure}: 1 target, 1 ALB node`, failure, targets: 1, nodes: 1, handover: false, coldStart: false },
        {
            name: `${failure}: 2 targets × 2 ALB nodes`,
            failure,
            targets: 2,
            nodes: 2,
            handover: false,
            coldStart: false,
        },
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
    const started = Date.now();
    console.log(
        `failover benchmark: ${trials} random trials + a sweep of the worst alignments per scenario (node ${process.version})`,
    );
    console.log("");
    console.log("| scenario | trials | min | median | p99 | max |");
    console.log("|---|---|---|---|---|---|");
    const worst: Record<Failure, number> = { refuse: 0, hang: 0 };
    let perScenario = Number.POSITIVE_INFINITY;
    for (const [i, scenario] of scenarios.entries()) {
        const r = rng(1000 + i);
        const alignments = [...Array.from({ length: trials }, () => randomAlignment(scenario, r)), ...sweep(scenario)];
        const results: number[] = [];
        for (const a of alignments) results.push(await trial(scenario, a));
        results.sort((x, y) => x - y);
        const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "none");
        console.log(
            `| ${scenario.name} | ${results.length} | ${f(results[0])} s | ${f(quantile(results, 0.5))} s | ${f(quantile(results, 0.99))} s | ${f(results[results.length - 1])} s |`,
        );
        worst[scenario.failure] = Math.max(worst[scenario.failure], results[results.length - 1]);
        perScenario = Math.min(perScenario, results.length);
    }
    const steady = await steadyState();
    console.log("");
    console.log(
        `normal operation (1 simulated hour): ${steady.elbCallsPerSecond.toFixed(2)} ELB API calls/s, ` +
            `DynamoDB ${steady.dynamoWritesPerMinute.toFixed(1)} writes and ${steady.dynamoReadsPerMinute.toFixed(1)} reads a minute, ` +
            `${steady.invocationSeconds.toFixed(1)} s per invocation`,
    );
    console.log(
        `monthly cost (us-east-1, 128 MB arm64 Lambda, DynamoDB on demand): Lambda $${steady.lambdaPerMonth.toFixed(2)}, DynamoDB $${steady.dynamoPerMonth.toFixed(2)}`,
    );
    console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s of wall time)`);
    console.log(
        `failover worst case: refuse ${worst.refuse.toFixed(2)} s, hang ${worst.hang.toFixed(2)} s (${perScenario} trials per scenario)`,
    );
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});

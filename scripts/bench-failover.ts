/**
 * npm run bench:failover: how long the real failover controller takes, from "the whole active
 * pool dies" to its ModifyListener call, on a simulated clock against a simulated ALB
 * (scripts/failover-world.ts: each node health-checks each target at its own phase, out after 2
 * failed checks), with the trials of scripts/failover-trials.ts.
 *
 * Scenarios: servers that refuse connections or hang (each check then waits its 3 s timeout),
 * each with one target seen by one ALB node, two targets seen by two nodes, the next scheduled
 * run taking over at any moment around the failure (EventBridge delivers "within the minute"),
 * and that run starting cold (1.5-4.5 s). Each gets `--trials` random trials (default 5,000; calls
 * 20-150 ms, 1 % up to their timeout, 0.1 % lost) plus sweeps of the worst alignments of health
 * checks, polls and handovers: every call at 150 ms; and every call at half its timeout and just
 * under it, each with and without the poll that would first see the pool dead timing out.
 * Then one simulated hour of normal operation (both schedules): ELB calls per second, DynamoDB
 * requests (and read units: an eventually consistent read is half of one) and the item's size,
 * Lambda time, the monthly cost. `--steady` runs only that hour (about a second).
 *
 * The last line is exactly: `failover worst case: refuse <R> s, hang <H> s (<N> trials per scenario)`.
 */
import * as os from "os";
import { createHandler } from "../lambda/failover/handler";
import { schedule, World, WORLD_ENV, type Handler } from "./failover-world";
import {
    randomAlignment,
    rng,
    SCENARIOS,
    sweep,
    trial,
    typicalLatency,
    type Alignment,
    type Failure,
    type LatencyLevel,
} from "./failover-trials";

function quantile(sorted: number[], q: number): number {
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** DynamoDB's size of an item (attribute names and values; numbers approximated by their digits). */
function itemBytes(item: Record<string, { S?: string; N?: string }> | undefined): number {
    if (!item) return 0;
    return Object.entries(item).reduce(
        (sum, [name, v]) =>
            sum +
            Buffer.byteLength(name) +
            (v.S !== undefined ? Buffer.byteLength(v.S) : Math.ceil(String(v.N).replace(/^-|\./g, "").length / 2) + 1),
        0,
    );
}

/** One simulated hour of normal operation, both schedules: the API budget and what it costs. */
async function steadyState(): Promise<Record<string, number>> {
    const r = rng(7);
    const world = new World();
    world.latency = typicalLatency(r);
    const handler: Handler = createHandler({
        env: WORLD_ENV,
        clients: world.clients(),
        clock: world.clock,
        log: () => undefined,
    });
    const minutes = 60;
    // The EventBridge rule and the EventBridge Scheduler schedule, at an offset of their own.
    for (const first of [0, 10_000 + r() * 40_000]) {
        void schedule(world, handler, {
            first,
            count: minutes + 2,
            delay: () => r() * 2_000,
            coldStartMs: () => (r() < 0.05 ? 1_500 + r() * 3_000 : 0),
        });
    }
    let largestItem = 0;
    world.faults.push((command) => {
        if (command === "UpdateItem") largestItem = Math.max(largestItem, itemBytes(world.table.get("controller")));
        return undefined;
    });
    // Start measuring once the first run holds the lease.
    await world.clock.run(60_000);
    const elb0 = world.calls.filter((c) => /^Describe|^Modify/.test(c.command)).length;
    const writes0 = world.callsOf("UpdateItem").length;
    // A strongly consistent read of an item under 4 KB is one read unit, an eventually consistent one half.
    const readUnits = () =>
        world.callsOf("GetItem").reduce((sum, c) => sum + (c.input.ConsistentRead === true ? 1 : 0.5), 0);
    const reads0 = world.callsOf("GetItem").length;
    const readUnits0 = readUnits();
    const t0 = world.clock.now();
    await world.clock.run(t0 + minutes * 60_000);
    largestItem = Math.max(largestItem, itemBytes(world.table.get("controller")));
    const seconds = (world.clock.now() - t0) / 1000;
    const elb = world.calls.filter((c) => /^Describe|^Modify/.test(c.command)).length - elb0;
    const writes = world.callsOf("UpdateItem").length - writes0;
    const reads = world.callsOf("GetItem").length - reads0;
    const units = readUnits() - readUnits0;
    // Each invocation's billed time: from its delivery to its return (a cold start's init is billed too).
    const done = world.invocations.filter((i) => i.end !== undefined && i.start >= t0 && i.end <= world.clock.now());
    const billedPerMinute = done.reduce((a, i) => a + (i.end! - i.start), 0) / 1000 / minutes;
    const month = 730 * 60; // minutes
    const writeUnits = Math.ceil(largestItem / 1024);
    const lambda = month * billedPerMinute * 0.125 * 0.0000133334 + ((month * done.length) / minutes / 1e6) * 0.2;
    const dynamo = ((writes / minutes) * month * writeUnits * 0.625) / 1e6 + ((units / minutes) * month * 0.125) / 1e6;
    return {
        elbCallsPerSecond: elb / seconds,
        dynamoWritesPerMinute: writes / minutes,
        dynamoReadsPerMinute: reads / minutes,
        dynamoReadUnitsPerMinute: units / minutes,
        invocationsPerMinute: done.length / minutes,
        billedSecondsPerMinute: billedPerMinute,
        largestItem,
        writeUnits,
        lambdaPerMonth: lambda,
        dynamoPerMonth: dynamo,
    };
}

/** The normal-operation lines: the API budget and the monthly cost. */
function printSteady(steady: Record<string, number>): void {
    console.log(
        `normal operation (1 simulated hour, both schedules): ${steady.elbCallsPerSecond.toFixed(2)} ELB API calls/s, ` +
            `DynamoDB ${steady.dynamoWritesPerMinute.toFixed(1)} writes and ${steady.dynamoReadsPerMinute.toFixed(1)} reads ` +
            `(${steady.dynamoReadUnitsPerMinute.toFixed(1)} read units) a minute ` +
            `(item at most ${steady.largestItem} bytes: ${steady.writeUnits} write unit(s) a write), ` +
            `${steady.invocationsPerMinute.toFixed(1)} invocations and ${steady.billedSecondsPerMinute.toFixed(1)} billed seconds a minute`,
    );
    console.log(
        `monthly cost (us-east-1, 128 MB arm64 Lambda, DynamoDB on demand): Lambda $${steady.lambdaPerMonth.toFixed(2)}, DynamoDB $${steady.dynamoPerMonth.toFixed(2)}`,
    );
}

async function main(): Promise<void> {
    const arg = (name: string, fallback: number) => {
        const i = process.argv.indexOf(`--${name}`);
        return i >= 0 ? Number(process.argv[i + 1]) : fallback;
    };
    if (process.argv.includes("--steady")) {
        // Only the simulated hour of normal operation (a few seconds): for a change's cost.
        printSteady(await steadyState());
        return;
    }
    const trials = arg("trials", 5_000);
    const started = Date.now();
    console.log(
        `failover benchmark: ${trials} random trials + sweeps of the worst alignments per scenario ` +
            `(node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)})`,
    );
    console.log("");
    console.log("| scenario | trials | min | median | p99 | max | max, typical calls | max, slow calls |");
    console.log("|---|---|---|---|---|---|---|---|");
    const worst: Record<Failure, number> = { refuse: 0, hang: 0 };
    const worstTypical: Record<Failure, number> = { refuse: 0, hang: 0 };
    let perScenario = Number.POSITIVE_INFINITY;
    const f = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : "none");
    for (const [i, scenario] of SCENARIOS.entries()) {
        const r = rng(1000 + i);
        const typical: Alignment[] = [
            ...Array.from({ length: trials }, () => randomAlignment(scenario, r)),
            ...sweep(scenario, "150", false),
        ];
        const slow: Alignment[] = (["half", "near"] as LatencyLevel[]).flatMap((level) =>
            [false, true].flatMap((lost) => sweep(scenario, level, lost)),
        );
        const typicalResults: number[] = [];
        for (const a of typical) typicalResults.push(await trial(scenario, a));
        const slowResults: number[] = [];
        for (const a of slow) slowResults.push(await trial(scenario, a));
        const results = [...typicalResults, ...slowResults].sort((x, y) => x - y);
        const maxTypical = Math.max(...typicalResults);
        const maxSlow = Math.max(...slowResults);
        console.log(
            `| ${scenario.name} | ${results.length} | ${f(results[0])} | ${f(quantile(results, 0.5))} | ${f(quantile(results, 0.99))} | ${f(results[results.length - 1])} | ${f(maxTypical)} | ${f(maxSlow)} |`,
        );
        worst[scenario.failure] = Math.max(worst[scenario.failure], results[results.length - 1]);
        worstTypical[scenario.failure] = Math.max(worstTypical[scenario.failure], maxTypical);
        perScenario = Math.min(perScenario, results.length);
    }
    const steady = await steadyState();
    console.log("");
    console.log(
        `typical calls only (random trials and the 150 ms sweep): refuse ${worstTypical.refuse.toFixed(2)} s, hang ${worstTypical.hang.toFixed(2)} s`,
    );
    printSteady(steady);
    console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s of wall time)`);
    console.log(
        `failover worst case: refuse ${worst.refuse.toFixed(2)} s, hang ${worst.hang.toFixed(2)} s (${perScenario} trials per scenario)`,
    );
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});

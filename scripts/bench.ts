/**
 * The plan's speed, as a benchmark (never a timed test):
 *
 *     npm run bench                # the table and the plan-vs-@pulumi/aws ratio
 *     npm run bench -- --runs 7    # more runs per measurement (medians are reported)
 *
 * 1. Evaluates the dev stack under mocks at growing sizes (servers per pool 1 → 100, read replicas
 *    0 → 15, AZs 2 → 6), each in a fresh Node process, and prints resources registered, wall time
 *    and peak memory; then fits time and memory against resources and prints how far the worst
 *    size is from that line (cost must grow linearly with resources).
 * 2. Times the whole `npm run plan` of the dev stack against `node -e 'require("@pulumi/aws")'`,
 *    alternating the two so that both see the same machine load, and prints the medians and their
 *    ratio (the target is at most 1.6×).
 */
import { spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { packageRoot } from "../components/shared/packageFiles";
import program = require("../index");
import { evaluate, readStackConfigFile } from "./offline";

const ROOT = packageRoot();
const NODE = process.execPath;

interface Size {
    readonly label: string;
    readonly config: Record<string, string>;
}

const SIZES: Size[] = [
    ...[1, 10, 50, 100].map((n) => ({
        label: `serversPerPool ${n}`,
        config: { serversPerPool: String(n), maxServersPerPool: String(2 * n) },
    })),
    ...[0, 5, 10, 15].map((n) => ({ label: `replicaCount ${n}`, config: { replicaCount: String(n) } })),
    ...[2, 4, 6].map((n) => ({ label: `azCount ${n}`, config: { azCount: String(n), natGateways: "perAz" } })),
    {
        label: "all at once (100 / 15 / 6)",
        config: {
            serversPerPool: "100",
            maxServersPerPool: "200",
            replicaCount: "15",
            azCount: "6",
            natGateways: "perAz",
        },
    },
];

/** Run in a fresh process by `evaluateOnce`: one evaluation, its numbers as JSON on stdout. */
async function child(overrides: Record<string, string>): Promise<void> {
    const config = readStackConfigFile("dev");
    for (const [k, v] of Object.entries(overrides)) config[`ha-webstack:${k}`] = v;
    const started = process.hrtime.bigint();
    const ev = await evaluate(program, { stack: "dev", config });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stdout.write(
        JSON.stringify({
            resources: ev.resources.filter((r) => r.custom).length,
            seconds,
            peakMb: process.resourceUsage().maxRSS / 1024,
        }),
    );
}

interface Measured {
    resources: number;
    seconds: number;
    peakMb: number;
}

function evaluateOnce(config: Record<string, string>): Measured {
    const script = path.join(ROOT, ".build", "scripts", "bench.js");
    const run = spawnSync(NODE, [script, "--child", JSON.stringify(config)], { cwd: ROOT, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`evaluation of ${JSON.stringify(config)} failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as Measured;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Least squares y = a + b·x; returns the line and the largest relative deviation from it. */
function fit(points: Array<[number, number]>): { a: number; b: number; worst: number } {
    const n = points.length;
    const mx = points.reduce((s, [x]) => s + x, 0) / n;
    const my = points.reduce((s, [, y]) => s + y, 0) / n;
    const b =
        points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
    const a = my - b * mx;
    const worst = Math.max(...points.map(([x, y]) => Math.abs(y - (a + b * x)) / (a + b * x)));
    return { a, b, worst };
}

function wall(command: string, args: string[]): number {
    const started = process.hrtime.bigint();
    const run = spawnSync(command, args, { cwd: ROOT, encoding: "utf8" });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${run.stderr}`);
    return seconds;
}

function main(): void {
    const i = process.argv.indexOf("--runs");
    const runs = i >= 0 ? Number(process.argv[i + 1]) : 5;
    if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
        throw new Error(`--runs ${process.argv[i + 1]} is not an integer from 1 to 50`);
    }
    const cpus = os.cpus();
    console.log(
        `ha-webstack bench: ${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; medians of ${runs} runs`,
    );
    console.log("");
    console.log("evaluation of the dev stack under mocks, one fresh process per run:");
    console.log(`  ${"size".padEnd(28)} ${"resources".padStart(9)} ${"wall s".padStart(8)} ${"peak MB".padStart(8)}`);
    const rows: Measured[] = [];
    for (const size of SIZES) {
        const samples = Array.from({ length: runs }, () => evaluateOnce(size.config));
        const row = {
            resources: samples[0].resources,
            seconds: median(samples.map((s) => s.seconds)),
            peakMb: median(samples.map((s) => s.peakMb)),
        };
        rows.push(row);
        console.log(
            `  ${size.label.padEnd(28)} ${String(row.resources).padStart(9)} ${row.seconds.toFixed(3).padStart(8)} ${row.peakMb.toFixed(0).padStart(8)}`,
        );
    }
    const time = fit(rows.map((r) => [r.resources, r.seconds]));
    const memory = fit(rows.map((r) => [r.resources, r.peakMb]));
    console.log(
        `  time ≈ ${time.a.toFixed(3)} s + ${(time.b * 1000).toFixed(2)} ms per resource (worst size ${(time.worst * 100).toFixed(0)}% off the line)`,
    );
    console.log(
        `  peak memory ≈ ${memory.a.toFixed(0)} MB + ${(memory.b * 1024).toFixed(0)} KB per resource (worst size ${(memory.worst * 100).toFixed(0)}% off the line)`,
    );

    console.log("");
    console.log("npm run plan (dev) against loading @pulumi/aws alone, alternating:");
    wall("npm", ["run", "--silent", "plan", "--", "dev"]); // warm the build and the compile cache
    const plan: number[] = [];
    const direct: number[] = [];
    const aws: number[] = [];
    for (let r = 0; r < runs; r++) {
        aws.push(wall(NODE, ["-e", 'require("@pulumi/aws")']));
        plan.push(wall("npm", ["run", "--silent", "plan", "--", "dev"]));
        direct.push(wall(NODE, ["scripts/run.mjs", "scripts/plan.ts", "dev"]));
    }
    const [p, d, a] = [median(plan), median(direct), median(aws)];
    console.log(`  require("@pulumi/aws")              ${a.toFixed(2)} s`);
    console.log(
        `  npm run plan -- dev                 ${p.toFixed(2)} s  (${(p / a).toFixed(2)}× the load; target ≤ 1.6×)`,
    );
    console.log(
        `  node scripts/run.mjs scripts/plan.ts ${d.toFixed(2)} s  (${(d / a).toFixed(2)}×, without npm's start-up)`,
    );
}

if (process.argv[2] === "--child") {
    child(JSON.parse(process.argv[3]) as Record<string, string>).catch((e: unknown) => {
        console.error(e instanceof Error ? e.message : String(e));
        process.exitCode = 1;
    });
} else {
    try {
        main();
    } catch (e) {
        console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 1;
    }
}

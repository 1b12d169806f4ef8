#!/usr/bin/env node
/**
 * Runs one of the repository's TypeScript scripts quickly: esbuild transpiles the TypeScript
 * (index.ts, components/, lambda/, policy/, scripts/) file by file into .build/, keeping the
 * layout, and Node runs the compiled script in this process. Transpiling takes ~0.2 s and only
 * happens when a source file changed since the last build; ts-node's start-up took ~2 s.
 * Types are not checked here: `npm test` does that.
 *
 *     node scripts/run.mjs scripts/plan.ts dev --format markdown
 */
import { build } from "esbuild";
import * as fs from "node:fs";
import * as nodeModule from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const OUT = path.join(ROOT, ".build");
const STAMP = path.join(OUT, ".sources");
const SOURCES = ["index.ts", "components", "lambda", "policy", "scripts"];

function typescriptFiles(entry) {
    const full = path.join(ROOT, entry);
    if (!fs.existsSync(full)) return [];
    if (fs.statSync(full).isFile()) return entry.endsWith(".ts") && !entry.endsWith(".d.ts") ? [entry] : [];
    return fs
        .readdirSync(full)
        .filter((name) => name !== "node_modules")
        .flatMap((name) => typescriptFiles(path.join(entry, name)));
}

/** Whether .build/ was built from these files, none changed since. */
function current(files, listing) {
    if (!fs.existsSync(STAMP) || fs.readFileSync(STAMP, "utf8") !== listing) return false;
    const built = fs.statSync(STAMP).mtimeMs;
    return !files.some((f) => fs.statSync(path.join(ROOT, f)).mtimeMs > built);
}

/** Transpiles when a source is newer than the last build, or the set of sources changed. */
async function transpile() {
    const files = SOURCES.flatMap(typescriptFiles).sort();
    const listing = files.join("\n");
    if (current(files, listing)) return;
    // Two runs at once (a test and a developer's plan) must not delete each other's build.
    const lock = `${OUT}.lock`;
    for (;;) {
        try {
            fs.mkdirSync(lock);
            break;
        } catch (e) {
            if (e.code !== "EEXIST") throw e;
            // A lock older than a build can take was left by a run that died.
            if (Date.now() - fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 60_000)
                fs.rmSync(lock, { recursive: true, force: true });
            await new Promise((r) => setTimeout(r, 50));
        }
    }
    try {
        await rebuild(files, listing);
    } finally {
        fs.rmSync(lock, { recursive: true, force: true });
    }
}

async function rebuild(files, listing) {
    // Another run may have built it while this one waited for the lock.
    if (current(files, listing)) return;
    fs.rmSync(OUT, { recursive: true, force: true, maxRetries: 5 });
    await build({
        absWorkingDir: ROOT,
        entryPoints: files,
        outdir: OUT,
        outbase: ".",
        bundle: false,
        platform: "node",
        format: "cjs",
        target: "node22",
        logLevel: "warning",
    });
    // The Lambda handlers (failover controller, rollout starter), bundled once here rather than
    // on every evaluation.
    const load = nodeModule.createRequire(import.meta.url);
    load(path.join(OUT, "components/failoverController/bundle.js")).writePrebuiltHandler();
    load(path.join(OUT, "components/serverPool/rolloutStarter.js")).writePrebuiltRolloutHandler();
    fs.writeFileSync(STAMP, listing);
}

// V8's code cache for every module loaded from here on (Node >= 22.1): compiling @pulumi/pulumi,
// @pulumi/aws and the TypeScript compiler that @pulumi/pulumi loads is most of a cold start.
// (Absent before Node 22.1: then the run is only slower.)
// Kept outside .build/, which a rebuild deletes: another run writing its cache there meanwhile
// would make that delete fail (ENOTEMPTY).
nodeModule.enableCompileCache?.(path.join(ROOT, "node_modules", ".cache", "ha-webstack-compile"));

const [script, ...args] = process.argv.slice(2);
if (!script || !script.endsWith(".ts")) {
    console.error("usage: node scripts/run.mjs <script.ts> [arguments]");
    process.exit(1);
}
await transpile();
const compiled = path.join(OUT, script.replace(/\.ts$/, ".js"));
if (!fs.existsSync(compiled)) {
    console.error(`run: ${script} is not one of the repository's TypeScript sources (${SOURCES.join(", ")})`);
    process.exit(1);
}
process.argv = [process.argv[0], compiled, ...args];
nodeModule.createRequire(import.meta.url)(compiled);

#!/usr/bin/env node
/**
 * `npm run build`, and `prepack` (so `npm pack` and `npm publish` on a clean clone ship a build):
 * compiles the library to dist/ from scratch (declarations and source maps, tsconfig.build.json),
 * then bundles the Lambda handlers once (the failover controller's into
 * dist/lambda/failover/handler.bundle.js, the pools' rollout starter's into
 * dist/lambda/rollout/handler.bundle.js), which the compiled library reads
 * (components/shared/lambdaBundle.ts): a consumer of the package needs no bundler. The
 * bundle is deterministic (paths relative to the package root, no comments, no source map), so
 * the same sources always give the same bytes and `pulumi preview` shows no spurious diff.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");

// From scratch: a file left by an earlier build (a component since removed) must not ship.
fs.rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "tsconfig.build.json")],
    { cwd: root, stdio: "inherit" },
);
if (tsc.status !== 0) {
    console.error("build: tsc -p tsconfig.build.json failed");
    process.exit(tsc.status ?? 1);
}
const load = createRequire(import.meta.url);
const bundles = [
    load(path.join(dist, "components", "failoverController", "bundle.js")).PREBUILT_HANDLER,
    load(path.join(dist, "components", "serverPool", "rolloutStarter.js")).PREBUILT_ROLLOUT_HANDLER,
];
load(path.join(dist, "components", "failoverController", "bundle.js")).writePrebuiltHandler();
load(path.join(dist, "components", "serverPool", "rolloutStarter.js")).writePrebuiltRolloutHandler();
const sizes = bundles.map((file) => `${path.relative(root, file)} (${fs.statSync(file).size} bytes)`);
console.error(`build: dist/ compiled; ${sizes.join(", ")}`);

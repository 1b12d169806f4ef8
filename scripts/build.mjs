#!/usr/bin/env node
/**
 * `npm run build`, and `prepack` (so `npm pack` and `npm publish` on a clean clone ship a build):
 * dist/ from scratch, with declarations, source maps and the prebundled Lambda handlers. The build
 * itself is scripts/build-library.cjs, which tests/package.test.ts runs too.
 *
 * `--prepare` is npm's `prepare` script: an `npm install` / `npm ci` in a clone, and so a git
 * install (`pulumi package add <repository>` installs the repository's dependencies and runs the
 * built library, PulumiPlugin.yaml), builds dist/ too. npm also runs `prepare` after `prepack` for
 * `npm pack` and `npm publish`; there prepack has just built, so prepare does nothing.
 */
import * as path from "node:path";
import { createRequire } from "node:module";

if (process.argv.includes("--prepare") && ["pack", "publish"].includes(process.env.npm_command ?? "")) {
    console.error(`build: prepack built dist/ for npm ${process.env.npm_command}; prepare has nothing to do`);
    process.exit(0);
}
const { ROOT, buildLibrary } = createRequire(import.meta.url)("./build-library.cjs");
try {
    const bundles = buildLibrary().map(({ file, size }) => `${path.relative(ROOT, file)} (${size} bytes)`);
    console.error(`build: dist/ compiled; ${bundles.join(", ")}`);
} catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
}

#!/usr/bin/env node
/**
 * `npm run build`, and `prepack` (so `npm pack` and `npm publish` on a clean clone ship a build):
 * dist/ from scratch, with declarations, source maps and the prebundled Lambda handlers. The build
 * itself is scripts/build-library.cjs, which tests/package.test.ts runs too.
 */
import * as path from "node:path";
import { createRequire } from "node:module";

const { ROOT, buildLibrary } = createRequire(import.meta.url)("./build-library.cjs");
try {
    const bundles = buildLibrary().map(({ file, size }) => `${path.relative(ROOT, file)} (${size} bytes)`);
    console.error(`build: dist/ compiled; ${bundles.join(", ")}`);
} catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
}

import * as fs from "fs";
import * as path from "path";
import { packageFile, packageRoot } from "../shared/packageFiles";

/**
 * Where a build of this package keeps the handler bundled ahead of time: next to the compiled
 * components (`.build/` of `scripts/run.mjs`, `dist/`), never in the source tree.
 */
export const PREBUILT_HANDLER = path.join(__dirname, "..", "..", "lambda", "failover", "handler.bundle.js");

let bundled: string | undefined;

/**
 * `lambda/failover/handler.ts` bundled into one CommonJS file, with the AWS SDK v3 left to the
 * Node.js 22 runtime. Deterministic (paths relative to the package root, no comments, no source
 * map), so an unchanged handler never shows as a diff. A compiled copy of the package reads the
 * bundle it was built with; the source tree bundles on first use.
 */
export function bundleHandler(): string {
    if (bundled === undefined) {
        bundled =
            __filename.endsWith(".js") && fs.existsSync(PREBUILT_HANDLER)
                ? fs.readFileSync(PREBUILT_HANDLER, "utf8")
                : buildHandlerBundle();
    }
    return bundled;
}

/**
 * Bundles the handler from its source, with esbuild: a development dependency, loaded only here,
 * so that a consumer of the packaged library (which reads {@link PREBUILT_HANDLER}) needs no bundler.
 */
export function buildHandlerBundle(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild: typeof import("esbuild") = require("esbuild");
    const result = esbuild.buildSync({
        entryPoints: [packageFile("lambda", "failover", "handler.ts")],
        absWorkingDir: packageRoot(),
        bundle: true,
        platform: "node",
        format: "cjs",
        target: "node22",
        external: ["@aws-sdk/*"],
        legalComments: "none",
        write: false,
        logLevel: "silent",
    });
    return result.outputFiles[0].text;
}

/** Writes the bundle a compiled copy of the package reads (see {@link PREBUILT_HANDLER}). */
export function writePrebuiltHandler(): void {
    fs.mkdirSync(path.dirname(PREBUILT_HANDLER), { recursive: true });
    fs.writeFileSync(PREBUILT_HANDLER, buildHandlerBundle());
}

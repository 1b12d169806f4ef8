import * as esbuild from "esbuild";
import { packageFile, packageRoot } from "../shared/packageFiles";

let bundled: string | undefined;

/**
 * `lambda/failover/handler.ts` bundled into one CommonJS file, with the AWS SDK v3 left to the
 * Node.js 22 runtime. Deterministic (paths relative to the package root, no comments, no source
 * map), so an unchanged handler never shows as a diff.
 */
export function bundleHandler(): string {
    if (bundled === undefined) {
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
        bundled = result.outputFiles[0].text;
    }
    return bundled;
}

import * as fs from "fs";
import * as path from "path";
import { packageFile, packageRoot } from "./packageFiles";

/** One of the package's Lambda handlers (`lambda/<name>/handler.ts`), bundled into one file. */
export interface LambdaBundle {
    /**
     * Where a build of this package keeps the handler bundled ahead of time: next to the compiled
     * components (`.build/` of `scripts/run.mjs`, `dist/`), never in the source tree.
     */
    readonly prebuilt: string;
    /** The bundle: the prebuilt one in a compiled copy of the package, else bundled on first use. */
    code(): string;
    /** Bundles the handler from its source (esbuild, a development dependency). */
    build(): string;
    /** Writes {@link prebuilt}. */
    writePrebuilt(): void;
}

/**
 * `lambda/<name>/handler.ts` bundled into one CommonJS file, with the AWS SDK v3 left to the
 * Node.js 22 runtime. Deterministic (paths relative to the package root, no comments, no source
 * map), so an unchanged handler never shows as a diff.
 */
export function lambdaBundle(name: string): LambdaBundle {
    const prebuilt = path.join(__dirname, "..", "..", "lambda", name, "handler.bundle.js");
    let bundled: string | undefined;
    const build = (): string => {
        // Loaded only here, so that a consumer of the packaged library (which reads the prebuilt
        // bundle) needs no bundler.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const esbuild: typeof import("esbuild") = require("esbuild");
        const result = esbuild.buildSync({
            entryPoints: [packageFile("lambda", name, "handler.ts")],
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
    };
    return {
        prebuilt,
        build,
        code() {
            if (bundled === undefined) {
                bundled =
                    __filename.endsWith(".js") && fs.existsSync(prebuilt) ? fs.readFileSync(prebuilt, "utf8") : build();
            }
            return bundled;
        },
        writePrebuilt() {
            fs.mkdirSync(path.dirname(prebuilt), { recursive: true });
            fs.writeFileSync(prebuilt, build());
        },
    };
}

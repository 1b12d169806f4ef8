/**
 * The library build, as a function: what `npm run build` (scripts/build.mjs) and so `prepack` run,
 * and what tests/package.test.ts runs in its own process (CommonJS, so that jest can load it).
 *
 * Compiles the library to dist/ from scratch (declarations and source maps, tsconfig.build.json),
 * then bundles the Lambda handlers once (the failover controller's into
 * dist/lambda/failover/handler.bundle.js, the pools' rollout starter's into
 * dist/lambda/rollout/handler.bundle.js), which the compiled library reads (PREBUILT_HANDLER in
 * components/failoverController/bundle.ts, PREBUILT_ROLLOUT_HANDLER in
 * components/serverPool/rolloutStarter.ts): a consumer of the package needs no bundler. The
 * bundle is deterministic (paths relative to the package root, no comments, no source map), so
 * the same sources always give the same bytes and `pulumi preview` shows no spurious diff.
 */
/* global __dirname */
const fs = require("node:fs");
const path = require("node:path");
const ts = require("typescript");

const ROOT = path.resolve(__dirname, "..");

/**
 * A compiler host factory whose hosts parse each declaration file under node_modules once: most
 * of a build's or a type check's time is parsing @pulumi/aws's typings, and a test that builds
 * the library and then type-checks the examples against it can share them. Keyed by the parse
 * options too, so two programs with other targets never share a tree.
 */
function declarationCache() {
    const parsed = new Map();
    return (options) => {
        const host = ts.createCompilerHost(options);
        const getSourceFile = host.getSourceFile.bind(host);
        host.getSourceFile = (fileName, languageVersion, ...rest) => {
            if (!fileName.endsWith(".d.ts") || !fileName.includes(`${path.sep}node_modules${path.sep}`)) {
                return getSourceFile(fileName, languageVersion, ...rest);
            }
            const key =
                typeof languageVersion === "object"
                    ? `${fileName}\0${languageVersion.languageVersion}\0${languageVersion.impliedNodeFormat}`
                    : `${fileName}\0${languageVersion}`;
            if (!parsed.has(key)) parsed.set(key, getSourceFile(fileName, languageVersion, ...rest));
            return parsed.get(key);
        };
        return host;
    };
}

/** Diagnostics as tsc prints them. */
function format(diagnostics) {
    return ts.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => ROOT,
        getNewLine: () => "\n",
    });
}

/**
 * `tsc -p tsconfig.build.json` into a fresh dist/, then the handler bundle. Throws with tsc's
 * diagnostics when the library does not compile cleanly. `hosts` (from {@link declarationCache})
 * lets the caller reuse what this build parsed. Returns each handler bundle's path and size.
 */
function buildLibrary(hosts = declarationCache()) {
    const dist = path.join(ROOT, "dist");
    // From scratch: a file left by an earlier build (a component since removed) must not ship.
    fs.rmSync(dist, { recursive: true, force: true });
    const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, "tsconfig.build.json"), undefined, {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
            throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
        },
    });
    const program = ts.createProgram({
        rootNames: config.fileNames,
        options: config.options,
        projectReferences: config.projectReferences,
        host: hosts(config.options),
    });
    const emitted = program.emit();
    const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
    if (diagnostics.length > 0) {
        throw new Error(`build: tsc -p tsconfig.build.json failed\n${format(diagnostics)}`);
    }
    const failover = require(path.join(dist, "components", "failoverController", "bundle.js"));
    failover.writePrebuiltHandler();
    const rollout = require(path.join(dist, "components", "serverPool", "rolloutStarter.js"));
    rollout.writePrebuiltRolloutHandler();
    return [failover.PREBUILT_HANDLER, rollout.PREBUILT_ROLLOUT_HANDLER].map((file) => ({
        file,
        size: fs.statSync(file).size,
    }));
}

module.exports = { ROOT, buildLibrary, declarationCache };

/**
 * Tests are transpiled only (isolatedModules, by swc): type-checking @pulumi/aws's typings inside
 * jest is ~8x slower. `npm run typecheck` (tsc --noEmit) checks types separately, and `npm test`
 * runs it first.
 */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testMatch: ["**/*.test.ts"],
    transform: {
        // Transpiled by swc, without type-checking (tsconfig.json sets isolatedModules, so each file
        // compiles on its own): on a fresh clone, with no transform cache, ts-jest spent about 16 s
        // of CPU more on the same files. The settings mirror tsconfig.json's (ES2022, CommonJS with
        // esModuleInterop's helpers, legacy decorators, inline source maps for stack traces).
        "^.+\\.ts$": [
            "@swc/jest",
            {
                jsc: {
                    parser: { syntax: "typescript", decorators: true },
                    target: "es2022",
                    transform: { decoratorVersion: "2022-03", useDefineForClassFields: true },
                    keepClassNames: true,
                },
                module: { type: "commonjs", strictMode: true, noInterop: false },
                sourceMaps: "inline",
                swcrc: false,
            },
        ],
    },
    // @pulumi/pulumi loads the TypeScript compiler and npm's Arborist at start-up, for closure
    // serialization, which nothing here uses: load them on first use instead (tests/support/lazy/).
    moduleNameMapper: {
        "^\\.\\.?/(\\.\\./)*typescript-shim$": "<rootDir>/tests/support/lazy/typescript.js",
        "^@npmcli/arborist$": "<rootDir>/tests/support/lazy/arborist.js",
    },
    testTimeout: 30000,
    // Jest's default is one worker per core but one; with two cores that is a single worker.
    maxWorkers: 2,
    // The slowest suites first even without recorded durations (a fresh clone): tests/support/sequencer.js.
    testSequencer: "<rootDir>/tests/support/sequencer.js",
};

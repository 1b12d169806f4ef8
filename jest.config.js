/**
 * Tests are transpiled only (isolatedModules): type-checking @pulumi/aws's typings inside jest
 * is ~8x slower. `npm run typecheck` (tsc --noEmit) checks types separately, and `npm test`
 * runs it first.
 */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testMatch: ["**/*.test.ts"],
    transform: {
        // tsconfig.json sets isolatedModules, so ts-jest transpiles each file without type-checking.
        "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
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

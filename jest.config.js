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
    testTimeout: 30000,
    // Jest's default is one worker per core but one; with two cores that is a single worker.
    maxWorkers: 2,
};

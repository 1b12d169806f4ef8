// ESLint: TypeScript rules plus the Pulumi plugin, with type information (the Pulumi rules need
// it to tell an Output from a string). `npm run lint`; `npm test` runs it.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "dist/", "bin/", "coverage/", ".build/", "**/*.js"] },
    js.configs.recommended,
    {
        // Plain ESM scripts (scripts/check.mjs, this file): Node's globals, no types.
        files: ["**/*.mjs"],
        languageOptions: {
            globals: { process: "readonly", console: "readonly", setTimeout: "readonly", setImmediate: "readonly" },
        },
    },
    {
        // CommonJS scripts that run elsewhere (.github/scripts/comment.cjs, in actions/github-script).
        files: ["**/*.cjs"],
        languageOptions: {
            sourceType: "commonjs",
            globals: { require: "readonly", module: "writable", process: "readonly", console: "readonly" },
        },
    },
    ...tseslint.configs.recommended.map((config) => ({ ...config, files: ["**/*.ts"] })),
    {
        files: ["**/*.ts"],
        languageOptions: {
            // One program for every file (`project`, not `projectService`: 30 % faster here).
            parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            // An Output in a template string prints a warning text, not its value: use pulumi.interpolate.
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            // The controller and the tests await AWS calls: a forgotten await loses an error.
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/await-thenable": "error",
            "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true, argsIgnorePattern: "^_" }],
            // `import program = require("../index")` is how TypeScript imports an `export =` module.
            "@typescript-eslint/no-require-imports": ["error", { allowAsImport: true }],
        },
    },
    {
        // The policy runner's ES2020 limit (policy/tsconfig.json): the compiler catches most later
        // library calls, but @types/node declares Array.prototype.at, so these are named here too.
        files: ["policy/**/*.ts", "components/shared/tlsPolicies.ts"],
        rules: {
            "no-restricted-properties": [
                "error",
                ...["at", "replaceAll", "findLast", "findLastIndex", "toSorted", "toReversed", "toSpliced", "with"].map(
                    (property) => ({
                        property,
                        message: "ES2021+: the policy runner compiles the pack with ES2020 libraries.",
                    }),
                ),
                {
                    object: "Object",
                    property: "hasOwn",
                    message: "ES2022: the policy runner compiles the pack with ES2020 libraries.",
                },
            ],
        },
    },
    {
        // Property bags with no static type: mock registrations (tests, scripts) and the policy
        // engine's `props` (typed `Record<string, any>` by @pulumi/policy itself).
        files: ["tests/**/*.ts", "scripts/**/*.ts", "policy/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);

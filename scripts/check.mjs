#!/usr/bin/env node
/**
 * The static checks of `npm test`, in the time of the slowest one:
 * - the type check (`npm run typecheck`: tsc on tsconfig.json, and on policy/tsconfig.json with
 *   the policy runner's ES2020 libraries),
 * - ESLint (`npm run lint`),
 * - the format check (`npm run format:check`: Biome's formatter, biome.json).
 *
 * The same checks as those scripts, with the same configuration files. Three things make them
 * faster together than one after the other: ESLint reuses the TypeScript program the type check
 * built (typed linting otherwise builds its own, ~7 s of parsing @pulumi/aws's typings), the
 * policy pack's type check reuses the declaration files already parsed, and the format check runs
 * in a child process meanwhile.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import ts from "typescript";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);

/** Runs a command; resolves with whether it passed and its output (printed once all are done). */
function run(label, command, args) {
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("close", (code) => resolve({ label, ok: code === 0, output }));
    });
}

/**
 * Declaration files parsed once for both type checks: @pulumi/aws's typings are most of either
 * check's time, and a .d.ts parses the same for the ES2022 project as for the ES2020 policy pack.
 */
const declarations = new Map();

function host(options) {
    const compilerHost = ts.createCompilerHost(options);
    const getSourceFile = compilerHost.getSourceFile.bind(compilerHost);
    compilerHost.getSourceFile = (fileName, ...rest) => {
        if (!fileName.endsWith(".d.ts") || !fileName.includes("/node_modules/"))
            return getSourceFile(fileName, ...rest);
        if (!declarations.has(fileName)) declarations.set(fileName, getSourceFile(fileName, ...rest));
        return declarations.get(fileName);
    };
    return compilerHost;
}

/** tsc --noEmit on a tsconfig, in this process: the result, and the program (for ESLint). */
function typeCheck(config, label) {
    const configPath = path.join(root, config);
    const parsed = ts.getParsedCommandLineOfConfigFile(
        configPath,
        { noEmit: true },
        {
            ...ts.sys,
            onUnRecoverableConfigFileDiagnostic: (d) => {
                throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
            },
        },
    );
    const program = ts.createProgram({
        rootNames: parsed.fileNames,
        options: parsed.options,
        projectReferences: parsed.projectReferences,
        host: host(parsed.options),
    });
    const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
    const output = ts.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => root,
        getNewLine: () => "\n",
    });
    return { program, result: { label, ok: diagnostics.length === 0, output } };
}

async function lint(program) {
    const eslint = new ESLint({
        cwd: root,
        // eslint.config.mjs as it is, with the type check's program instead of one of its own.
        overrideConfig: { languageOptions: { parserOptions: { project: null, programs: [program] } } },
    });
    const results = await eslint.lintFiles(["."]);
    const errors = results.reduce((n, r) => n + r.errorCount + r.warningCount, 0);
    const formatter = await eslint.loadFormatter("stylish");
    return { label: "eslint", ok: errors === 0, output: await formatter.format(results) };
}

const started = Date.now();
// The format check (Biome, native and multi-threaded: under a second for the whole tree) in a
// child process meanwhile; the rest here, sharing what they parse.
const formatted = run("biome format", bin("biome"), ["format", "--colors=off", "."]);
const { program, result: types } = typeCheck("tsconfig.json", "tsc (tsconfig.json)");
const linted = await lint(program);
const { result: policyTypes } = typeCheck(path.join("policy", "tsconfig.json"), "tsc (policy/tsconfig.json, ES2020)");
const results = [types, linted, policyTypes, await formatted];
for (const r of results) {
    const body = r.output.trim();
    console.log(`${r.ok ? "ok  " : "FAIL"} ${r.label}${!r.ok && body ? `\n${body}\n` : ""}`);
}
console.log(`static checks: ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(results.every((r) => r.ok) ? 0 : 1);

#!/usr/bin/env node
/**
 * `npm test` after the prerequisites: the static checks (scripts/check.mjs) and the jest suite at
 * the same time, since neither keeps both cores busy on its own (about 25 s and 35 s one after
 * the other, on two cores, about 50 s together). Jest's output streams as it runs; the static
 * checks report when both are done. Fails when either fails. Arguments go to jest.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// A larger young generation: the suite allocates quickly (every evaluation of the program under
// mocks), and with V8's default the scavenger runs so often that it costs about a fifth of jest's time.
const NODE_FLAGS = ["--max-semi-space-size=32"];

function run(args, stdio) {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, [...NODE_FLAGS, ...args], { cwd: root, stdio });
        let output = "";
        child.stdout?.on("data", (d) => (output += d));
        child.stderr?.on("data", (d) => (output += d));
        child.on("close", (code) => resolve({ code, output }));
    });
}

const checks = run([path.join(root, "scripts", "check.mjs")], ["ignore", "pipe", "pipe"]);
const jest = await run(
    [path.join(root, "node_modules", "jest", "bin", "jest.js"), ...process.argv.slice(2)],
    "inherit",
);
const { code, output } = await checks;
process.stdout.write(`\n${output}`);
process.exit(code === 0 && jest.code === 0 ? 0 : 1);

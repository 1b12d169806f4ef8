/**
 * Writes the README's generated sections from the code, so that they cannot drift:
 * - the configuration reference, from `CONFIG_KEYS` (components/webStack/configKeys.ts).
 *
 *     npm run docs            # rewrite README.md between its markers
 *     npm run docs -- --check # exit 1 when README.md is not what the code generates
 *
 * Each section sits between `<!-- <name>:begin ... -->` and `<!-- <name>:end -->`; everything
 * outside the markers is left as it is. `tests/docs.test.ts` fails when a section is stale.
 */
import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS, ConfigKey } from "../components/webStack/configKeys";

export const README = path.join(__dirname, "..", "README.md");

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

function main(): void {
    const current = fs.readFileSync(README, "utf8");
    const rendered = renderReadme(current);
    if (process.argv.includes("--check")) {
        if (rendered !== current) {
            console.error("README.md is stale: run npm run docs");
            process.exit(1);
        }
        console.log("README.md is current");
        return;
    }
    if (rendered !== current) {
        fs.writeFileSync(README, rendered);
        console.log("README.md updated");
    } else {
        console.log("README.md already current");
    }
}

if (require.main === module) {
    main();
}

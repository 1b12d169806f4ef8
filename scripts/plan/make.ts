/**
 * Makes the plan from the command line's options (scripts/plan.ts is the command; the tests call
 * this directly).
 */
import * as fs from "fs";
import { parseArgs } from "util";
import program = require("../../index");
import { evaluate, listStacks, readStackConfigFile } from "../offline";
import { compare } from "./compare";
import { renderTree } from "./describe";
import { buildDocument, parseDocument, type PlanDocument } from "./document";
import { renderMarkdown, renderText } from "./render";

const FORMATS = ["text", "markdown", "json"] as const;
type Format = (typeof FORMATS)[number];

export const USAGE = "usage: npm run plan -- [stack] [--format text|markdown|json] [--compare base.json] [--out file]";

export interface Options {
    stack: string;
    format: Format;
    compare?: string;
    out?: string;
}

export function parseOptions(argv: readonly string[]): Options {
    const { values, positionals } = parseArgs({
        args: [...argv],
        allowPositionals: true,
        options: {
            format: { type: "string", default: "text" },
            compare: { type: "string" },
            out: { type: "string" },
        },
    });
    if (positionals.length > 1) {
        throw new Error(`one stack at a time, got ${positionals.join(", ")}; ${USAGE}`);
    }
    const format = values.format as Format;
    if (!FORMATS.includes(format)) {
        throw new Error(`--format ${JSON.stringify(values.format)} is not one of ${FORMATS.join(", ")}; ${USAGE}`);
    }
    return { stack: positionals[0] ?? "dev", format, compare: values.compare, out: values.out };
}

/** Makes the plan: the output and the exit code. */
export async function plan(options: Options): Promise<{ output: string; exitCode: number }> {
    // Read the base first: a bad --compare file fails before the evaluation.
    const base = options.compare ? readBase(options.compare) : undefined;
    const config = readStackConfigFile(options.stack);
    const ev = await evaluate(program, { stack: options.stack, config, preview: false });
    const doc = buildDocument(options.stack, config, ev);
    const comparison = base ? compare(base, doc) : undefined;
    let output: string;
    switch (options.format) {
        case "json":
            output = JSON.stringify(comparison ? { ...doc, comparison } : doc, null, 2) + "\n";
            break;
        case "markdown":
            output = renderMarkdown(doc, comparison);
            break;
        default:
            output =
                renderText(doc, renderTree(options.stack, config, ev.resources, ev.outputs), comparison) +
                `\n\nstacks shipped: ${listStacks().join(", ")} (npm run plan -- <stack>)\n`;
    }
    return { output, exitCode: exitCodeOf(doc) };
}

/** 2 when the policy pack reports a mandatory violation, else 0. */
export function exitCodeOf(doc: PlanDocument): number {
    return doc.policy.mandatory.length > 0 ? 2 : 0;
}

function readBase(file: string): PlanDocument {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new Error(`cannot read the base plan ${file}: ${(e as Error).message}`, { cause: e });
    }
    return parseDocument(text, file);
}

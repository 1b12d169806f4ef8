/**
 * Parses Mermaid diagrams with mermaid's own parser (ESM-only, so the CommonJS jest suite spawns
 * this). Reads a JSON array of diagram sources on stdin; prints a JSON array of
 * `{ ok, type?, error? }`, one per diagram. mermaid needs a DOM even to parse: jsdom provides it.
 */
import { JSDOM } from "jsdom";

const { window } = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const source of JSON.parse(input)) {
    try {
        const parsed = await mermaid.parse(source);
        results.push({ ok: true, type: parsed.diagramType });
    } catch (e) {
        results.push({ ok: false, error: String(e?.message ?? e) });
    }
}
process.stdout.write(JSON.stringify(results));

import * as fs from "fs";
import { CONFIG_KEYS } from "../components/webStack/configKeys";
import { ARCHITECTURE, architectureDoc, configReference, README, renderReadme } from "../scripts/docs";

describe("the README's generated sections", () => {
    const readme = fs.readFileSync(README, "utf8");

    it("should be what the code generates now (run npm run docs after changing a config key)", () => {
        expect(renderReadme(readme)).toBe(readme);
    });

    it("should list every config key once, in a row with its default, what is allowed and what it does", () => {
        const rows = readme.split("\n").filter((line) => /^\| `[A-Za-z]+` \|/.test(line));
        expect(rows.map((row) => /^\| `([A-Za-z]+)`/.exec(row)![1])).toEqual(CONFIG_KEYS.map((k) => k.key));
        const mode = rows.find((row) => row.startsWith("| `mode` |"))!;
        // Pipes in a cell are escaped, or the row would have more columns than the header.
        expect(mode).toContain("| active-passive \\| active-active |");
        expect(mode.split(/(?<!\\)\|/)).toHaveLength(6);
    });

    it("should refuse a README without the section's markers rather than append one", () => {
        expect(() => renderReadme("# no markers here\n")).toThrow(/config-reference:begin/);
    });

    it("should replace only what lies between the markers", () => {
        const text = "before\n<!-- config-reference:begin x -->\nold table\n<!-- config-reference:end -->\nafter\n";
        expect(renderReadme(text)).toBe(
            `before\n<!-- config-reference:begin x -->\n${configReference()}\n<!-- config-reference:end -->\nafter\n`,
        );
    });
});

describe("docs/architecture.md", () => {
    it("should be the diagram the plan draws for the dev stack now (run npm run docs after changing the stack)", async () => {
        const committed = fs.readFileSync(ARCHITECTURE, "utf8");
        expect(await architectureDoc()).toBe(committed);
        expect(committed).toContain("```mermaid\nflowchart LR\n");
    });
});

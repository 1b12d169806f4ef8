/**
 * The source tree shows the architecture: one folder per component under components/, helpers
 * that several components share in components/shared/, imports that point down (no cycle between
 * files or between folders), and files a newcomer can read in one sitting.
 */
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const COMPONENTS = path.join(ROOT, "components");
/** "~450 lines": the size of a file one reads in one sitting. */
const MAX_LINES = 450;

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith(".ts") ? [full] : [];
    });
}

/** The project files a file imports (relative specifiers only), type-only imports included. */
function importsOf(file: string): string[] {
    const text = fs.readFileSync(file, "utf8");
    const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b(?:[^;"]*?\bfrom)?\s*"(\.[^"]+)"/g)].map(
        (m) => m[1],
    );
    return specifiers.map((spec) => {
        const base = path.resolve(path.dirname(file), spec);
        const candidates = [`${base}.ts`, path.join(base, "index.ts")];
        const found = candidates.find((c) => fs.existsSync(c));
        if (!found) {
            throw new Error(`${path.relative(ROOT, file)} imports ${spec}, which is not a file here`);
        }
        return found;
    });
}

/** A cycle in the graph (as a list of nodes, first = last), or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
    const state = new Map<string, "visiting" | "done">();
    const stack: string[] = [];
    const visit = (node: string): string[] | undefined => {
        if (state.get(node) === "done") return undefined;
        if (state.get(node) === "visiting") return [...stack.slice(stack.indexOf(node)), node];
        state.set(node, "visiting");
        stack.push(node);
        for (const next of graph.get(node) ?? []) {
            const cycle = visit(next);
            if (cycle) return cycle;
        }
        stack.pop();
        state.set(node, "done");
        return undefined;
    };
    for (const node of graph.keys()) {
        const cycle = visit(node);
        if (cycle) return cycle;
    }
    return undefined;
}

/** `components/<folder>/...` → `<folder>`; the barrel components/index.ts → "index". */
const folderOf = (file: string) => path.relative(COMPONENTS, file).split(path.sep)[0].replace(/\.ts$/, "");

describe("source layout", () => {
    const files = sourceFiles(COMPONENTS);
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    const rel = (f: string) => path.relative(ROOT, f);

    it("should give every public component a folder of its own, its helpers beside it", () => {
        const folders = fs
            .readdirSync(COMPONENTS, { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => e.name)
            .sort();
        expect(folders).toEqual([
            "database",
            "failoverController",
            "loadBalancer",
            "monitoring",
            "network",
            "serverPool",
            "shared",
            "webStack",
        ]);
        for (const folder of folders.filter((f) => f !== "shared")) {
            expect(fs.existsSync(path.join(COMPONENTS, folder, "index.ts"))).toBe(true);
            expect(fs.existsSync(path.join(COMPONENTS, folder, `${folder}.ts`))).toBe(true);
        }
        // Nothing but the barrel sits at the top.
        expect(files.filter((f) => path.dirname(f) === COMPONENTS).map(rel)).toEqual(["components/index.ts"]);
    });

    it("should keep every file under components/ readable in one sitting", () => {
        const long = files
            .map((f) => ({ file: rel(f), lines: fs.readFileSync(f, "utf8").split("\n").length }))
            .filter((f) => f.lines > MAX_LINES);
        expect(long).toEqual([]);
    });

    it("should have no import cycle between files", () => {
        const cycle = findCycle(graph);
        expect(cycle?.map(rel)).toBeUndefined();
    });

    it("should have no import cycle between component folders (imports point down)", () => {
        const folders = new Map<string, string[]>();
        for (const [file, imports] of graph) {
            const from = folderOf(file);
            if (from === "index") continue;
            const targets = imports.filter((i) => i.startsWith(COMPONENTS)).map(folderOf);
            folders.set(from, [...new Set([...(folders.get(from) ?? []), ...targets.filter((t) => t !== from)])]);
        }
        expect(findCycle(folders)).toBeUndefined();
    });

    it("should keep shared/ at the bottom: it imports no component", () => {
        const upward = [...graph]
            .filter(([file]) => folderOf(file) === "shared")
            .flatMap(([file, imports]) =>
                imports
                    .filter((i) => !i.startsWith(path.join(COMPONENTS, "shared")))
                    .map((i) => `${rel(file)} -> ${rel(i)}`),
            );
        expect(upward).toEqual([]);
    });

    it("should keep components apart: each imports only shared/ and its own folder (WebStack composes them)", () => {
        const peer = [...graph]
            .filter(([file]) => !["webStack", "index", "shared"].includes(folderOf(file)))
            .flatMap(([file, imports]) =>
                imports
                    .filter((i) => i.startsWith(COMPONENTS) && ![folderOf(file), "shared"].includes(folderOf(i)))
                    .map((i) => `${rel(file)} -> ${rel(i)}`),
            );
        expect(peer).toEqual([]);
    });

    it("should let only the barrel import WebStack, which composes every other component", () => {
        const importers = [...graph]
            .filter(
                ([file, imports]) => folderOf(file) !== "webStack" && imports.some((i) => folderOf(i) === "webStack"),
            )
            .map(([file]) => rel(file));
        expect(importers).toEqual(["components/index.ts"]);
    });

    it("should find the cycles it is meant to find", () => {
        const a = new Map([
            ["a", ["b"]],
            ["b", ["c"]],
            ["c", ["a"]],
        ]);
        expect(findCycle(a)).toEqual(["a", "b", "c", "a"]);
        expect(
            findCycle(
                new Map([
                    ["a", ["b"]],
                    ["b", []],
                ]),
            ),
        ).toBeUndefined();
    });
});

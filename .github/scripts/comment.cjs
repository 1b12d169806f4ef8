/**
 * The plan review as one pull-request comment, created on the first run and updated on every
 * later one (found by its hidden marker among the bot's comments, on every page of them).
 *
 * Called from `actions/github-script` in .github/workflows/pull-request.yml:
 *
 *     await require(`${process.env.GITHUB_WORKSPACE}/.github/scripts/comment.cjs`)({
 *         github, context, core, file: `${process.env.RUNNER_TEMP}/plan.md`, outcome, status });
 *
 * - `body` (the plan's markdown) or `file` (a path to it; a missing or empty file is no plan);
 * - `outcome`: the plan step's `steps.<id>.outcome` (`success`, `failure`, `cancelled`, `skipped`);
 * - `status`: the exit status the plan step recorded (`0`, `1` bad input, `2` mandatory policy
 *   violations; empty when the step did not get that far).
 *
 * A failed plan still gets a comment: what was written, under a "plan failed" headline that
 * links the run log, or the headline alone when nothing was written, so a reviewer never reads
 * an old plan as the current one. Dependabot's pull requests and forks get a read-only token: no
 * comment, a notice that says why (the plan is in the job summary). An API error is thrown with
 * what was being done, never swallowed; github-script then fails the step.
 */
const fs = require("node:fs");

/** Hidden in the rendered comment; the first line of every comment this script writes. */
const MARKER = "<!-- ha-webstack-plan -->";
/** GitHub's maximum comment body, in characters. */
const MAX_BODY = 65536;

module.exports = async function comment({ github, context, core, body, file, outcome = "success", status = "0" }) {
    const pullRequest = context.payload.pull_request;
    if (!pullRequest) {
        throw new Error(`comment.cjs comments on pull requests; this run's event is "${context.eventName}"`);
    }
    const skipped = skipReason(context);
    if (skipped) {
        core.notice(skipped, { title: "Plan comment skipped" });
        return { action: "skipped", reason: skipped };
    }
    const runUrl = `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
    const plan = body ?? readPlan(file);
    const text = fit(compose(plan, { outcome, status, runUrl }), MAX_BODY, runUrl);

    const { owner, repo } = context.repo;
    const issue_number = pullRequest.number;
    const where = `pull request #${issue_number} of ${owner}/${repo}`;
    const comments = await call(`list the comments of ${where}`, () =>
        github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 }),
    );
    const previous = comments.find((c) => c.user?.type === "Bot" && c.body?.startsWith(MARKER));
    if (previous) {
        await call(`update comment ${previous.id} on ${where}`, () =>
            github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body: text }),
        );
        core.info(`Updated the plan comment ${previous.html_url ?? previous.id}`);
        return { action: "updated", id: previous.id };
    }
    const created = await call(`create the plan comment on ${where}`, () =>
        github.rest.issues.createComment({ owner, repo, issue_number, body: text }),
    );
    core.info(`Created the plan comment ${created.data?.html_url ?? created.data?.id}`);
    return { action: "created", id: created.data?.id };
};

/**
 * Why this run cannot comment, or undefined. GitHub gives a read-only GITHUB_TOKEN (and no
 * repository secrets) to workflows that Dependabot triggers and to pull requests from forks
 * (https://docs.github.com/en/code-security/dependabot/troubleshooting-dependabot/troubleshooting-dependabot-on-github-actions).
 */
function skipReason(context) {
    const pullRequest = context.payload.pull_request;
    if (context.actor === "dependabot[bot]") {
        return "Dependabot triggered this run: GitHub gives it a read-only token and no repository secrets, so the plan is not posted as a comment. It is in this job's summary.";
    }
    const head = pullRequest.head?.repo?.full_name;
    const base = `${context.repo.owner}/${context.repo.repo}`;
    if (head !== base) {
        return `The pull request comes from ${head ?? "a deleted fork"}, not ${base}: a fork's token is read-only, so the plan is not posted as a comment. It is in this job's summary.`;
    }
    return undefined;
}

/** The plan's markdown, or "" when the plan step wrote nothing. */
function readPlan(file) {
    if (!file) throw new Error("comment.cjs needs `body` or `file` (the plan's markdown)");
    try {
        return fs.readFileSync(file, "utf8");
    } catch (error) {
        if (error.code === "ENOENT") return "";
        throw error;
    }
}

/** The comment: the marker, a headline when the plan failed, the plan. */
function compose(plan, { outcome, status, runUrl }) {
    const log = `[run log](${runUrl})`;
    const written = plan.trim() !== "";
    let headline = "";
    if (!written) {
        headline = `### ❌ ha-webstack plan failed\n\nNo plan was written (plan step: \`${outcome}\`${status ? `, exit status ${status}` : ""}). The ${log} says why.`;
    } else if (status === "2") {
        headline = `### ❌ ha-webstack plan: mandatory policy violations\n\n\`npm run plan\` exited 2: the violations are listed below (${log}).`;
    } else if (outcome !== "success" || status !== "0") {
        headline = `### ❌ ha-webstack plan failed\n\nThe plan step ended as \`${outcome}\`${status ? ` with exit status ${status}` : ""}: what it wrote is below, the ${log} has the error.`;
    }
    return [MARKER, headline, plan.trim()].filter(Boolean).join("\n\n") + "\n";
}

/**
 * The comment cut to GitHub's limit at a line end, with a note that links the whole plan in the
 * job summary, and a code fence (the Mermaid diagram) closed if the cut left it open. JavaScript
 * counts UTF-16 units, never fewer than GitHub's characters, so the result is within the limit.
 */
function fit(text, limit, runUrl) {
    if (text.length <= limit) return text;
    const note = `\n\n… cut at ${limit.toLocaleString("en-US")} characters (GitHub's limit for a comment) from ${text.length.toLocaleString("en-US")}: the whole plan is in the [job summary](${runUrl}).\n`;
    const fence = "\n```";
    let kept = text.slice(0, limit - note.length - fence.length);
    const lineEnd = kept.lastIndexOf("\n");
    if (lineEnd > 0) kept = kept.slice(0, lineEnd);
    const fences = kept.split("\n").filter((line) => line.trimStart().startsWith("```")).length;
    return kept + (fences % 2 === 1 ? fence : "") + note;
}

/** `action()`, its error rethrown with what was being done and, for a 403, the likely cause. */
async function call(what, action) {
    try {
        return await action();
    } catch (error) {
        const status = error.status ? ` (HTTP ${error.status})` : "";
        const hint =
            error.status === 403
                ? "; the job's token needs `pull-requests: write` (a fork's and Dependabot's tokens are read-only)"
                : "";
        throw new Error(`could not ${what}${status}: ${error.message}${hint}`, { cause: error });
    }
}

module.exports.MARKER = MARKER;
module.exports.MAX_BODY = MAX_BODY;
module.exports.skipReason = skipReason;

/**
 * A fake GitHub for .github/scripts/comment.cjs: one pull request's comments held in memory,
 * served a page at a time the way the REST API and octokit's paginate do, errors shaped like
 * octokit's (`status`, `message`); @actions/core's calls recorded; a pull_request run's context.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const comment = require("../../.github/scripts/comment.cjs");
export const MARKER: string = comment.MARKER;

export interface Comment {
    id: number;
    body: string;
    user: { login: string; type: string };
    html_url: string;
}
type Method = "listComments" | "createComment" | "updateComment";

/** One repository's pull-request comments, and the calls made to reach them. */
export class FakeGitHub {
    comments: Comment[] = [];
    calls: Array<{ method: Method; params: any }> = [];
    failures: Partial<Record<Method, { status: number; message: string }>> = {};
    private nextId = 1;

    constructor(others = 0) {
        for (let i = 0; i < others; i++) this.add(`comment ${i}`, i % 2 ? "Bot" : "User");
    }

    add(body: string, type = "User", login = type === "Bot" ? "github-actions[bot]" : "octocat") {
        const id = this.nextId++;
        this.comments.push({ id, body, user: { login, type }, html_url: `https://github.example/c/${id}` });
        return id;
    }

    private call(method: Method, params: any) {
        this.calls.push({ method, params });
        const failure = this.failures[method];
        if (failure) throw Object.assign(new Error(failure.message), { status: failure.status, name: "HttpError" });
        expect(params).toMatchObject({ owner: "acme", repo: "webstack" });
    }

    rest = {
        issues: {
            listComments: async (params: any) => {
                this.call("listComments", params);
                expect(params.issue_number).toBe(42);
                const perPage = params.per_page ?? 30;
                const page = params.page ?? 1;
                return { data: this.comments.slice((page - 1) * perPage, page * perPage).map((c) => ({ ...c })) };
            },
            createComment: async (params: any) => {
                this.call("createComment", params);
                expect(params.issue_number).toBe(42);
                const id = this.add(params.body, "Bot");
                return { data: { ...this.comments.find((c) => c.id === id)! } };
            },
            updateComment: async (params: any) => {
                this.call("updateComment", params);
                const target = this.comments.find((c) => c.id === params.comment_id);
                if (!target) throw Object.assign(new Error("Not Found"), { status: 404 });
                target.body = params.body;
                return { data: { ...target } };
            },
        },
    };

    /** Octokit's paginate: every page of a list, fetched until one comes back short. */
    paginate = async (method: (p: any) => Promise<{ data: any[] }>, params: any) => {
        const all: any[] = [];
        for (let page = 1; ; page++) {
            const { data } = await method({ ...params, page });
            all.push(...data);
            if (data.length < (params.per_page ?? 30)) return all;
        }
    };

    planComments() {
        return this.comments.filter((c) => c.body.startsWith(MARKER));
    }
}

/** @actions/core's calls this script makes, recorded. */
export function fakeCore() {
    const notices: Array<{ message: string; title?: string }> = [];
    const infos: string[] = [];
    return {
        notices,
        infos,
        notice: (message: string, properties: { title?: string } = {}) => notices.push({ message, ...properties }),
        info: (message: string) => infos.push(message),
    };
}

export function context(overrides: { actor?: string; headRepo?: string | null } = {}) {
    return {
        eventName: "pull_request",
        actor: overrides.actor ?? "octocat",
        serverUrl: "https://github.com",
        runId: 987654,
        repo: { owner: "acme", repo: "webstack" },
        payload: {
            pull_request: {
                number: 42,
                head: {
                    repo: overrides.headRepo === null ? null : { full_name: overrides.headRepo ?? "acme/webstack" },
                },
            },
        },
    };
}

/** IAM, trust and resource policies: grants widened, Deny statements removed, conditions loosened. */
import type { PlanResource } from "../document";
import {
    conditionsLost,
    conditionText,
    dimensionText,
    grantCovers,
    grantsOf,
    principalText,
    statementsOf,
    type Condition,
    type Dimension,
    type Grant,
    type Statement,
} from "../policyDocuments";
import { list, Review, type Inputs, type SecurityFinding, type Side } from "./review";

type PolicyKind = "identity" | "trust" | "resource";

interface PolicySource {
    readonly resource: PlanResource;
    readonly kind: PolicyKind;
    /** Whose policy this is, as the base plan names it (`role|<ref>`, `bucket|<ref>`). */
    readonly holder: string;
    /** Whose policy, in words: `role app-role`, `bucket policy of logs`. */
    readonly subject: string;
    readonly statements: Statement[];
}

/** Resource policies: the type, the input holding the document, the input naming what it protects. */
const RESOURCE_POLICIES: Record<string, { policy: string; of?: string; words: string }> = {
    "aws:s3/bucketPolicy:BucketPolicy": { policy: "policy", of: "bucket", words: "bucket policy of" },
    "aws:s3/bucket:Bucket": { policy: "policy", words: "bucket policy of" },
    "aws:sns/topicPolicy:TopicPolicy": { policy: "policy", of: "arn", words: "topic policy of" },
    "aws:sns/topic:Topic": { policy: "policy", words: "topic policy of" },
    "aws:sqs/queuePolicy:QueuePolicy": { policy: "policy", of: "queueUrl", words: "queue policy of" },
    "aws:sqs/queue:Queue": { policy: "policy", words: "queue policy of" },
    "aws:kms/key:Key": { policy: "policy", words: "key policy of" },
    "aws:secretsmanager/secretPolicy:SecretPolicy": { policy: "policy", of: "secretArn", words: "secret policy of" },
};

const IDENTITY_POLICIES: Record<string, { policy: string; of?: string; words: string }> = {
    "aws:iam/rolePolicy:RolePolicy": { policy: "policy", of: "role", words: "role" },
    "aws:iam/userPolicy:UserPolicy": { policy: "policy", of: "user", words: "user" },
    "aws:iam/groupPolicy:GroupPolicy": { policy: "policy", of: "group", words: "group" },
    "aws:iam/policy:Policy": { policy: "policy", words: "policy" },
};

/** The holder key of the resource a reference points at (a replacement keyed as the replaced one). */
function holderKey(review: Review, side: Side, ref: unknown, self?: PlanResource): string {
    const owner = self ?? review.owner(ref, side);
    if (!owner) return `ref|${review.canon(ref, side)}`;
    const base = side === "head" ? (review.before(owner) ?? owner) : owner;
    return `urn|${base.urn}`;
}

/** A Lambda permission as the statement of the function's resource policy that it is. */
function permissionStatement(i: Inputs): Statement {
    const principal = String(i.principal ?? "");
    const item =
        principal === "*"
            ? "*"
            : /^\d{12}$/.test(principal)
              ? `AWS:arn:aws:iam::${principal}:root`
              : principal.startsWith("arn:")
                ? `AWS:${principal}`
                : `Service:${principal.toLowerCase()}`;
    const conditions: Condition[] = [
        ...(i.sourceArn ? [{ operator: "ArnLike", key: "aws:sourcearn", values: [String(i.sourceArn)] }] : []),
        ...(i.sourceAccount
            ? [{ operator: "StringEquals", key: "aws:sourceaccount", values: [String(i.sourceAccount)] }]
            : []),
        ...(i.principalOrgId
            ? [{ operator: "StringEquals", key: "aws:principalorgid", values: [String(i.principalOrgId)] }]
            : []),
        ...(i.functionUrlAuthType
            ? [{ operator: "StringEquals", key: "lambda:functionurlauthtype", values: [String(i.functionUrlAuthType)] }]
            : []),
    ];
    const target = i.qualifier ? `${String(i.function)}:${String(i.qualifier)}` : String(i.function);
    return {
        index: 0,
        effect: "Allow",
        principals: [{ not: false, item }],
        actions: [{ not: false, item: String(i.action ?? "") }],
        resources: [{ not: false, item: target }],
        conditions,
    };
}

/** Every policy document of a plan, with whose it is. */
function policySources(review: Review, side: Side): PolicySource[] {
    const out: PolicySource[] = [];
    for (const r of side === "base" ? review.base : review.head) {
        const i = r.inputs as Inputs;
        const identity = IDENTITY_POLICIES[r.type];
        const resource = RESOURCE_POLICIES[r.type];
        for (const [kind, spec] of [
            ["identity", identity],
            ["resource", resource],
        ] as const) {
            if (!spec || i[spec.policy] === undefined) continue;
            const of = spec.of ? i[spec.of] : undefined;
            out.push({
                resource: r,
                kind,
                holder: `${spec.words}|${holderKey(review, side, of, spec.of ? undefined : r)}`,
                subject: `${spec.words} ${spec.of ? review.name(of) : r.name}`,
                statements: statementsOf(i[spec.policy], kind === "identity"),
            });
        }
        if (r.type === "aws:iam/role:Role") {
            const holder = `role|${holderKey(review, side, undefined, r)}`;
            for (const inline of list(i.inlinePolicies) as Inputs[]) {
                out.push({
                    resource: r,
                    kind: "identity",
                    holder,
                    subject: `role ${r.name}`,
                    statements: statementsOf(inline?.policy, true),
                });
            }
            if (i.assumeRolePolicy !== undefined) {
                out.push({
                    resource: r,
                    kind: "trust",
                    holder: `trust|${holderKey(review, side, undefined, r)}`,
                    subject: `trust policy of role ${r.name}`,
                    statements: statementsOf(i.assumeRolePolicy, false),
                });
            }
        }
        if (r.type === "aws:lambda/permission:Permission") {
            out.push({
                resource: r,
                kind: "resource",
                holder: `function|${holderKey(review, side, i.function)}`,
                subject: `function ${review.name(i.function)}`,
                statements: [permissionStatement(i)],
            });
        }
    }
    return out;
}

/** A grant as the base plan spells it (matched on that), and as written (named from that). */
interface HeldGrant {
    readonly grant: Grant;
    readonly raw: Grant;
    readonly source: PolicySource;
}

function heldGrants(review: Review, sources: readonly PolicySource[], effect: "Allow" | "Deny", side: Side) {
    const dim = (d: Dimension): Dimension =>
        d.not
            ? { not: true, items: d.items.map((x) => review.canon(x, side)) }
            : { not: false, item: review.canon(d.item, side) };
    const map = new Map<string, HeldGrant[]>();
    for (const source of sources) {
        for (const raw of grantsOf(source.statements.filter((st) => st.effect === effect))) {
            const grant = { ...raw, principal: dim(raw.principal), resource: dim(raw.resource) };
            map.set(source.holder, [...(map.get(source.holder) ?? []), { grant, raw, source }]);
        }
    }
    return map;
}

const PREFIX: Record<PolicyKind, string> = { identity: "IAM", trust: "trust policy", resource: "resource policy" };

const actionText = (d: Dimension) => (d.not ? `everything but ${d.items.join(",")}` : d.item);

interface Entry {
    readonly source: PolicySource;
    readonly principal: string;
    readonly actions: Set<string>;
    readonly resources: Set<string>;
    /** What follows the grant: its conditions, or the conditions it lost. */
    readonly detail: string;
}

function entry(review: Review, h: HeldGrant, detail: string): Entry {
    const name = (v: string) => review.name(v);
    const resource = h.source.kind === "trust" ? "" : dimensionText(h.raw.resource, name);
    return {
        source: h.source,
        principal: principalText(h.raw.principal, name),
        actions: new Set([actionText(h.raw.action)]),
        resources: new Set(resource === "" ? [] : [resource]),
        detail,
    };
}

/** "may now X on Y" (identity), "now lets P X on Y" (trust, resource). */
function grantWords(kind: PolicyKind, principal: string, actions: string[], resources: string[], now = "now "): string {
    const on = resources.length === 0 ? "" : ` on ${[...resources].sort().join(", ")}`;
    return kind === "identity"
        ? `may ${now}${actions.join(", ")}${on}`
        : `${now}lets ${principal} ${actions.join(", ")}${on}`;
}

/** One finding per policy, principal and detail: its new resources per action set. */
function grouped(entries: readonly Entry[], words: (e: Entry, actions: string[], resources: string[]) => string) {
    const byResources = new Map<string, Entry>();
    for (const e of entries) {
        const id = `${e.source.resource.urn}|${e.source.subject}|${e.principal}|${e.detail}|${[...e.resources].join(",")}`;
        const m = byResources.get(id);
        if (m) e.actions.forEach((a) => m.actions.add(a));
        else byResources.set(id, { ...e, actions: new Set(e.actions), resources: new Set(e.resources) });
    }
    const byActions = new Map<string, Entry>();
    for (const e of byResources.values()) {
        const actions = [...e.actions].sort();
        const id = `${e.source.resource.urn}|${e.source.subject}|${e.principal}|${e.detail}|${actions.join(",")}`;
        const m = byActions.get(id);
        if (m) e.resources.forEach((x) => m.resources.add(x));
        else byActions.set(id, { ...e, actions: new Set(actions), resources: new Set(e.resources) });
    }
    return [...byActions.values()].map((e) => ({
        resource: e.source.resource.name,
        type: e.source.resource.type,
        change: words(e, [...e.actions], [...e.resources]),
    }));
}

/** A managed policy attached to a role (an attachment, or the role's `managedPolicyArns`). */
function managedPolicies(review: Review, side: Side): Array<{ holder: string; arn: string; resource: PlanResource }> {
    const out: Array<{ holder: string; arn: string; resource: PlanResource }> = [];
    for (const r of side === "base" ? review.base : review.head) {
        if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
            out.push({ holder: holderKey(review, side, r.inputs.role), arn: String(r.inputs.policyArn), resource: r });
        } else if (r.type === "aws:iam/role:Role") {
            for (const arn of list(r.inputs.managedPolicyArns)) {
                out.push({ holder: holderKey(review, side, undefined, r), arn: String(arn), resource: r });
            }
        }
    }
    return out;
}

export function policyFindings(review: Review): SecurityFinding[] {
    const baseSources = policySources(review, "base");
    const headSources = policySources(review, "head");
    const baseAllow = heldGrants(review, baseSources, "Allow", "base");
    const widened: Entry[] = [];
    const loosened: Entry[] = [];
    // Allow: a head grant that no base grant of the same holder covers is a widening; one covered
    // only by grants whose conditions it dropped or loosened is a loosened condition.
    for (const [holder, grants] of heldGrants(review, headSources, "Allow", "head")) {
        const known = baseAllow.get(holder) ?? [];
        for (const h of grants) {
            const covering = known.filter((b) => grantCovers(b.grant, h.grant));
            const conditions = h.grant.statement.conditions;
            if (covering.length === 0) {
                const when = conditions.map(conditionText).join(" and ");
                widened.push(entry(review, h, when === "" ? "" : ` when ${when}`));
                continue;
            }
            const lost = covering
                .map((b) => conditionsLost(conditions, b.grant.statement.conditions))
                .sort((x, y) => x.length - y.length)[0];
            if (lost.length === 0) continue;
            const detail = lost
                .map((c) => {
                    const kept = conditions.filter((n) => n.key === c.key);
                    return kept.length === 0
                        ? `without ${conditionText(c)}`
                        : `with ${kept.map(conditionText).join(" and ")} (was ${conditionText(c)})`;
                })
                .join("; ");
            loosened.push(entry(review, h, detail));
        }
    }
    const attached = new Set(managedPolicies(review, "base").map((m) => `${m.holder}|${m.arn}`));
    const managed = managedPolicies(review, "head")
        .filter((m) => !attached.has(`${m.holder}|${m.arn}`))
        .map((m) => {
            const role =
                m.resource.type === "aws:iam/role:Role" ? m.resource.name : review.name(m.resource.inputs.role);
            return {
                resource: m.resource.name,
                type: m.resource.type,
                change: `IAM widened: role ${role} gets managed policy ${m.arn}`,
            };
        });
    return [
        ...grouped(
            widened,
            (e, actions, resources) =>
                `${PREFIX[e.source.kind]} widened: ${e.source.subject} ${grantWords(e.source.kind, e.principal, actions, resources)}${e.detail}`,
        ),
        ...managed,
        ...grouped(
            loosened,
            (e, actions, resources) =>
                `${PREFIX[e.source.kind]} condition ${e.detail.startsWith("without") ? "removed" : "loosened"}: ` +
                `${e.source.subject} ${grantWords(e.source.kind, e.principal, actions, resources, "")} ${e.detail}`,
        ),
        ...denyFindings(review, baseSources, headSources),
    ];
}

/**
 * Deny: what each base Deny statement denied must still be denied by the holder's head Denies, as
 * widely (their conditions no stricter). A policy removed as a whole is named by its removal (a
 * bucket policy) or not at all (a removed identity policy only takes rights away).
 */
function denyFindings(
    review: Review,
    baseSources: readonly PolicySource[],
    headSources: readonly PolicySource[],
): SecurityFinding[] {
    const headDeny = heldGrants(review, headSources, "Deny", "head");
    const findings: SecurityFinding[] = [];
    const name = (v: string) => review.name(v);
    for (const source of baseSources) {
        const successor = headSources.find((s) => s.holder === source.holder);
        if (!successor) continue;
        const current = headDeny.get(source.holder) ?? [];
        for (const statement of source.statements.filter((s) => s.effect === "Deny")) {
            const grants = grantsOf([statement]);
            const uncovered = grants.filter((d) => !current.some((h) => grantCovers(h.grant, d)));
            const narrowed = grants.filter(
                (d) =>
                    !uncovered.includes(d) &&
                    !current.some(
                        (h) =>
                            grantCovers(h.grant, d) &&
                            conditionsLost(statement.conditions, h.grant.statement.conditions).length === 0,
                    ),
            );
            const lost = [...uncovered, ...narrowed];
            if (lost.length === 0) continue;
            const sameSid = statement.sid !== undefined && current.some((h) => h.grant.statement.sid === statement.sid);
            const removed = uncovered.length === grants.length && !sameSid;
            const whom =
                source.kind === "identity"
                    ? ""
                    : `${[...new Set(lost.map((d) => principalText(d.principal, name)))].join(", ")} `;
            const actions = [...new Set(lost.map((d) => actionText(d.action)))].join(", ");
            const on =
                source.kind === "trust"
                    ? ""
                    : ` on ${[...new Set(lost.map((d) => dimensionText(d.resource, name)))].join(", ")}`;
            const when = statement.conditions.map(conditionText).join(" and ");
            findings.push({
                resource: successor.resource.name,
                type: successor.resource.type,
                change:
                    `${PREFIX[source.kind]} Deny ${removed ? "removed" : "narrowed"}: ${successor.subject} no longer denies ` +
                    `${whom}${actions}${on}${when ? ` when ${when}` : ""}` +
                    `${narrowed.length > 0 ? " (the Deny now applies under stricter conditions)" : ""}` +
                    `${statement.sid ? ` (statement ${statement.sid})` : ""}`,
            });
        }
    }
    return findings;
}

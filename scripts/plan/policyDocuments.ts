/**
 * IAM policy documents (identity, trust and resource policies) read as sets of grants, for the
 * change review: whether what one statement allows or denies covers another's, with IAM's own
 * matching rules. Pure.
 *
 * - Action names are case-insensitive and take `*` and `?` wildcards (`s3:*` covers
 *   `S3:getobject`); resource ARNs are case-sensitive and take the same wildcards.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 * - `"Principal": "*"` and `{"AWS": "*"}` are the same (anyone); an account's root principal
 *   stands for every principal of that account.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 * - A statement is at least as narrow as another when it keeps every one of the other's
 *   conditions, with the same operator and no more values (for a negated operator, no fewer).
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */

/** One dimension of a grant: a single pattern, or "everything but" a list (NotAction, NotResource, NotPrincipal). */
export type Dimension =
    | { readonly not: false; readonly item: string }
    | { readonly not: true; readonly items: string[] };

export interface Condition {
    readonly operator: string;
    /** Lower case: condition keys are case-insensitive. */
    readonly key: string;
    readonly values: string[];
}

export interface Statement {
    readonly index: number;
    readonly sid?: string;
    readonly effect: "Allow" | "Deny";
    readonly principals: Dimension[];
    readonly actions: Dimension[];
    readonly resources: Dimension[];
    readonly conditions: Condition[];
}

/** One (principal, action, resource) of a statement, with the statement's conditions. */
export interface Grant {
    readonly statement: Statement;
    readonly principal: Dimension;
    readonly action: Dimension;
    readonly resource: Dimension;
}

/** The principal of an identity policy: whoever holds it. */
export const HOLDER = "(holder)";

type Json = Record<string, unknown>;

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** A policy document given as an object or a JSON string; `undefined` when it is neither. */
export function parsePolicy(doc: unknown): Json | undefined {
    if (typeof doc === "string") {
        try {
            const parsed: unknown = JSON.parse(doc);
            return parsed && typeof parsed === "object" ? (parsed as Json) : undefined;
        } catch {
            return undefined;
        }
    }
    return doc && typeof doc === "object" ? (doc as Json) : undefined;
}

/** `123456789012`, `arn:aws:iam::123456789012:root`, `*` … as one form: `AWS:<arn>` or `*`. */
function principalsOf(value: unknown): string[] {
    if (value === "*") return ["*"];
    if (!value || typeof value !== "object") return [];
    const out: string[] = [];
    for (const [kind, ids] of Object.entries(value as Json)) {
        for (const id of list(ids).map(String)) {
            if (kind === "AWS" && id === "*") out.push("*");
            else if (kind === "AWS" && /^\d{12}$/.test(id)) out.push(`AWS:arn:aws:iam::${id}:root`);
            else if (kind === "Service") out.push(`Service:${id.toLowerCase()}`);
            else out.push(`${kind}:${id}`);
        }
    }
    return out;
}

function conditionsOf(value: unknown): Condition[] {
    if (!value || typeof value !== "object") return [];
    const out: Condition[] = [];
    for (const [operator, keys] of Object.entries(value as Json)) {
        if (!keys || typeof keys !== "object") continue;
        for (const [key, values] of Object.entries(keys as Json)) {
            out.push({ operator, key: key.toLowerCase(), values: list(values).map(String).sort() });
        }
    }
    return out;
}

function dimensions(plain: unknown, negated: unknown, absent: string): Dimension[] {
    if (negated !== undefined) return [{ not: true, items: list(negated).map(String) }];
    const items = list(plain).map(String);
    return (items.length === 0 ? [absent] : items).map((item) => ({ not: false, item }));
}

/**
 * The statements of a policy document. `identity`: an identity policy (no Principal; the holder
 * is the principal). A document that does not parse has no statements.
 */
export function statementsOf(doc: unknown, identity: boolean): Statement[] {
    const parsed = parsePolicy(doc);
    return (list(parsed?.Statement) as Json[])
        .filter((s) => s && typeof s === "object" && (s.Effect === "Allow" || s.Effect === "Deny"))
        .map((s, index) => ({
            index,
            ...(typeof s.Sid === "string" && s.Sid !== "" ? { sid: s.Sid } : {}),
            effect: s.Effect as "Allow" | "Deny",
            principals: identity
                ? [{ not: false, item: HOLDER }]
                : s.NotPrincipal !== undefined
                  ? [{ not: true, items: principalsOf(s.NotPrincipal) }]
                  : principalsOf(s.Principal).map((item) => ({ not: false, item })),
            // A statement without Action (or Resource) grants nothing; "" matches nothing.
            actions: dimensions(s.Action, s.NotAction, ""),
            resources: dimensions(s.Resource, s.NotResource, identity ? "" : "*"),
            conditions: conditionsOf(s.Condition),
        }));
}

export function grantsOf(statements: readonly Statement[]): Grant[] {
    return statements.flatMap((statement) =>
        statement.principals.flatMap((principal) =>
            statement.actions.flatMap((action) =>
                statement.resources.map((resource) => ({ statement, principal, action, resource })),
            ),
        ),
    );
}

/**
 * Whether every string `inner` (itself a pattern) can match is matched by `outer`: `*` matches
 * any run of characters, `?` one character. An inner wildcard is only covered by an outer `*`
 * (an outer `?` stands for one character, an inner `*` for any number).
 */
export function patternCovers(outer: string, inner: string, ignoreCase: boolean): boolean {
    const o = ignoreCase ? outer.toLowerCase() : outer;
    const i = ignoreCase ? inner.toLowerCase() : inner;
    const memo = new Map<number, boolean>();
    const go = (a: number, b: number): boolean => {
        if (a === o.length) return b === i.length;
        const key = a * (i.length + 1) + b;
        const known = memo.get(key);
        if (known !== undefined) return known;
        let result: boolean;
        if (o[a] === "*") result = go(a + 1, b) || (b < i.length && go(a, b + 1));
        else if (b === i.length) result = false;
        else if (o[a] === "?") result = i[b] !== "*" && go(a + 1, b + 1);
        else result = i[b] !== "*" && i[b] !== "?" && o[a] === i[b] && go(a + 1, b + 1);
        memo.set(key, result);
        return result;
    };
    return go(0, 0);
}

const hasWildcard = (s: string) => /[*?]/.test(s);

type Match = (outer: string, inner: string) => boolean;

export const actionMatch: Match = (outer, inner) => inner !== "" && patternCovers(outer, inner, true);
export const resourceMatch: Match = (outer, inner) => inner !== "" && patternCovers(outer, inner, false);

/** Principals: `*` covers all; an account's root covers that account's principals; else the same one. */
export const principalMatch: Match = (outer, inner) => {
    if (outer === "*" || outer === inner) return true;
    const root = /^AWS:arn:([^:]+):iam::(\d{12}):root$/.exec(outer);
    return root !== null && new RegExp(`^AWS:arn:${root[1]}:(iam|sts)::${root[2]}:`).test(inner);
};

/** Whether `outer` allows (or denies) everything `inner` does, in one dimension. */
export function dimensionCovers(outer: Dimension, inner: Dimension, match: Match): boolean {
    if (!outer.not) {
        return inner.not ? outer.item === "*" : match(outer.item, inner.item);
    }
    if (!inner.not) {
        // "Everything but X" covers a literal name that no X matches; a pattern may overlap X.
        return !hasWildcard(inner.item) && !outer.items.some((x) => match(x, inner.item));
    }
    // "Everything but X" covers "everything but Y" when Y leaves out at least what X does.
    return outer.items.every((x) => inner.items.some((y) => match(y, x)));
}

/** Whether grant `outer`'s principal, action and resource cover `inner`'s (conditions aside). */
export function grantCovers(outer: Grant, inner: Grant): boolean {
    return (
        dimensionCovers(outer.principal, inner.principal, principalMatch) &&
        dimensionCovers(outer.action, inner.action, actionMatch) &&
        dimensionCovers(outer.resource, inner.resource, resourceMatch)
    );
}

const negated = (operator: string) => /Not/.test(operator);
const patterned = (operator: string) => /Like$|LikeIfExists$/.test(operator);

/** Whether condition `narrow` (on the same key and operator) admits no request that `wide` refuses. */
function conditionWithin(narrow: Condition, wide: Condition): boolean {
    if (narrow.operator !== wide.operator || narrow.key !== wide.key) return false;
    const match = (o: string, i: string) => (patterned(wide.operator) ? patternCovers(o, i, false) : o === i);
    if (/^(Bool|Null|Numeric|Date|Binary)/.test(wide.operator.replace(/^For(All|Any)Value:/, ""))) {
        return narrow.values.join("\n") === wide.values.join("\n");
    }
    return negated(wide.operator)
        ? wide.values.every((w) => narrow.values.some((n) => match(n, w)))
        : narrow.values.every((n) => wide.values.some((w) => match(w, n)));
}

/** The conditions of `wide` that `narrow` does not keep (empty: `narrow` is at least as strict). */
export function conditionsLost(narrow: readonly Condition[], wide: readonly Condition[]): Condition[] {
    return wide.filter((w) => !narrow.some((n) => conditionWithin(n, w)));
}

export function conditionText(c: Condition): string {
    return `${c.key} ${c.operator} ${c.values.join(" or ")}`;
}

/** A principal in plain words. */
export function principalText(p: Dimension, name: (v: string) => string): string {
    if (p.not) return `everyone but ${p.items.map((x) => principalText({ not: false, item: x }, name)).join(", ")}`;
    if (p.item === "*") return "anyone (*)";
    const root = /^AWS:arn:[^:]+:iam::(\d{12}):root$/.exec(p.item);
    if (root) return `account ${root[1]}`;
    const [kind, ...rest] = p.item.split(":");
    const id = rest.join(":");
    if (kind === "Service") return `service ${id}`;
    if (kind === "Federated") return `federated ${id}`;
    return name(id);
}

export function dimensionText(d: Dimension, name: (v: string) => string): string {
    if (d.not) return `everything but ${d.items.map(name).join(",")}`;
    return d.item === "*" ? "* (any resource)" : name(d.item);
}

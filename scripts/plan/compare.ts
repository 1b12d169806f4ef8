/**
 * The change review: a head plan against a base plan (`--compare base.json`). Resources are
 * matched by URN: added, removed, and changed with the input paths that changed; the
 * security-relevant changes in plain words (security.ts); and the monthly cost delta, item by
 * item.
 */
import type { CostLine } from "./cost";
import type { PlanDocument, PlanResource } from "./document";
import { securityChanges, type SecurityFinding } from "./security";

export interface InputChange {
    /** Dotted input path, e.g. `ingress.0.cidrIpv4` or `tags.Name`. */
    readonly path: string;
    readonly before?: unknown;
    readonly after?: unknown;
}

export interface ResourceChange {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: InputChange[];
}

export interface CostDelta {
    readonly item: string;
    readonly beforeUsd?: number;
    readonly afterUsd?: number;
    readonly deltaUsd: number;
}

export interface Comparison {
    readonly base: { readonly stack: string; readonly resources: number };
    readonly added: Array<Pick<PlanResource, "urn" | "type" | "name">>;
    readonly removed: Array<Pick<PlanResource, "urn" | "type" | "name">>;
    readonly changed: ResourceChange[];
    readonly security: SecurityFinding[];
    readonly cost: {
        readonly lines: CostDelta[];
        readonly beforeUsd: number;
        readonly afterUsd: number;
        readonly deltaUsd: number;
        /** Items not priced in one plan or both (with their quantities where known): not in the delta. */
        readonly notPriced: string[];
    };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";

/** The paths at which two input trees differ (arrays by index, objects by key). */
export function diffInputs(before: unknown, after: unknown, path = ""): InputChange[] {
    if (Array.isArray(before) && Array.isArray(after)) {
        const n = Math.max(before.length, after.length);
        return Array.from({ length: n }, (_, i) => diffInputs(before[i], after[i], join(path, String(i)))).flat();
    }
    if (isObject(before) && isObject(after) && !Array.isArray(before) && !Array.isArray(after)) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
        return keys.flatMap((k) => diffInputs(before[k], after[k], join(path, k)));
    }
    if (JSON.stringify(before) === JSON.stringify(after)) return [];
    return [
        {
            path: path || "(inputs)",
            ...(before === undefined ? {} : { before }),
            ...(after === undefined ? {} : { after }),
        },
    ];
}

const join = (path: string, key: string) => (path === "" ? key : `${path}.${key}`);

const brief = (r: PlanResource) => ({ urn: r.urn, type: r.type, name: r.name });

function costDelta(base: readonly CostLine[], head: readonly CostLine[]): Comparison["cost"] {
    const items = [...new Set([...base.map((l) => l.item), ...head.map((l) => l.item)])];
    const before = new Map(base.map((l) => [l.item, l]));
    const after = new Map(head.map((l) => [l.item, l]));
    const lines: CostDelta[] = [];
    const notPriced: string[] = [];
    for (const item of items) {
        const b = before.get(item);
        const a = after.get(item);
        // Not priced on either side: the delta cannot include it, so it is always named.
        if (b?.notPriced || a?.notPriced) {
            const q = (l?: CostLine) => (l?.quantity === undefined ? "" : `${l.quantity} ${l.unit ?? ""}`.trim());
            const change =
                b?.quantity !== a?.quantity && (b?.quantity !== undefined || a?.quantity !== undefined)
                    ? ` (${q(b) || "none"} → ${q(a) || "none"})`
                    : "";
            notPriced.push(`${item}${change}`);
            continue;
        }
        const beforeUsd = b?.monthlyUsd;
        const afterUsd = a?.monthlyUsd;
        const deltaUsd = (afterUsd ?? 0) - (beforeUsd ?? 0);
        if (Math.abs(deltaUsd) < 0.005) continue;
        lines.push({
            item,
            ...(beforeUsd === undefined ? {} : { beforeUsd }),
            ...(afterUsd === undefined ? {} : { afterUsd }),
            deltaUsd,
        });
    }
    const sum = (ls: readonly CostLine[]) => ls.reduce((s, l) => s + (l.monthlyUsd ?? 0), 0);
    return {
        lines: lines.sort((x, y) => Math.abs(y.deltaUsd) - Math.abs(x.deltaUsd) || x.item.localeCompare(y.item)),
        beforeUsd: sum(base),
        afterUsd: sum(head),
        deltaUsd: sum(head) - sum(base),
        notPriced,
    };
}

/** Compares a head plan with a base plan. */
export function compare(base: PlanDocument, head: PlanDocument): Comparison {
    const baseByUrn = new Map(base.resources.map((r) => [r.urn, r]));
    const headByUrn = new Map(head.resources.map((r) => [r.urn, r]));
    const changed: ResourceChange[] = [];
    for (const r of head.resources) {
        const b = baseByUrn.get(r.urn);
        if (!b) continue;
        const inputs = diffInputs(b.inputs, r.inputs);
        if (inputs.length > 0) changed.push({ urn: r.urn, type: r.type, name: r.name, inputs });
    }
    return {
        base: { stack: base.stack, resources: base.resources.filter((r) => r.custom).length },
        added: head.resources.filter((r) => r.custom && !baseByUrn.has(r.urn)).map(brief),
        removed: base.resources.filter((r) => r.custom && !headByUrn.has(r.urn)).map(brief),
        changed,
        security: securityChanges(base.resources, head.resources),
        cost: costDelta(base.cost.lines, head.cost.lines),
    };
}

/**
 * The plan as data: what `npm run plan -- --format json` writes and `--compare` reads back. Built
 * from an offline evaluation of the real program; everything a reviewer (or a comparison) needs,
 * nothing secret: secret inputs are replaced by a marker, assets and long strings by their size
 * and hash, and IAM policy documents are kept as objects so that a comparison can read them.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type { Evaluation, RegisteredResource } from "../offline";
import { estimateCost, type CostReport } from "./cost";
import { renderDiagram } from "./diagram";
import { runPolicyPack, type PolicyReport } from "./policyReport";

export const PLAN_FORMAT = "ha-webstack-plan/1";

export interface PlanResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent?: string;
    readonly custom: boolean;
    /** The values other resources refer to this one by (its id, ARN, name, identifier). */
    readonly refs: string[];
    /** Its inputs, sanitized (see the module's comment). */
    readonly inputs: Record<string, unknown>;
}

export interface PlanDocument {
    readonly format: typeof PLAN_FORMAT;
    readonly stack: string;
    readonly region: string;
    readonly config: Record<string, string>;
    readonly resources: PlanResource[];
    readonly outputs: Record<string, unknown>;
    readonly cost: CostReport;
    readonly policy: PolicyReport;
    /** Mermaid flowchart source. */
    readonly diagram: string;
}

/** Strings longer than this are shown by size and hash (user data, dashboard bodies, bundles). */
const LONG = 240;

function digest(text: string): string {
    return crypto.createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** An IAM (or resource) policy document given as a JSON string, parsed; else undefined. */
function policyDocument(text: string): Record<string, unknown> | undefined {
    if (!text.trimStart().startsWith("{") || !text.includes("Statement")) return undefined;
    try {
        const doc = JSON.parse(text) as Record<string, unknown>;
        return doc && typeof doc === "object" && "Statement" in doc ? doc : undefined;
    } catch {
        return undefined;
    }
}

/**
 * A value with secrets, assets and long strings replaced. `path` is the dotted input path (array
 * items by index: `ingress.0.cidrBlocks`); `secretPaths` and `assets` are keyed the way
 * scripts/offline.ts records them (secrets: `ingress[0].cidrBlocks`; assets: dotted).
 */
export function sanitize(
    value: unknown,
    secretPaths: ReadonlySet<string>,
    assets: Readonly<Record<string, string>> = {},
    path = "",
    secretPath = "",
): unknown {
    if (secretPath !== "" && secretPaths.has(secretPath)) return "[secret]";
    if (path !== "" && assets[path] !== undefined) return `[${assets[path]}]`;
    if (typeof value === "string") {
        const doc = policyDocument(value);
        if (doc) return doc;
        return value.length > LONG ? `[${Buffer.byteLength(value)} bytes, sha256 ${digest(value)}]` : value;
    }
    if (Array.isArray(value)) {
        return value.map((v, i) =>
            sanitize(v, secretPaths, assets, path === "" ? String(i) : `${path}.${i}`, `${secretPath}[${i}]`),
        );
    }
    if (value && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[pulumi.runtime.specialSigKey] !== undefined) {
            return `[asset, sha256 ${digest(JSON.stringify(record))}]`;
        }
        return Object.fromEntries(
            Object.entries(record).map(([k, v]) => [
                k,
                sanitize(
                    v,
                    secretPaths,
                    assets,
                    path === "" ? k : `${path}.${k}`,
                    secretPath === "" ? k : `${secretPath}.${k}`,
                ),
            ]),
        );
    }
    return value;
}

function refsOf(r: RegisteredResource): string[] {
    const refs = [r.id, r.state.arn, r.state.name, r.state.identifier, r.state.bucket];
    return [...new Set(refs.filter((v): v is string => typeof v === "string" && v !== ""))];
}

export function planResources(resources: readonly RegisteredResource[]): PlanResource[] {
    return resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        ...(r.parentUrn ? { parent: r.parentUrn } : {}),
        custom: r.custom,
        refs: r.custom ? refsOf(r) : [],
        inputs: sanitize(r.inputs, new Set(r.secretPaths), r.assets) as Record<string, unknown>,
    }));
}

/** The plan of an evaluation: resources, outputs, cost, policy results and diagram. */
export function buildDocument(stack: string, config: Record<string, string>, ev: Evaluation): PlanDocument {
    const region = config["aws:region"] ?? "us-east-1";
    const resources = planResources(ev.resources);
    return {
        format: PLAN_FORMAT,
        stack,
        region,
        config,
        resources,
        outputs: sanitize(ev.outputs, new Set()) as Record<string, unknown>,
        cost: estimateCost(resources, region),
        policy: runPolicyPack(ev.resources),
        diagram: renderDiagram(resources),
    };
}

/** Reads a plan written by `--format json`; throws with what is wrong. */
export function parseDocument(text: string, file: string): PlanDocument {
    let doc: Partial<PlanDocument>;
    try {
        doc = JSON.parse(text) as Partial<PlanDocument>;
    } catch (e) {
        throw new Error(`${file} is not JSON: ${(e as Error).message}`, { cause: e });
    }
    if (doc.format !== PLAN_FORMAT || !Array.isArray(doc.resources) || !doc.cost) {
        throw new Error(`${file} is not a plan written by npm run plan -- --format json (format ${PLAN_FORMAT})`);
    }
    return doc as PlanDocument;
}

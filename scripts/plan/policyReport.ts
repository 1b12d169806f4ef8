/**
 * The policy pack's results on the evaluated stack: what `pulumi preview --policy-pack policy`
 * would report, run offline (policy/testing.ts). A mandatory violation fails the plan; an
 * advisory one is listed.
 */
import { DEFAULT_ENFORCEMENT, PACK_NAME, policies } from "../../policy/policies";
import { runPolicies } from "../../policy/testing";
import type { RegisteredResource } from "../offline";

export interface PolicyFinding {
    readonly policy: string;
    readonly level: "mandatory" | "advisory";
    /** The resource's logical name ("" for a stack-wide finding). */
    readonly resource: string;
    readonly type: string;
    readonly message: string;
}

export interface PolicyReport {
    readonly pack: string;
    /** How many policies ran. */
    readonly policies: number;
    readonly mandatory: PolicyFinding[];
    readonly advisory: PolicyFinding[];
}

/** Runs every policy of the pack on the resources as AWS would report them (inputs + computed outputs). */
export function runPolicyPack(resources: readonly RegisteredResource[]): PolicyReport {
    const levels = new Map(policies.map((p) => [p.name, p.enforcementLevel ?? DEFAULT_ENFORCEMENT]));
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    // A disabled policy does not run under the engine either.
    const enabled = policies.filter((p) => levels.get(p.name) !== "disabled");
    // Each policy throws "not applicable" for every resource of another type: thousands of errors,
    // whose stack traces would be most of the run.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    let violations: ReturnType<typeof runPolicies>;
    try {
        violations = runPolicies(
            resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.state, id: r.id })),
            enabled,
        );
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
    }
    const findings = violations.map((v): PolicyFinding => {
        const level = levels.get(v.policy);
        const resource = byUrn.get(v.urn);
        return {
            policy: v.policy,
            // Any level but advisory fails, as the engine's "mandatory" and "remediate" do.
            level: level === "advisory" ? "advisory" : "mandatory",
            resource: resource?.name ?? "",
            type: resource?.type ?? "",
            message: v.message,
        };
    });
    return {
        pack: PACK_NAME,
        policies: enabled.length,
        mandatory: findings.filter((f) => f.level === "mandatory"),
        advisory: findings.filter((f) => f.level === "advisory"),
    };
}

/**
 * Runs the policies without the policy engine: what `pulumi preview --policy-pack policy` would
 * report, for the tests and the offline plan. A stand-in for the engine's side of the protocol
 * (the args it builds, `notApplicable`, secrets unwrapped); the policies themselves live in
 * `./policies`, and the pack (`./index.ts`) never loads this file.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    Policies,
    PolicyResource,
    ResourceValidation,
    ResourceValidationArgs,
    StackValidationArgs,
} from "@pulumi/policy";
import { getPulumiType, policies } from "./policies";

/** One resource as the program registers it: its inputs, plus what stack policies can use to match references. */
export interface PolicyResourceRecord {
    type: string;
    name: string;
    urn: string;
    props: Record<string, any>;
    /** The resource's ID (under mocks: what `newResource` returned), so references like `bucket: b.id` match. */
    id?: string;
    /** Property name → URNs that property's value came from, as the engine reports them. */
    propertyDependencies?: Record<string, string[]>;
}

export interface Violation {
    policy: string;
    urn: string;
    message: string;
}

/** Thrown by `args.notApplicable()`, as the policy server's own NotApplicableError is. */
export class PolicyNotApplicable extends Error {
    constructor(reason?: string) {
        super(reason ?? "not applicable");
        this.name = "PolicyNotApplicable";
    }
}

function throwNotApplicable(reason?: string): never {
    throw new PolicyNotApplicable(reason);
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
    return getPulumiType(resourceClass) === type;
}

/** Builds the `ResourceValidationArgs` the policy server would pass for a resource with these inputs. */
export function resourceArgs(
    resource: Pick<PolicyResourceRecord, "type" | "props"> & Partial<PolicyResourceRecord>,
): ResourceValidationArgs {
    const name = resource.name ?? "test";
    const props = unwrapSecrets(resource.props) as Record<string, any>;
    return {
        type: resource.type,
        props,
        urn: resource.urn ?? `urn:pulumi:test::ha-webstack::${resource.type}::${name}`,
        name,
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
        },
        stackTags: new Map<string, string>(),
        isType: (cls) => isTypeOf(resource.type, cls),
        asType: ((cls: unknown) =>
            isTypeOf(resource.type, cls) ? props : undefined) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: throwNotApplicable,
    };
}

/** Builds the `StackValidationArgs` the policy server would pass for these resources. */
export function stackArgs(resources: ReadonlyArray<PolicyResourceRecord>): StackValidationArgs {
    const byUrn = new Map<string, PolicyResource>();
    const policyResources = resources.map((r): PolicyResource => {
        const props = unwrapSecrets({
            ...r.props,
            ...(r.id !== undefined && r.props.id === undefined ? { id: r.id } : {}),
        }) as Record<string, any>;
        const resource: PolicyResource = {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: resourceArgs(r).opts,
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(r.type, cls),
            asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
        };
        byUrn.set(r.urn, resource);
        return resource;
    });
    resources.forEach((r, i) => {
        for (const [property, urns] of Object.entries(r.propertyDependencies ?? {})) {
            const deps = urns.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
            policyResources[i].propertyDependencies[property] = deps;
            policyResources[i].dependencies.push(...deps.filter((d) => policyResources[i].dependencies.indexOf(d) < 0));
        }
    });
    return {
        resources: policyResources,
        stackTags: new Map(),
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: throwNotApplicable,
    };
}

/**
 * Runs every resource policy against every resource and every stack policy against the whole list,
 * as `pulumi preview --policy-pack policy` would, and returns the violations. Synchronous: every
 * policy here is; one that returns a promise is a programming error and throws.
 */
export function runPolicies(resources: ReadonlyArray<PolicyResourceRecord>, only: Policies = policies): Violation[] {
    const violations: Violation[] = [];
    for (const policy of only) {
        if ("validateStack" in policy) {
            const args = stackArgs(resources);
            callSync(policy.name, () =>
                policy.validateStack(args, (message, urn) =>
                    violations.push({ policy: policy.name, urn: urn ?? "", message }),
                ),
            );
            continue;
        }
        const validations =
            policy.validateResource === undefined ? [] : ([] as ResourceValidation[]).concat(policy.validateResource);
        for (const resource of resources) {
            const args = resourceArgs(resource);
            for (const validate of validations) {
                callSync(policy.name, () =>
                    validate(args, (message) => violations.push({ policy: policy.name, urn: resource.urn, message })),
                );
            }
        }
    }
    return violations;
}

function callSync(policyName: string, run: () => Promise<void> | void): void {
    try {
        if (run() instanceof Promise) {
            throw new Error(`policy ${policyName} returned a promise; runPolicies expects synchronous policies`);
        }
    } catch (e) {
        if (!(e instanceof PolicyNotApplicable)) {
            throw e;
        }
    }
}

/** Replaces `{ [sig]: secret, value }` wrappers by their value, recursively: policies see plain inputs. */
export function unwrapSecrets(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (value !== null && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
            return unwrapSecrets(record.value);
        }
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(record)) {
            out[k] = unwrapSecrets(v);
        }
        return out;
    }
    return value;
}

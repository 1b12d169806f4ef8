/**
 * Evaluates a consumer's Pulumi program (an example in examples/, installed from the packed
 * library) under mocks, the way the engine would run it, and records what it registers.
 *
 * Unlike scripts/offline.ts (which evaluates this repository's own program), this applies
 * `transforms`: the mock monitor hands a resource its own transforms and runs none of them, while
 * the engine applies a component's transforms "to a resource and all of its children"
 * (https://www.pulumi.com/docs/iac/concepts/resources/options/transforms/). That inheritance is
 * what a consumer relies on to change a child's arguments, so it is emulated here: a resource's
 * own transforms, then its parent's, up the tree (the order is this emulation's choice; the
 * examples use one transform each, where it does not matter).
 */
import * as pulumi from "@pulumi/pulumi";
import { mockCall, mockOutputs, settle } from "../../scripts/offline";

export interface ConsumerResource {
    type: string;
    name: string;
    urn: string;
    parentUrn?: string;
    custom: boolean;
    /** The inputs after every transform, as the provider would receive them. */
    inputs: Record<string, any>;
}

export interface ConsumerEvaluation {
    resources: ConsumerResource[];
    /** The program's stack outputs (its module exports), resolved. */
    outputs: Record<string, unknown>;
}

/**
 * Runs `load` (which requires the program's compiled entry) under mocks for `project`/`stack`
 * with `config` (keys without a namespace are the project's), waits for every registration, and
 * returns the resources and the resolved exports.
 */
export async function evaluateConsumer(
    project: string,
    load: () => Record<string, unknown>,
    config: Record<string, string> = {},
    stack = "dev",
): Promise<ConsumerEvaluation> {
    const region = "us-east-1";
    const resources: ConsumerResource[] = [];
    // URN → the transforms that apply to its children (its own, then its ancestors').
    const inherited = new Map<string, pulumi.ResourceTransform[]>();
    let pendingParent: string | undefined;

    const mocks: pulumi.runtime.Mocks = {
        newResource: async (args) => {
            const parentUrn = pendingParent;
            pendingParent = undefined;
            const custom = args.custom !== false;
            const chain = [...(args.transforms ?? []), ...(parentUrn ? (inherited.get(parentUrn) ?? []) : [])];
            let props: Record<string, any> = args.inputs ?? {};
            let opts: pulumi.CustomResourceOptions = {};
            for (const transform of chain) {
                const result = await transform({ custom, type: args.type, name: args.name, props, opts });
                if (result) {
                    props = result.props;
                    opts = result.opts;
                }
            }
            const urn = mockUrn(parentUrn, args.type, args.name, project, stack);
            inherited.set(urn, chain);
            resources.push({ type: args.type, name: args.name, urn, parentUrn, custom, inputs: props });
            const { id, state } = mockOutputs(args.type, args.name, props, region);
            return { id: custom ? id : undefined, state: { ...props, ...state } };
        },
        call: (args) => mockCall(args.token, args.inputs ?? {}, region),
    };
    await pulumi.runtime.setMocks(mocks, project, stack, false);
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v])),
    );
    // The mocks API does not show the parent; the registration request does (newResource is
    // called synchronously inside registerResource).
    const monitor = (pulumi.runtime as any).getMonitor();
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: unknown) => {
        pendingParent = req.getParent() || undefined;
        return registerResource(req, callback);
    };

    // As scripts/offline.ts: no stack frames for the SDK's promises, most of an evaluation's time.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        const exports = load();
        await settle();
        await new Promise((r) => setImmediate(r));
        await settle();
        const outputs: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(exports)) {
            outputs[key] = pulumi.Output.isInstance(value)
                ? await new Promise((r) => (value as pulumi.Output<unknown>).apply((v) => r(v)))
                : value;
        }
        return { resources, outputs };
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
    }
}

/** The URN the mock monitor gives a resource (runtime/mocks.js newUrn). */
function mockUrn(parentUrn: string | undefined, type: string, name: string, project: string, stack: string): string {
    const qualified = parentUrn ? `${parentUrn.split("::")[2].split("$").pop()}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

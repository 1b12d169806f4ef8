/**
 * Property tests (fast-check): random inputs by the thousand against the rules that examples
 * miss. The subnet arithmetic, and the failover controller's decision core (`decide()`), driven
 * through random health sequences with operator actions and hand edits mixed in.
 */
import fc from "fast-check";
import {
    afterMove,
    decide,
    decideManual,
    EMPTY_PERSISTED,
    parsePersisted,
    persisted,
    samePosition,
    stateFrom,
    type ControllerSettings,
    type ControllerState,
    type MoveKind,
    type Weights,
    positionOf,
} from "../lambda/failover/controller";
import { MAX_VPC_PREFIX, subnetLayout } from "../components/network/subnets";
import {
    formatIpv4,
    ipv4Cidr,
    MAX_AZS,
    MIN_AZS,
    networkAddress,
    parseIpv4Cidr,
    subnetOf,
} from "../components/shared/validation";

/** [first, last] address of a CIDR block, as unsigned 32-bit numbers. */
function range(cidr: string): [number, number] {
    const { base, prefix } = parseIpv4Cidr(cidr)!;
    return [base, base + 2 ** (32 - prefix) - 1];
}

/** A VPC CIDR block the Network accepts: any base address, /16 to /22, host bits zero. */
const vpcCidr = fc
    .record({ address: fc.integer({ min: 0, max: 2 ** 32 - 1 }), prefix: fc.integer({ min: 16, max: MAX_VPC_PREFIX }) })
    .map(({ address, prefix }) => `${formatIpv4(networkAddress(address, prefix))}/${prefix}`);

describe("subnet arithmetic (properties)", () => {
    it("should carve subnets that never overlap, stay inside the VPC and fit an ALB", () => {
        fc.assert(
            fc.property(vpcCidr, fc.integer({ min: MIN_AZS, max: MAX_AZS }), (cidr, azCount) => {
                const layout = subnetLayout(cidr, azCount);
                const subnets = [...layout.public, ...layout.private, ...layout.isolated];
                const [vpcFirst, vpcLast] = range(cidr);
                const ranges = subnets.map(range).sort((a, b) => a[0] - b[0]);
                return (
                    subnets.length === 3 * azCount &&
                    // Valid blocks: host bits zero (AWS refuses 10.0.0.1/21) ...
                    subnets.every((s) => ipv4Cidr("subnet", s) === s) &&
                    // ... of /27 or larger, the least an ALB takes (8 free addresses after AWS's 5) ...
                    subnets.every((s) => parseIpv4Cidr(s)!.prefix <= 27) &&
                    // ... inside the VPC ...
                    ranges.every(([first, last]) => first >= vpcFirst && last <= vpcLast) &&
                    // ... and disjoint.
                    ranges.every(([first], i) => i === 0 || first > ranges[i - 1][1])
                );
            }),
            { numRuns: 2000 },
        );
    });

    it("should put the n-th block of any split where cidrsubnet would, and refuse an index out of range", () => {
        fc.assert(
            fc.property(
                vpcCidr,
                fc.integer({ min: 0, max: 10 }),
                fc.integer({ min: 0, max: 2 ** 10 }),
                (cidr, extraBits, index) => {
                    const { base, prefix } = parseIpv4Cidr(cidr)!;
                    const newPrefix = Math.min(32, prefix + extraBits);
                    const count = 2 ** (newPrefix - prefix);
                    if (index >= count) {
                        expect(() => subnetOf(cidr, newPrefix, index)).toThrow(/out of range/);
                        return;
                    }
                    const block = subnetOf(cidr, newPrefix, index);
                    expect(range(block)[0]).toBe(base + index * 2 ** (32 - newPrefix));
                    expect(parseIpv4Cidr(block)!.prefix).toBe(newPrefix);
                },
            ),
            { numRuns: 1000 },
        );
    });

    it("should reject any block whose host bits are not zero, and suggest the network address", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 2 ** 32 - 1 }),
                fc.integer({ min: 1, max: 31 }),
                (address, prefix) => {
                    const text = `${formatIpv4(address)}/${prefix}`;
                    const network = networkAddress(address, prefix);
                    if (network === address) {
                        expect(ipv4Cidr("k", text)).toBe(text);
                    } else {
                        expect(() => ipv4Cidr("k", text)).toThrow(`did you mean ${formatIpv4(network)}/${prefix}?`);
                    }
                },
            ),
            { numRuns: 1000 },
        );
    });
});

// ---------------------------------------------------------------------------------------------
// The failover controller's decisions
// ---------------------------------------------------------------------------------------------

/** One poll of a random history: health, how long since the previous poll, and what happened first. */
interface Step {
    activeHealthy: number | null;
    failoverHealthy: number | null;
    /** Seconds since the previous poll. */
    dt: number;
    operator:
        | { kind: "none" }
        | { kind: "edit"; weights: Weights }
        | { kind: "manual"; action: "failover" | "failback"; force: boolean }
        /** The run ends and the next one takes over, from the saved state (cleanly or after a lapsed lease). */
        | { kind: "restart"; expired: boolean };
}

const weightsArb: fc.Arbitrary<Weights> = fc.constantFrom(
    { active: 100, failover: 0 },
    { active: 0, failover: 100 },
    { active: 50, failover: 50 },
    { active: 0, failover: 0 },
    { active: 1, failover: 0 },
);

/** Long runs of a dead or a healthy group are what the rules are about; unknown health too. */
const healthArb = fc.oneof(fc.constant(0), fc.constant(2), fc.constant(null), fc.integer({ min: 0, max: 3 }));

const stepArb: fc.Arbitrary<Step> = fc.record({
    activeHealthy: healthArb,
    failoverHealthy: healthArb,
    dt: fc.integer({ min: 1, max: 120 }),
    operator: fc.oneof(
        { weight: 20, arbitrary: fc.constant({ kind: "none" as const }) },
        { weight: 1, arbitrary: weightsArb.map((weights) => ({ kind: "edit" as const, weights })) },
        {
            weight: 1,
            arbitrary: fc.record({
                kind: fc.constant("manual" as const),
                action: fc.constantFrom("failover" as const, "failback" as const),
                force: fc.boolean(),
            }),
        },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant("restart" as const), expired: fc.boolean() }) },
    ),
});

const settingsArb: fc.Arbitrary<ControllerSettings> = fc.record({
    failback: fc.constantFrom("automatic" as const, "manual" as const),
    failbackAfterSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 900 })),
    maxHoldDownLevel: fc.integer({ min: 0, max: 3 }),
    confirmations: fc.integer({ min: 1, max: 4 }),
    pollIntervalSeconds: fc.constant(1),
});

interface AutomaticMove {
    poll: number;
    kind: MoveKind;
    activeHealthy: number | null;
    failoverHealthy: number | null;
    /** An operator holds traffic on the failover group, and no operator acted since. */
    held: boolean;
}

/**
 * Replays a history through decide() the way the poller does (the listener read at every poll),
 * with runs ending and the next taking over from the saved state, and records every automatic move.
 */
function replay(settings: ControllerSettings, steps: Step[], armed: boolean): AutomaticMove[] {
    // The controller has seen the listener as the stack deployed it (100/0).
    let state: ControllerState = stateFrom({ ...EMPTY_PERSISTED, armed, lastPosition: "active" });
    let weights: Weights = { active: 100, failover: 0 };
    let time = 0;
    let operatorHold = false;
    const moves: AutomaticMove[] = [];
    steps.forEach((step, poll) => {
        time += step.dt * 1000;
        const op = step.operator;
        if (op.kind === "edit") {
            // An edit that leaves traffic where it was is no move at all.
            if (positionOf(op.weights) !== positionOf(weights)) operatorHold = positionOf(op.weights) === "failover";
            weights = op.weights;
        } else if (op.kind === "manual") {
            const manual = decideManual(
                state,
                op,
                { time, activeHealthy: step.activeHealthy, failoverHealthy: step.failoverHealthy, weights },
                settings,
            );
            state = manual.state;
            if (manual.move) weights = manual.move.to;
            if (!manual.refused) operatorHold = op.action === "failover";
        } else if (op.kind === "restart") {
            // What the next run starts from: the saved state, read back, counters at zero.
            const saved = parsePersisted(JSON.parse(JSON.stringify(persisted(state))))!;
            state = stateFrom(op.expired ? { ...saved, activeHealthySince: null } : saved);
        }
        const decision = decide(state, { time, ...step, weights, listenerRead: true }, settings);
        state = decision.state;
        if (decision.move && !samePosition(weights, decision.move.to)) {
            moves.push({ poll, kind: decision.move.kind, ...step, held: operatorHold });
            weights = decision.move.to;
            state = afterMove(state, decision.move, time, settings);
            operatorHold = false;
        }
    });
    return moves;
}

const history = fc.array(stepArb, { minLength: 1, maxLength: 120 });

describe("the failover controller's decide() (properties)", () => {
    it("should never move traffic to a group with no healthy target", () => {
        fc.assert(
            fc.property(settingsArb, history, fc.boolean(), (settings, steps, armed) => {
                for (const move of replay(settings, steps, armed)) {
                    const destination = move.kind === "failover" ? move.failoverHealthy : move.activeHealthy;
                    expect(destination).toBeGreaterThanOrEqual(1);
                }
            }),
            { numRuns: 3000 },
        );
    });

    it("should never move more than once per confirmation window", () => {
        // Without hand edits: an operator's own weight change is a move the controller did not
        // make, and how the controller treats one is a rule of its own (tested by the handler).
        const noHandEdits = fc.array(
            stepArb.filter((step) => step.operator.kind !== "edit"),
            { minLength: 1, maxLength: 120 },
        );
        fc.assert(
            fc.property(settingsArb, noHandEdits, fc.boolean(), (settings, steps, armed) => {
                const moves = replay(settings, steps, armed);
                for (let i = 1; i < moves.length; i++) {
                    expect(moves[i].poll - moves[i - 1].poll).toBeGreaterThanOrEqual(settings.confirmations);
                }
            }),
            { numRuns: 3000 },
        );
    });

    it("should never undo an operator's hold by itself", () => {
        fc.assert(
            fc.property(settingsArb, history, fc.boolean(), (settings, steps, armed) => {
                const undone = replay(settings, steps, armed).filter((m) => m.kind === "failback" && m.held);
                expect(undone).toEqual([]);
            }),
            { numRuns: 3000 },
        );
    });

    it("should reach failovers and failbacks: the generators exercise both kinds of move", () => {
        // Not a property: the histories above must exercise both moves, or they would prove nothing.
        const kinds = new Set<string>();
        fc.assert(
            fc.property(settingsArb, history, (settings, steps) => {
                replay(settings, steps, true).forEach((m) => kinds.add(m.kind));
            }),
            { numRuns: 500 },
        );
        expect([...kinds].sort()).toEqual(["failback", "failover"]);
    });
});

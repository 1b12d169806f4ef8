/**
 * The lease that keeps overlapping runs of the failover controller apart, under the faults that
 * make a write's outcome unknown: a reply lost after DynamoDB applied the write, an answer that
 * comes back slower than the call's timeout, a run that gives up at the very moment it is handed
 * the lease, a Lambda retry that reuses the request id. The simulated account records who made
 * each ModifyListener and who held the lease when it landed (`World.unleasedMoves`).
 */
import type { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { createHandler } from "../lambda/failover/handler";
import { CALL_TIMEOUTS_MS, type Clients } from "../lambda/failover/runtime";
import { DEFAULT_LATENCY_MS, invoke, schedule, throttling, WORLD_ENV, type Fault } from "../scripts/failover-world";
import { DEFAULT_CONFIG } from "../lambda/failover/config";
import {
    HANDOVER_CONFIRM_MS,
    LATE_WRITE_MS,
    LEASE_SAFETY_MS,
    stopReserveMs,
    type RunContext,
} from "../lambda/failover/context";
import { acknowledgeHandover } from "../lambda/failover/poller";
import type { ControllerItem } from "../lambda/failover/store";
import { failoverCallSeconds, handoverSeconds } from "../components/failoverController/timing";
import {
    isHandover,
    isPendingWrite,
    isReclaim,
    isRenewal,
    MIN,
    movedAfter,
    pollGaps,
    server,
    setup,
    type Setup,
} from "./failover-setup";

/** A successor waits for the lease only while it has more than this left (see `obtainLease`). */
const WAIT_LIMIT_MS = stopReserveMs(DEFAULT_CONFIG) + 2 * DEFAULT_CONFIG.leaseSeconds * 1000;

/** ELB calls a run made after `t`. */
const elbCallsAfter = (s: Setup, run: string | undefined, t: number) =>
    s.world.calls.filter((c) => c.run === run && /^Describe|^Modify/.test(c.command) && c.at > t);

describe("a handover whose outcome the old holder does not know", () => {
    /**
     * The relay of three scheduled runs, the active pool dying around the first handover (at
     * about 60 s), the handover slowed or its reply replaced by `fault`.
     */
    async function relay(died: number, phase: number, fault: Fault, clients?: (world: Setup["world"]) => Clients) {
        const s = setup({ active: [server("a1", [[died, died + 60_000]], "refuse", phase)] });
        s.world.faults.push(fault);
        const handler = clients
            ? createHandler({
                  env: WORLD_ENV,
                  clients: clients(s.world),
                  clock: s.world.clock,
                  log: (r) => s.logs.push({ t: s.world.clock.now(), ...r }),
              })
            : s.handler;
        void schedule(s.world, handler, { count: 12, first: 0, delay: () => 300 });
        await s.world.clock.run(12 * MIN);
        return s;
    }

    // Alignments of the pool's death and its health checks with the first handover (at about 60 s).
    it.each([
        [56_000, 250],
        [54_000, 2_250],
        [58_000, 3_250],
        [56_000, 1_000],
        [58_000, 0],
    ])(
        "should stop moving and polling once a handover landed whose reply timed out (pool dies at %i ms, checks at %i ms)",
        async (died, phase) => {
            // DynamoDB applies each handover 10 ms after the holder gave up waiting for it (its
            // timeout), before the holder's read of the item that follows arrives.
            const applied = CALL_TIMEOUTS_MS.db + 10;
            const s = await relay(died, phase, (command, input) =>
                isHandover(command, input) ? 2 * applied - DEFAULT_LATENCY_MS : undefined,
            );
            const handover = s.world.calls.find((c) => isHandover(c.command, c.input))!;
            expect(handover).toBeDefined();
            expect(s.world.callsOutsideLease()).toEqual([]);
            expect(s.world.unleasedMoves()).toEqual([]);
            expect(elbCallsAfter(s, handover.run, handover.at + applied)).toEqual([]);
            // The failover is the controller's own: no hand edit, no hold, back once the pool is.
            expect(s.events("hand_edit")).toEqual([]);
            expect(s.world.moves.map((m) => m.weights.active)).toEqual([0, 100]);
            expect(s.events("run_complete")[0]).toMatchObject({ ended: "handed_over" });
        },
    );

    it("should neither poll nor move while a handover whose reply was lost is unconfirmed, even when the item cannot be read", async () => {
        // The first handover lands but its reply is lost; for 3 s after it the old holder can
        // neither read the item nor write it: its lease is unknown (`leaseUntil` = -Infinity).
        let handover: { at: number; run?: string } | undefined;
        const s = await relay(58_000, 250, (command, input, t, run) => {
            if (isHandover(command, input) && handover === undefined) {
                handover = { at: t, run };
                // Applied 50 ms before the timeout, answered well after it.
                return 4 * CALL_TIMEOUTS_MS.db - 100 - DEFAULT_LATENCY_MS;
            }
            const blind = handover !== undefined && run === handover.run && t < handover.at + 3_000;
            return blind && (command === "GetItem" || command === "UpdateItem") ? throttling() : undefined;
        });
        expect(handover).toBeDefined();
        const failed = s.world.calls.filter((c) => c.run === handover!.run && c.error === "ThrottlingException");
        expect(failed.map((c) => c.command)).toEqual(expect.arrayContaining(["GetItem", "UpdateItem"]));
        expect(elbCallsAfter(s, handover!.run, handover!.at)).toEqual([]);
        expect(s.world.callsOutsideLease()).toEqual([]);
        expect(s.world.unleasedMoves()).toEqual([]);
        expect(s.events("run_complete")[0]).toMatchObject({ ended: "lease_lost" });
        expect(s.world.moves.map((m) => m.weights.active)).toEqual([0, 100]);
    });

    it("should void a handover that reaches DynamoDB only after the holder gave up on it and renewed", async () => {
        // The first handover lands 1.5 s after it was sent, 1 s after the holder's timeout, its
        // read (still its own lease) and its renewal: it must fail then, not hand the lease over
        // from under a holder that carried on.
        let slowed = false;
        const s = await relay(60_500, 250, (command, input) => {
            if (!isHandover(command, input) || slowed) return undefined;
            slowed = true;
            return 3_000;
        });
        const handovers = s.world.calls.filter((c) => isHandover(c.command, c.input));
        expect(handovers.length).toBeGreaterThanOrEqual(2);
        expect(s.world.callsOutsideLease()).toEqual([]);
        expect(s.world.unleasedMoves()).toEqual([]);
        expect(s.events("run_complete")[0]).toMatchObject({ ended: "handed_over" });
        // The holder went on polling while it waited to hand over again.
        const polls = s.world
            .callsOf("DescribeTargetHealth")
            .filter(
                (c) =>
                    c.input.TargetGroupArn === s.world.groups.active.arn && c.at > 5_000 && c.at < s.world.moves[0].at,
            );
        const gaps = polls.slice(1).map((c, i) => c.at - polls[i].at);
        expect(Math.max(...gaps)).toBeLessThan(1_600);
    });

    it("should not read a handover that a retried attempt reports as ConditionalCheckFailed as the successor leaving", async () => {
        // What an SDK retry would do: the first attempt lands, the reply is lost, the second
        // attempt finds the lease already handed over and fails its condition.
        const died = 56_000;
        let failed = false;
        const s = await relay(
            died,
            250,
            () => undefined,
            (world) => {
                const clients = world.clients();
                const send = clients.dynamodb.send.bind(clients.dynamodb) as (c: UpdateItemCommand) => Promise<unknown>;
                const dynamodb = {
                    send: async (command: UpdateItemCommand) => {
                        const out = await send(command);
                        if (!failed && String(command.input?.UpdateExpression).startsWith("SET #holder = :successor")) {
                            failed = true;
                            throw Object.assign(new Error("The conditional request failed"), {
                                name: "ConditionalCheckFailedException",
                                $fault: "client",
                            });
                        }
                        return out;
                    },
                };
                return { ...clients, dynamodb } as unknown as Clients;
            },
        );
        expect(failed).toBe(true);
        const handover = s.world.calls.find((c) => isHandover(c.command, c.input))!;
        expect(s.world.unleasedMoves()).toEqual([]);
        expect(elbCallsAfter(s, handover.run, handover.at + 100)).toEqual([]);
        expect(s.events("hand_edit")).toEqual([]);
    });

    it("should keep polling and hand over at a later renewal when a handover fails and the item cannot be read", async () => {
        const s = setup();
        let refused = 0;
        let readsFailingUntil = -1;
        s.world.faults.push((command, input, t) => {
            if (isHandover(command, input) && refused < 2) {
                refused += 1;
                readsFailingUntil = t + 500;
                return throttling();
            }
            return command === "GetItem" && t < readsFailingUntil ? throttling() : undefined;
        });
        await s.runMinutes(3);
        expect(refused).toBe(2);
        expect(s.events("lease_error").filter((e) => /^handover to/.test(String(e.error)))).toHaveLength(2);
        expect(s.events("run_complete")[0]).toMatchObject({ ended: "handed_over" });
        const polls = s.world
            .callsOf("DescribeTargetHealth")
            .filter((c) => c.input.TargetGroupArn === s.world.groups.active.arn && c.at > 5_000);
        const gaps = polls.slice(1).map((c, i) => c.at - polls[i].at);
        expect(Math.max(...gaps)).toBeLessThan(2_500);
        expect(s.world.unleasedMoves()).toEqual([]);
    });
});

describe("the lease's length", () => {
    /** The latency to add for a call of `service` to answer 20 ms before its timeout. */
    const nearly = (service: keyof typeof CALL_TIMEOUTS_MS) => CALL_TIMEOUTS_MS[service] - 20 - DEFAULT_LATENCY_MS;
    it.each([1_700, 2_000, 2_300])(
        "should count from the expiry written to DynamoDB, not from when a slow acquire and state load came back (checks at %i ms)",
        async (phase) => {
            // No state in the table yet (so the first run reads 0.1's listener tag), the acquire
            // and that read each nearly time out (0.75 s together), then every renewal fails: the
            // lease the table holds ends 15 s after the acquire was sent (at 15.3 s), so no move
            // may start after 12.3 s. The pool is marked out between 11.7 and 12.3 s and seen by a
            // poll before 13.05 s, when a lease counted from the state load would still allow it.
            const s = setup({ state: null, active: [server("a1", [[6_000, Infinity]], "refuse", phase)] });
            s.world.faults.push((command, input) => {
                const update = String(input.UpdateExpression);
                if (command === "UpdateItem" && update.startsWith("SET #holder = :me")) return nearly("db");
                if (command === "DescribeTags") return nearly("elb");
                return command === "UpdateItem" && update.startsWith("SET #expiresAt") ? throttling() : undefined;
            });
            await s.runMinutes(1);
            expect(s.world.moves).toEqual([]);
            // The run's own view stops it: DynamoDB's check (the pending move's condition) is not needed.
            const errors = s.events("lease_error").map((e) => String(e.error));
            expect(errors).toContain("lease not renewed in time: not moving");
            expect(errors.filter((e) => /DynamoDB does not give/.test(e))).toEqual([]);
        },
    );
});

describe("a holder whose lease lapsed", () => {
    it("should stop polling and reporting once its lease has lapsed: the next holder's failover is no hand edit", async () => {
        // The first run's renewals fail from 20 s on; the next run takes the lapsed lease at about
        // 60 s and fails over when the pool dies at 80 s.
        const died = 80_000;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        s.world.faults.push((command, input, t) => {
            const me = (input.ExpressionAttributeValues as Record<string, { S?: string }> | undefined)?.[":me"]?.S;
            return command === "UpdateItem" && me?.startsWith("req-first/") && t > 20_000 ? throttling() : undefined;
        });
        void invoke(s.world, s.handler, { source: "aws.events" }, { id: "req-first" });
        void s.world.clock.sleep(60_000).then(() => invoke(s.world, s.handler, { source: "aws.events" }));
        await s.world.clock.run(3 * MIN);
        const renewals = s.world.calls.filter((c) => c.run === "req-first" && c.command === "UpdateItem" && !c.error);
        const lapsedAt = renewals[renewals.length - 1].at + 15_000;
        expect(s.events("lease_acquired")[1]).toMatchObject({ takeover: "expired" });
        expect(s.world.moves).toHaveLength(1);
        expect(s.events("hand_edit")).toEqual([]);
        expect(s.world.published.map((p) => p.subject)).toEqual([expect.stringMatching(/^ha-webstack failover:/)]);
        expect(elbCallsAfter(s, "req-first", lapsedAt)).toEqual([]);
    });
});

describe("runs that come and go", () => {
    it.each([0, 50])(
        "should not leave the lease orphaned when a successor gives up just as it is handed over (%i ms into its wait)",
        async (x) => {
            // The successor arrives just before the holder's renewal at 11.3 s (which finds it
            // waiting: the holder hands over after its next poll, at 12.1 s). Its invocation has
            // 0.8 s (+ x) more than WAIT_LIMIT_MS left: it gives up waiting about 0.8 s in, just before the handover
            // lands, and clearing its mark is slow.
            const s = setup();
            s.world.faults.push((command, input) =>
                command === "UpdateItem" && String(input.UpdateExpression) === "REMOVE #successor, #successorSince"
                    ? 1_000
                    : undefined,
            );
            void invoke(s.world, s.handler, { source: "aws.events" }, { id: "holder" });
            void s.world.clock
                .sleep(11_250)
                .then(() =>
                    invoke(
                        s.world,
                        s.handler,
                        { source: "aws.events" },
                        { id: "late", timeoutMs: WAIT_LIMIT_MS + 800 + x },
                    ),
                );
            await s.world.clock.run(60_000);
            expect(s.events("run_complete").map((e) => e.ended)).toEqual(["handed_over", "released"]);
            expect(s.world.orphanedLeases()).toEqual([]);
            // The relay went on without a gap: the next run found the lease released, not lapsed.
            expect(s.world.invocations.find((i) => i.id === "late")?.end).toBeLessThan(48_500);
        },
    );

    it("should not hand the lease to a run that left while its successor mark was still on the way (issue 9)", async () => {
        // The successor's registration times out (300 ms) but lands 1.6 s later: its first read
        // of the item shows no successor. Had it left then ("covered"), the holder's next renewal
        // would find the late mark and hand the lease to a run that is gone: no polls until the
        // lease lapsed and the next scheduled run took it over (36.8 s; the failover 30.15 s
        // after the death). It registers again instead, and the relay goes on without a gap.
        const died = 30_000;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        let registrations = 0;
        s.world.faults.push((command, input) =>
            command === "UpdateItem" &&
            String(input.UpdateExpression).startsWith("SET #successor = :me") &&
            registrations++ === 0
                ? 1_600
                : undefined,
        );
        void invoke(s.world, s.handler, { source: "aws.events" }, { id: "holder" });
        void s.world.clock
            .sleep(20_000)
            .then(() => invoke(s.world, s.handler, { source: "aws.events" }, { id: "late" }));
        void s.world.clock
            .sleep(60_000)
            .then(() => invoke(s.world, s.handler, { source: "aws.events" }, { id: "next" }));
        await s.world.clock.run(3 * MIN);
        // The active group was polled all along: no gap longer than a handover allows.
        const polls = s.world
            .callsOf("DescribeTargetHealth")
            .filter((c) => c.input.TargetGroupArn === s.world.groups.active.arn)
            .map((c) => c.at);
        const gaps = polls.slice(1).map((t, i) => t - polls[i]);
        expect(polls[polls.length - 1]).toBeGreaterThan(3 * MIN - 2_000);
        expect(Math.max(...gaps)).toBeLessThanOrEqual(
            (2 * DEFAULT_CONFIG.pollIntervalSeconds + handoverSeconds()) * 1000,
        );
        expect(movedAfter(s.world, died)).toBeLessThanOrEqual(failoverCallSeconds());
        // "late" waited and was handed the lease; nobody took a lapsed one over.
        expect(s.events("run_complete").map((e) => e.ended)).not.toContain("already_covered");
        expect(s.events("lease_acquired").map((e) => [String(e.runId).split("/")[0], e.takeover])).toEqual([
            ["holder", "clean"],
            ["late", "clean"],
            ["next", "clean"],
        ]);
        expect(registrations).toBeGreaterThan(1);
    });

    it("should take back a lease handed to a successor that gave up unseen (it could neither clear its mark nor read the item), and relay on (issue 9)", async () => {
        const s = setup();
        s.world.faults.push((command, input, t) => {
            if (command === "UpdateItem" && String(input.UpdateExpression) === "REMOVE #successor, #successorSince")
                return throttling();
            // The holder renews at 11.3 s, finds the successor waiting and hands over after its
            // poll at 12.05 s; the successor's reads fail from just before then until after it
            // gave up waiting (2.25 s in).
            return command === "GetItem" && t > 12_000 && t < 14_000 ? throttling() : undefined;
        });
        void invoke(s.world, s.handler, { source: "aws.events" }, { id: "holder" });
        void s.world.clock
            .sleep(11_250)
            .then(() =>
                invoke(s.world, s.handler, { source: "aws.events" }, { id: "late", timeoutMs: WAIT_LIMIT_MS + 2_250 }),
            );
        void s.world.clock
            .sleep(40_000)
            .then(() => invoke(s.world, s.handler, { source: "aws.events" }, { id: "next" }));
        await s.world.clock.run(90_000);
        // The holder watched for the successor's first renewal, saw none, took the lease back
        // (before this, the lease stayed orphaned until it lapsed, and nobody polled until the next
        // scheduled run took it over 28 s later), and handed it to the next run at 40 s.
        expect(
            s
                .events("handover_reclaimed")
                .map((e) => [String(e.runId).split("/")[0], String(e.successor).split("/")[0]]),
        ).toEqual([["holder", "late"]]);
        expect(s.events("run_complete").map((e) => e.ended)).toEqual(["already_covered", "handed_over"]);
        expect(s.events("lease_acquired").map((e) => [String(e.runId).split("/")[0], e.takeover])).toEqual([
            ["holder", "clean"],
            ["next", "clean"],
        ]);
        const { last, largest } = pollGaps(s);
        expect(last).toBeGreaterThan(88_000);
        expect(largest).toBeLessThanOrEqual(HANDOVER_CONFIRM_MS + 2 * DEFAULT_CONFIG.pollIntervalSeconds * 1000);
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    it("should take back a lease handed to a successor that died while it waited, and fail over in time (issue 9)", async () => {
        // "late" registers at 11.25 s and then stops answering: every call it makes from 11.5 s on
        // never returns (a crashed sandbox, a lost network). The holder hands it the lease at
        // 12.05 s; the pool dies at 14 s. Without the take-back nobody polls until the lease lapses
        // and the next run takes it over (at 60 s: a failover 46 s after the death).
        const died = 14_000;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        s.world.faults.push((_command, _input, t, run) => (run === "late" && t > 11_500 ? Infinity : undefined));
        void invoke(s.world, s.handler, { source: "aws.events" }, { id: "holder" });
        void s.world.clock
            .sleep(11_250)
            .then(() => invoke(s.world, s.handler, { source: "aws.events" }, { id: "late" }));
        await s.world.clock.run(50_000);
        expect(s.events("handover_reclaimed")).toHaveLength(1);
        expect(movedAfter(s.world, died)).toBeLessThanOrEqual(failoverCallSeconds());
        const { last, largest } = pollGaps(s);
        expect(last).toBeGreaterThan(48_000);
        expect(largest).toBeLessThanOrEqual(HANDOVER_CONFIRM_MS + 2 * DEFAULT_CONFIG.pollIntervalSeconds * 1000);
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    /** A holder from 0 s, a successor from 11.25 s (handed the lease after the poll at about 12 s), a run at 40 s. */
    async function handoverTo(s: Setup, until = 50_000) {
        void invoke(s.world, s.handler, { source: "aws.events" }, { id: "holder" });
        void s.world.clock
            .sleep(11_250)
            .then(() => invoke(s.world, s.handler, { source: "aws.events" }, { id: "late" }));
        await s.world.clock.run(until);
    }
    const byRun = (s: Setup, event: string) => s.events(event).map((e) => String(e.runId).split("/")[0]);

    it("should take the lease back from a dead successor when the take-back lands only after its reply timed out (issue 9)", async () => {
        // Every take-back is applied 1 s after it was sent, long after the holder stopped waiting
        // for its answer. The holder tries again (moving nothing) until one is refused, and a
        // read shows whose the lease is: its own.
        const died = 14_000;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        s.world.faults.push((command, input, _t, run) => {
            if (run === "late" && _t > 11_500) return Infinity;
            return run === "holder" && _t > 12_000 && isReclaim(command, input) ? 2_000 : undefined;
        });
        await handoverTo(s);
        expect(s.events("lease_error").map((e) => String(e.error))).toContainEqual(
            expect.stringMatching(/^take-back from late.*trying again/),
        );
        expect(byRun(s, "handover_reclaimed")).toEqual(["holder"]);
        expect(movedAfter(s.world, died)).toBeLessThanOrEqual(failoverCallSeconds());
        expect(pollGaps(s).last).toBeGreaterThan(48_000);
        expect(s.world.unleasedMoves()).toEqual([]);
        expect(s.world.callsOutsideLease()).toEqual([]);
    });

    it("should try a throttled take-back again, and fail over in time (issue 9)", async () => {
        const died = 14_000;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        let throttled = 0;
        s.world.faults.push((command, input, t, run) => {
            if (run === "late" && t > 11_500) return Infinity;
            return run === "holder" && isReclaim(command, input) && t > 12_000 && throttled++ < 2
                ? throttling()
                : undefined;
        });
        await handoverTo(s);
        expect(throttled).toBeGreaterThanOrEqual(3);
        expect(byRun(s, "handover_reclaimed")).toEqual(["holder"]);
        expect(movedAfter(s.world, died)).toBeLessThanOrEqual(failoverCallSeconds());
        expect(pollGaps(s).last).toBeGreaterThan(48_000);
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    /** A dead successor, and take-backs throttled until `throttledFor` ms after the handover, then applied 10 ms after their timeout. */
    async function lateTakeBacks(throttledFor: number, readsThrottled: [number, number] = [0, 0]) {
        const s = setup();
        let handedAt = Infinity;
        s.world.faults.push((command, input, t, run) => {
            if (isHandover(command, input)) handedAt = Math.min(handedAt, t);
            if (run === "late" && t > 11_500) return Infinity;
            const [from, to] = readsThrottled.map((ms) => handedAt + ms);
            if (run === "holder" && command === "GetItem" && t >= from && t < to) return throttling();
            if (run !== "holder" || !isReclaim(command, input) || t < handedAt) return undefined;
            return t < handedAt + throttledFor ? throttling() : 2 * (CALL_TIMEOUTS_MS.db + 10) - DEFAULT_LATENCY_MS;
        });
        await handoverTo(s);
        const tries = s.world.calls.filter(
            (c) => c.run === "holder" && isReclaim(c.command, c.input) && c.at >= handedAt,
        );
        return { s, handedAt, tries };
    }
    const LEASE_MS = DEFAULT_CONFIG.leaseSeconds * 1000;
    /** The last moment a take-back may start: one that gets no answer can still land and be read before the lease ends. */
    const LAST_TRY_MS = LEASE_MS - LEASE_SAFETY_MS - LATE_WRITE_MS - CALL_TIMEOUTS_MS.db;

    it("should settle a last take-back that got no answer with a read once it can no longer land (issue 9)", async () => {
        // Only the last try the handed lease leaves time for gets through, 10 ms after its timeout:
        // the holder reads the item once it can no longer land, finds the lease its own, polls on.
        const { s, tries } = await lateTakeBacks(LAST_TRY_MS - 300);
        expect(tries.filter((c) => c.error === undefined)).toHaveLength(1);
        expect(byRun(s, "handover_reclaimed")).toEqual(["holder"]);
        expect(s.world.orphanedLeases()).toEqual([]);
        expect(pollGaps(s).last).toBeGreaterThan(48_000);
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    it("should not take a throttled read after a take-back that got no answer for a settled one (issue 9)", async () => {
        // A try that gets no answer (it lands after its timeout), then a read that is throttled,
        // then no time for another try: the try may still land, so the holder still reads once it
        // can no longer, and finds the lease its own.
        const { s, tries } = await lateTakeBacks(LAST_TRY_MS - 1_000, [LAST_TRY_MS - 300, LAST_TRY_MS + 1_000]);
        expect(tries.filter((c) => c.error === undefined)).toHaveLength(1);
        const reads = s.world.calls.filter((c) => c.run === "holder" && c.command === "GetItem" && c.at > tries[0].at);
        expect(reads.some((c) => c.error === "ThrottlingException")).toBe(true);
        expect(byRun(s, "handover_reclaimed")).toEqual(["holder"]);
        expect(s.world.orphanedLeases()).toEqual([]);
        expect(pollGaps(s).last).toBeGreaterThan(48_000);
    });

    it("should start no take-back it could not settle before the handed lease ends (issue 9)", async () => {
        // Throttled until a try could land after the holder gave up: it starts none then, and
        // leaves, so the dead successor's lease lapses when it was due, not a lease later.
        const { s, handedAt, tries } = await lateTakeBacks(LEASE_MS - LEASE_SAFETY_MS - 400);
        expect(tries.length).toBeGreaterThan(0);
        expect(Math.max(...tries.map((c) => c.at)) - handedAt).toBeLessThan(LAST_TRY_MS + 50);
        expect(s.events("handover_reclaimed")).toEqual([]);
        expect(s.events("run_complete")[0]).toMatchObject({ ended: "handed_over" });
        expect(s.world.orphanedLeases()).toEqual([]);
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    it("should watch a handover that removed the record of a lease check that got no answer (issue 9)", async () => {
        // Just before the handover, a poll's read of the active group gets no answer; the read
        // again at once starts the move's lease check, whose first record gets no answer either
        // (its retry lands). The handover removes the record: final, since a late record's
        // condition names the old holder. The successor died: the holder watches, and takes back.
        const died = 14_000;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        const lost = { read: 0, record: 0 };
        s.world.faults.push((command, input, t, run) => {
            if (run === "late" && t > 11_500) return Infinity;
            if (run !== "holder" || t < 11_800) return undefined;
            if (command === "DescribeTargetHealth" && lost.read++ === 0) return Infinity;
            if (isPendingWrite(command, input) && lost.record++ === 0) return Infinity;
            return undefined;
        });
        await handoverTo(s);
        const record = s.world.calls.find((c) => c.run === "holder" && isPendingWrite(c.command, c.input))!;
        const handover = s.world.calls.find((c) => isHandover(c.command, c.input))!;
        expect(lost.record).toBeGreaterThanOrEqual(2);
        expect(handover.at - record.at).toBeLessThan(LATE_WRITE_MS);
        expect(byRun(s, "handover_reclaimed")).toEqual(["holder"]);
        expect(movedAfter(s.world, died)).toBeLessThanOrEqual(failoverCallSeconds());
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    it("should watch a handover whose reply was lost, and take the lease back from a successor that died (issue 9)", async () => {
        const died = 14_000;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        s.world.faults.push((command, input, t, run) => {
            if (run === "late" && t > 11_500) return Infinity;
            // Applied 50 ms before the holder's timeout (at half the latency), answered after it.
            return isHandover(command, input) ? 2 * (CALL_TIMEOUTS_MS.db - 50) : undefined;
        });
        await handoverTo(s);
        expect(s.events("lease_error").map((e) => String(e.error))).toContainEqual(
            expect.stringMatching(/^handover to late/),
        );
        expect(byRun(s, "handover_reclaimed")).toEqual(["holder"]);
        expect(movedAfter(s.world, died)).toBeLessThanOrEqual(failoverCallSeconds());
        expect(pollGaps(s).last).toBeGreaterThan(48_000);
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    it("should not take the lease back from a live successor whose first poll is slow: it acknowledges before it polls (issue 9)", async () => {
        // No ELB read the successor makes before 15 s gets an answer: its first poll ends in
        // timeouts, after its acknowledgement, which does not wait for it.
        const s = setup();
        s.world.faults.push((command, _input, t, run) =>
            run === "late" && t < 15_000 && command.startsWith("Describe") ? Infinity : undefined,
        );
        await handoverTo(s, 30_000);
        const handover = s.world.calls.find((c) => isHandover(c.command, c.input))!;
        const ack = s.world.calls.find((c) => c.run === "late" && c.at > handover.at && isRenewal(c.command, c.input))!;
        const firstRead = s.world.calls.find((c) => c.run === "late" && c.command === "DescribeTargetHealth")!;
        expect(ack.at).toBeLessThan(firstRead.at + CALL_TIMEOUTS_MS.elb);
        expect(ack.at - handover.at).toBeLessThan(HANDOVER_CONFIRM_MS);
        expect(s.events("handover_reclaimed")).toEqual([]);
        expect(s.events("lease_lost")).toEqual([]);
        expect(s.events("run_complete").map((e) => e.ended)).toEqual(["handed_over"]);
    });

    it("should retry an acknowledgement that got no answer at once, and keep the lease it took (issue 9)", async () => {
        // The first acknowledgement gets no answer, and the successor's first poll hangs (no ELB
        // read answers before 16 s): the second try, not a renewal after that poll, confirms it.
        let lost = 0;
        const s = setup();
        s.world.faults.push((command, input, t, run) => {
            if (run !== "late") return undefined;
            if (t < 16_000 && command.startsWith("Describe")) return Infinity;
            if (!isRenewal(command, input) || lost > 0) return undefined;
            lost += 1;
            return Infinity;
        });
        await handoverTo(s, 30_000);
        expect(lost).toBe(1);
        expect(s.events("lease_error").map((e) => String(e.error))).toContainEqual(
            expect.stringMatching(/^handover not acknowledged/),
        );
        const handover = s.world.calls.find((c) => isHandover(c.command, c.input))!;
        const [first, second] = s.world.calls.filter(
            (c) => c.run === "late" && c.at > handover.at && isRenewal(c.command, c.input),
        );
        expect(second.at - first.at).toBeLessThanOrEqual(CALL_TIMEOUTS_MS.db + 10);
        expect(s.events("handover_reclaimed")).toEqual([]);
        expect(s.events("lease_lost")).toEqual([]);
        expect(pollGaps(s).last).toBeGreaterThan(28_000);
    });

    it("should end a successor whose acknowledgement finds the lease taken back, having moved nothing (issue 9)", async () => {
        // The successor's reads fail until just before the watch ends; the read that then shows
        // the handover is answered, but its acknowledgement reaches DynamoDB after the take-back.
        const died = 14_000;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        let handedAt = Infinity;
        s.world.faults.push((command, input, t, run) => {
            if (isHandover(command, input)) handedAt = Math.min(handedAt, t);
            if (run !== "late" || t < handedAt) return undefined;
            if (command === "GetItem" && t < handedAt + HANDOVER_CONFIRM_MS - 50) return throttling();
            return isRenewal(command, input) ? 2 * (CALL_TIMEOUTS_MS.db - 20) - DEFAULT_LATENCY_MS : undefined;
        });
        await handoverTo(s);
        expect(byRun(s, "handover_reclaimed")).toEqual(["holder"]);
        expect(byRun(s, "lease_lost")).toEqual(["late"]);
        const ack = s.world.calls.find((c) => c.run === "late" && c.at > handedAt && isRenewal(c.command, c.input))!;
        // The refused acknowledgement ends the run: no renewal of its own after it.
        expect(s.world.calls.filter((c) => c.run === "late" && c.at >= ack.at && c.command === "UpdateItem")).toEqual([
            ack,
        ]);
        expect(s.events("run_complete").find((e) => e.ended === "lease_lost")).toBeDefined();
        expect(s.world.calls.filter((c) => c.run === "late" && c.command === "ModifyListener")).toEqual([]);
        expect(s.world.moves.map((m) => m.run)).toEqual(["holder"]);
        expect(movedAfter(s.world, died)).toBeLessThanOrEqual(failoverCallSeconds());
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    it("should take the lease back when the successor cannot write, and the successor then moves nothing (issue 9)", async () => {
        // The successor reads and polls, but none of its writes get through for 3 s after the
        // handover: neither attempt of its acknowledgement nor its renewals. The pool dies then:
        // the holder, which took the lease back, fails over; the successor finds its lease lost.
        const died = 13_000;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        s.world.faults.push((command, _input, t, run) =>
            run === "late" && command === "UpdateItem" && t > 12_000 && t < 15_500 ? throttling() : undefined,
        );
        await handoverTo(s);
        expect(byRun(s, "handover_reclaimed")).toEqual(["holder"]);
        expect(byRun(s, "lease_lost")).toEqual(["late"]);
        expect(s.world.moves.map((m) => m.run)).toEqual(["holder"]);
        expect(movedAfter(s.world, died)).toBeLessThanOrEqual(failoverCallSeconds());
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    it("should not take back a lease from a live successor: every handover of a relay is confirmed by the new holder's renewal", async () => {
        const s = setup();
        void schedule(s.world, s.handler, { count: 4, periodMs: 60_000 });
        await s.world.clock.run(4 * MIN);
        expect(
            s
                .events("run_complete")
                .map((e) => e.ended)
                .slice(0, 3),
        ).toEqual(["handed_over", "handed_over", "handed_over"]);
        expect(s.events("handover_reclaimed")).toEqual([]);
        expect(pollGaps(s).largest).toBeLessThanOrEqual(
            (2 * DEFAULT_CONFIG.pollIntervalSeconds + handoverSeconds()) * 1000,
        );
    });

    it("should not let a Lambda retry of an invocation (the same request id) take over its dead predecessor's lease as its own", async () => {
        // On the failover group, the active group healthy since 10 s (saved). The first run dies
        // at 30 s (its clock stops: it never wakes again); Lambda retries it with the same id.
        const s = setup({ state: { lastPosition: "failover", activeHealthySince: 10_000 } });
        s.world.weights = { active: 0, failover: 100 };
        const dies = 30_000;
        const dying = createHandler({
            env: WORLD_ENV,
            clients: s.world.clients(),
            clock: {
                now: () => s.world.clock.now(),
                sleep: (ms) =>
                    s.world.clock.now() + ms > dies ? new Promise(() => undefined) : s.world.clock.sleep(ms),
            },
            log: (r) => s.logs.push({ t: s.world.clock.now(), ...r }),
        });
        void invoke(s.world, dying, { source: "aws.events" }, { id: "retried" });
        void s.world.clock
            .sleep(dies + 1_000)
            .then(() => invoke(s.world, s.handler, { source: "aws.events" }, { id: "retried" }));
        await s.world.clock.run(2 * MIN);
        const acquired = s.events("lease_acquired");
        expect(acquired.map((e) => e.takeover)).toEqual(["clean", "expired"]);
        expect(acquired[0].runId).not.toBe(acquired[1].runId);
        // An unclean takeover restarts the failback clock: the dead run may have seen a blip it never saved.
        expect(s.world.savedState()?.activeHealthySince).toBeGreaterThan(dies);
    });
});

describe("the acknowledgement of a handover", () => {
    it("should never write the expiry the handover wrote, even with its clock behind by just the time since (issue 9)", async () => {
        // The old holder tells an acknowledgement by the expiry changing (its watch and the
        // take-back's condition): one that wrote the same expiry would look like no sign of life.
        const leaseMs = DEFAULT_CONFIG.leaseSeconds * 1000;
        const handedExpiry = 1_000_000;
        const written: number[] = [];
        const ctx = {
            config: DEFAULT_CONFIG,
            runId: "late/1",
            clock: { now: () => handedExpiry - leaseMs, sleep: async () => undefined },
            log: () => undefined,
        } as unknown as RunContext;
        const store = {
            renew: async (_me: string, now: number, ms: number) => {
                written.push(now + ms);
                return {} as ControllerItem;
            },
        };
        const ack = await acknowledgeHandover(ctx, store, handedExpiry);
        expect(written).toHaveLength(1);
        expect(written[0]).not.toBe(handedExpiry);
        expect(ack).toEqual({ at: handedExpiry - leaseMs + 1, expiresAt: written[0] });
    });
});

describe("an acquire whose outcome the run does not know", () => {
    it("should take a lease its own timed-out acquire had taken as taken over from an expired holder, not as a clean start", async () => {
        // Traffic on the failover group, its failback clock running; the last holder died.
        const s = setup({
            state: { lastPosition: "failover", activeHealthySince: -100_000 },
            env: { FAILBACK_AFTER_SECONDS: "600" },
        });
        s.world.weights = { active: 0, failover: 100 };
        s.world.table.set("controller", {
            ...s.world.table.get("controller")!,
            holder: { S: "dead-run" },
            expiresAt: { N: "-1" },
        });
        let first = true;
        s.world.faults.push((command, input) => {
            if (command !== "UpdateItem" || !String(input.UpdateExpression).startsWith("SET #holder = :me")) return;
            if (!first) return undefined;
            first = false;
            return 2_000; // applied after 1 s, answered after 2 s: long after the call's timeout
        });
        void invoke(s.world, s.handler, { source: "aws.events" }, { id: "run-1" });
        await s.world.clock.run(30_000);
        const acquires = s.world.calls.filter(
            (c) => c.command === "UpdateItem" && String(c.input.UpdateExpression).startsWith("SET #holder = :me"),
        );
        expect(acquires.length).toBeGreaterThanOrEqual(2);
        expect(s.events("lease_acquired")).toEqual([expect.objectContaining({ takeover: "expired" })]);
    });
});

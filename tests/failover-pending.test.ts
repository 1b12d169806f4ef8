/**
 * A move whose outcome its maker does not know: ModifyListener's reply lost (the call timed out
 * after ELB applied it), or the run that made it unable to save what followed. Before its
 * ModifyListener the holder records the move in the lease item (`pendingMove`, written on
 * condition that DynamoDB still gives it the lease); a listener that then shows that position is
 * the controller's own move, never an operator's hand edit.
 */
import { createHandler } from "../lambda/failover/handler";
import { DEFAULT_CONFIG } from "../lambda/failover/config";
import { CALL_TIMEOUTS_MS } from "../lambda/failover/runtime";
import { DEFAULT_LATENCY_MS, invoke, schedule, throttling, WORLD_ENV } from "../scripts/failover-world";
import { isPendingWrite, MIN, server, setup } from "./failover-setup";

const isModify = (command: string) => command === "ModifyListener";

describe("a move whose outcome is unknown", () => {
    it("should take a failover whose ModifyListener reply was lost for its own: no hand edit, and the automatic failback follows", async () => {
        const died = 2 * MIN;
        const s = setup({ active: [server("a1", [[died, died + 40_000]])] });
        // ELB applies the first ModifyListener 0.1 s before the controller gives up on it.
        const applied = CALL_TIMEOUTS_MS.elbWrite - 100;
        let slowed = false;
        s.world.faults.push((command) => {
            if (!isModify(command) || slowed) return undefined;
            slowed = true;
            return 2 * applied - DEFAULT_LATENCY_MS;
        });
        await s.runMinutes(12);
        expect(s.events("failover_failed")).toEqual([expect.objectContaining({ outcome: "unknown" })]);
        expect(s.world.published[0].subject).toMatch(/^ha-webstack failover: outcome unknown/);
        expect(s.events("failover")).toEqual([expect.objectContaining({ confirmedLater: true })]);
        expect(s.events("hand_edit")).toEqual([]);
        expect(s.world.moves.map((m) => m.weights.active)).toEqual([0, 100]);
        expect(s.world.savedState()).toMatchObject({ hold: false, lastPosition: "active" });
        expect(s.world.table.get("controller")?.pendingMove).toBeUndefined();
    });

    it("should retry a refused ModifyListener at the next poll without waiting for the alert, and alert once", async () => {
        const died = 2 * MIN;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        // The first three ModifyListener calls are throttled; SNS answers just within its timeout.
        let refused = 0;
        s.world.faults.push((command) => {
            if (command === "Publish") return CALL_TIMEOUTS_MS.sns - 50 - DEFAULT_LATENCY_MS;
            if (!isModify(command) || refused >= 3) return undefined;
            refused += 1;
            return throttling();
        });
        await s.runMinutes(4);
        const attempts = s.world.callsOf("ModifyListener");
        expect(attempts).toHaveLength(4);
        // Each retry comes at the next poll, not after the failure's notification.
        const gaps = attempts.slice(1).map((c, i) => c.at - attempts[i].at);
        expect(Math.max(...gaps)).toBeLessThan(CALL_TIMEOUTS_MS.sns - 50);
        expect(Math.max(...gaps)).toBeLessThanOrEqual(2 * DEFAULT_CONFIG.pollIntervalSeconds * 1000);
        // One failure alerted (its log line says it went out), the retries logged as retries.
        expect(s.events("failover_failed")).toEqual([
            expect.objectContaining({ outcome: "unchanged", notified: true }),
        ]);
        expect(s.events("move_retry")).toEqual([
            expect.objectContaining({ kind: "failover", outcome: "unchanged", notified: false }),
            expect.objectContaining({ kind: "failover", outcome: "unchanged", notified: false }),
        ]);
        expect(s.events("failover")).toHaveLength(1);
        expect(s.world.published.map((p) => p.subject)).toEqual([
            expect.stringMatching(/^ha-webstack failover FAILED: weights unchanged/),
            expect.stringMatching(/^ha-webstack failover:/),
        ]);
        expect(s.world.weights).toEqual({ active: 0, failover: 100 });
    });

    it("should let the next run take over a move whose maker could not save it", async () => {
        // The first run fails over, then can save nothing (its writes are throttled) and its lease
        // lapses; the next run finds the listener on the failover group and the pending move.
        const died = 2 * MIN;
        const s = setup({ active: [server("a1", [[died, died + 40_000]])] });
        let mover: string | undefined;
        s.world.faults.push((command, input) => {
            if (isModify(command) && mover === undefined) mover = s.world.table.get("controller")?.holder?.S;
            const me = (input.ExpressionAttributeValues as Record<string, { S?: string }> | undefined)?.[":me"]?.S;
            return command === "UpdateItem" && mover !== undefined && me === mover ? throttling() : undefined;
        });
        await s.runMinutes(12);
        expect(mover).toBeDefined();
        expect(s.events("lease_acquired").find((e) => e.t > s.world.moves[0].at)).toMatchObject({
            takeover: "expired",
        });
        expect(s.events("hand_edit")).toEqual([]);
        expect(s.events("failover").map((e) => e.confirmedLater)).toEqual([undefined, true]);
        // The controller's own move, so no hold: back to the active group once it has been healthy.
        expect(s.world.moves.map((m) => m.weights.active)).toEqual([0, 100]);
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    it("should hold an operator's failover whose ModifyListener reply was lost, once the listener shows it, and say the outcome was unknown", async () => {
        const s = setup();
        void s.runMinutes(1);
        await s.world.clock.run(20_000);
        let slowed = false;
        s.world.faults.push((command) => {
            if (!isModify(command) || slowed) return undefined;
            slowed = true;
            return 1_500;
        });
        const reply = invoke(s.world, s.handler, { action: "failover" });
        await s.world.clock.run(50_000);
        expect(await reply).toMatchObject({
            ok: false,
            outcome: "unknown",
            message: expect.stringMatching(/outcome unknown .*invoke \{"action":"status"\}/),
        });
        await s.runMinutes(12);
        expect(s.world.weights).toEqual({ active: 0, failover: 100 });
        expect(s.world.savedState()).toMatchObject({ hold: true, lastPosition: "failover" });
        expect(s.events("hand_edit")).toEqual([]);
        expect(s.world.moves).toHaveLength(1);
    });

    it.each([
        ["refused", () => throttling(), 2],
        ["lost twice (each lands after the timeout)", () => 1_500, 3],
    ])("should not move when the pending move's record is %s, and move at the next poll", async (_, fault, faulty) => {
        const died = 2 * MIN;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        let refused = 0;
        s.world.faults.push((command, input) =>
            isPendingWrite(command, input) && ++refused < faulty ? fault() : undefined,
        );
        await s.runMinutes(4);
        expect(s.events("lease_error").map((e) => e.error)).toContainEqual(
            expect.stringMatching(/^not moving: the pending move could not be recorded/),
        );
        const pendingWrites = s.world.calls.filter((c) => isPendingWrite(c.command, c.input));
        const modify = s.world.callsOf("ModifyListener");
        expect(modify).toHaveLength(1);
        expect(modify[0].at).toBeGreaterThan(pendingWrites[faulty - 1].at);
        // The next try came a poll later (a lost record is tried once more at once first).
        expect(pendingWrites[faulty - 1].at - pendingWrites[0].at).toBeGreaterThanOrEqual(
            DEFAULT_CONFIG.pollIntervalSeconds * 1000 - CALL_TIMEOUTS_MS.db,
        );
        expect(s.world.moves.map((m) => m.weights)).toEqual([{ active: 0, failover: 100 }]);
        // Whatever landed of it, the record is gone once the state records the move.
        expect(s.world.table.get("controller")?.pendingMove).toBeUndefined();
    });

    it("should try a pending move's record that got no answer once more at once, and move in the same poll (issue 9)", async () => {
        const died = 2 * MIN;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        let lost = 0;
        s.world.faults.push((command, input) => (isPendingWrite(command, input) && lost++ === 0 ? 1_500 : undefined));
        await s.runMinutes(4);
        const pendingWrites = s.world.calls.filter((c) => isPendingWrite(c.command, c.input));
        const modify = s.world.callsOf("ModifyListener");
        expect(modify).toHaveLength(1);
        expect(pendingWrites[1].at - pendingWrites[0].at).toBeLessThanOrEqual(CALL_TIMEOUTS_MS.db + 50);
        expect(modify[0].at).toBeGreaterThan(pendingWrites[1].at);
        expect(modify[0].at - pendingWrites[0].at).toBeLessThan(DEFAULT_CONFIG.pollIntervalSeconds * 1000);
        expect(s.world.table.get("controller")?.pendingMove).toBeUndefined();
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    it("should not take a pending move's record as removed while an unanswered attempt at it may still land (issue 9)", async () => {
        // The first attempt is applied 1.5 s after it was sent, after the retry, the move and the
        // renewal that removed the record: that removal proves nothing, the next write removes it again.
        const died = 2 * MIN;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        let lost = 0;
        s.world.faults.push((command, input) => (isPendingWrite(command, input) && lost++ === 0 ? 3_000 : undefined));
        void schedule(s.world, s.handler, { count: 3, first: 0, delay: () => 300 });
        // The item well after the late attempt landed, and after the next renewal period.
        const seen: { movedAt?: number; pending?: unknown } = {};
        void (async () => {
            while (s.world.moves.length === 0) await s.world.clock.sleep(100);
            seen.movedAt = s.world.moves[0].at;
            await s.world.clock.sleep(2_000 + 2 * DEFAULT_CONFIG.renewSeconds * 1000);
            seen.pending = s.world.table.get("controller")?.pendingMove ?? null;
        })();
        await s.world.clock.run(died + 40_000);
        expect(s.world.callsOf("ModifyListener")).toHaveLength(1);
        expect(seen.movedAt).toBeGreaterThan(died);
        expect(seen.pending).toBeNull();
        expect(s.world.unleasedMoves()).toEqual([]);
    });

    it("should save the state a move leads to before it notifies", async () => {
        const died = 2 * MIN;
        const s = setup({ active: [server("a1", [[died, Infinity]])] });
        await s.runMinutes(4);
        const modify = s.world.callsOf("ModifyListener")[0];
        const after = s.world.calls.filter((c) => c.at >= modify.at && c.command !== "DescribeTargetHealth");
        const save = after.findIndex(
            (c) => c.command === "UpdateItem" && String(c.input.UpdateExpression).includes("#state"),
        );
        const publish = after.findIndex((c) => c.command === "Publish");
        expect(save).toBeGreaterThan(0);
        expect(save).toBeLessThan(publish);
        // The save also removes the pending move it records.
        expect(String(after[save].input.UpdateExpression)).toMatch(/REMOVE #pendingMove/);
    });
});

describe("the lease check made on DynamoDB's side", () => {
    it("should stop a holder from moving once another run holds the lease, although its own clock says it still has it", async () => {
        // The first run's renewals fail from 12 s on (the last one landed at 11.3 s): its lease
        // ends at 26.3 s. A second run whose clock runs 4.5 s fast (more than the 3 s margin)
        // takes it over at 22 s, true time. The pool is marked out at 22.2 s: the first run's poll
        // at 22.45 s sees it while its own bookkeeping still gives it the lease for almost 4 s.
        const s = setup({ active: [server("a1", [[14_000, Infinity]], "refuse", 2_200)] });
        const fast = createHandler({
            env: WORLD_ENV,
            clients: s.world.clients(),
            clock: { now: () => s.world.clock.now() + 4_500, sleep: s.world.clock.sleep },
            log: (r) => s.logs.push({ t: s.world.clock.now(), ...r }),
        });
        // Nor does it read the item (it would see the second run waiting, and hand over to it).
        s.world.faults.push((command, input, t, run) =>
            run === "first" &&
            t > 12_000 &&
            (command === "GetItem" || (command === "UpdateItem" && !isPendingWrite(command, input)))
                ? throttling()
                : undefined,
        );
        void invoke(s.world, s.handler, { source: "aws.events" }, { id: "first" });
        void s.world.clock.sleep(14_130).then(() => invoke(s.world, fast, { source: "aws.events" }, { id: "second" }));
        await s.world.clock.run(60_000);
        expect(s.events("lease_error").map((e) => e.error)).toContainEqual(
            expect.stringMatching(/^not moving: DynamoDB does not give this run the lease/),
        );
        expect(s.world.moves.map((m) => m.run)).toEqual(["second"]);
        expect(s.world.unleasedMoves()).toEqual([]);
    });
});

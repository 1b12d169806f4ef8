/**
 * Operators' requests (`{"action":"failover"}` / `"failback"`) under the faults that strand them:
 * DynamoDB writes throttled, a request taken by the poller just as the operator gives up, a
 * posting whose reply was lost, an answer that cannot be written. The rule: the reply says
 * "nothing changed" only when nothing can change any more; otherwise it says the outcome is
 * unknown. A request is acted on only by a holder that took it out of the item first, and only
 * while it is young (REQUEST_TTL_MS).
 */
import { CLOCK_MARGIN_MS, REQUEST_TTL_MS } from "../lambda/failover/context";
import { sdkClients, type HandlerResult } from "../lambda/failover/handler";
import { boundedCalls, CALL_TIMEOUTS_MS } from "../lambda/failover/runtime";
import { ControllerStore, type RequestRecord } from "../lambda/failover/store";
import { DEFAULT_LATENCY_MS, invoke, throttling, World } from "../scripts/failover-world";
import { MIN, setup, type Setup } from "./failover-setup";

const update = (input: Record<string, unknown>) => String(input.UpdateExpression);

/** A poller running since 0, and an operator's failover posted at 20 s; returns the reply once in. */
async function operatorFailover(s: Setup): Promise<HandlerResult> {
    void s.runMinutes(5);
    await s.world.clock.run(20_000);
    const reply = invoke(s.world, s.handler, { action: "failover" });
    await s.world.clock.run(20_000 + 2 * MIN);
    return (await reply) as HandlerResult;
}

/** What the operator was told agrees with what happened. */
function expectConsistent(s: Setup, reply: HandlerResult) {
    const message = String((reply as { message?: string }).message);
    if (/nothing changed/.test(message)) {
        expect(s.world.moves).toEqual([]);
        expect(s.world.savedState()).toMatchObject({ hold: false });
    }
    if ((reply as { ok: boolean }).ok) expect(s.world.weights).toEqual({ active: 0, failover: 100 });
}

describe("an operator's request", () => {
    it("should never be carried out after the operator was told nothing changed (writes throttled for 14 s)", async () => {
        // Every write but the request itself fails from 20 s to 34.5 s: the poller cannot renew
        // (so it does not see the request), and the operator cannot withdraw it.
        const s = setup();
        s.world.faults.push((command, input, t) =>
            command === "UpdateItem" && t >= 20_000 && t < 34_500 && !update(input).startsWith("SET #request")
                ? throttling()
                : undefined,
        );
        const reply = await operatorFailover(s);
        await s.runMinutes(3);
        expect(reply).toMatchObject({ ok: false, message: expect.stringMatching(/nothing changed/) });
        expectConsistent(s, reply);
        expect(s.world.moves).toEqual([]);
    });

    it("should wait for the poller's answer when the poller took the request before the operator gave up", async () => {
        // The poller's renewals fail from 20 to 29 s, so it sees the request (posted at 20.35 s)
        // only at about 29 s, takes it, and answers slowly (reads, ModifyListener and SNS each
        // 50 ms within its timeout): the operator's 12 s are up before the answer is in.
        const s = setup();
        const slow = (service: keyof typeof CALL_TIMEOUTS_MS) => CALL_TIMEOUTS_MS[service] - 50 - DEFAULT_LATENCY_MS;
        s.world.faults.push((command, input, t) => {
            if (command === "UpdateItem" && update(input).startsWith("SET #expiresAt") && t >= 20_000 && t < 29_000)
                return throttling();
            if (t < 29_000 || t > 40_000) return undefined;
            if (command === "DescribeTargetHealth") return slow("elb");
            if (command === "ModifyListener") return slow("elbWrite");
            return command === "Publish" ? slow("sns") : undefined;
        });
        const reply = await operatorFailover(s);
        const answered = s.world.calls.find(
            (c) => c.command === "UpdateItem" && update(c.input).startsWith("SET #response"),
        );
        expect(answered!.at).toBeGreaterThan(20_350 + REQUEST_TTL_MS);
        expect(reply).toMatchObject({ ok: true, hold: true, position: "failover" });
        expectConsistent(s, reply);
    });

    it("should say nothing changed once a request it cannot withdraw is older than any holder may take (REQUEST_TTL_MS and the clocks' margin)", async () => {
        // The request lands but its reply is lost; every withdrawal is throttled, and the poller's
        // renewals fail from 19 s to 45 s, so it never sees the request while it could take it.
        const s = setup();
        s.world.faults.push((command, input, t) => {
            if (command !== "UpdateItem") return undefined;
            const expression = update(input);
            // Applied at 0.75 of the timeout, answered at 1.5 of it.
            if (expression.startsWith("SET #request")) return 1.5 * CALL_TIMEOUTS_MS.db - DEFAULT_LATENCY_MS;
            if (expression === "REMOVE #request, #requestAt") return throttling();
            return expression.startsWith("SET #expiresAt") && t >= 19_000 && t < 45_000 ? throttling() : undefined;
        });
        void s.runMinutes(5);
        await s.world.clock.run(20_000);
        let repliedAt = Infinity;
        const reply = invoke(s.world, s.handler, { action: "failover" }).then((r) => {
            repliedAt = s.world.clock.now();
            return r as HandlerResult;
        });
        await s.world.clock.run(20_000 + 2 * MIN);
        // Known only once no holder can take it any more: not earlier, and not "unknown" 20 s on.
        expect(await reply).toMatchObject({ ok: false, message: expect.stringMatching(/nothing changed: retry/) });
        expect(repliedAt).toBeGreaterThan(20_000 + REQUEST_TTL_MS + CLOCK_MARGIN_MS);
        expect(repliedAt).toBeLessThan(20_000 + REQUEST_TTL_MS + CLOCK_MARGIN_MS + 2_000);
        expect(s.world.table.get("controller")?.request).toBeDefined();
        expect(s.world.moves).toEqual([]);
        expectConsistent(s, await reply);
    });

    it("should find out what became of a request whose posting timed out after it was written", async () => {
        const s = setup();
        s.world.faults.push((command, input) =>
            command === "UpdateItem" && update(input).startsWith("SET #request") ? 3_000 : undefined,
        );
        const reply = await operatorFailover(s);
        await s.runMinutes(3);
        expect(reply).toMatchObject({ ok: false, message: expect.stringMatching(/nothing changed/) });
        expectConsistent(s, reply);
    });

    it("should say the outcome is unknown when the answer cannot be written", async () => {
        const s = setup();
        s.world.faults.push((command, input) =>
            command === "UpdateItem" && update(input).startsWith("SET #response") ? throttling() : undefined,
        );
        const reply = await operatorFailover(s);
        expect(reply).toMatchObject({
            ok: false,
            outcome: "unknown",
            message: expect.stringMatching(/^outcome unknown: .*invoke \{"action":"status"\}/),
        });
        // It was carried out: that is what `status` shows.
        expect(s.world.weights).toEqual({ active: 0, failover: 100 });
    });

    it("should ignore a request left in the table longer than an operator waits", async () => {
        const s = setup();
        s.world.table.set("controller", {
            ...s.world.table.get("controller")!,
            request: { S: JSON.stringify({ id: "gone", action: "failover", force: true }) },
            requestAt: { N: String(-REQUEST_TTL_MS - 1) },
        });
        await s.runMinutes(2);
        expect(s.world.moves).toEqual([]);
        expect(s.world.savedState()).toMatchObject({ hold: false });
    });

    it.each([
        ["refused", () => throttling()],
        ["lost", () => Number.POSITIVE_INFINITY],
    ])(
        "should not act on a request it could not take (the write %s): the operator is told nothing changed",
        async (_, fault) => {
            const s = setup();
            s.world.faults.push((command, input) =>
                command === "UpdateItem" && update(input).startsWith("REMOVE #request, #requestAt, #response")
                    ? fault()
                    : undefined,
            );
            const reply = await operatorFailover(s);
            expect(s.events("lease_error").some((e) => /not taken/.test(String(e.error)))).toBe(true);
            expect(reply).toMatchObject({ ok: false, message: expect.stringMatching(/nothing changed/) });
            expectConsistent(s, reply);
            expect(s.world.moves).toEqual([]);
        },
    );

    it("should say nothing changed when the table refuses the request itself", async () => {
        const s = setup();
        s.world.faults.push((command, input) =>
            command === "UpdateItem" && update(input).startsWith("SET #request") ? throttling() : undefined,
        );
        const reply = await operatorFailover(s);
        expect(reply).toMatchObject({
            ok: false,
            message: "cannot reach the controller's table; nothing changed",
            error: expect.stringMatching(/ThrottlingException/),
        });
        await s.runMinutes(1);
        expect(s.world.moves).toEqual([]);
    });

    it("should still reply when its answer cannot be removed, and the next request's taking removes it", async () => {
        const s = setup();
        let refused = false;
        s.world.faults.push((command, input) => {
            if (command !== "UpdateItem" || update(input) !== "REMOVE #response" || refused) return undefined;
            refused = true;
            return throttling();
        });
        const reply = await operatorFailover(s);
        expect(refused).toBe(true);
        expect(reply).toMatchObject({ ok: true, hold: true });
        expect(s.world.table.get("controller")?.response).toBeDefined();
        const second = invoke(s.world, s.handler, { action: "failback" });
        await s.world.clock.run(s.world.clock.now() + MIN);
        expect(await second).toMatchObject({ ok: true, position: "active" });
        expect(s.world.table.get("controller")?.response).toBeUndefined();
    });

    it("should remove its answer from the item once the operator has read it", async () => {
        const s = setup();
        const reply = await operatorFailover(s);
        expect(reply).toMatchObject({ ok: true, hold: true });
        expect(s.world.table.get("controller")?.response).toBeUndefined();
        expect(s.world.table.get("controller")?.request).toBeUndefined();
    });
});

describe("the SDK clients", () => {
    it("should make one attempt per DynamoDB call (a retried conditional write reads as a fact what is not), and retry ELB and SNS", async () => {
        const clients = sdkClients();
        expect(await clients.dynamodb.config.maxAttempts()).toBe(1);
        expect(await clients.elbv2.config.maxAttempts()).toBe(3);
        expect(await clients.sns.config.maxAttempts()).toBe(3);
        // ModifyListener: one attempt (an SDK retry could land a move late, or twice).
        expect(await clients.elbv2Write.config.maxAttempts()).toBe(1);
    });
});

describe("a request's freshness, checked by DynamoDB", () => {
    it("should let only the holder take a request, and only while it is younger than REQUEST_TTL_MS", async () => {
        const world = new World();
        world.table.set("controller", {
            id: { S: "controller" },
            holder: { S: "run-a" },
            expiresAt: { N: String(10 * MIN) },
        });
        const store = new ControllerStore(boundedCalls(world.clients(), world.clock), "t");
        const request: RequestRecord = { id: "op-1", action: "failover", force: false };
        /** The call's outcome: the error's name, or "ok". */
        const outcome = async (call: Promise<unknown>) => {
            const settled = call.then(
                () => "ok",
                (e: { name?: string }) => e.name ?? "error",
            );
            await world.clock.run(world.clock.now() + 1_000);
            return settled;
        };
        const posted = 1_000;
        expect(await outcome(store.postRequest(request, posted, REQUEST_TTL_MS))).toBe("ok");
        // Another run, whatever its clock says, cannot take it.
        expect(await outcome(store.claimRequest("run-b", request, posted + 1, REQUEST_TTL_MS))).toBe(
            "ConditionalCheckFailedException",
        );
        // The holder, once the request is REQUEST_TTL_MS old, cannot either: it stays for the operator to withdraw.
        expect(await outcome(store.claimRequest("run-a", request, posted + REQUEST_TTL_MS, REQUEST_TTL_MS))).toBe(
            "ConditionalCheckFailedException",
        );
        expect(world.table.get("controller")?.request?.S).toBe(JSON.stringify(request));
        // 1 ms younger, it takes it: the request leaves the item.
        expect(await outcome(store.claimRequest("run-a", request, posted + REQUEST_TTL_MS - 1, REQUEST_TTL_MS))).toBe(
            "ok",
        );
        expect(world.table.get("controller")?.request).toBeUndefined();
        expect(world.table.get("controller")?.requestAt).toBeUndefined();
    });
});

/**
 * The simulated account the failover tests and the benchmark run on (scripts/failover-world.ts)
 * must behave as AWS does where the controller's correctness depends on it: DynamoDB's condition
 * expressions and its validation, and the attribution of every call to the invocation that made it.
 */
import { GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { evaluateCondition, invoke, runOf, validateExpressions, World } from "../scripts/failover-world";

describe("the simulated DynamoDB", () => {
    const item = { id: { S: "controller" }, holder: { S: "run-a" }, expiresAt: { N: "100" } };

    it("should treat <> on a missing attribute (or a value of another type) as true, and =, <, > as false", () => {
        const values = { ":me": { S: "run-b" }, ":n": { N: "5" } };
        const names = { "#successor": "successor", "#holder": "holder" };
        expect(evaluateCondition("#successor <> :me", item, names, values)).toBe(true);
        expect(evaluateCondition("#successor = :me", item, names, values)).toBe(false);
        expect(evaluateCondition("#successor < :n", item, names, values)).toBe(false);
        expect(evaluateCondition("#successor > :n", item, names, values)).toBe(false);
        expect(evaluateCondition("#holder <> :n", item, names, values)).toBe(true);
        expect(evaluateCondition("#holder <> :me", item, names, values)).toBe(true);
        expect(evaluateCondition("#holder <> :me", { ...item, holder: { S: "run-b" } }, names, values)).toBe(false);
    });

    it("should reject, as DynamoDB does, an expression name or value that is defined but unused, or used but undefined", () => {
        const values = { ":me": { S: "run-a" } };
        expect(() => validateExpressions(["SET #holder = :me"], { "#holder": "holder" }, values)).not.toThrow();
        expect(() =>
            validateExpressions(["SET #holder = :me"], { "#holder": "holder", "#state": "state" }, values),
        ).toThrow(expect.objectContaining({ name: "ValidationException", $fault: "client" }));
        expect(() =>
            validateExpressions(["SET #holder = :me"], { "#holder": "holder" }, { ...values, ":now": { N: "1" } }),
        ).toThrow(/unused in expressions: keys: \{:now\}/);
        expect(() =>
            validateExpressions(["SET #holder = :me", "#expiresAt < :now"], { "#holder": "holder" }, values),
        ).toThrow(/not defined: #expiresAt, :now/);
    });

    it("should apply nothing from a request it rejects", async () => {
        const world = new World();
        world.table.set("controller", { ...item });
        const db = world.clients().dynamodb;
        const update = db.send(
            new UpdateItemCommand({
                TableName: "t",
                Key: { id: { S: "controller" } },
                UpdateExpression: "SET #holder = :me",
                ExpressionAttributeNames: { "#holder": "holder" },
                ExpressionAttributeValues: { ":me": { S: "run-b" }, ":unused": { N: "1" } },
            }),
        );
        const settled = update.catch((e: unknown) => e);
        await world.clock.run(1_000);
        expect(await settled).toMatchObject({ name: "ValidationException" });
        expect(world.table.get("controller")?.holder).toEqual({ S: "run-a" });
    });

    it("should serve an eventually consistent read the item as it was eventualLagMs before, a strongly consistent one as it is", async () => {
        const world = new World();
        world.eventualLagMs = 1_000;
        const db = world.clients().dynamodb;
        const write = (holder: string) =>
            db.send(
                new UpdateItemCommand({
                    TableName: "t",
                    Key: { id: { S: "controller" } },
                    UpdateExpression: "SET #holder = :me",
                    ExpressionAttributeNames: { "#holder": "holder" },
                    ExpressionAttributeValues: { ":me": { S: holder } },
                }),
            );
        const read = (consistent: boolean) =>
            db.send(
                new GetItemCommand({ TableName: "t", Key: { id: { S: "controller" } }, ConsistentRead: consistent }),
            ) as Promise<{ Item?: Record<string, { S?: string }> }>;
        const seen: Array<string | undefined> = [];
        void (async () => {
            await write("run-a");
            await world.clock.sleep(2_000);
            await write("run-b");
            for (const consistent of [false, true]) seen.push((await read(consistent)).Item?.holder?.S);
            await world.clock.sleep(1_000);
            seen.push((await read(false)).Item?.holder?.S);
        })();
        await world.clock.run(10_000);
        expect(seen).toEqual(["run-a", "run-b", "run-b"]);
    });
});

describe("the simulated Lambda", () => {
    it("should attribute every call to the invocation that made it, across the clock's timers", async () => {
        const world = new World();
        const db = world.clients().dynamodb;
        const read = () =>
            db.send(new GetItemCommand({ TableName: "t", Key: { id: { S: "controller" } } })) as Promise<unknown>;
        const handler = async () => {
            await read();
            await world.clock.sleep(500);
            await read();
            return null;
        };
        void invoke(world, handler, {}, { id: "first" });
        void invoke(world, handler, {}, { id: "second" });
        await world.clock.run(5_000);
        expect(world.calls.map((c) => c.run)).toEqual(["first", "second", "first", "second"]);
        expect(runOf("first/1b2c", "first")).toBe(true);
        expect(runOf("first", "first")).toBe(true);
        expect(runOf("firstly", "first")).toBe(false);
    });
});

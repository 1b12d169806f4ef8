/**
 * The controller's one DynamoDB item: the lease that keeps overlapping runs apart, the state that
 * outlives a run, and the mailbox through which an operator's request reaches the running poller.
 *
 * Lease: one holder at a time, `expiresAt` renewed every few seconds. Only the holder moves
 * traffic, and only while its lease is valid with a safety margin; another run takes the lease
 * over only once it has expired. A run that finds the lease held registers as the successor, and
 * the holder hands the lease (and its latest state) over at its next renewal: the poller runs
 * without gaps across invocations. Every write is conditional, so two runs can never both hold it.
 *
 * State: written only by the lease holder, only after it has read it (never over a state it failed
 * to read); handed over with the lease. A run that takes over an expired lease knows the last
 * holder may have seen things it never saved, and restarts the failback clock.
 */
import { GetItemCommand, UpdateItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import type { Calls } from "./runtime";
import { CONTROLLER_ITEM_ID, TABLE_KEY } from "./protocol";

/** The item as the controller reads it. `state` stays raw: parsing it is the controller's call. */
export interface ControllerItem {
    readonly holder?: string;
    readonly expiresAt?: number;
    readonly successor?: string;
    readonly successorSince?: number;
    readonly state?: string;
    readonly savedAt?: number;
    readonly request?: string;
    readonly requestAt?: number;
    readonly response?: string;
    /** The move the holder is making (JSON, see `PendingMove`), until a saved state records it. */
    readonly pendingMove?: string;
}

/** An operator's request waiting for the lease holder, and the answer it leaves. */
export interface RequestRecord {
    readonly id: string;
    readonly action: "failover" | "failback";
    readonly force: boolean;
}

export interface ResponseRecord {
    readonly id: string;
    readonly result: Record<string, unknown>;
}

function fromItem(item: Record<string, AttributeValue> | undefined): ControllerItem {
    if (!item) return {};
    const s = (k: string) => item[k]?.S;
    const n = (k: string) => (item[k]?.N !== undefined ? Number(item[k].N) : undefined);
    return {
        holder: s("holder"),
        expiresAt: n("expiresAt"),
        successor: s("successor"),
        successorSince: n("successorSince"),
        state: s("state"),
        savedAt: n("savedAt"),
        request: s("request"),
        requestAt: n("requestAt"),
        response: s("response"),
        pendingMove: s("pendingMove"),
    };
}

const N = (n: number): AttributeValue => ({ N: String(n) });
const S = (s: string): AttributeValue => ({ S: s });

/** What a holder's write carries besides the lease: the state to save, and whether the pending move is done with. */
export interface Carried {
    readonly state?: string;
    readonly clearPending?: boolean;
}

/** The SET and REMOVE parts, names and values that `Carried` adds to a holder's write. */
function carried(c: Carried): {
    set: string;
    remove: string[];
    names: string[];
    values: Record<string, AttributeValue>;
} {
    return c.state !== undefined
        ? {
              set: ", #state = :state, #savedAt = :now",
              remove: c.clearPending ? ["#pendingMove"] : [],
              names: ["state", "savedAt", ...(c.clearPending ? ["pendingMove"] : [])],
              values: { ":state": S(c.state) },
          }
        : {
              set: "",
              remove: c.clearPending ? ["#pendingMove"] : [],
              names: c.clearPending ? ["pendingMove"] : [],
              values: {},
          };
}

export class ControllerStore {
    constructor(
        private readonly calls: Calls,
        private readonly tableName: string,
    ) {}

    private get key() {
        return { [TABLE_KEY]: S(CONTROLLER_ITEM_ID) };
    }

    private async update(
        update: string,
        condition: string | undefined,
        names: string[],
        values: Record<string, AttributeValue>,
        returnValues: "ALL_OLD" | "ALL_NEW" | "NONE",
    ): Promise<ControllerItem> {
        const out = await this.calls.db(
            new UpdateItemCommand({
                TableName: this.tableName,
                Key: this.key,
                UpdateExpression: update,
                ConditionExpression: condition,
                ExpressionAttributeNames: Object.fromEntries(names.map((n) => [`#${n}`, n])),
                ExpressionAttributeValues: values,
                ReturnValues: returnValues,
            }),
        );
        return fromItem(out.Attributes);
    }

    /** The item, read consistently. */
    read(): Promise<ControllerItem> {
        return this.get(true);
    }

    /**
     * An eventually consistent read (half a strongly consistent one's price): possibly a moment
     * old, so only a hint (a waiting successor), never a verdict on the lease.
     */
    peek(): Promise<ControllerItem> {
        return this.get(false);
    }

    private async get(consistent: boolean): Promise<ControllerItem> {
        const out = await this.calls.db(
            new GetItemCommand({ TableName: this.tableName, Key: this.key, ConsistentRead: consistent }),
        );
        return fromItem(out.Item);
    }

    /**
     * Takes the lease if it is free, expired or already ours. Returns the item as it was before
     * (its state, and who held the lease); throws ConditionalCheckFailedException when another
     * run holds a valid lease.
     */
    acquire(me: string, now: number, leaseMs: number): Promise<ControllerItem> {
        return this.update(
            "SET #holder = :me, #expiresAt = :exp",
            "attribute_not_exists(#holder) OR #expiresAt < :now OR #holder = :me",
            ["holder", "expiresAt"],
            { ":me": S(me), ":exp": N(now + leaseMs), ":now": N(now) },
            "ALL_OLD",
        );
    }

    /**
     * Waits in line: marks this run as the holder's successor, unless another live run already
     * is. Throws ConditionalCheckFailedException when the slot is taken or nobody holds the lease.
     */
    registerSuccessor(me: string, now: number, staleMs: number): Promise<ControllerItem> {
        return this.update(
            "SET #successor = :me, #successorSince = :now",
            "attribute_exists(#holder) AND #holder <> :me AND (attribute_not_exists(#successor) OR #successorSince < :stale OR #successor = :me)",
            ["holder", "successor", "successorSince"],
            { ":me": S(me), ":now": N(now), ":stale": N(now - staleMs) },
            "ALL_NEW",
        );
    }

    /** Clears this run's successor mark (it took the lease another way, or gives up waiting). */
    async clearSuccessor(me: string): Promise<void> {
        await this.update(
            "REMOVE #successor, #successorSince",
            "#successor = :me",
            ["successor", "successorSince"],
            { ":me": S(me) },
            "NONE",
        );
    }

    /**
     * Extends the lease, and saves the state when given. Returns the item as it is now (the
     * successor, a waiting request); throws ConditionalCheckFailedException when the lease is
     * no longer ours.
     */
    renew(me: string, now: number, leaseMs: number, c: Carried = {}): Promise<ControllerItem> {
        const x = carried(c);
        return this.update(
            `SET #expiresAt = :exp${x.set}${x.remove.length ? ` REMOVE ${x.remove.join(", ")}` : ""}`,
            "#holder = :me",
            ["holder", "expiresAt", ...x.names],
            {
                ":me": S(me),
                ":exp": N(now + leaseMs),
                ...x.values,
                ...(c.state !== undefined ? { ":now": N(now) } : {}),
            },
            "ALL_NEW",
        );
    }

    /**
     * Gives the lease, with the latest state when given, to the waiting successor. Only while the
     * lease's expiry is still `lastExpiresAt` (the one this holder last wrote): a handover whose
     * reply was lost and that reaches DynamoDB late, after a renewal, fails instead of taking the
     * lease from under a holder that carried on. Returns the expiry it wrote.
     */
    async handOver(
        me: string,
        successor: string,
        now: number,
        leaseMs: number,
        lastExpiresAt: number,
        c: Carried = {},
    ): Promise<number> {
        const x = carried(c);
        await this.update(
            `SET #holder = :successor, #expiresAt = :exp${x.set} REMOVE ${["#successor", "#successorSince", ...x.remove].join(", ")}`,
            "#holder = :me AND #successor = :successor AND #expiresAt = :last",
            ["holder", "expiresAt", "successor", "successorSince", ...x.names],
            {
                ":me": S(me),
                ":successor": S(successor),
                ":last": N(lastExpiresAt),
                ":exp": N(now + leaseMs),
                ...x.values,
                ...(c.state !== undefined ? { ":now": N(now) } : {}),
            },
            "NONE",
        );
        return now + leaseMs;
    }

    /**
     * Takes back a lease this run handed over, when the successor has shown no sign of life: only
     * while the item is exactly as the handover left it (the successor named, the handover's
     * expiry, no pending move), so a successor that renewed, marked a move or let the lease go
     * keeps it. Returns the item as it is now; throws ConditionalCheckFailedException otherwise.
     */
    reclaim(
        me: string,
        successor: string,
        handedExpiresAt: number,
        now: number,
        leaseMs: number,
    ): Promise<ControllerItem> {
        return this.update(
            "SET #holder = :me, #expiresAt = :exp",
            "#holder = :successor AND #expiresAt = :handed AND attribute_not_exists(#pendingMove)",
            ["holder", "expiresAt", "pendingMove"],
            { ":me": S(me), ":successor": S(successor), ":handed": N(handedExpiresAt), ":exp": N(now + leaseMs) },
            "ALL_NEW",
        );
    }

    /** Lets the lease go (the run ends with no successor), with the latest state when given. */
    async release(me: string, now: number, c: Carried = {}): Promise<void> {
        const x = carried(c);
        await this.update(
            `SET #expiresAt = :now${x.set} REMOVE ${["#holder", ...x.remove].join(", ")}`,
            "#holder = :me",
            ["holder", "expiresAt", ...x.names],
            { ":me": S(me), ":now": N(now), ...x.values },
            "NONE",
        );
    }

    /**
     * Records the move this run is about to make, on condition that it holds the lease for at
     * least `marginMs` more, as DynamoDB has it: the last check before ModifyListener, made on
     * the service's side (a handover or takeover this run has not heard of fails it).
     */
    async markPending(me: string, pending: string, now: number, marginMs: number): Promise<void> {
        await this.update(
            "SET #pendingMove = :pending",
            "#holder = :me AND #expiresAt > :fence",
            ["holder", "expiresAt", "pendingMove"],
            { ":me": S(me), ":pending": S(pending), ":fence": N(now + marginMs) },
            "NONE",
        );
    }

    /**
     * Leaves an operator's request for the lease holder; throws ConditionalCheckFailedException
     * when another one is pending (younger than `staleMs`: a holder may still take it).
     */
    async postRequest(request: RequestRecord, now: number, staleMs: number): Promise<void> {
        await this.update(
            "SET #request = :request, #requestAt = :now",
            "attribute_not_exists(#request) OR #requestAt < :stale",
            ["request", "requestAt"],
            { ":request": S(JSON.stringify(request)), ":now": N(now), ":stale": N(now - staleMs) },
            "NONE",
        );
    }

    /**
     * The holder takes a request before it acts on it: removes it (and any earlier answer), on
     * condition that it still holds the lease and the request is still there and younger than
     * `ttlMs`. Once taken, the operator can no longer withdraw it; once withdrawn (or too old),
     * no holder can take it: exactly one of the two happens.
     */
    async claimRequest(me: string, request: RequestRecord, now: number, ttlMs: number): Promise<void> {
        await this.update(
            "REMOVE #request, #requestAt, #response",
            "#holder = :me AND #request = :request AND #requestAt > :fresh",
            ["holder", "request", "requestAt", "response"],
            { ":me": S(me), ":request": S(JSON.stringify(request)), ":fresh": N(now - ttlMs) },
            "NONE",
        );
    }

    /** The answer to a request the holder took (whoever holds the lease by then). */
    async respond(response: ResponseRecord): Promise<void> {
        await this.update(
            "SET #response = :response",
            undefined,
            ["response"],
            { ":response": S(JSON.stringify(response)) },
            "NONE",
        );
    }

    /** The operator has read its answer: it goes (the item stays under 1 KB, one write unit a write). */
    async consumeResponse(raw: string): Promise<void> {
        await this.update("REMOVE #response", "#response = :response", ["response"], { ":response": S(raw) }, "NONE");
    }

    /** Withdraws a request nobody took; throws ConditionalCheckFailedException when it is no longer there. */
    async withdrawRequest(request: RequestRecord): Promise<void> {
        await this.update(
            "REMOVE #request, #requestAt",
            "#request = :request",
            ["request", "requestAt"],
            { ":request": S(JSON.stringify(request)) },
            "NONE",
        );
    }
}

export function parseRequest(raw: string | undefined): RequestRecord | null {
    if (!raw) return null;
    try {
        const r = JSON.parse(raw) as Partial<RequestRecord>;
        if (
            typeof r.id === "string" &&
            (r.action === "failover" || r.action === "failback") &&
            typeof r.force === "boolean"
        ) {
            return { id: r.id, action: r.action, force: r.force };
        }
    } catch {
        // fall through: an unreadable request is no request
    }
    return null;
}

export function parseResponse(raw: string | undefined): ResponseRecord | null {
    if (!raw) return null;
    try {
        const r = JSON.parse(raw) as Partial<ResponseRecord>;
        return typeof r.id === "string" && typeof r.result === "object" && r.result !== null
            ? { id: r.id, result: r.result as Record<string, unknown> }
            : null;
    } catch {
        return null;
    }
}

/**
 * What the controller runs on: a clock, AWS calls that each end within a bounded time, and one
 * JSON log line per event. Injected, so that the tests and the failover benchmark drive the real
 * handler on a simulated clock against simulated AWS services.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { LogEvent } from "./protocol";

export interface Clock {
    /** ms since epoch */
    now(): number;
    sleep(ms: number): Promise<void>;
}

/** The SDK clients (or stand-ins with the same `send`). */
export interface Clients {
    readonly elbv2: Pick<ElasticLoadBalancingV2Client, "send">;
    /**
     * The client for ModifyListener: one attempt per call (the SDK's retries could make a move
     * land late, after the lease check that allowed it, or twice); the controller retries at its
     * next poll, under a new lease check. Defaults to `elbv2`.
     */
    readonly elbv2Write?: Pick<ElasticLoadBalancingV2Client, "send">;
    readonly sns: Pick<SNSClient, "send">;
    readonly dynamodb: Pick<DynamoDBClient, "send">;
}

/** One JSON log line; `event` is one of {@link LOG_EVENTS}. */
export type LogRecord = Record<string, unknown> & { event: LogEvent };

/** Each AWS call, ended by a timeout if the service does not answer in time. */
export interface Calls {
    /** ELB reads (Describe*). */
    readonly elb: ElasticLoadBalancingV2Client["send"];
    /** ModifyListener. */
    readonly elbWrite: ElasticLoadBalancingV2Client["send"];
    readonly sns: SNSClient["send"];
    readonly db: DynamoDBClient["send"];
}

/**
 * Per-call limits (ms); `npm run bench:failover` sweeps every call's latency up to them, and
 * `failoverCallSeconds` counts them. A poll's reads end before the next poll is due (every 0.8 s
 * by default), so a slow read never holds up the next one: it is an unknown, and the next poll reads
 * again. DynamoDB answers in milliseconds; its limit bounds how late a renewal can make a poll.
 * ModifyListener's outcome, when it does not answer in time, is settled by the next poll's
 * listener read (the pending move), so its limit is short too: a lost call is retried sooner.
 * The SDK's own socket timeouts are a second line (`SDK_REQUEST_HANDLER`).
 */
export const CALL_TIMEOUTS_MS = { elb: 500, elbWrite: 500, db: 300, sns: 3_000 } as const;

/**
 * A DynamoDB client's first call after a cold start also opens its connection (DNS, TCP, TLS),
 * which a warm call does not pay for: it gets this long instead of `CALL_TIMEOUTS_MS.db`, until
 * the service has answered once. Still bounded: a lease a cold run cannot take in time is retried.
 */
export const FIRST_DB_CALL_TIMEOUT_MS = 1_000;

/** The DynamoDB clients whose connection is open (the service answered one of their calls). */
const warmDynamoDb = new WeakSet<object>();

/** Request handler settings for the real SDK clients: no call without a timeout. */
export const SDK_REQUEST_HANDLER = { connectionTimeout: 1_000, requestTimeout: 2_000 } as const;

export class CallTimeoutError extends Error {
    constructor(service: string, ms: number) {
        super(`${service} call did not answer within ${ms} ms`);
        this.name = "CallTimeoutError";
    }
}

/**
 * Wraps the clients' `send`: each call gets an abort signal and a timeout on the injected clock
 * (never more than `budget()` ms when given: what the run has left), and fails with
 * {@link CallTimeoutError} when the service is slower.
 */
export function boundedCalls(clients: Clients, clock: Clock, budget?: () => number): Calls {
    const wrap = <S extends (...args: never[]) => Promise<unknown>>(
        service: keyof typeof CALL_TIMEOUTS_MS,
        send: S,
        client?: object,
    ): S =>
        ((command: unknown) => {
            const cold = client !== undefined && !warmDynamoDb.has(client);
            const limit = cold ? FIRST_DB_CALL_TIMEOUT_MS : CALL_TIMEOUTS_MS[service];
            const ms = Math.max(1, Math.min(limit, budget ? budget() : Infinity));
            const abort = new AbortController();
            let settled = false;
            const call = (send as unknown as (c: unknown, o: { abortSignal: AbortSignal }) => Promise<unknown>)(
                command,
                {
                    abortSignal: abort.signal,
                },
            ).finally(() => (settled = true));
            // Any answer of the service (a failed condition too) says the connection is open.
            if (client !== undefined) {
                call.then(
                    () => warmDynamoDb.add(client),
                    (err: unknown) => {
                        // An SDK service error (4xx or 5xx) carries `$fault`; a broken or aborted connection does not.
                        if (typeof err === "object" && err !== null && "$fault" in err) warmDynamoDb.add(client);
                    },
                );
            }
            const timeout = clock.sleep(ms).then(() => {
                if (!settled) abort.abort();
                throw new CallTimeoutError(service, ms);
            });
            // A late timeout after the answer is harmless: its rejection is handled here.
            timeout.catch(() => undefined);
            return Promise.race([call, timeout]);
        }) as unknown as S;
    return {
        elb: wrap("elb", clients.elbv2.send.bind(clients.elbv2)),
        elbWrite: wrap(
            "elbWrite",
            (clients.elbv2Write ?? clients.elbv2).send.bind(clients.elbv2Write ?? clients.elbv2),
        ),
        sns: wrap("sns", clients.sns.send.bind(clients.sns)),
        db: wrap("db", clients.dynamodb.send.bind(clients.dynamodb), clients.dynamodb),
    };
}

export function errorText(err: unknown): string {
    if (err instanceof Error) return `${err.name}: ${err.message}`;
    return String(err);
}

/**
 * The service refused the request, so nothing of it was applied: an SDK service error of the
 * client kind (HTTP 4xx: throttling, validation, a failed condition). Anything else (a timeout,
 * an aborted or broken connection, a 5xx) leaves the outcome unknown: the write may have landed.
 */
export function wasRejected(err: unknown): boolean {
    return typeof err === "object" && err !== null && (err as { $fault?: unknown }).$fault === "client";
}

/** DynamoDB's answer to a failed condition: the lease or the state changed under us. */
export function isConditionFailure(err: unknown): boolean {
    return err instanceof Error && err.name === "ConditionalCheckFailedException";
}

/**
 * One JSON object per line on stdout. Not console.log: with the Text log format the Node.js
 * runtime prefixes console output with a timestamp, request id and level, which breaks the
 * CloudWatch Logs JSON metric filters (`{ $.event = "failover" }`). Lambda turns each stdout line
 * into one log event as it is.
 */
export function defaultLog(record: LogRecord): void {
    process.stdout.write(`${JSON.stringify(record)}\n`);
}

export const realClock: Clock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

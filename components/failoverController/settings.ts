/** Checks {@link FailoverControllerArgs} and fills in the defaults. */
import { DEFAULT_CONFIG, POLL_INTERVAL_RANGE } from "../../lambda/failover/config";
import { integerIn, invalid, logRetentionDays, numberIn, oneOf } from "../shared/validation";
import { FAILBACK_POLICIES, FailbackPolicy, FailoverControllerArgs } from "./args";

export interface FailoverControllerSettings {
    failback: FailbackPolicy;
    failbackAfterSeconds: number;
    maxHoldDownLevel: number;
    pollIntervalSeconds: number;
    confirmations: number;
    reservedConcurrency?: number;
    logRetentionDays: number;
}

/** The range of `reservedConcurrency`: a run, its successor and an operator's request need 3. */
export const RESERVED_CONCURRENCY = { min: 3, max: 1000 } as const;

export function validateFailoverControllerArgs(
    args: Partial<FailoverControllerArgs>,
    label = "FailoverController args",
): FailoverControllerSettings {
    return {
        failback: oneOf(`${label}.failback`, args.failback ?? "automatic", FAILBACK_POLICIES),
        failbackAfterSeconds: integerIn(
            `${label}.failbackAfterSeconds`,
            args.failbackAfterSeconds ?? DEFAULT_CONFIG.failbackAfterSeconds,
            0,
            86_400,
        ),
        maxHoldDownLevel: integerIn(
            `${label}.maxHoldDownLevel`,
            args.maxHoldDownLevel ?? DEFAULT_CONFIG.maxHoldDownLevel,
            0,
            6,
        ),
        pollIntervalSeconds: tenths(
            `${label}.pollIntervalSeconds`,
            args.pollIntervalSeconds ?? DEFAULT_CONFIG.pollIntervalSeconds,
            POLL_INTERVAL_RANGE.min,
            POLL_INTERVAL_RANGE.max,
        ),
        confirmations: integerIn(`${label}.confirmations`, args.confirmations ?? DEFAULT_CONFIG.confirmations, 1, 10),
        reservedConcurrency:
            args.reservedConcurrency === undefined
                ? undefined
                : integerIn(
                      `${label}.reservedConcurrency`,
                      args.reservedConcurrency,
                      RESERVED_CONCURRENCY.min,
                      RESERVED_CONCURRENCY.max,
                  ),
        logRetentionDays: logRetentionDays(`${label}.logRetentionDays`, args.logRetentionDays ?? 30),
    };
}

/** Seconds in tenths (0.8, 1.5, 2) from `min` to `max`: the Lambda's environment carries them as written. */
function tenths(key: string, value: unknown, min: number, max: number): number {
    const expected = `a number of seconds from ${min} to ${max} in tenths (like 0.8)`;
    let n: number;
    try {
        n = numberIn(key, value, min, max);
    } catch {
        throw invalid(key, value, expected);
    }
    if (Math.abs(n * 10 - Math.round(n * 10)) > 1e-9) throw invalid(key, value, expected);
    return Math.round(n * 10) / 10;
}

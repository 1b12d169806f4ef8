/** Checks {@link FailoverControllerArgs} and fills in the defaults. */
import { integerIn, logRetentionDays, oneOf } from "../shared/validation";
import { FAILBACK_POLICIES, FailbackPolicy, FailoverControllerArgs } from "./args";
import { DEFAULT_TIMING } from "./timing";

export interface FailoverControllerSettings {
    failback: FailbackPolicy;
    failbackAfterSeconds: number;
    pollIntervalSeconds: number;
    confirmations: number;
    logRetentionDays: number;
}

export function validateFailoverControllerArgs(
    args: FailoverControllerArgs,
    label = "FailoverController args",
): FailoverControllerSettings {
    return {
        failback: oneOf(`${label}.failback`, args.failback ?? "automatic", FAILBACK_POLICIES),
        failbackAfterSeconds: integerIn(`${label}.failbackAfterSeconds`, args.failbackAfterSeconds ?? 300, 0, 86400),
        pollIntervalSeconds: integerIn(
            `${label}.pollIntervalSeconds`,
            args.pollIntervalSeconds ?? DEFAULT_TIMING.pollIntervalSeconds,
            1,
            15,
        ),
        confirmations: integerIn(`${label}.confirmations`, args.confirmations ?? DEFAULT_TIMING.confirmations, 1, 10),
        logRetentionDays: logRetentionDays(`${label}.logRetentionDays`, args.logRetentionDays ?? 30),
    };
}

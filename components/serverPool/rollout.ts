/**
 * How a server pool rolls out a new launch template version: an instance refresh that launches
 * before it terminates, pauses at checkpoints, and stops (and rolls back) when the stack's own
 * alarms fire. The settings are checked here; rolloutStarter.ts starts the refresh.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-refresh.html
 */
import * as pulumi from "@pulumi/pulumi";
import { booleanValue, integerIn, invalid } from "../shared/validation";

export interface ServerPoolRollout {
    /**
     * CloudWatch alarm names (not ARNs), at most 10: while the refresh runs, any of them in ALARM
     * fails it (and, with `autoRollback`, rolls it back). A `WebStack` passes each pool its target
     * group's unhealthy-hosts alarm and the load balancer's two 5xx-rate alarms.
     * https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html
     * @default none
     */
    alarmNames?: pulumi.Input<string>[];
    /**
     * Percentages of the pool that must run the new launch template before each pause, ascending,
     * distinct, 1 to 100, the last one 100.
     * https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-adding-checkpoints-instance-refresh.html
     * @default [50, 100]
     */
    checkpointPercentages?: number[];
    /**
     * Seconds to wait at each checkpoint before replacing more servers (0 to 172800): the time the
     * alarms have to see the new servers under traffic.
     * @default 300
     */
    checkpointDelaySeconds?: number;
    /**
     * Roll back when the refresh fails or an alarm fires. Needs a numbered launch template version
     * and an AMI id (not an SSM parameter): the pool uses both.
     * @default true
     */
    autoRollback?: boolean;
}

export const ROLLOUT_DEFAULTS = { checkpointPercentages: [50, 100], checkpointDelaySeconds: 300, autoRollback: true };
/** AWS's limits: CheckpointDelay 0 to 172800 s; AlarmSpecification.Alarms at most 10 names. */
export const CHECKPOINT_DELAY_SECONDS = { min: 0, max: 172_800 } as const;
export const MAX_ROLLOUT_ALARMS = 10;
/**
 * Launch before terminate: the pool never has fewer healthy servers than its desired capacity
 * during a rollout (100 %), and may have up to twice as many (200 %).
 */
export const MIN_HEALTHY_PERCENTAGE = 100;
export const MAX_HEALTHY_PERCENTAGE = 200;

export interface RolloutSettings {
    alarmNames: pulumi.Input<string>[];
    checkpointPercentages: number[];
    checkpointDelaySeconds: number;
    autoRollback: boolean;
}

/** Checks the rollout arguments and fills in the defaults; throws naming the argument. */
export function validateRollout(rollout: ServerPoolRollout | undefined, label: string): RolloutSettings {
    if (rollout !== undefined && (typeof rollout !== "object" || rollout === null || Array.isArray(rollout))) {
        throw invalid(
            label,
            rollout,
            "an object with alarmNames, checkpointPercentages, checkpointDelaySeconds and autoRollback",
        );
    }
    const r = rollout ?? {};
    const alarmNames = r.alarmNames ?? [];
    if (!Array.isArray(alarmNames) || alarmNames.length > MAX_ROLLOUT_ALARMS) {
        throw invalid(
            `${label}.alarmNames`,
            Array.isArray(alarmNames) ? `${alarmNames.length} names` : alarmNames,
            `a list of at most ${MAX_ROLLOUT_ALARMS} CloudWatch alarm names`,
        );
    }
    alarmNames.forEach((name, i) => {
        if (typeof name === "string" && !/^[^\s:][^:]{0,254}$/.test(name)) {
            throw invalid(
                `${label}.alarmNames[${i}]`,
                name,
                "a CloudWatch alarm name (1 to 255 characters, not an ARN)",
            );
        }
    });
    return {
        alarmNames,
        checkpointPercentages: checkpointPercentages(
            `${label}.checkpointPercentages`,
            r.checkpointPercentages ?? ROLLOUT_DEFAULTS.checkpointPercentages,
        ),
        checkpointDelaySeconds: integerIn(
            `${label}.checkpointDelaySeconds`,
            r.checkpointDelaySeconds ?? ROLLOUT_DEFAULTS.checkpointDelaySeconds,
            CHECKPOINT_DELAY_SECONDS.min,
            CHECKPOINT_DELAY_SECONDS.max,
        ),
        autoRollback: booleanValue(`${label}.autoRollback`, r.autoRollback ?? ROLLOUT_DEFAULTS.autoRollback),
    };
}

/** Ascending, distinct integers from 1 to 100 ending with 100 (or the refresh stops short of the whole pool). */
export function checkpointPercentages(key: string, value: unknown): number[] {
    const expected = "ascending, distinct integers from 1 to 100 whose last one is 100, such as [50, 100]";
    if (!Array.isArray(value) || value.length < 1) {
        throw invalid(key, value, expected);
    }
    const ok = value.every(
        (p, i) => Number.isInteger(p) && p >= 1 && p <= 100 && (i === 0 || p > (value[i - 1] as number)),
    );
    if (!ok || value[value.length - 1] !== 100) {
        throw invalid(key, value, expected);
    }
    return [...(value as number[])];
}

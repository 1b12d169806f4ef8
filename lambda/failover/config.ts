/** The controller's configuration: its environment variables, validated once per cold start. */
import type { ControllerSettings, FailbackPolicy } from "./controller";
import { ENV, type EnvName } from "./protocol";

export interface FailoverConfig extends ControllerSettings {
    readonly listenerArn: string;
    readonly activeTargetGroupArn: string;
    readonly failoverTargetGroupArn: string;
    readonly topicArn: string;
    readonly tableName: string;
    /** While traffic is on the active group, the failover group and the listener are read this often. */
    readonly standbyCheckSeconds: number;
    /** How long a lease lasts without renewal, and how often it is renewed. */
    readonly leaseSeconds: number;
    readonly renewSeconds: number;
    /** A run that sees no successor arrive stops after this long (the next schedule starts another). */
    readonly maxRunSeconds: number;
}

/** The defaults the component also uses (see `components/failoverController/timing.ts`). */
export const DEFAULT_CONFIG = {
    failbackAfterSeconds: 300,
    maxHoldDownLevel: 2,
    pollIntervalSeconds: 0.8,
    confirmations: 1,
    standbyCheckSeconds: 30,
    leaseSeconds: 15,
    renewSeconds: 5,
    maxRunSeconds: 240,
} as const;

/** The poll interval's range (s, in tenths): below 0.5 s the reads' timeouts would overlap the next poll. */
export const POLL_INTERVAL_RANGE = { min: 0.5, max: 15 } as const;

export class ConfigError extends Error {
    constructor(
        readonly variable: string,
        message: string,
    ) {
        super(`${variable}: ${message}`);
        this.name = "ConfigError";
    }
}

type Env = Readonly<Record<string, string | undefined>>;

function requireArn(env: Env, name: EnvName, pattern: RegExp, example: string): string {
    const value = env[name]?.trim();
    if (!value) throw new ConfigError(name, `missing (expected an ARN like ${example})`);
    if (!pattern.test(value)) throw new ConfigError(name, `'${value}' is not an ARN like ${example}`);
    return value;
}

function integer(env: Env, name: EnvName, fallback: number, min: number, max: number): number {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `'${raw}' is not a whole number`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `${value} is outside ${min}..${max}`);
    return value;
}

/** Seconds in tenths (`0.8`, `2`, `1.5`), from `min` to `max`. */
function tenthsOfSeconds(env: Env, name: EnvName, fallback: number, min: number, max: number): number {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    if (!/^\d+(\.\d)?$/.test(raw))
        throw new ConfigError(name, `'${raw}' is not a number of seconds in tenths (like 0.8)`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `${value} is outside ${min}..${max}`);
    return value;
}

const ELB_ARN = "arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:";

/** Throws a ConfigError naming the offending variable. */
export function loadConfig(env: Env): FailoverConfig {
    const listenerArn = requireArn(
        env,
        ENV.listenerArn,
        new RegExp(`^${ELB_ARN}listener/app/\\S+$`),
        "arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID",
    );
    const tgExample = "arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID";
    const tgPattern = new RegExp(`^${ELB_ARN}targetgroup/\\S+$`);
    const activeTargetGroupArn = requireArn(env, ENV.activeTargetGroupArn, tgPattern, tgExample);
    const failoverTargetGroupArn = requireArn(env, ENV.failoverTargetGroupArn, tgPattern, tgExample);
    if (activeTargetGroupArn === failoverTargetGroupArn) {
        throw new ConfigError(ENV.failoverTargetGroupArn, `must differ from ${ENV.activeTargetGroupArn}`);
    }
    const topicArn = requireArn(
        env,
        ENV.topicArn,
        /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:\S+$/,
        "arn:aws:sns:REGION:ACCOUNT:TOPIC",
    );
    const tableName = env[ENV.tableName]?.trim() ?? "";
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) {
        throw new ConfigError(
            ENV.tableName,
            tableName === ""
                ? "missing (expected a DynamoDB table name)"
                : `'${tableName}' is not a DynamoDB table name`,
        );
    }
    const failback = (env[ENV.failback]?.trim() || "") as FailbackPolicy | "";
    if (failback !== "automatic" && failback !== "manual") {
        throw new ConfigError(
            ENV.failback,
            failback === ""
                ? "missing (expected 'automatic' or 'manual')"
                : `'${failback}' is not 'automatic' or 'manual'`,
        );
    }
    const leaseSeconds = integer(env, ENV.leaseSeconds, DEFAULT_CONFIG.leaseSeconds, 5, 120);
    const renewSeconds = integer(env, ENV.renewSeconds, DEFAULT_CONFIG.renewSeconds, 1, 60);
    if (renewSeconds * 2 > leaseSeconds) {
        throw new ConfigError(
            ENV.renewSeconds,
            `${renewSeconds} must be at most half of ${ENV.leaseSeconds} (${leaseSeconds})`,
        );
    }
    return {
        listenerArn,
        activeTargetGroupArn,
        failoverTargetGroupArn,
        topicArn,
        tableName,
        failback,
        failbackAfterSeconds: integer(env, ENV.failbackAfterSeconds, DEFAULT_CONFIG.failbackAfterSeconds, 0, 86_400),
        maxHoldDownLevel: integer(env, ENV.maxHoldDownLevel, DEFAULT_CONFIG.maxHoldDownLevel, 0, 6),
        pollIntervalSeconds: tenthsOfSeconds(
            env,
            ENV.pollIntervalSeconds,
            DEFAULT_CONFIG.pollIntervalSeconds,
            POLL_INTERVAL_RANGE.min,
            POLL_INTERVAL_RANGE.max,
        ),
        confirmations: integer(env, ENV.confirmations, DEFAULT_CONFIG.confirmations, 1, 10),
        standbyCheckSeconds: integer(env, ENV.standbyCheckSeconds, DEFAULT_CONFIG.standbyCheckSeconds, 5, 300),
        leaseSeconds,
        renewSeconds,
        maxRunSeconds: integer(env, ENV.maxRunSeconds, DEFAULT_CONFIG.maxRunSeconds, 30, 840),
    };
}

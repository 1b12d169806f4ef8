import * as pulumi from "@pulumi/pulumi";
import { certificateSettings } from "../loadBalancer";
import { invalid, ValidationError } from "../shared/validation";
import { CONFIG_KEYS } from "./configKeys";
import type { WebStackArgs } from "./args";

/** The config namespace: keys are `ha-webstack:<key>` in `Pulumi.<stack>.yaml`. */
export const CONFIG_NAMESPACE = "ha-webstack";

/**
 * Reads and validates the stack's `ha-webstack:*` config. Every value is checked before any
 * resource is created; all problems are reported together, each naming the key, the value and
 * what is allowed.
 */
export function readStackConfig(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): WebStackArgs {
    const known = new Set(CONFIG_KEYS.map((k) => k.key));
    const problems: string[] = [];
    const args: WebStackArgs = {};

    for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
        const [namespace, key] = fullKey.split(":", 2);
        if (namespace === CONFIG_NAMESPACE && !known.has(key)) {
            const hint = closest(key, [...known]);
            problems.push(
                `${fullKey} is not a known key${hint ? ` (did you mean ${CONFIG_NAMESPACE}:${hint}?)` : ""}; known keys: ${[...known].join(", ")}`,
            );
        }
    }
    for (const spec of CONFIG_KEYS) {
        const raw = config.get(spec.key);
        if (raw === undefined) {
            continue;
        }
        try {
            Object.assign(args, spec.read(raw, `${CONFIG_NAMESPACE}:${spec.key}`));
        } catch (e) {
            if (!(e instanceof ValidationError)) {
                throw e;
            }
            problems.push(e.message);
        }
    }
    if (args.maxServersPerPool !== undefined && args.maxServersPerPool < (args.serversPerPool ?? 1)) {
        problems.push(
            invalid(
                `${CONFIG_NAMESPACE}:maxServersPerPool`,
                args.maxServersPerPool,
                `at least serversPerPool (${args.serversPerPool ?? 1})`,
            ).message,
        );
    }
    if (args.availabilityZones && args.azCount !== undefined && args.azCount !== args.availabilityZones.length) {
        problems.push(
            invalid(
                `${CONFIG_NAMESPACE}:azCount`,
                args.azCount,
                `${args.availabilityZones.length}, the number of availabilityZones (or unset)`,
            ).message,
        );
    }
    try {
        certificateSettings(
            {
                certificateArn: args.certificateArn as string | undefined,
                domainName: args.domainName as string | undefined,
                hostedZoneId: args.hostedZoneId as string | undefined,
            },
            (field) => `${CONFIG_NAMESPACE}:${field}`,
        );
    } catch (e) {
        if (!(e instanceof ValidationError)) {
            throw e;
        }
        problems.push(e.message);
    }
    if (args.mode === "active-active") {
        for (const key of ["failback", "failbackAfterSeconds", "failoverReservedConcurrency"] as const) {
            if (args[key] !== undefined) {
                problems.push(
                    invalid(
                        `${CONFIG_NAMESPACE}:${key}`,
                        args[key],
                        `to be set only in active-passive mode (active-active has no failover controller)`,
                    ).message,
                );
            }
        }
    }
    const region = new pulumi.Config("aws").get("region");
    const certificateRegion = typeof args.certificateArn === "string" ? args.certificateArn.split(":")[3] : undefined;
    if (region && certificateRegion && certificateRegion !== region) {
        problems.push(
            invalid(
                `${CONFIG_NAMESPACE}:certificateArn`,
                args.certificateArn,
                `an ACM certificate in the stack's region ${region} (an ALB can only use certificates of its own region)`,
            ).message,
        );
    }
    if (args.wafRateLimit !== undefined && args.waf !== true) {
        problems.push(
            invalid(
                `${CONFIG_NAMESPACE}:wafRateLimit`,
                args.wafRateLimit,
                `to be set only with ${CONFIG_NAMESPACE}:waf true`,
            ).message,
        );
    }
    if (problems.length > 0) {
        throw new ValidationError(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
    }
    return args;
}

/** The known key nearest to a typo (Levenshtein distance ≤ 3), for "did you mean". */
function closest(key: string, candidates: string[]): string | undefined {
    const distance = (a: string, b: string) => {
        const row = [...Array(b.length + 1).keys()];
        for (let i = 1; i <= a.length; i++) {
            let previous = row[0];
            row[0] = i;
            for (let j = 1; j <= b.length; j++) {
                const current = row[j];
                row[j] = Math.min(
                    row[j] + 1,
                    row[j - 1] + 1,
                    previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
                );
                previous = current;
            }
        }
        return row[b.length];
    };
    const best = candidates.map((c) => ({ c, d: distance(key, c) })).sort((x, y) => x.d - y.d)[0];
    return best && best.d <= 3 ? best.c : undefined;
}

import { booleanValue, invalid } from "./validation";

/**
 * An optional feature switched by an options object with an `enabled` field (`waf: {}`,
 * `waf: { rateLimitPerFiveMinutes: 500 }`, `accessLogs: { enabled: false }`). A plain boolean is
 * still accepted (`waf: true`, `accessLogs: false`: the argument type before 0.3, which JavaScript
 * callers may still pass): the multi-language schema cannot hold a boolean-or-object union, so the
 * typed argument is the object alone.
 *
 * Returns `undefined` when the feature is off and the options object without `enabled` (`{}` for a
 * plain `true`) when it is on. `"true"`/`"false"` strings are accepted as a config file holds them;
 * an object with an unknown field is rejected, so that a typo does not silently fall back to a default.
 */
export function featureOptions<T extends object>(
    key: string,
    value: unknown,
    enabledByDefault: boolean,
    fields: ReadonlyArray<keyof T & string>,
): Partial<T> | undefined {
    const expected = `{ enabled, ${fields.join(", ")} }, true or false`;
    if (value === undefined) {
        return enabledByDefault ? {} : undefined;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const unknown = Object.keys(value).filter(
            (k) => k !== "enabled" && !(fields as ReadonlyArray<string>).includes(k),
        );
        if (unknown.length > 0) {
            throw invalid(key, value, `${expected} (unknown field ${unknown.join(", ")})`);
        }
        const { enabled, ...options } = value as Partial<T> & { enabled?: unknown };
        // An options object turns the feature on unless it says `enabled: false`.
        if (enabled !== undefined && !booleanValue(`${key}.enabled`, enabled)) {
            return undefined;
        }
        return options as Partial<T>;
    }
    if (typeof value === "boolean" || value === "true" || value === "false") {
        return booleanValue(key, value) ? {} : undefined;
    }
    throw invalid(key, value, expected);
}

import { booleanValue, invalid } from "./validation";

/**
 * An optional feature switched by an argument that is either a boolean or an options object
 * (`waf: true`, `waf: { rateLimitPerFiveMinutes: 500 }`, `accessLogs: false`).
 *
 * Returns `undefined` when the feature is off and the options object (`{}` for a plain `true`)
 * when it is on. `"true"`/`"false"` strings are accepted as a config file holds them; an object
 * with an unknown field is rejected, so that a typo does not silently fall back to a default.
 */
export function featureOptions<T extends object>(
    key: string,
    value: unknown,
    enabledByDefault: boolean,
    fields: ReadonlyArray<keyof T & string>,
): Partial<T> | undefined {
    const expected = `true, false or { ${fields.join(", ")} }`;
    if (value === undefined) {
        return enabledByDefault ? {} : undefined;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const unknown = Object.keys(value).filter((k) => !(fields as ReadonlyArray<string>).includes(k));
        if (unknown.length > 0) {
            throw invalid(key, value, `${expected} (unknown field ${unknown.join(", ")})`);
        }
        return value as Partial<T>;
    }
    if (typeof value === "boolean" || value === "true" || value === "false") {
        return booleanValue(key, value) ? {} : undefined;
    }
    throw invalid(key, value, expected);
}

import * as pulumi from "@pulumi/pulumi";

/**
 * Validation shared by the stack config reader and every component.
 *
 * Each check takes the name of what it checks (`ha-webstack:mode` for a config key,
 * `LoadBalancer args.mode` for a component argument), so that every message names the key, the
 * value and what is allowed, e.g.
 * `ha-webstack:mode=active-pasive is not valid: expected one of active-passive, active-active`.
 */
export class ValidationError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ValidationError";
    }
}

/** Renders a value for a message: strings as they are, everything else as JSON. */
export function show(value: unknown): string {
    if (typeof value === "string") {
        return value === "" ? '""' : value;
    }
    return JSON.stringify(value) ?? String(value);
}

export function invalid(key: string, value: unknown, expected: string): ValidationError {
    return new ValidationError(`${key}=${show(value)} is not valid: expected ${expected}`);
}

export function oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[]): T {
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
        throw invalid(key, value, `one of ${allowed.join(", ")}`);
    }
    return value as T;
}

/**
 * The integer a number or a config file's decimal string holds, NaN for anything else: `two`,
 * `1.5`, `1e3` and `""` are not integers here, whatever `Number()` would guess.
 */
export function parseInteger(value: unknown): number {
    if (typeof value === "number") {
        return Number.isInteger(value) ? value : NaN;
    }
    return typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
}

/** An integer in [min, max], given as a number or as the decimal string a config file holds. */
export function integerIn(key: string, value: unknown, min: number, max: number): number {
    const n = parseInteger(value);
    if (!Number.isInteger(n) || n < min || n > max) {
        throw invalid(key, value, `an integer from ${min} to ${max}`);
    }
    return n;
}

/** A finite number in [min, max] (an integer when `integer`), or the decimal string of one. */
export function numberIn(key: string, value: unknown, min: number, max: number, integer = false): number {
    const n =
        typeof value === "number"
            ? value
            : typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())
              ? Number(value)
              : NaN;
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
        throw invalid(key, value, `${integer ? "an integer" : "a number"} from ${min} to ${max}`);
    }
    return n;
}

/** A string matching `re`; `expected` says in words what that is. */
export function pattern(key: string, value: unknown, re: RegExp, expected: string): string {
    if (typeof value !== "string" || !re.test(value)) {
        throw invalid(key, value, expected);
    }
    return value;
}

/**
 * A plausible email address: one @, a local part without spaces, a domain of at least two
 * labels (letters, digits, hyphens) ending in a letters-only TLD. Rejects `ops@`, `a@b`, `not an email`.
 */
export function emailAddress(key: string, value: unknown): string {
    const expected = "an email address such as ops@example.com";
    if (typeof value !== "string" || value.length > 254) {
        throw invalid(key, value, expected);
    }
    const m = /^([^\s@"(),:;<>[\\\]]{1,64})@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$/.exec(
        value,
    );
    if (!m || m[1].startsWith(".") || m[1].endsWith(".") || m[1].includes("..")) {
        throw invalid(key, value, expected);
    }
    return value;
}

export function booleanValue(key: string, value: unknown): boolean {
    if (typeof value === "boolean") {
        return value;
    }
    if (value === "true" || value === "false") {
        return value === "true";
    }
    throw invalid(key, value, "true or false");
}

/** An IPv4 CIDR block such as 10.0.0.0/16, with its host bits zero (AWS rejects 10.0.0.1/16). */
export function ipv4Cidr(key: string, value: unknown, minPrefix = 0, maxPrefix = 32): string {
    const expected = `an IPv4 CIDR block with a prefix from /${minPrefix} to /${maxPrefix}, host bits zero (e.g. 10.0.0.0/16)`;
    if (typeof value !== "string") {
        throw invalid(key, value, expected);
    }
    const parsed = parseIpv4Cidr(value);
    if (!parsed || parsed.prefix < minPrefix || parsed.prefix > maxPrefix) {
        throw invalid(key, value, expected);
    }
    if (parsed.base !== networkAddress(parsed.base, parsed.prefix)) {
        throw invalid(
            key,
            value,
            `${expected}; did you mean ${formatIpv4(networkAddress(parsed.base, parsed.prefix))}/${parsed.prefix}?`,
        );
    }
    return value;
}

/** The stack spreads over 2 to 6 availability zones: 2 is the minimum with no single point of failure. */
export const MIN_AZS = 2;
export const MAX_AZS = 6;

/** A list of 2 to 6 distinct AZ names such as us-east-1a. */
export function availabilityZoneList(label: string, zones: unknown): string[] {
    if (
        !Array.isArray(zones) ||
        zones.length < MIN_AZS ||
        zones.length > MAX_AZS ||
        zones.some((z) => typeof z !== "string" || !/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(z)) ||
        new Set(zones).size !== zones.length
    ) {
        throw invalid(label, zones, `a list of ${MIN_AZS} to ${MAX_AZS} distinct AZ names such as us-east-1a`);
    }
    return [...zones];
}

/** A list of CIDR blocks without repeats (AWS rejects a duplicate security group rule). */
export function distinctCidrs(key: string, cidrs: string[]): string[] {
    const repeated = cidrs.filter((c, i) => cidrs.indexOf(c) !== i);
    if (repeated.length > 0) {
        throw invalid(key, cidrs, `distinct CIDR blocks (${repeated.join(", ")} is listed twice)`);
    }
    return cidrs;
}

/** An ACM certificate ARN: arn:<partition>:acm:<region>:<account>:certificate/<id>. */
export function acmCertificateArn(key: string, value: unknown): string {
    if (typeof value !== "string" || !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/.test(value)) {
        throw invalid(key, value, "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)");
    }
    return value;
}

/** An EC2 instance type such as t4g.micro or m7i.large (family.size). */
export function instanceType(key: string, value: unknown): string {
    if (typeof value !== "string" || !/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(value) || value.startsWith("db.")) {
        throw invalid(key, value, "an EC2 instance type such as t4g.micro or m7i.large");
    }
    return value;
}

/** CloudWatch Logs retention periods AWS accepts, in days. */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** A CloudWatch Logs retention period: AWS accepts only the values of {@link LOG_RETENTION_DAYS}. */
export function logRetentionDays(key: string, value: unknown): number {
    const days =
        typeof value === "number"
            ? value
            : typeof value === "string" && /^\d+$/.test(value.trim())
              ? Number(value)
              : NaN;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(days)) {
        throw invalid(key, value, `a CloudWatch Logs retention in days: one of ${LOG_RETENTION_DAYS.join(", ")}`);
    }
    return days;
}

export function nonEmptyString(key: string, value: unknown): string {
    if (typeof value !== "string" || value.trim() === "") {
        throw invalid(key, value, "a non-empty string");
    }
    return value;
}

/**
 * Validates a `pulumi.Input<T>` argument: a value known now is checked now (so a bad argument
 * fails before anything is created); an Output is checked when it resolves, which fails the
 * deployment before the resources that consume it are created.
 */
export function checkInput<T, U>(value: pulumi.Input<T>, check: (v: T) => U): pulumi.Input<U> {
    if (pulumi.Output.isInstance(value)) {
        return (value as pulumi.Output<T>).apply(check);
    }
    if (value instanceof Promise) {
        return pulumi.output(value).apply(check as (v: unknown) => U);
    }
    return check(value as T);
}

// ---- IPv4 arithmetic (pure, exported for tests) ----

export interface Ipv4Cidr {
    base: number;
    prefix: number;
}

export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
    if (!m) {
        return undefined;
    }
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32 || m.slice(1, 5).some((o) => o.length > 1 && o.startsWith("0"))) {
        return undefined;
    }
    return { base: ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0, prefix };
}

export function networkAddress(address: number, prefix: number): number {
    return prefix === 0 ? 0 : (address & (~0 << (32 - prefix))) >>> 0;
}

export function formatIpv4(address: number): string {
    return [24, 16, 8, 0].map((shift) => (address >>> shift) & 255).join(".");
}

/** The `index`-th block of prefix `newPrefix` inside `cidr` (Terraform's cidrsubnet). */
export function subnetOf(cidr: string, newPrefix: number, index: number): string {
    const parsed = parseIpv4Cidr(cidr);
    if (!parsed || newPrefix < parsed.prefix || newPrefix > 32) {
        throw new ValidationError(`cannot carve /${newPrefix} subnets out of ${cidr}`);
    }
    const count = 2 ** (newPrefix - parsed.prefix);
    if (!Number.isInteger(index) || index < 0 || index >= count) {
        throw new ValidationError(`${cidr} holds ${count} /${newPrefix} subnets; index ${index} is out of range`);
    }
    return `${formatIpv4((parsed.base + index * 2 ** (32 - newPrefix)) >>> 0)}/${newPrefix}`;
}

/**
 * Checks {@link DatabaseArgs} and fills in the defaults. The validators are exported for the
 * stack's config reader too, which labels them `ha-webstack:<key>`.
 */
import * as pulumi from "@pulumi/pulumi";
import { availabilityZoneList, booleanValue, checkInput, invalid, parseInteger } from "../shared/validation";
import type { DatabaseArgs } from "./args";
import {
    DEFAULT_ENGINE_VERSION,
    ENGINE_MAJOR_VERSIONS,
    isReservedWord,
    MAX_REPLICAS,
    RDS_RESERVED_USERS,
    SYSTEM_SCHEMAS,
} from "./mysql";

export interface DatabaseSettings {
    replicaCount: number;
    instanceClass: pulumi.Input<string>;
    replicaInstanceClass: pulumi.Input<string>;
    allocatedStorage: number;
    maxAllocatedStorage: number;
    engineVersion: string;
    autoMinorVersionUpgrade: boolean;
    multiAz: boolean;
    backupRetentionDays: number;
    deletionProtection: boolean;
    performanceInsights: boolean;
    databaseName: pulumi.Input<string>;
    username: pulumi.Input<string>;
    availabilityZones: pulumi.Input<string[]>;
}

/** Checks the args and fills in the defaults; throws a {@link ValidationError} naming the argument. */
export function validateDatabaseArgs(args: DatabaseArgs, label = "Database args"): DatabaseSettings {
    if (!Array.isArray(args.subnetIds) || args.subnetIds.length < 2) {
        throw invalid(
            `${label}.subnetIds`,
            args.subnetIds,
            "at least two isolated subnets, in different AZs (an RDS subnet group needs two AZs)",
        );
    }
    const subnetCount = args.subnetIds.length;
    // Checked now when given as a list; as an Output (e.g. a Network's), when it resolves.
    const availabilityZones = checkInput(args.availabilityZones, (zones) =>
        dbAvailabilityZones(`${label}.availabilityZones`, zones, subnetCount),
    );
    const replicaCount = replicaCountValue(`${label}.replicaCount`, args.replicaCount ?? 1);
    const instanceClass = checkInput(args.instanceClass ?? "db.t4g.micro", (c) =>
        dbInstanceClass(`${label}.instanceClass`, c),
    );
    const replicaInstanceClass =
        args.replicaInstanceClass === undefined
            ? instanceClass
            : checkInput(args.replicaInstanceClass, (c) => dbInstanceClass(`${label}.replicaInstanceClass`, c));
    const allocatedStorage = dbAllocatedStorage(`${label}.allocatedStorage`, args.allocatedStorage ?? 20);
    const maxAllocatedStorage = dbMaxAllocatedStorage(
        `${label}.maxAllocatedStorage`,
        args.maxAllocatedStorage ?? defaultMaxAllocatedStorage(allocatedStorage),
        allocatedStorage,
    );
    const engineVersion = dbEngineVersion(`${label}.engineVersion`, args.engineVersion ?? DEFAULT_ENGINE_VERSION);
    return {
        replicaCount,
        instanceClass,
        replicaInstanceClass,
        allocatedStorage,
        maxAllocatedStorage,
        engineVersion,
        autoMinorVersionUpgrade: (ENGINE_MAJOR_VERSIONS as readonly string[]).includes(engineVersion),
        multiAz: booleanValue(`${label}.multiAz`, args.multiAz ?? false),
        backupRetentionDays: dbBackupRetentionDays(`${label}.backupRetentionDays`, args.backupRetentionDays ?? 7),
        deletionProtection: booleanValue(`${label}.deletionProtection`, args.deletionProtection ?? false),
        performanceInsights: booleanValue(`${label}.performanceInsights`, args.performanceInsights ?? true),
        databaseName: checkInput(args.databaseName ?? "app", (n) => mysqlDatabaseName(`${label}.databaseName`, n)),
        username: checkInput(args.username ?? "admin", (u) => mysqlUsername(`${label}.username`, u)),
        availabilityZones,
    };
}

/** The AZ of each of `subnetCount` subnets: 2 to 6 distinct AZ names, one per subnet. */
export function dbAvailabilityZones(key: string, zones: unknown, subnetCount: number): string[] {
    const list = availabilityZoneList(key, zones);
    if (list.length !== subnetCount) {
        throw invalid(key, zones, `the AZ of each of the ${subnetCount} subnetIds, in the same order`);
    }
    return list;
}

/** Read replicas: an integer from 0 to 15. */
export function replicaCountValue(key: string, value: unknown): number {
    const n = parseInteger(value);
    if (!Number.isInteger(n) || n < 0 || n > MAX_REPLICAS) {
        throw invalid(
            key,
            value,
            `an integer from 0 to ${MAX_REPLICAS} (RDS for MySQL allows at most ${MAX_REPLICAS} read replicas per source)`,
        );
    }
    return n;
}

/** An RDS instance class such as db.t4g.micro or db.m7g.large: the `db.` prefix is required. */
export function dbInstanceClass(key: string, value: unknown): string {
    if (typeof value !== "string" || !/^db\.[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(value)) {
        throw invalid(key, value, "an RDS instance class with the db. prefix, such as db.t4g.micro or db.m7g.large");
    }
    return value;
}

/** The largest allocation that leaves storage autoscaling its 10% headroom under 65536 GiB. */
export const MAX_ALLOCATED_STORAGE = Math.floor(65536 / 1.1);

export function dbAllocatedStorage(key: string, value: unknown): number {
    const n = parseInteger(value);
    // Storage autoscaling needs a ceiling 10% above the allocation, and RDS stops at 65536 GiB.
    if (!Number.isInteger(n) || n < 20 || n > MAX_ALLOCATED_STORAGE) {
        throw invalid(
            key,
            value,
            `an integer number of GiB from 20 to ${MAX_ALLOCATED_STORAGE} (storage autoscaling needs 10% headroom below RDS's 65536)`,
        );
    }
    return n;
}

/** The autoscaling ceiling: AWS wants it at least 10% above the allocated storage, at most 65536 GiB. */
export function dbMaxAllocatedStorage(key: string, value: unknown, allocatedStorage: number): number {
    const min = Math.ceil((allocatedStorage * 11) / 10);
    const n = parseInteger(value);
    if (min > 65536) {
        throw invalid(
            key,
            value,
            `a ceiling at least 10% above the allocated ${allocatedStorage} GiB, which the 65536 GiB maximum leaves no room for: allocate at most 59578 GiB`,
        );
    }
    if (!Number.isInteger(n) || n < min || n > 65536) {
        throw invalid(
            key,
            value,
            `an integer number of GiB from ${min} (10% above the allocated ${allocatedStorage} GiB) to 65536`,
        );
    }
    return n;
}

function defaultMaxAllocatedStorage(allocatedStorage: number): number {
    return Math.min(65536, Math.max(100, allocatedStorage * 2));
}

/** A MySQL engine version RDS supports here: 8.4 or 8.0, alone or with a minor version (8.4.7). */
export function dbEngineVersion(key: string, value: unknown): string {
    if (typeof value !== "string" || !/^8\.[04](\.\d{1,3})?$/.test(value)) {
        throw invalid(key, value, "MySQL 8.4 (the default, LTS) or 8.0, alone or with a minor version such as 8.4.7");
    }
    return value;
}

/** Days of automated backups: 1 to 35 (0 would turn them off). */
export function dbBackupRetentionDays(key: string, value: unknown): number {
    const n = parseInteger(value);
    if (!Number.isInteger(n) || n < 1 || n > 35) {
        throw invalid(
            key,
            value,
            "an integer from 1 to 35 days (0 turns automated backups off, and read replicas and point-in-time recovery need them)",
        );
    }
    return n;
}

/** The name of the database RDS creates: 1-64 letters, digits, underscores, a letter first, not reserved. */
export function mysqlDatabaseName(key: string, value: unknown): string {
    const expected =
        "1 to 64 letters, digits or underscores starting with a letter, not a MySQL reserved word or system schema";
    if (
        typeof value !== "string" ||
        !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(value) ||
        isReservedWord(value) ||
        SYSTEM_SCHEMAS.includes(value.toLowerCase())
    ) {
        throw invalid(key, value, expected);
    }
    return value;
}

/** The master user name: 1-16 letters, digits, underscores, a letter first, not reserved. */
export function mysqlUsername(key: string, value: unknown): string {
    const expected = "1 to 16 letters, digits or underscores starting with a letter, not a MySQL reserved word";
    if (
        typeof value !== "string" ||
        !/^[A-Za-z][A-Za-z0-9_]{0,15}$/.test(value) ||
        isReservedWord(value) ||
        RDS_RESERVED_USERS.includes(value.toLowerCase())
    ) {
        throw invalid(key, value, expected);
    }
    return value;
}

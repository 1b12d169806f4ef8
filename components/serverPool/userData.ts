/**
 * Renders the EC2 user data of a web server: a small loader (server/loader.sh) with its settings
 * in front. The loader downloads the server bundle (bundle.ts: app, nginx config, bootstrap,
 * PyMySQL wheel, RDS CA bundle) from the pool's S3 bucket, checks its sha256, unpacks it, runs its
 * bootstrap and completes the launch lifecycle hook (lifecycle.ts). See server/README.md.
 *
 * - Pure and deterministic: the same options give the same bytes (no timestamps, no random
 *   names), so `pulumi preview` shows no spurious launch template diff. The bundle's sha256 is in
 *   the script: a changed bundle changes the launch template and rolls the servers.
 * - What the instance needs besides the bundle travels here, uncompressed (base64 in quoted
 *   heredocs, whose alphabet cannot contain the delimiter): /etc/ha-webstack/app.json and the
 *   `extraFiles`. AWS caps user data at 16 KB before base64; renderUserData throws over it.
 * - Takes plain values: resolve Outputs first, e.g.
 *   `pulumi.all([db.address, ...]).apply(([writerHost, ...]) => renderUserData({...}))`.
 * - Extension points: `extraFiles` (written under $ROOT after the bootstrap, e.g. a CloudWatch
 *   agent config) and `extraScript` (bash run after them, before the readiness check, in the same
 *   `set -euo pipefail` shell, with $ROOT set; a failure there abandons the instance too).
 */
import * as fs from "fs";
import * as path from "path";
import { RDS_CA_PATH, serverDir } from "./bundle";
import type { UserDataFile } from "../shared/contracts";

export type { UserDataFile } from "../shared/contracts";

/** EC2 refuses user data over 16 KB (counted before base64). */
export const USER_DATA_LIMIT = 16384;
/** Where app.py listens; nginx proxies the app port to it, so the app port cannot be this one. */
export const APP_UPSTREAM_PORT = 8000;

export interface UserDataDb {
    /** Writer (primary) endpoint address. */
    writerHost: string;
    writerPort: number;
    /** Reader endpoints, tried in order; empty = no replica, reads go to the writer. */
    readerHosts: string[];
    readerPort: number;
    /** Secrets Manager secret: JSON with username, password, host, port, dbname. */
    secretArn: string;
    database: string;
    /**
     * CA bundle on the instance that the database's TLS certificate must chain to.
     * @default the RDS global CA bundle from the server bundle (`/opt/ha-webstack/rds-global-bundle.pem`)
     */
    tlsCa?: string;
}

/** Where the loader finds the server bundle (see bundle.ts). */
export interface UserDataBundle {
    bucket: string;
    key: string;
    /** The S3 version of the object: the loader fetches exactly this one. */
    versionId: string;
    /** sha256 of the archive, hex: the loader refuses anything else. */
    sha256: string;
}

/** The launch lifecycle hook the loader completes (see lifecycle.ts). */
export interface UserDataLifecycle {
    autoScalingGroupName: string;
    hookName: string;
    /** Seconds the loader waits for nginx and the app before it abandons. */
    readyTimeoutSeconds: number;
}

export interface UserDataOptions {
    region: string;
    stack: string;
    /** Port nginx listens on: the target group's port and health check port. */
    appPort: number;
    bundle: UserDataBundle;
    /** The hook to complete; none: the loader only boots the server. */
    lifecycle?: UserDataLifecycle;
    db?: UserDataDb;
    extraFiles?: UserDataFile[];
    extraScript?: string;
}

/** The object written to /etc/ha-webstack/app.json (fixed key order). */
export interface AppConfig {
    region: string;
    stack: string;
    appPort: number;
    db: UserDataDb | null;
}

const DELIMITER = "HA_WEBSTACK_PAYLOAD";

export function appConfig(opts: UserDataOptions): AppConfig {
    validate(opts);
    const d = opts.db;
    return {
        region: opts.region,
        stack: opts.stack,
        appPort: opts.appPort,
        db: d
            ? {
                  writerHost: d.writerHost,
                  writerPort: d.writerPort,
                  readerHosts: [...d.readerHosts],
                  readerPort: d.readerPort,
                  secretArn: d.secretArn,
                  database: d.database,
                  tlsCa: d.tlsCa ?? RDS_CA_PATH,
              }
            : null,
    };
}

export function renderUserData(opts: UserDataOptions): string {
    const config = appConfig(opts);
    const settings: [string, string][] = [
        ["HA_REGION", opts.region],
        ["HA_BUNDLE_BUCKET", opts.bundle.bucket],
        ["HA_BUNDLE_KEY", opts.bundle.key],
        ["HA_BUNDLE_VERSION", opts.bundle.versionId],
        ["HA_BUNDLE_SHA256", opts.bundle.sha256],
        ["HA_APP_PORT", String(opts.appPort)],
        ["HA_ASG_NAME", opts.lifecycle?.autoScalingGroupName ?? ""],
        ["HA_HOOK_NAME", opts.lifecycle?.hookName ?? ""],
        ["HA_READY_TIMEOUT", String(opts.lifecycle?.readyTimeoutSeconds ?? 600)],
    ];
    const embed = (dest: string, content: string) => [
        `  base64 -d >"${dest}" <<'${DELIMITER}'`,
        ...base64Lines(Buffer.from(content, "utf8")),
        DELIMITER,
    ];
    const extras = (opts.extraFiles ?? []).flatMap((file, i) => [
        ...embed(`$1/extra-${i}`, file.content),
        `  install -D -m ${file.mode ?? "0644"} "$1/extra-${i}" "$ROOT${file.path}"`,
    ]);
    const extraScript = opts.extraScript ? ["  # --- extraScript ---", opts.extraScript.replace(/\n$/, "")] : [];
    const loader = fs.readFileSync(path.join(serverDir(), "loader.sh"), "utf8").replace(/^#!.*\n/, "");
    const lines = [
        "#!/bin/bash",
        "# ha-webstack user data, rendered by components/serverPool/userData.ts (do not edit):",
        "# settings, app.json and the extras, then server/loader.sh, which boots the server bundle.",
        ...settings.map(([key, value]) => `${key}='${value}'`),
        "# Writes /etc/ha-webstack/app.json's content into the unpacked bundle ($1).",
        "ha_write_config() {",
        ...embed("$1/app.json", JSON.stringify(config, null, 2) + "\n"),
        "}",
        "# The extra files and script, after the bootstrap ($1: the unpacked bundle).",
        "ha_extras() {",
        "  :",
        ...extras,
        ...extraScript,
        "}",
        loader.replace(/\n$/, ""),
    ];
    const script = lines.join("\n") + "\n";

    const size = Buffer.byteLength(script, "utf8");
    if (size > USER_DATA_LIMIT) {
        throw new Error(
            `ha-webstack: the rendered user data is ${size} bytes, over the ${USER_DATA_LIMIT}-byte ` +
                `limit AWS puts on EC2 user data (before base64). Shorten extraScript / extraFiles ` +
                `(${Buffer.byteLength(opts.extraScript ?? "", "utf8")} bytes of extraScript).`,
        );
    }
    return script;
}

function validate(o: UserDataOptions): void {
    const fail = (msg: string): never => {
        throw new Error(`ha-webstack user data: ${msg}`);
    };
    const str = (v: unknown, name: string) => {
        if (typeof v !== "string" || v.length === 0 || /[\s\0]/.test(v))
            fail(`${name} must be a non-empty string without whitespace (resolve Outputs with .apply first)`);
    };
    const port = (v: unknown, name: string) => {
        if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535)
            fail(`${name} must be an integer port (1-65535), got ${String(v)}`);
    };
    if (typeof o.region !== "string" || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(o.region))
        fail(`region must look like us-east-1, got ${String(o.region)}`);
    str(o.stack, "stack");
    port(o.appPort, "appPort");
    if (o.appPort === APP_UPSTREAM_PORT)
        fail(`appPort ${APP_UPSTREAM_PORT} is taken by the app behind nginx; pick another`);
    const b = o.bundle as UserDataBundle | undefined;
    if (typeof b !== "object" || b === null) {
        fail("bundle must name the server bundle's bucket, key, versionId and sha256");
        return;
    }
    // Single-quoted in the script: none of these may hold a quote or a space.
    const word = (v: unknown, name: string, re: RegExp, expected: string) => {
        if (typeof v !== "string" || !re.test(v)) fail(`${name} must be ${expected}, got ${String(v)}`);
    };
    word(b.bucket, "bundle.bucket", /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name");
    word(b.key, "bundle.key", /^[A-Za-z0-9!_.*()/-]{1,1024}$/, "an S3 key of [A-Za-z0-9!_.*()/-]");
    word(b.versionId, "bundle.versionId", /^[A-Za-z0-9._+/=-]{1,1024}$/, "an S3 version id");
    word(b.sha256, "bundle.sha256", /^[0-9a-f]{64}$/, "64 lowercase hex characters");
    if (o.lifecycle !== undefined) {
        const l = o.lifecycle;
        word(
            l.autoScalingGroupName,
            "lifecycle.autoScalingGroupName",
            /^[A-Za-z0-9._-]{1,255}$/,
            "an Auto Scaling group name",
        );
        word(l.hookName, "lifecycle.hookName", /^[A-Za-z0-9._-]{1,255}$/, "a lifecycle hook name");
        if (!Number.isInteger(l.readyTimeoutSeconds) || l.readyTimeoutSeconds < 10 || l.readyTimeoutSeconds > 7200)
            fail(
                `lifecycle.readyTimeoutSeconds must be an integer from 10 to 7200, got ${String(l.readyTimeoutSeconds)}`,
            );
    }
    if (o.db !== undefined) {
        const d = o.db;
        str(d.writerHost, "db.writerHost");
        port(d.writerPort, "db.writerPort");
        if (!Array.isArray(d.readerHosts)) fail("db.readerHosts must be an array (empty: no replica)");
        d.readerHosts.forEach((h, i) => str(h, `db.readerHosts[${i}]`));
        port(d.readerPort, "db.readerPort");
        str(d.secretArn, "db.secretArn");
        if (!d.secretArn.startsWith("arn:")) fail(`db.secretArn must be an ARN, got ${d.secretArn}`);
        str(d.database, "db.database");
        if (d.tlsCa !== undefined) str(d.tlsCa, "db.tlsCa");
    }
    (o.extraFiles ?? []).forEach((f, i) => {
        if (typeof f.path !== "string" || !/^\/[A-Za-z0-9._/-]+$/.test(f.path) || f.path.split("/").includes(".."))
            fail(`extraFiles[${i}].path must be an absolute path of [A-Za-z0-9._/-], got ${String(f.path)}`);
        if (typeof f.content !== "string") fail(`extraFiles[${i}].content must be a string`);
        if (f.mode !== undefined && !/^0?[0-7]{3}$/.test(f.mode))
            fail(`extraFiles[${i}].mode must be octal like 0644, got ${f.mode}`);
    });
    if (o.extraScript !== undefined && typeof o.extraScript !== "string") fail("extraScript must be a string");
}

function base64Lines(data: Buffer): string[] {
    const b64 = data.toString("base64");
    const out: string[] = [];
    for (let i = 0; i < b64.length; i += 76) out.push(b64.slice(i, i + 76));
    return out;
}

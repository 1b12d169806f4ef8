/**
 * Renders the EC2 user data of a web server: a bash script that unpacks server/app.py,
 * server/nginx.conf, the app's JSON config and server/bootstrap.sh, then runs the bootstrap
 * (packages, files, systemd units). See server/README.md for what ends up on the instance.
 *
 * - Pure and deterministic: the same options give the same bytes (no timestamps, no random
 *   names, our own gzip encoder), so `pulumi preview` shows no spurious launch template diff.
 *   Node's zlib is NOT used for that reason: its output changes with the zlib build that a Node
 *   release bundles (nodejs/node#50138), which would roll every server on a Node upgrade.
 * - AWS caps user data at 16 KB before base64: files travel gzip + base64 inside quoted
 *   heredocs (the base64 alphabet cannot contain the delimiter), and renderUserData throws when
 *   the script exceeds USER_DATA_LIMIT.
 * - Takes plain values: resolve Outputs first, e.g.
 *   `pulumi.all([db.address, ...]).apply(([writerHost, ...]) => renderUserData({...}))`.
 * - Extension points: `extraFiles` (written under $ROOT after the bootstrap, e.g. a CloudWatch
 *   agent config) and `extraScript` (bash run last, in the same `set -euo pipefail` shell, with
 *   $ROOT and $HA_SRC set).
 */
import * as fs from "fs";
import * as path from "path";
import { packageFile } from "../shared/packageFiles";
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
    /** Optional CA bundle path on the instance to verify the DB's TLS certificate. */
    tlsCa?: string;
}

export interface UserDataOptions {
    region: string;
    stack: string;
    /** Port nginx listens on: the target group's port and health check port. */
    appPort: number;
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
                  ...(d.tlsCa !== undefined ? { tlsCa: d.tlsCa } : {}),
              }
            : null,
    };
}

export function renderUserData(opts: UserDataOptions): string {
    const config = appConfig(opts);
    const lines = [
        "#!/bin/bash",
        // Kept byte for byte (the file moved since): a changed byte rolls every server (stack.test.ts).
        "# ha-webstack user data, rendered by components/userData.ts from server/ (do not edit).",
        "# Each file below is gzip + base64; server/bootstrap.sh installs them.",
        "set -euo pipefail",
        'export ROOT="${ROOT:-}"',
        'HA_SRC="$(mktemp -d)"',
        "trap 'rm -rf \"$HA_SRC\"' EXIT",
        'ha_unpack() { base64 -d | gunzip >"$1"; }',
    ];
    const embed = (dest: string, content: Buffer) =>
        lines.push(`ha_unpack "${dest}" <<'${DELIMITER}'`, ...base64Lines(gzip(content)), DELIMITER);

    for (const name of ["app.py", "nginx.conf", "bootstrap.sh"]) {
        embed(`$HA_SRC/${name}`, fs.readFileSync(path.join(serverDir(), name)));
    }
    embed("$HA_SRC/app.json", Buffer.from(JSON.stringify(config, null, 2) + "\n", "utf8"));
    lines.push(`HA_SRC="$HA_SRC" HA_APP_PORT=${opts.appPort} bash "$HA_SRC/bootstrap.sh"`);

    (opts.extraFiles ?? []).forEach((file, i) => {
        embed(`$HA_SRC/extra-${i}`, Buffer.from(file.content, "utf8"));
        lines.push(`install -D -m ${file.mode ?? "0644"} "$HA_SRC/extra-${i}" "$ROOT${file.path}"`);
    });
    if (opts.extraScript) {
        lines.push("# --- extraScript ---", opts.extraScript.replace(/\n$/, ""));
    }
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

/** server/ next to components/ (source tree) or two levels up (compiled into dist/components). */
function serverDir(): string {
    return path.dirname(packageFile("server", "bootstrap.sh"));
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

// ---- A small deterministic gzip encoder (RFC 1951 fixed-Huffman deflate + RFC 1952) ----------
// Output depends on nothing but the input bytes; `gunzip` on the instance decodes it.

const LEN_BASE = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});

class BitWriter {
    readonly bytes: number[] = [];
    private acc = 0;
    private count = 0;
    /** `len` bits of `value`, least significant first (header fields, extra bits). */
    bits(value: number, len: number): void {
        this.acc |= value << this.count;
        this.count += len;
        while (this.count >= 8) {
            this.bytes.push(this.acc & 0xff);
            this.acc >>>= 8;
            this.count -= 8;
        }
    }
    /** A Huffman code, most significant bit first. */
    code(code: number, len: number): void {
        let reversed = 0;
        for (let i = 0; i < len; i++) reversed = (reversed << 1) | ((code >> i) & 1);
        this.bits(reversed, len);
    }
    flush(): void {
        if (this.count > 0) this.bytes.push(this.acc & 0xff);
        this.acc = 0;
        this.count = 0;
    }
}

function literalOrLength(w: BitWriter, symbol: number): void {
    if (symbol < 144) w.code(0x30 + symbol, 8);
    else if (symbol < 256) w.code(0x190 + symbol - 144, 9);
    else if (symbol < 280) w.code(symbol - 256, 7);
    else w.code(0xc0 + symbol - 280, 8);
}

function lastIndexAtMost(table: number[], value: number): number {
    let i = table.length - 1;
    while (table[i] > value) i--;
    return i;
}

function deflateFixed(data: Buffer): number[] {
    const w = new BitWriter();
    w.bits(1, 1); // BFINAL: one block
    w.bits(1, 2); // BTYPE 01: fixed Huffman codes
    const head = new Map<number, number>();
    const prev = new Int32Array(data.length);
    const key = (i: number) => (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    const insert = (i: number) => {
        if (i + 2 >= data.length) return;
        const k = key(i);
        prev[i] = head.get(k) ?? -1;
        head.set(k, i);
    };
    // Longest earlier match at i (hash chains, 32 KB window): [length, distance].
    const longest = (i: number): [number, number] => {
        let bestLen = 0;
        let bestDist = 0;
        if (i + 2 >= data.length) return [0, 0];
        const max = Math.min(258, data.length - i);
        let j = head.get(key(i)) ?? -1;
        for (let chain = 0; j >= 0 && i - j <= 32768 && chain < 256; chain++, j = prev[j]) {
            let len = 0;
            while (len < max && data[j + len] === data[i + len]) len++;
            if (len > bestLen) {
                bestLen = len;
                bestDist = i - j;
                if (len === max) break;
            }
        }
        return [bestLen, bestDist];
    };
    let i = 0;
    let match = longest(0);
    while (i < data.length) {
        const [len, dist] = match;
        insert(i);
        const next = i + 1 < data.length ? longest(i + 1) : ([0, 0] as [number, number]);
        // Lazy matching: a literal now pays off when the next position matches longer.
        if (len >= 3 && next[0] <= len) {
            const l = lastIndexAtMost(LEN_BASE, len);
            literalOrLength(w, 257 + l);
            w.bits(len - LEN_BASE[l], LEN_EXTRA[l]);
            const d = lastIndexAtMost(DIST_BASE, dist);
            w.code(d, 5);
            w.bits(dist - DIST_BASE[d], DIST_EXTRA[d]);
            for (let k = 1; k < len; k++) insert(i + k);
            i += len;
            match = longest(i);
        } else {
            literalOrLength(w, data[i]);
            i++;
            match = next;
        }
    }
    literalOrLength(w, 256); // end of block
    w.flush();
    return w.bytes;
}

/** gzip with a fixed header (no name, mtime 0, OS unknown): deterministic everywhere. */
export function gzip(data: Buffer): Buffer {
    let crc = 0xffffffff;
    for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE((crc ^ 0xffffffff) >>> 0, 0);
    trailer.writeUInt32LE(data.length >>> 0, 4);
    const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    return Buffer.concat([header, Buffer.from(deflateFixed(data)), trailer]);
}

/**
 * What runs ON a web server, run for real on this machine:
 *  1. server/app.py under python3 against a fake IMDSv2 (token required);
 *  2. app.py against real MariaDB on loopback (a primary and a read-only replica, replicating),
 *     with a fake `aws` CLI serving the DB secret: writes through the writer, reads through a
 *     reader, password rotation, outages;
 *  3. server/nginx.conf: `nginx -t` and a real nginx proxying to the app;
 *  4. the server bundle, and the user data (server/loader.sh + server/bootstrap.sh) run with ROOT=<tmp>
 *     on a stand-in machine (tests/support/boot.ts): a local directory for S3, a stand-in `aws`
 *     recording the lifecycle call; in real mode with a real nginx and the bundle's app.
 *
 * Needs (Debian): nginx, mariadb-server, python3-pymysql. A missing one FAILS with what to install.
 * Python: PyMySQL comes from Debian's python3-pymysql, which installs into Debian's own
 * /usr/bin/python3; the `python3` first on PATH may be another build without it (pyenv here).
 * So the app runs under the first of $HA_WEBSTACK_TEST_PYTHON, /usr/bin/python3, `python3` that
 * can import pymysql. Python 3.9 (AL2023's) compatibility is checked by parsing app.py with
 * feature_version=(3, 9).
 */
import { ChildProcess, execFile, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import {
    BUNDLE_FILES,
    BUNDLE_KEY,
    buildServerBundle,
    serverBundle,
    PYMYSQL_WHEEL,
    RDS_CA_BUNDLE,
    RDS_CA_PATH,
    sha256,
} from "../components/serverPool/bundle";
import {
    USER_DATA_LIMIT,
    UserDataBundle,
    UserDataOptions,
    appConfig,
    renderUserData,
} from "../components/serverPool/userData";
import { BUCKET, BootKit, makeBootKit, runBoot, runBootSync, VERSION } from "./support/boot";

const run = promisify(execFile);
const SERVER = path.join(__dirname, "..", "server");
const APP_PY = path.join(SERVER, "app.py");
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "ha-webstack-server-"));
const IS_ROOT = process.getuid?.() === 0;
const INSTANCE_ID = "i-0fa1cade5ba5e0001";
const AZ = "eu-west-3b";
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:ha-webstack-db-AbCdEf";
const PW1 = "Pw1-s3cret-do-not-leak";
const PW2 = "Pw2-r0tated-do-not-leak";

// ---------------------------------------------------------------- helpers

/** An executable from PATH (plus the sbin directories), or a failure that says what to install. */
function need(bin: string, install: string): string {
    const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/local/sbin", "/usr/sbin", "/sbin"];
    for (const dir of dirs) {
        const p = path.join(dir, bin);
        try {
            fs.accessSync(p, fs.constants.X_OK);
            return p;
        } catch {
            /* next */
        }
    }
    throw new Error(`'${bin}' not found: install it (${install}); CI's .ci/run must install it too`);
}

let pythonCache: string | undefined;
function python(): string {
    if (pythonCache) return pythonCache;
    const onPath = spawnSync("sh", ["-c", "command -v python3"], { encoding: "utf8" }).stdout.trim();
    const candidates = [process.env.HA_WEBSTACK_TEST_PYTHON, "/usr/bin/python3", onPath].filter(
        (c): c is string => !!c,
    );
    for (const c of candidates) {
        const r = spawnSync(c, ["-c", "import sys, pymysql; assert sys.version_info >= (3, 9)"]);
        if (r.status === 0) return (pythonCache = c);
    }
    throw new Error(
        `no python3 (>= 3.9) that can import pymysql among ${candidates.join(", ")}: ` +
            "apt-get install -y python3-pymysql (it installs into /usr/bin/python3), " +
            "or point HA_WEBSTACK_TEST_PYTHON at an interpreter that has PyMySQL",
    );
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address() as net.AddressInfo;
            srv.close(() => resolve(port));
        });
    });
}

/** Resolves after ms; never keeps the process (and jest) alive on its own. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
    const end = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const v = await fn();
            if (v !== undefined) return v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${String(last ?? "")}`);
        await sleep(50);
    }
}

interface Res {
    status: number;
    body: string;
    headers: http.IncomingHttpHeaders;
}
const bodies: string[] = []; // every response body, checked for leaked passwords
function get(url: string, headers: Record<string, string> = {}): Promise<Res> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { agent: false, headers, timeout: 10000 }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (c) => (body += c));
            res.on("end", () => {
                bodies.push(body);
                resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
            });
        });
        req.on("timeout", () => req.destroy(new Error(`timeout: GET ${url}`)));
        req.on("error", reject);
    });
}

/** Text of the element with this id in the app's page. */
function field(html: string, id: string): string | undefined {
    const m = new RegExp(`id="${id}">([^<]*)<`).exec(html);
    const entities: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'" };
    return m ? m[1].replace(/&(amp|lt|gt|quot|#x27);/g, (e) => entities[e]) : undefined;
}

interface Proc {
    child: ChildProcess;
    output: () => string;
    exited: Promise<number | null>;
}
const procs: Proc[] = [];
/** Starts a process in its own process group (so nginx's workers die with it), logs kept. */
function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
    const child = spawn(cmd, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const p = { child, output: () => out, exited };
    procs.push(p);
    return p;
}
async function stop(p: Proc, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (p.child.exitCode === null && p.child.signalCode === null && p.child.pid) {
        try {
            process.kill(-p.child.pid, signal);
        } catch {
            /* already gone */
        }
        await Promise.race([p.exited, sleep(5000)]);
        if (p.child.exitCode === null && p.child.signalCode === null) process.kill(-p.child.pid, "SIGKILL");
    }
}

// fake IMDSv2: a token from PUT /latest/api/token is REQUIRED for every GET
const imdsCalls: string[] = [];
const TOKEN = "fake-imds-token-42";
const imds = http.createServer((req, res) => {
    imdsCalls.push(`${req.method} ${req.url}`);
    if (req.method === "PUT" && req.url === "/latest/api/token") {
        if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return void res.writeHead(400).end();
        return void res.end(TOKEN);
    }
    if (req.method !== "GET") return void res.writeHead(405).end();
    if (req.headers["x-aws-ec2-metadata-token"] !== TOKEN) return void res.writeHead(401).end();
    const data: Record<string, string> = {
        "/latest/meta-data/instance-id": INSTANCE_ID,
        "/latest/meta-data/placement/availability-zone": AZ,
    };
    if (req.url && data[req.url]) return void res.end(data[req.url]);
    res.writeHead(404).end();
});
let imdsUrl = "";

// fake `aws` CLI: logs its arguments, prints the secret from a file (the test rotates it)
const BIN = path.join(TMP, "bin");
const SECRET_FILE = path.join(TMP, "secret.json");
const AWS_LOG = path.join(TMP, "aws-calls.log");
function writeSecret(password: string, port: number) {
    fs.writeFileSync(
        SECRET_FILE,
        JSON.stringify({ username: "app", password, host: "127.0.0.1", port, dbname: "webapp" }),
    );
}

interface App extends Proc {
    url: string;
}
async function startApp(name: string, config: object, env: NodeJS.ProcessEnv = {}): Promise<App> {
    const cfg = path.join(TMP, `${name}.json`);
    fs.writeFileSync(cfg, JSON.stringify(config));
    const port = await freePort();
    const p = start(python(), [APP_PY], {
        ...process.env,
        PATH: `${BIN}:${process.env.PATH}`,
        HA_WEBSTACK_CONFIG: cfg,
        HA_WEBSTACK_LISTEN: `127.0.0.1:${port}`,
        HA_WEBSTACK_IMDS: imdsUrl,
        PYTHONUNBUFFERED: "1",
        ...env,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`app ${name} on ${url} (output: ${p.output()})`, async () => {
        if (p.child.exitCode !== null) throw new Error(`app exited: ${p.output()}`);
        return (await get(`${url}/healthz`)).status === 200 ? true : undefined;
    });
    return { ...p, url };
}

beforeAll(async () => {
    fs.mkdirSync(BIN);
    fs.writeFileSync(path.join(BIN, "aws"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${AWS_LOG}'\ncat '${SECRET_FILE}'\n`, {
        mode: 0o755,
    });
    await new Promise<void>((r) => imds.listen(0, "127.0.0.1", r));
    imdsUrl = `http://127.0.0.1:${(imds.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
    await Promise.all(procs.map((p) => stop(p)));
    await new Promise((r) => imds.close(r));
    fs.rmSync(TMP, { recursive: true, force: true });
});

// ---------------------------------------------------------------- 1. app + IMDSv2

describe("app.py with a fake IMDSv2", () => {
    let app: App;
    beforeAll(async () => {
        app = await startApp("nodb", { region: "eu-west-3", stack: "test", appPort: 80, db: null });
    });

    test("is Python 3.9 syntax (AL2023's system Python)", () => {
        const r = spawnSync(
            python(),
            ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read(), feature_version=(3, 9))", APP_PY],
            {
                encoding: "utf8",
            },
        );
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
    });

    test("the fake IMDS rejects a GET without a token", async () => {
        expect((await get(`${imdsUrl}/latest/meta-data/instance-id`)).status).toBe(401);
    });

    test("/healthz is 200 ok", async () => {
        const r = await get(`${app.url}/healthz`);
        expect(r.status).toBe(200);
        expect(r.body).toBe("ok\n");
    });

    test("/ names the instance and its AZ, fetched once through IMDSv2", async () => {
        imdsCalls.length = 0;
        for (let i = 0; i < 3; i++) {
            const r = await get(`${app.url}/`);
            expect(r.status).toBe(200);
            expect(r.headers["content-type"]).toMatch(/text\/html/);
            expect(field(r.body, "instance")).toBe(INSTANCE_ID);
            expect(field(r.body, "az")).toBe(AZ);
            expect(r.body).toContain("No database configured");
        }
        expect(imdsCalls).toEqual([
            "PUT /latest/api/token",
            "GET /latest/meta-data/instance-id",
            "GET /latest/meta-data/placement/availability-zone",
        ]);
    });

    test("/readyz without a database is 200, unknown paths 404", async () => {
        const r = await get(`${app.url}/readyz`);
        expect(r.status).toBe(200);
        expect(JSON.parse(r.body)).toEqual({ ok: true, db: null });
        expect((await get(`${app.url}/nope`)).status).toBe(404);
    });

    test("without IMDS the page still renders and /healthz stays 200", async () => {
        const dead = `http://127.0.0.1:${await freePort()}`;
        const a = await startApp(
            "noimds",
            { region: "eu-west-3", stack: "test", appPort: 80, db: null },
            { HA_WEBSTACK_IMDS: dead },
        );
        const r = await get(`${a.url}/`);
        expect(r.status).toBe(200);
        expect(field(r.body, "instance")).toBe("unknown");
        expect(r.body).toMatch(/Instance metadata: /);
        expect((await get(`${a.url}/healthz`)).status).toBe(200);
        await stop(a);
    });

    test("a missing config file stops the app with a clear message", async () => {
        const p = start(python(), [APP_PY], { ...process.env, HA_WEBSTACK_CONFIG: path.join(TMP, "missing.json") });
        expect(await p.exited).toBe(2);
        expect(p.output()).toMatch(/bad config .*missing\.json/);
    });
});

// ---------------------------------------------------------------- 2. app + MariaDB primary/replica

interface Db {
    proc: Proc;
    port: number;
    sock: string;
}

/**
 * The system tables, made once (`mariadb-install-db` bootstraps a server: about 2.5 s of CPU) and
 * copied for each server; a small redo log keeps the copy quick.
 */
let templateDatadir: Promise<string> | undefined;
const INNODB = ["--innodb-buffer-pool-size=16M", "--innodb-log-file-size=4M"];
function mariadbTemplate(user: string[]): Promise<string> {
    templateDatadir ??= (async () => {
        const installDb = need("mariadb-install-db", "apt-get install -y mariadb-server");
        const dir = path.join(TMP, "mariadb-template");
        fs.mkdirSync(path.join(dir, "tmp"), { recursive: true });
        await run(installDb, [
            "--no-defaults",
            `--datadir=${dir}/data`,
            `--tmpdir=${dir}/tmp`,
            ...user,
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            ...INNODB,
        ]);
        return `${dir}/data`;
    })();
    return templateDatadir;
}

async function startMariadb(
    name: string,
    host: string,
    serverId: number,
    extra: string[],
    initSql: string,
): Promise<Db> {
    const mariadbd = need("mariadbd", "apt-get install -y mariadb-server");
    const dir = path.join(TMP, name);
    fs.mkdirSync(path.join(dir, "tmp"), { recursive: true });
    // own tmpdir each: two servers sharing /tmp collide on their temporary tables
    const asRoot = IS_ROOT ? ["--user=root"] : [];
    const user = [`--tmpdir=${dir}/tmp`, ...asRoot];
    fs.cpSync(await mariadbTemplate(asRoot), `${dir}/data`, { recursive: true });
    fs.writeFileSync(`${dir}/init.sql`, initSql);
    const port = await freePort();
    const sock = `${dir}/mysqld.sock`;
    const proc = start(mariadbd, [
        "--no-defaults",
        `--datadir=${dir}/data`,
        `--socket=${sock}`,
        `--port=${port}`,
        `--bind-address=${host}`,
        `--pid-file=${dir}/mysqld.pid`,
        `--log-error=${dir}/error.log`,
        `--init-file=${dir}/init.sql`,
        `--server-id=${serverId}`,
        "--skip-name-resolve",
        ...INNODB,
        ...user,
        ...extra,
    ]);
    const db = { proc, port, sock };
    await waitFor(`mariadb ${name}`, async () => {
        if (proc.child.exitCode !== null) throw new Error(fs.readFileSync(`${dir}/error.log`, "utf8"));
        return (await sql(db, "SELECT 1")) === "1" ? true : undefined;
    });
    return db;
}

/** Runs SQL as root over the server's socket; returns the output (tab-separated, no headers). */
async function sql(db: Db, query: string): Promise<string> {
    const client = need("mariadb", "apt-get install -y mariadb-server (it brings mariadb-client)");
    const { stdout } = await run(client, ["--no-defaults", "-S", db.sock, "-uroot", "-N", "-B", "-e", query]);
    return stdout.trim();
}

/**
 * TLS material made here with openssl: a CA, a server certificate it signs for the loopback
 * addresses the test servers bind to (IP SANs, no DNS name), and a second CA that signed nothing
 * those servers present.
 */
interface Tls {
    ca: string;
    cert: string;
    key: string;
    otherCa: string;
}
function makeTls(dir: string): Tls {
    fs.mkdirSync(dir, { recursive: true });
    const f = (name: string) => path.join(dir, name);
    const openssl = (...args: string[]) => {
        const r = spawnSync("openssl", args, { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
    };
    for (const ca of ["ca", "other-ca"]) {
        openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            `/CN=ha-webstack test ${ca}`,
            "-keyout",
            f(`${ca}.key`),
            "-out",
            f(`${ca}.pem`),
        );
    }
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=ha-webstack test db",
        "-keyout",
        f("server.key"),
        "-out",
        f("server.csr"),
    );
    fs.writeFileSync(f("san.ext"), "subjectAltName=IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3\n");
    openssl(
        "x509",
        "-req",
        "-in",
        f("server.csr"),
        "-CA",
        f("ca.pem"),
        "-CAkey",
        f("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        f("san.ext"),
        "-out",
        f("server.pem"),
    );
    return { ca: f("ca.pem"), cert: f("server.pem"), key: f("server.key"), otherCa: f("other-ca.pem") };
}

// REQUIRE SSL: the app cannot log in without TLS, so every test below runs over TLS.
const DB_SETUP = `
CREATE DATABASE webapp;
CREATE USER 'app'@'%' IDENTIFIED BY '${PW1}' REQUIRE SSL;
GRANT ALL ON webapp.* TO 'app'@'%';
`;

describe("app.py with a MariaDB primary and a replica", () => {
    let primary: Db;
    let replica: Db;
    let app: App;
    const secretArn = SECRET_ARN;

    let tls: Tls;

    beforeAll(async () => {
        tls = makeTls(path.join(TMP, "tls"));
        const ssl = [`--ssl-ca=${tls.ca}`, `--ssl-cert=${tls.cert}`, `--ssl-key=${tls.key}`];
        // The primary logs no setup statement (sql_log_bin=0); the replica gets the same setup from
        // its own init file, then replicates everything the app does from the primary's binlog.
        [primary, replica] = await Promise.all([
            startMariadb(
                "primary",
                "127.0.0.1",
                1,
                ["--log-bin=binlog", "--binlog-format=ROW", ...ssl],
                `SET sql_log_bin = 0;\n${DB_SETUP}CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw';\nGRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';\n`,
            ),
            startMariadb("replica", "127.0.0.2", 2, ["--read-only", ...ssl], DB_SETUP),
        ]);
        await sql(
            replica,
            `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='repl', ` +
                `MASTER_PASSWORD='repl-pw', MASTER_USE_GTID=slave_pos; START SLAVE;`,
        );
        writeSecret(PW1, primary.port);
        app = await startApp("db", {
            region: "eu-west-3",
            stack: "test",
            appPort: 80,
            db: {
                writerHost: "127.0.0.1",
                writerPort: primary.port,
                // 127.0.0.3 has no server: the app must skip it and use the next reader
                readerHosts: ["127.0.0.3", "127.0.0.2"],
                readerPort: replica.port,
                secretArn,
                database: "webapp",
                tlsCa: tls.ca,
            },
        });
    });

    test("/ writes a visit through the writer and counts through the reader", async () => {
        // The app creates its tables through the writer on first use; let the replica get them
        // before reading (on a fresh stack the very first read may otherwise say "no such table").
        expect((await get(`${app.url}/readyz`)).status).toBe(200);
        await waitFor("the schema on the replica", async () =>
            (await sql(replica, "SHOW TABLES FROM webapp LIKE 'visits'")) === "visits" ? true : undefined,
        );
        const counts: number[] = [];
        for (let i = 0; i < 3; i++) {
            const r = await get(`${app.url}/`);
            expect(r.status).toBe(200);
            expect(field(r.body, "write-error")).toBeUndefined();
            expect(field(r.body, "read-error")).toBeUndefined();
            expect(field(r.body, "writer")).toBe(`127.0.0.1:${primary.port}`);
            expect(field(r.body, "writer-server")).toMatch(/server_id 1$/);
            expect(field(r.body, "reader")).toBe(`127.0.0.2:${replica.port}`);
            expect(field(r.body, "reader-server")).toMatch(/server_id 2$/);
            expect(field(r.body, "skipped")).toMatch(/^127\.0\.0\.3 \(OperationalError/);
            counts.push(Number(field(r.body, "count")));
        }
        // the rows are on the primary, and replicated to the (read-only) replica
        expect(await sql(primary, "SELECT COUNT(*), MIN(instance_id), MIN(az) FROM webapp.visits")).toBe(
            `3\t${INSTANCE_ID}\t${AZ}`,
        );
        await waitFor("replication", async () =>
            (await sql(replica, "SELECT COUNT(*) FROM webapp.visits")) === "3" ? true : undefined,
        );
        expect(await sql(replica, "SELECT @@read_only")).toBe("1");
        // read from an asynchronous replica: it may lag, never runs ahead, never goes back
        counts.forEach((c, i) => expect(c).toBeLessThanOrEqual(i + 1));
        expect([...counts].sort((a, b) => a - b)).toEqual(counts);
        const r = await get(`${app.url}/`);
        expect(Number(field(r.body, "count"))).toBeGreaterThanOrEqual(3);
        // the secret was fetched once, with the right arguments
        expect(fs.readFileSync(AWS_LOG, "utf8")).toBe(
            `secretsmanager get-secret-value --secret-id ${secretArn} --region eu-west-3 --query SecretString --output text\n`,
        );
    });

    test("/readyz writes through the writer and reads it back through a reader", async () => {
        await waitFor("the replica to catch up", async () =>
            (await sql(replica, "SELECT COUNT(*) FROM webapp.healthcheck")) === "1" ? true : undefined,
        );
        const r = await get(`${app.url}/readyz`);
        expect(r.status).toBe(200);
        const body = JSON.parse(r.body);
        expect(body.ok).toBe(true);
        expect(body.writer.endpoint).toBe(`127.0.0.1:${primary.port}`);
        expect(body.reader.endpoint).toBe(`127.0.0.2:${replica.port}`);
        expect(body.reader.server).toMatch(/server_id 2$/);
        expect(await sql(primary, "SELECT instance_id FROM webapp.healthcheck")).toBe(INSTANCE_ID);
    });

    test("a rotated password is re-fetched once from Secrets Manager", async () => {
        await sql(primary, `ALTER USER 'app'@'%' IDENTIFIED BY '${PW2}'`); // replicates to the replica
        writeSecret(PW2, primary.port);
        await waitFor("the rotation to replicate", async () => {
            const { stdout } = await run(need("mariadb", "apt-get install -y mariadb-server"), [
                "--no-defaults",
                "-h127.0.0.2",
                `-P${replica.port}`,
                "-uapp",
                `-p${PW2}`,
                "--ssl",
                "-N",
                "-e",
                "SELECT 1",
            ]);
            return stdout.trim() === "1" ? true : undefined;
        });
        const r = await get(`${app.url}/`);
        expect(field(r.body, "write-error")).toBeUndefined();
        expect(field(r.body, "read-error")).toBeUndefined();
        expect(fs.readFileSync(AWS_LOG, "utf8").trim().split("\n")).toHaveLength(2);
    });

    test("verifies the database's certificate: a server whose certificate does not chain to the given CA is refused", async () => {
        const dbConfig = (writerHost: string, tlsCa: string) => ({
            region: "eu-west-3",
            stack: "test",
            appPort: 80,
            db: {
                writerHost,
                writerPort: primary.port,
                readerHosts: [],
                readerPort: primary.port,
                secretArn,
                database: "webapp",
                tlsCa,
            },
        });
        const other = await startApp("other-ca", dbConfig("127.0.0.1", tls.otherCa));
        const refused = await get(`${other.url}/readyz`);
        expect(refused.status).toBe(503);
        expect(JSON.parse(refused.body).error).toMatch(/CERTIFICATE_VERIFY_FAILED|certificate verify failed/);
        // The right CA, but a name the certificate does not carry (check_hostname).
        const wrongName = await startApp("wrong-name", dbConfig("localhost", tls.ca));
        const mismatch = await get(`${wrongName.url}/readyz`);
        expect(mismatch.status).toBe(503);
        expect(JSON.parse(mismatch.body).error).toMatch(/mismatch|doesn't match|not valid for/i);
        // The right CA and name: the same server is accepted.
        const right = await startApp("right-ca", dbConfig("127.0.0.1", tls.ca));
        expect((await get(`${right.url}/readyz`)).status).toBe(200);
        await Promise.all([stop(other), stop(wrongName), stop(right)]);
    });

    test("writer down: the page renders with the error, reads go on, /healthz 200, /readyz 503", async () => {
        await stop(primary.proc, "SIGKILL");
        const r = await get(`${app.url}/`);
        expect(r.status).toBe(200);
        expect(field(r.body, "write-error")).toMatch(/OperationalError: .*Can't connect/);
        expect(Number(field(r.body, "count"))).toBeGreaterThanOrEqual(4);
        expect(field(r.body, "instance")).toBe(INSTANCE_ID);
        expect((await get(`${app.url}/healthz`)).status).toBe(200);
        const ready = await get(`${app.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(JSON.parse(ready.body)).toMatchObject({ ok: false, error: expect.stringMatching(/Can't connect/) });
    });

    test("whole database down: the page still renders, /healthz stays 200", async () => {
        await stop(replica.proc, "SIGKILL");
        const r = await get(`${app.url}/`);
        expect(r.status).toBe(200);
        expect(field(r.body, "write-error")).toMatch(/Can't connect/);
        expect(field(r.body, "read-error")).toMatch(/no reader reachable: 127\.0\.0\.3 .*127\.0\.0\.2 /);
        expect((await get(`${app.url}/healthz`)).status).toBe(200);
        expect((await get(`${app.url}/readyz`)).status).toBe(503);
    });

    test("the password never shows in a page, a response or a log line", () => {
        const everything = bodies.join("\n") + app.output();
        expect(everything).toContain("OperationalError"); // errors were shown...
        expect(everything).not.toContain(PW1); // ...but no password
        expect(everything).not.toContain(PW2);
    });
});

// ---------------------------------------------------------------- 3. nginx

describe("nginx.conf", () => {
    let app: App;
    let nginxBin: string;
    let conf: string;
    let port: number;
    const dir = path.join(TMP, "nginx");

    beforeAll(async () => {
        nginxBin = need("nginx", "apt-get install -y nginx");
        app = await startApp("nginx", { region: "eu-west-3", stack: "test", appPort: 80, db: null });
        port = await freePort();
        fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
        // The production file, with only the machine-specific paths moved into a temp dir: each
        // replacement must hit, so a change of those paths in nginx.conf shows here.
        const swaps: [string, string][] = [
            ["{{APP_PORT}}", `127.0.0.1:${port}`],
            ["{{APP_UPSTREAM}}", app.url.replace("http://", "")],
            ["{{NGINX_USER}}", os.userInfo().username],
            ["/var/log/nginx/", `${dir}/logs/`],
            ["/run/nginx.pid", `${dir}/nginx.pid`],
            [
                "http {",
                "http {\n" +
                    ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
                        .map((t) => `    ${t}_temp_path ${dir}/${t};`)
                        .join("\n"),
            ],
        ];
        conf = fs.readFileSync(path.join(SERVER, "nginx.conf"), "utf8");
        for (const [from, to] of swaps) {
            expect(conf).toContain(from);
            conf = conf.split(from).join(to);
        }
        expect(conf).not.toContain("{{");
        fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
    });

    const args = () => ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", path.join(dir, "logs", "startup.log")];

    test("nginx -t accepts the rendered config", async () => {
        const r = spawnSync(nginxBin, ["-t", ...args()], { encoding: "utf8" });
        expect(r.stderr).toMatch(/syntax is ok/);
        expect(r.status).toBe(0);
    });

    test("a real nginx proxies /healthz and / to the app, logs JSON, hides its version", async () => {
        const ngx = start(nginxBin, [...args(), "-g", "daemon off;"]);
        const base = `http://127.0.0.1:${port}`;
        await waitFor(`nginx on ${base} (${ngx.output()})`, async () => {
            if (ngx.child.exitCode !== null) throw new Error(ngx.output());
            return (await get(`${base}/healthz`)).status === 200 ? true : undefined;
        });
        const h = await get(`${base}/healthz`);
        expect(h.body).toBe("ok\n");
        expect(h.headers.server).toBe("nginx");
        const page = await get(`${base}/?from=test`, {
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
        });
        expect(page.status).toBe(200);
        expect(field(page.body, "instance")).toBe(INSTANCE_ID);

        const log = await waitFor("the access log", async () => {
            const lines = fs
                .readFileSync(path.join(dir, "logs", "access.log"), "utf8")
                .trim()
                .split("\n")
                .filter(Boolean);
            return lines.length > 0 ? lines.map((l) => JSON.parse(l)) : undefined;
        });
        expect(log).toHaveLength(1); // /healthz is not logged
        expect(log[0]).toMatchObject({ method: "GET", uri: "/?from=test", status: 200, xff: "203.0.113.7" });

        // health reflects the app too: app down -> nginx answers 502 on /healthz
        await stop(app);
        expect((await get(`${base}/healthz`)).status).toBe(502);
        expect(fs.readFileSync(path.join(dir, "logs", "error.log"), "utf8")).toMatch(/connect\(\) failed/);
        await stop(ngx);
    });
});

// ---------------------------------------------------------------- 4. user data: loader + bootstrap

describe("the server bundle (components/serverPool/bundle.ts)", () => {
    test("packs the same bytes every time, and a changed source changes its hash", () => {
        const a = buildServerBundle();
        const b = buildServerBundle();
        expect(b.archive.equals(a.archive)).toBe(true);
        expect(b.sha256).toBe(a.sha256);
        expect(sha256(a.archive)).toBe(a.sha256);
        // Python's zipfile (what the loader unpacks with) reads back exactly the sources.
        const dir = fs.mkdtempSync(path.join(TMP, "bundle-"));
        fs.writeFileSync(path.join(dir, "b.zip"), a.archive);
        const r = spawnSync(python(), ["-m", "zipfile", "-e", path.join(dir, "b.zip"), path.join(dir, "x")], {
            encoding: "utf8",
        });
        expect(r.status).toBe(0);
        for (const f of BUNDLE_FILES) {
            expect(fs.readFileSync(path.join(dir, "x", f)).equals(fs.readFileSync(path.join(SERVER, f)))).toBe(true);
        }
        // A changed byte in a source: another archive, another hash.
        const copy = path.join(dir, "server");
        fs.cpSync(SERVER, copy, { recursive: true });
        fs.appendFileSync(path.join(copy, "app.py"), "\n");
        expect(buildServerBundle(copy).sha256).not.toBe(a.sha256);
        // What the pools use, packed once per process for the same sources: the same bytes, and
        // a changed source is a new archive there too, never the one packed before.
        expect(serverBundle().archive.equals(a.archive)).toBe(true);
        expect(serverBundle(copy).sha256).toBe(buildServerBundle(copy).sha256);
        expect(serverBundle(copy).sha256).not.toBe(a.sha256);
        // A vendored file that is not the pinned one is refused at pack time.
        fs.appendFileSync(path.join(copy, PYMYSQL_WHEEL.file), "x");
        expect(() => buildServerBundle(copy)).toThrow(/PyMySQL-1\.1\.2-py3-none-any\.whl has sha256 .* but 5efdb1ce/);
        expect(() => serverBundle(copy)).toThrow(/PyMySQL-1\.1\.2-py3-none-any\.whl has sha256 .* but 5efdb1ce/);
    });

    test("pins the wheel and the CA bundle by the same sha256 in bundle.ts and bootstrap.sh", () => {
        const bootstrap = fs.readFileSync(path.join(SERVER, "bootstrap.sh"), "utf8");
        expect(bootstrap).toContain(`PYMYSQL_WHEEL="${PYMYSQL_WHEEL.file}"`);
        expect(bootstrap).toContain(`PYMYSQL_WHEEL_SHA256="${PYMYSQL_WHEEL.sha256}"`);
        expect(bootstrap).toContain(`RDS_CA="${RDS_CA_BUNDLE.file}"`);
        expect(bootstrap).toContain(`RDS_CA_SHA256="${RDS_CA_BUNDLE.sha256}"`);
        for (const pin of [PYMYSQL_WHEEL, RDS_CA_BUNDLE]) {
            expect(sha256(fs.readFileSync(path.join(SERVER, pin.file)))).toBe(pin.sha256);
        }
    });

    test("carries the RDS CA bundle: self-signed Amazon RDS root CAs only", () => {
        const pem = fs.readFileSync(path.join(SERVER, RDS_CA_BUNDLE.file), "utf8");
        const certs = pem.split("-----END CERTIFICATE-----").filter((c) => c.includes("BEGIN CERTIFICATE"));
        expect(certs.length).toBeGreaterThanOrEqual(90);
        const subjects = spawnSync(
            "sh",
            [
                "-c",
                'openssl crl2pkcs7 -nocrl -certfile "$1" | openssl pkcs7 -print_certs -noout',
                "sh",
                path.join(SERVER, RDS_CA_BUNDLE.file),
            ],
            { encoding: "utf8" },
        ).stdout;
        const pairs = [...subjects.matchAll(/subject=(.*)\nissuer=(.*)\n/g)];
        expect(pairs).toHaveLength(certs.length);
        for (const [, subject, issuer] of pairs) {
            expect(subject).toMatch(/CN ?= ?Amazon RDS .*Root CA (RSA2048|RSA4096|ECC384) G1/);
            expect(issuer).toBe(subject);
        }
    });
});

const DB_OPTS = {
    writerHost: "ha-webstack-prod-primary.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com",
    writerPort: 3306,
    readerHosts: [1, 2, 3].map((i) => `ha-webstack-prod-replica-${i}.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com`),
    readerPort: 3306,
    secretArn: SECRET_ARN,
    database: "webapp",
};
const LIFECYCLE = {
    autoScalingGroupName: "prod-active-0a1b2c3d",
    hookName: "ha-webstack-ready",
    readyTimeoutSeconds: 600,
};

describe("user data in stub mode (components/serverPool/userData.ts + server/loader.sh + server/bootstrap.sh)", () => {
    let kit: BootKit;
    let OPTS: UserDataOptions;
    beforeAll(() => {
        kit = makeBootKit("stub");
        OPTS = {
            region: "eu-west-3",
            stack: "prod",
            appPort: 8080,
            bundle: kit.location,
            lifecycle: LIFECYCLE,
            db: DB_OPTS,
            extraFiles: [
                { path: "/opt/aws/amazon-cloudwatch-agent/etc/config.json", content: '{"agent":{}}\n', mode: "0600" },
            ],
            extraScript: 'echo "extra ran as part of the user data" > "$ROOT/extra-marker"\n',
        };
    });
    afterAll(() => fs.rmSync(kit.dir, { recursive: true, force: true }));

    test("renders a small, deterministic loader that shellcheck passes", () => {
        const a = renderUserData(OPTS);
        expect(renderUserData(JSON.parse(JSON.stringify(OPTS)))).toBe(a);
        expect(a.startsWith("#!/bin/bash\n")).toBe(true);
        // The software travels in the bundle: the script is the loader, its settings and app.json.
        expect(Buffer.byteLength(a)).toBeLessThan(8192);
        expect(a).toContain(`HA_BUNDLE_SHA256='${kit.bundle.sha256}'`);
        expect(a).toContain(`HA_BUNDLE_VERSION='${kit.location.versionId}'`);
        expect(a).toContain(`HA_ASG_NAME='${LIFECYCLE.autoScalingGroupName}'`);
        const replicas = Array.from(
            { length: 15 },
            (_, i) => `ha-webstack-prod-replica-${i}.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com`,
        );
        const largest = renderUserData({ ...OPTS, db: { ...DB_OPTS, readerHosts: replicas } });
        expect(Buffer.byteLength(largest)).toBeLessThan(USER_DATA_LIMIT - 6000);
        const shellcheck = need("shellcheck", "apt-get install -y shellcheck");
        const file = path.join(kit.dir, "rendered.sh");
        fs.writeFileSync(file, a);
        const minimal = path.join(kit.dir, "minimal.sh");
        fs.writeFileSync(
            minimal,
            renderUserData({ region: "us-east-1", stack: "dev", appPort: 80, bundle: kit.location }),
        );
        const r = spawnSync(
            shellcheck,
            [file, minimal, path.join(SERVER, "loader.sh"), path.join(SERVER, "bootstrap.sh")],
            { encoding: "utf8" },
        );
        expect(r.stdout).toBe("");
        expect(r.status).toBe(0);
    });

    test("refuses bad options and user data over 16 KB", () => {
        expect(() => renderUserData({ ...OPTS, appPort: 8000 })).toThrow(/8000 is taken by the app/);
        expect(() => renderUserData({ ...OPTS, region: "Paris" })).toThrow(/region/);
        expect(() => renderUserData({ ...OPTS, db: { ...DB_OPTS, writerHost: {} as unknown as string } })).toThrow(
            /db\.writerHost/,
        );
        expect(() => renderUserData({ ...OPTS, bundle: undefined as unknown as UserDataBundle })).toThrow(
            /bundle must name/,
        );
        expect(() => renderUserData({ ...OPTS, bundle: { ...kit.location, sha256: "ABC" } })).toThrow(
            /bundle\.sha256 must be 64 lowercase hex characters, got ABC/,
        );
        expect(() => renderUserData({ ...OPTS, bundle: { ...kit.location, versionId: "v1'; rm -rf /" } })).toThrow(
            /bundle\.versionId must be an S3 version id/,
        );
        expect(() => renderUserData({ ...OPTS, lifecycle: { ...LIFECYCLE, autoScalingGroupName: "a b" } })).toThrow(
            /lifecycle\.autoScalingGroupName must be an Auto Scaling group name, got a b/,
        );
        expect(() => renderUserData({ ...OPTS, extraFiles: [{ path: "/etc/../x", content: "" }] })).toThrow(
            /extraFiles\[0\]\.path/,
        );
        expect(() => renderUserData({ ...OPTS, extraScript: "#".repeat(USER_DATA_LIMIT) })).toThrow(
            /over the 16384-byte limit AWS puts on EC2 user data/,
        );
    });

    test("run with ROOT=<tmp>: fetches the bundle, installs app, wheel, CA, nginx.conf, app.json, unit; completes CONTINUE", () => {
        const root = path.join(kit.dir, "root");
        fs.mkdirSync(path.join(root, "etc", "nginx"), { recursive: true });
        fs.writeFileSync(path.join(root, "etc", "nginx", "nginx.conf"), "# AL2023 default\n");
        const r = runBootSync(kit, renderUserData(OPTS), root);
        expect(r.stderr).not.toMatch(/ERROR/);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/ha-webstack: done: nginx on port 8080 -> app on 127.0.0.1:8000/);
        expect(r.stdout).toMatch(/ha-webstack: PyMySQL 1\.1\.2 .*\/opt\/ha-webstack\/lib\/pymysql\/__init__\.py/);

        const read = (p: string) => fs.readFileSync(path.join(root, p), "utf8");
        expect(read("opt/ha-webstack/app.py")).toBe(fs.readFileSync(APP_PY, "utf8"));
        expect(read("opt/ha-webstack/rds-global-bundle.pem")).toBe(
            fs.readFileSync(path.join(SERVER, RDS_CA_BUNDLE.file), "utf8"),
        );
        expect(read("opt/ha-webstack/lib/pymysql/__init__.py")).toMatch(/VERSION = \(1, 1, 2, "final"\)/);
        expect(JSON.parse(read("etc/ha-webstack/app.json"))).toEqual(appConfig(OPTS));
        // The app verifies the database's certificate against the bundle's RDS CAs by default.
        expect(JSON.parse(read("etc/ha-webstack/app.json")).db.tlsCa).toBe(RDS_CA_PATH);
        const nginxConf = read("etc/nginx/nginx.conf");
        const fill = (t: string, from: string, to: string) => t.split(from).join(to);
        expect(nginxConf).toBe(
            [
                ["{{APP_PORT}}", "8080"],
                ["{{APP_UPSTREAM}}", "127.0.0.1:8000"],
                ["{{NGINX_USER}}", "nginx"],
            ].reduce((t, [from, to]) => fill(t, from, to), fs.readFileSync(path.join(SERVER, "nginx.conf"), "utf8")),
        );
        expect(read("etc/nginx/nginx.conf.al2023-default")).toBe("# AL2023 default\n");
        const unit = read("etc/systemd/system/ha-webstack-app.service");
        for (const line of [
            "User=ha-webstack",
            "ExecStart=/usr/bin/python3 /opt/ha-webstack/app.py",
            "Restart=always",
            "Environment=HA_WEBSTACK_CONFIG=/etc/ha-webstack/app.json HA_WEBSTACK_LISTEN=127.0.0.1:8000",
            "Environment=PYTHONPATH=/opt/ha-webstack/lib PYTHONUNBUFFERED=1",
        ])
            expect(unit.split("\n")).toContain(line);

        const notCurl = r.calls.filter((c) => !c.startsWith("curl "));
        expect(notCurl).toEqual([
            `aws s3api get-object --region eu-west-3 --bucket ${BUCKET} --key server/bundle.zip --version-id ${VERSION} ${notCurl[0].split(" ").pop()}`,
            "dnf install -y nginx",
            "id -u ha-webstack",
            "useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /sbin/nologin ha-webstack",
            `nginx -t -q -c ${root}/etc/nginx/nginx.conf`,
            "systemctl daemon-reload",
            "systemctl enable ha-webstack-app.service nginx.service",
            "systemctl restart ha-webstack-app.service nginx.service",
            "aws autoscaling complete-lifecycle-action --region eu-west-3 --auto-scaling-group-name prod-active-0a1b2c3d " +
                "--lifecycle-hook-name ha-webstack-ready --instance-id i-0b00b5cafe0000001 --lifecycle-action-result CONTINUE",
        ]);
        // No pip, no PyPI: nothing but the bundle, the Amazon Linux repository and AWS APIs.
        expect(r.calls.join("\n")).not.toMatch(/pip|pypi/i);

        const cw = path.join(root, "opt/aws/amazon-cloudwatch-agent/etc/config.json");
        expect(fs.readFileSync(cw, "utf8")).toBe('{"agent":{}}\n');
        expect(fs.statSync(cw).mode & 0o777).toBe(0o600);
        expect(read("extra-marker")).toBe("extra ran as part of the user data\n");
        expect(fs.readdirSync(`${root}-tmp`)).toEqual([]); // the staging dir is gone

        // again: idempotent, the AL2023 original is kept
        const again = runBootSync(kit, renderUserData(OPTS), root);
        expect(again.status).toBe(0);
        expect(read("etc/nginx/nginx.conf.al2023-default")).toBe("# AL2023 default\n");
    });

    const abandon =
        "aws autoscaling complete-lifecycle-action --region eu-west-3 --auto-scaling-group-name prod-active-0a1b2c3d " +
        "--lifecycle-hook-name ha-webstack-ready --instance-id i-0b00b5cafe0000001 --lifecycle-action-result ABANDON";

    test("a bundle whose sha256 is not the pinned one is refused: nothing installed, ABANDON", () => {
        const root = path.join(kit.dir, "root-tampered");
        const tampered = Buffer.concat([kit.bundle.archive, Buffer.from("tampered")]);
        kit.publish(tampered, "v-tampered");
        const r = runBootSync(
            kit,
            renderUserData({ ...OPTS, bundle: { ...kit.location, versionId: "v-tampered" } }),
            root,
        );
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(
            `server bundle sha256 is ${sha256(tampered)}, expected ${kit.bundle.sha256}: refused`,
        );
        expect(r.calls.filter((c) => !c.startsWith("curl ")).slice(1)).toEqual([abandon]);
        expect(fs.existsSync(path.join(root, "opt"))).toBe(false);
    });

    test("a missing bundle version, a failed dnf, a failed extra script: ABANDON", () => {
        const missing = runBootSync(
            kit,
            renderUserData({ ...OPTS, bundle: { ...kit.location, versionId: "v-gone" } }),
            path.join(kit.dir, "root-missing"),
        );
        expect(missing.status).not.toBe(0);
        expect(missing.stderr).toMatch(/NoSuchKey[\s\S]*cannot download the server bundle/);
        expect(missing.calls.filter((c) => c.startsWith("aws s3api"))).toHaveLength(3);
        expect(missing.calls[missing.calls.length - 1]).toBe(abandon);

        const dnf = runBootSync(kit, renderUserData(OPTS), path.join(kit.dir, "root-dnf"), { FAIL_DNF: "1" });
        expect(dnf.status).not.toBe(0);
        expect(dnf.calls.filter((c) => !c.startsWith("curl ")).slice(1)).toEqual(["dnf install -y nginx", abandon]);

        const extra = runBootSync(
            kit,
            renderUserData({ ...OPTS, extraScript: "false\n" }),
            path.join(kit.dir, "root-extra"),
        );
        expect(extra.status).not.toBe(0);
        expect(extra.calls[extra.calls.length - 1]).toBe(abandon);
        expect(extra.calls.some((c) => c.endsWith("CONTINUE"))).toBe(false);
    });

    test("when even ABANDON cannot be sent, it retries, then leaves it to the hook's timeout", () => {
        const r = runBootSync(kit, renderUserData(OPTS), path.join(kit.dir, "root-noapi"), {
            FAIL_DNF: "1",
            FAIL_COMPLETE: "1",
        });
        expect(r.status).not.toBe(0);
        expect(r.calls.filter((c) => c === abandon)).toHaveLength(6);
        expect(r.stdout).toMatch(/could not complete the hook; its heartbeat timeout abandons the instance/);
    });
});

describe("user data in real mode: real curl, a fake IMDS, the app and nginx started for real", () => {
    let kit: BootKit;
    let nginxBin: string;
    const imdsLog: string[] = [];
    beforeAll(() => {
        nginxBin = need("nginx", "apt-get install -y nginx");
        kit = makeBootKit("real", { python: python(), nginx: nginxBin });
    });
    afterEach(() => kit.stopServices());
    afterAll(() => fs.rmSync(kit.dir, { recursive: true, force: true }));

    async function boot(name: string, opts: Partial<UserDataOptions>, env: NodeJS.ProcessEnv = {}) {
        const root = path.join(kit.dir, name);
        const [appPort, upstream] = [await freePort(), await freePort()];
        imdsLog.length = 0;
        const script = renderUserData({
            region: "eu-west-3",
            stack: "prod",
            appPort,
            bundle: kit.location,
            lifecycle: { ...LIFECYCLE, readyTimeoutSeconds: 20 },
            // The CA bundle as the bootstrap installs it under ROOT; the database itself is never asked.
            db: { ...DB_OPTS, tlsCa: `${root}/opt/ha-webstack/rds-global-bundle.pem` },
            ...opts,
        });
        const r = await runBoot(kit, script, root, {
            HA_IMDS: imdsUrl,
            HA_UPSTREAM_PORT: String(upstream),
            HA_TEST_PROBE_URL: `http://127.0.0.1:${appPort}/healthz`,
            ...env,
        });
        return { ...r, appPort, root };
    }
    const result = (calls: string[]) =>
        calls.filter((c) => c.startsWith("aws autoscaling")).map((c) => c.split(" ").pop());

    test("a good boot ends in CONTINUE, sent only once nginx answered /healthz", async () => {
        const r = await boot("good", {});
        expect(r.stderr).not.toMatch(/ERROR/);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/nginx and the app answer on port \d+/);
        expect(result(r.calls)).toEqual(["CONTINUE"]);
        // At the moment of the CONTINUE call, nginx answered /healthz with 200.
        const i = r.calls.findIndex((c) => c.endsWith("CONTINUE"));
        expect(r.calls[i + 1]).toBe("probe 200");
        expect(r.calls.find((c) => c.includes("complete-lifecycle-action"))).toContain(`--instance-id ${INSTANCE_ID}`);
        // The app behind that nginx is the one the bundle carried, on the vendored PyMySQL.
        const startup = await get(`http://127.0.0.1:${r.appPort}/startupz`);
        expect(startup.status).toBe(200);
        expect(JSON.parse(startup.body)).toMatchObject({ ok: true, driver: "PyMySQL 1.1.2" });
    });

    test("a server whose DB driver cannot be loaded is not ready: ABANDON, never CONTINUE", async () => {
        const r = await boot("nodriver", {}, { HA_TEST_BREAK_DRIVER: "1" });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(/the app is not ready: .*PyMySQL cannot be loaded: ImportError: broken for the test/);
        expect(result(r.calls)).toEqual(["ABANDON"]);
    });

    describe("with a loopback HTTP server for S3 (real curl downloads the bundle)", () => {
        const tampered = () => Buffer.concat([kit.bundle.archive, Buffer.from("tampered")]);
        const requests: string[] = [];
        /** One promise per hung download: settled when the connection is gone (its curl was killed). */
        const hungClosed: Promise<void>[] = [];
        let s3: http.Server;
        let s3Url = "";
        beforeAll(async () => {
            s3 = http.createServer((req, res) => {
                requests.push(req.url ?? "");
                const version = new URL(req.url ?? "/", "http://x").searchParams.get("versionId");
                if (version === "v-hang") {
                    // Headers and the first bytes of the bundle, then nothing: a stalled download.
                    res.writeHead(200, { "content-length": String(kit.bundle.archive.length) });
                    res.write(kit.bundle.archive.subarray(0, 512));
                    hungClosed.push(new Promise((r) => req.socket.once("close", () => r())));
                    return;
                }
                const body =
                    version === "v-tampered" ? tampered() : version === VERSION ? kit.bundle.archive : undefined;
                if (!body) return void res.writeHead(404).end();
                res.end(body);
            });
            await new Promise<void>((r) => s3.listen(0, "127.0.0.1", r));
            s3Url = `http://127.0.0.1:${(s3.address() as net.AddressInfo).port}`;
        });
        afterAll(async () => {
            s3.closeAllConnections();
            await new Promise((r) => s3.close(r));
        });
        // A short download limit and no pauses between attempts: the test waits for no clock.
        const env = () => ({ HA_TEST_S3_URL: s3Url, HA_DOWNLOAD_TIMEOUT: "0.5", HA_RETRY_PAUSE: "0" });

        test("a download that hangs is killed at HA_DOWNLOAD_TIMEOUT, tried 3 times, then ABANDON: nothing installed", async () => {
            requests.length = 0;
            const r = await boot("hang", { bundle: { ...kit.location, versionId: "v-hang" } }, env());
            expect(r.status).not.toBe(0);
            expect(r.stdout.match(/bundle download killed after 0\.5s/g)).toHaveLength(3);
            expect(r.stderr).toContain("cannot download the server bundle");
            expect(requests).toEqual(Array(3).fill(`/${BUCKET}/${BUNDLE_KEY}?versionId=v-hang`));
            expect(result(r.calls)).toEqual(["ABANDON"]);
            expect(fs.existsSync(path.join(r.root, "opt"))).toBe(false);
            // Each stalled connection was closed by the client: its curl died with the attempt.
            await Promise.all(hungClosed);
        });

        test("a downloaded bundle whose sha256 is not the pinned one is refused: ABANDON", async () => {
            const r = await boot("tampered-http", { bundle: { ...kit.location, versionId: "v-tampered" } }, env());
            expect(r.status).not.toBe(0);
            expect(r.stderr).toContain(
                `server bundle sha256 is ${sha256(tampered())}, expected ${kit.bundle.sha256}: refused`,
            );
            expect(result(r.calls)).toEqual(["ABANDON"]);
            expect(fs.existsSync(path.join(r.root, "opt"))).toBe(false);
            // The stand-in S3 served those very bytes: their hash is the one in the message.
            expect(requests).toContain(`/${BUCKET}/${BUNDLE_KEY}?versionId=v-tampered`);
        });
    });

    test("services that cannot start (systemctl fails): ABANDON", async () => {
        const r = await boot("nonginx", {}, { FAIL_SYSTEMCTL: "1" });
        expect(r.status).not.toBe(0);
        expect(result(r.calls)).toEqual(["ABANDON"]);
        expect(r.calls.filter((c) => c.startsWith("probe"))).toEqual(["probe 000"]);
    });
});

/**
 * What runs ON a web server, run for real on this machine:
 *  1. server/app.py under python3 against a fake IMDSv2 (token required);
 *  2. app.py against real MariaDB on loopback (a primary and a read-only replica, replicating),
 *     with a fake `aws` CLI serving the DB secret: writes through the writer, reads through a
 *     reader, password rotation, outages;
 *  3. server/nginx.conf: `nginx -t` and a real nginx proxying to the app;
 *  4. the user data from components/serverPool/userData.ts, run with ROOT=<tmp> and stub dnf/systemctl/...
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
import * as zlib from "zlib";
import { USER_DATA_LIMIT, UserDataOptions, appConfig, gzip, renderUserData } from "../components/serverPool/userData";

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

async function startMariadb(
    name: string,
    host: string,
    serverId: number,
    extra: string[],
    initSql: string,
): Promise<Db> {
    const mariadbd = need("mariadbd", "apt-get install -y mariadb-server");
    const installDb = need("mariadb-install-db", "apt-get install -y mariadb-server");
    const dir = path.join(TMP, name);
    fs.mkdirSync(path.join(dir, "tmp"), { recursive: true });
    // own tmpdir each: two bootstraps sharing /tmp collide on their temporary tables
    const user = [`--tmpdir=${dir}/tmp`, ...(IS_ROOT ? ["--user=root"] : [])];
    await run(installDb, [
        "--no-defaults",
        `--datadir=${dir}/data`,
        ...user,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        "--skip-name-resolve",
    ]);
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
        "--innodb-buffer-pool-size=16M",
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

const DB_SETUP = `
CREATE DATABASE webapp;
CREATE USER 'app'@'%' IDENTIFIED BY '${PW1}';
GRANT ALL ON webapp.* TO 'app'@'%';
`;

describe("app.py with a MariaDB primary and a replica", () => {
    let primary: Db;
    let replica: Db;
    let app: App;
    const secretArn = SECRET_ARN;

    beforeAll(async () => {
        // The primary logs no setup statement (sql_log_bin=0); the replica gets the same setup from
        // its own init file, then replicates everything the app does from the primary's binlog.
        [primary, replica] = await Promise.all([
            startMariadb(
                "primary",
                "127.0.0.1",
                1,
                ["--log-bin=binlog", "--binlog-format=ROW"],
                `SET sql_log_bin = 0;\n${DB_SETUP}CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw';\nGRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';\n`,
            ),
            startMariadb("replica", "127.0.0.2", 2, ["--read-only"], DB_SETUP),
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

// ---------------------------------------------------------------- 4. user data

const OPTS: UserDataOptions = {
    region: "eu-west-3",
    stack: "prod",
    appPort: 8080,
    db: {
        writerHost: "ha-webstack-prod-primary.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com",
        writerPort: 3306,
        readerHosts: [1, 2, 3].map((i) => `ha-webstack-prod-replica-${i}.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com`),
        readerPort: 3306,
        secretArn: SECRET_ARN,
        database: "webapp",
    },
    extraFiles: [{ path: "/opt/aws/amazon-cloudwatch-agent/etc/config.json", content: '{"agent":{}}\n', mode: "0600" }],
    extraScript: 'echo "extra ran as part of the user data" > "$ROOT/extra-marker"\n',
};

describe("user data (components/serverPool/userData.ts + server/bootstrap.sh)", () => {
    const stubs = path.join(TMP, "stubs");
    const calls = path.join(TMP, "stub-calls.log");

    beforeAll(() => {
        fs.mkdirSync(stubs);
        // dnf, systemctl, useradd, pip3, nginx are recorded, not run; `id` says the user is absent;
        // `sleep` is instant (pip retries). FAIL_<NAME>=1 makes a stub fail.
        for (const name of ["dnf", "systemctl", "useradd", "pip3", "nginx", "id", "sleep"]) {
            const fail = name === "id" ? "exit 1" : `[ -z "\${FAIL_${name.toUpperCase()}:-}" ] || exit 1`;
            fs.writeFileSync(
                path.join(stubs, name),
                `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> '${calls}'\n${fail}\n`,
                {
                    mode: 0o755,
                },
            );
        }
    });

    function bootstrap(root: string, script: string, env: NodeJS.ProcessEnv = {}) {
        const file = path.join(TMP, "user-data.sh");
        fs.writeFileSync(file, script);
        const tmpdir = path.join(root, "..", path.basename(root) + "-tmp");
        fs.mkdirSync(tmpdir, { recursive: true });
        fs.rmSync(calls, { force: true });
        const r = spawnSync("bash", [file], {
            encoding: "utf8",
            env: { ...process.env, ROOT: root, TMPDIR: tmpdir, PATH: `${stubs}:${process.env.PATH}`, ...env },
        });
        return { ...r, tmpdir, calls: fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [] };
    }

    test("renders deterministic bash under the 16 KB limit", () => {
        const a = renderUserData(OPTS);
        expect(renderUserData(JSON.parse(JSON.stringify(OPTS)))).toBe(a);
        expect(a.startsWith("#!/bin/bash\n")).toBe(true);
        expect(Buffer.byteLength(a)).toBeLessThan(USER_DATA_LIMIT);
        const minimal = renderUserData({ region: "us-east-1", stack: "dev", appPort: 80 });
        expect(Buffer.byteLength(minimal)).toBeLessThan(USER_DATA_LIMIT);
        // RDS allows 15 replicas: still fits, with room left for monitoring's additions
        const replicas = Array.from(
            { length: 15 },
            (_, i) => `ha-webstack-prod-replica-${i}.c1a2b3c4d5e6.eu-west-3.rds.amazonaws.com`,
        );
        const largest = renderUserData({ ...OPTS, db: { ...OPTS.db!, readerHosts: replicas } });
        expect(Buffer.byteLength(largest)).toBeLessThan(USER_DATA_LIMIT - 2500);
        for (const s of [a, minimal]) {
            const r = spawnSync("bash", ["-n"], { input: s, encoding: "utf8" });
            expect(r.stderr).toBe("");
            expect(r.status).toBe(0);
        }
        const b = spawnSync("bash", ["-n", path.join(SERVER, "bootstrap.sh")], { encoding: "utf8" });
        expect(b.status).toBe(0);
    });

    test("its gzip is standard and byte-stable (no Node zlib involved)", () => {
        expect(gzip(Buffer.from("hello hello hello\n")).toString("hex")).toBe(GOLDEN_GZIP);
        const samples = [
            Buffer.alloc(0),
            Buffer.from("a"),
            Buffer.alloc(70000, "ab"),
            crypto.getRandomValues(Buffer.alloc(5000)),
        ];
        for (const f of ["app.py", "nginx.conf", "bootstrap.sh"]) samples.push(fs.readFileSync(path.join(SERVER, f)));
        for (const s of samples) expect(zlib.gunzipSync(gzip(s)).equals(s)).toBe(true);
    });

    test("refuses bad options and user data over 16 KB", () => {
        expect(() => renderUserData({ ...OPTS, appPort: 8000 })).toThrow(/8000 is taken by the app/);
        expect(() => renderUserData({ ...OPTS, region: "Paris" })).toThrow(/region/);
        expect(() => renderUserData({ ...OPTS, db: { ...OPTS.db!, writerHost: {} as unknown as string } })).toThrow(
            /db\.writerHost/,
        );
        expect(() => renderUserData({ ...OPTS, extraFiles: [{ path: "/etc/../x", content: "" }] })).toThrow(
            /extraFiles\[0\]\.path/,
        );
        expect(() => renderUserData({ ...OPTS, extraScript: "#".repeat(USER_DATA_LIMIT) })).toThrow(
            /over the 16384-byte limit AWS puts on EC2 user data/,
        );
    });

    test("run with ROOT=<tmp>: installs app, nginx.conf, app.json, unit; calls dnf/pip/systemctl", () => {
        const root = path.join(TMP, "root");
        fs.mkdirSync(path.join(root, "etc", "nginx"), { recursive: true });
        fs.writeFileSync(path.join(root, "etc", "nginx", "nginx.conf"), "# AL2023 default\n");
        const r = bootstrap(root, renderUserData(OPTS));
        expect(r.stderr).not.toMatch(/ERROR/);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/ha-webstack: done: nginx on port 8080 -> app on 127.0.0.1:8000/);

        const read = (p: string) => fs.readFileSync(path.join(root, p), "utf8");
        expect(read("opt/ha-webstack/app.py")).toBe(fs.readFileSync(APP_PY, "utf8"));
        expect(JSON.parse(read("etc/ha-webstack/app.json"))).toEqual(appConfig(OPTS));
        expect(JSON.parse(read("etc/ha-webstack/app.json")).db.readerHosts).toHaveLength(3);
        const nginxConf = read("etc/nginx/nginx.conf");
        const fill = (t: string, from: string, to: string) => t.split(from).join(to);
        expect(nginxConf).toBe(
            [
                ["{{APP_PORT}}", "8080"],
                ["{{APP_UPSTREAM}}", "127.0.0.1:8000"],
                ["{{NGINX_USER}}", "nginx"],
            ].reduce((t, [from, to]) => fill(t, from, to), fs.readFileSync(path.join(SERVER, "nginx.conf"), "utf8")),
        );
        expect(nginxConf).toMatch(/listen 8080 default_server;/);
        expect(nginxConf).not.toContain("{{");
        expect(read("etc/nginx/nginx.conf.al2023-default")).toBe("# AL2023 default\n");

        const unit = read("etc/systemd/system/ha-webstack-app.service");
        for (const line of [
            "User=ha-webstack",
            "ExecStart=/usr/bin/python3 /opt/ha-webstack/app.py",
            "Restart=always",
            "Environment=HA_WEBSTACK_CONFIG=/etc/ha-webstack/app.json HA_WEBSTACK_LISTEN=127.0.0.1:8000",
            "Environment=PYTHONPATH=/opt/ha-webstack/lib PYTHONUNBUFFERED=1",
            "WantedBy=multi-user.target",
        ])
            expect(unit.split("\n")).toContain(line);

        expect(r.calls).toEqual([
            "dnf install -y nginx python3-pip",
            `pip3 install --no-cache-dir --upgrade --target ${root}/opt/ha-webstack/lib PyMySQL==1.1.1`,
            "id -u ha-webstack",
            "useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /sbin/nologin ha-webstack",
            `nginx -t -q -c ${root}/etc/nginx/nginx.conf`,
            "systemctl daemon-reload",
            "systemctl enable ha-webstack-app.service nginx.service",
            "systemctl restart ha-webstack-app.service nginx.service",
        ]);

        const cw = path.join(root, "opt/aws/amazon-cloudwatch-agent/etc/config.json");
        expect(fs.readFileSync(cw, "utf8")).toBe('{"agent":{}}\n');
        expect(fs.statSync(cw).mode & 0o777).toBe(0o600);
        expect(read("extra-marker")).toBe("extra ran as part of the user data\n");
        expect(fs.readdirSync(r.tmpdir)).toEqual([]); // the staging dir is gone

        // again: idempotent, the AL2023 original is kept
        const again = bootstrap(root, renderUserData(OPTS));
        expect(again.status).toBe(0);
        expect(read("etc/nginx/nginx.conf.al2023-default")).toBe("# AL2023 default\n");
    });

    test("a failed dnf stops it; a failed pip only warns (the app runs without its DB)", () => {
        const dnf = bootstrap(path.join(TMP, "root-dnf"), renderUserData(OPTS), { FAIL_DNF: "1" });
        expect(dnf.status).not.toBe(0);
        expect(dnf.calls).toEqual(["dnf install -y nginx python3-pip"]);

        const pip = bootstrap(path.join(TMP, "root-pip"), renderUserData(OPTS), { FAIL_PIP3: "1" });
        expect(pip.status).toBe(0);
        expect(pip.calls.filter((c) => c.startsWith("pip3 "))).toHaveLength(3);
        expect(pip.stdout).toMatch(/WARNING: PyMySQL not installed/);
        expect(pip.calls).toContain("systemctl restart ha-webstack-app.service nginx.service");
    });
});

// gzip of "hello hello hello\n" by our encoder (`gunzip` decodes it); a change here changes every
// user data and so every launch template.
const GOLDEN_GZIP = "1f8b08000000000000ffcb48cdc9c9574022b9003b7c8adf12000000";

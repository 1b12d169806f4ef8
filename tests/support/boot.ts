/**
 * A stand-in machine for running a server's user data (components/serverPool/userData.ts, that is
 * server/loader.sh + server/bootstrap.sh) on this machine:
 * - a local directory stands in for S3: `<s3>/<bucket>/<key>#<versionId>` is that object version
 *   (or, with HA_TEST_S3_URL, a loopback HTTP server the test runs: `<url>/<bucket>/<key>?versionId=<v>`);
 * - a stand-in `aws` command on the PATH serves `s3api get-object` from that directory, records
 *   `autoscaling complete-lifecycle-action` (and, with HA_TEST_PROBE_URL, what that URL answered at
 *   that moment), serves `secretsmanager get-secret-value` from HA_TEST_SECRET_FILE;
 * - `dnf`, `useradd`, `id` (the user is absent) and `nginx` (the bootstrap's `nginx -t`) are
 *   recorded, not run;
 * - stub mode (`mode: "stub"`): `systemctl` is recorded, and `curl` answers IMDSv2 and the health
 *   checks as a booted server would, `sleep` is instant: for what the bootstrap writes;
 * - real mode (`mode: "real"`): real curl against a fake IMDS the test runs, and `systemctl
 *   restart` starts the installed app (with the test's python) and a real nginx on the installed
 *   nginx.conf (its machine paths moved into the kit's directory, listening on loopback only).
 * Every call lands in `calls` (one line each). FAIL_<NAME>=1 makes the `<name>` stub fail;
 * FAIL_COMPLETE=1 makes complete-lifecycle-action fail.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BUNDLE_KEY, serverBundle, ServerBundle } from "../../components/serverPool/bundle";
import { LAUNCH_HOOK_NAME, READY_TIMEOUT_SECONDS } from "../../components/serverPool/lifecycle";
import type { UserDataBundle, UserDataOptions } from "../../components/serverPool/userData";

export const BUCKET = "test-pool-bundle-0123abcd";
export const VERSION = "v3.Lx_q-7TqGkAbCd";

export interface BootKit {
    dir: string;
    s3: string;
    stubs: string;
    calls: string;
    bundle: ServerBundle;
    /** Where the user data finds the bundle (published under VERSION). */
    location: UserDataBundle;
    /** Puts `bytes` in the stand-in S3 as `versionId` of the bundle's key. */
    publish(bytes: Buffer, versionId: string): void;
    /** The recorded calls so far. */
    read(): string[];
    /** Kills whatever real mode started (app, nginx). */
    stopServices(): void;
}

const sh = (body: string) => `#!/bin/sh\n${body}\n`;

export function makeBootKit(mode: "stub" | "real", opts: { python?: string; nginx?: string } = {}): BootKit {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-webstack-boot-"));
    const s3 = path.join(dir, "s3");
    const stubs = path.join(dir, "stubs");
    const calls = path.join(dir, "calls.log");
    const pids = path.join(dir, "pids");
    fs.mkdirSync(stubs, { recursive: true });
    fs.mkdirSync(path.join(dir, "nginx", "logs"), { recursive: true });
    const record = (name: string) => `printf '%s\\n' "${name} $*" >> '${calls}'`;
    const failable = (name: string) => `[ -z "\${FAIL_${name.toUpperCase()}:-}" ] || exit 1`;
    const write = (name: string, body: string) => fs.writeFileSync(path.join(stubs, name), sh(body), { mode: 0o755 });

    write(
        "aws",
        [
            record("aws"),
            'case "$1 $2" in',
            '"s3api get-object")',
            "  shift 2",
            "  while [ $# -gt 1 ]; do",
            '    case "$1" in',
            '    --bucket) b="$2"; shift 2 ;;',
            '    --key) k="$2"; shift 2 ;;',
            '    --version-id) v="$2"; shift 2 ;;',
            "    --region) shift 2 ;;",
            "    *) break ;;",
            "    esac",
            "  done",
            // With HA_TEST_S3_URL, a loopback HTTP server the test runs stands in for S3 (real
            // mode: real curl), so a test can make the download hang or serve other bytes.
            '  if [ -n "${HA_TEST_S3_URL:-}" ]; then',
            '    curl -sSf --max-time 600 -o "$1" "$HA_TEST_S3_URL/$b/$k?versionId=$v" || exit 254',
            '    printf \'{"VersionId": "%s"}\\n\' "$v"; exit 0',
            "  fi",
            `  src='${s3}'/"$b/$k#$v"`,
            '  [ -f "$src" ] || { echo "An error occurred (NoSuchKey) when calling the GetObject operation" >&2; exit 254; }',
            '  cp "$src" "$1" && printf \'{"VersionId": "%s"}\\n\' "$v" ;;',
            '"autoscaling complete-lifecycle-action")',
            '  if [ -n "${HA_TEST_PROBE_URL:-}" ]; then',
            `    printf 'probe %s\\n' "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$HA_TEST_PROBE_URL")" >> '${calls}'`,
            "  fi",
            '  [ -z "${FAIL_COMPLETE:-}" ] || { echo "An error occurred (ValidationError)" >&2; exit 254; } ;;',
            '"secretsmanager get-secret-value") cat "$HA_TEST_SECRET_FILE" ;;',
            "*) exit 2 ;;",
            "esac",
        ].join("\n"),
    );
    for (const name of ["dnf", "useradd", "nginx"]) write(name, `${record(name)}\n${failable(name)}`);
    write("id", `${record("id")}\nexit 1`);

    if (mode === "stub") {
        write("systemctl", `${record("systemctl")}\n${failable("systemctl")}`);
        write("sleep", "exit 0");
        write(
            "curl",
            [
                record("curl"),
                'for a; do case "$a" in http*) url="$a" ;; esac; done',
                'case "$url" in',
                "*/latest/api/token) printf token ;;",
                "*/latest/meta-data/instance-id) printf i-0b00b5cafe0000001 ;;",
                "*/healthz) printf ok ;;",
                '*/startupz) case "$*" in *%{http_code}*) printf 200 ;; esac ;;',
                "*) exit 22 ;;",
                "esac",
            ].join("\n"),
        );
    } else {
        const python = opts.python ?? "python3";
        const nginx = opts.nginx ?? "nginx";
        const ngx = path.join(dir, "nginx");
        const user = os.userInfo().username;
        write(
            "systemctl",
            [
                record("systemctl"),
                failable("systemctl"),
                'case "$*" in',
                "restart*ha-webstack-app.service*nginx.service*)",
                '  lib="$ROOT/opt/ha-webstack/lib"',
                // The stand-in for a driver that no longer loads on the machine (a broken library).
                '  if [ -n "${HA_TEST_BREAK_DRIVER:-}" ]; then printf \'raise ImportError("broken for the test")\\n\' > "$lib/pymysql/__init__.py"; fi',
                '  PYTHONPATH="$lib" HA_WEBSTACK_CONFIG="$ROOT/etc/ha-webstack/app.json" \\',
                '    HA_WEBSTACK_LISTEN="127.0.0.1:$HA_UPSTREAM_PORT" HA_WEBSTACK_IMDS="$HA_IMDS" \\',
                `    nohup '${python}' "$ROOT/opt/ha-webstack/app.py" > '${dir}/app.log' 2>&1 &`,
                `  echo $! >> '${pids}'`,
                `  sed -e 's#/var/log/nginx/#${ngx}/logs/#g' -e 's#/run/nginx.pid#${ngx}/nginx.pid#' \\`,
                `    -e 's#^user nginx;#user ${user};#' -e 's#listen \\([0-9]*\\) default_server#listen 127.0.0.1:\\1 default_server#' \\`,
                `    -e 's#^http {#http {\\n    client_body_temp_path ${ngx}/cb;\\n    proxy_temp_path ${ngx}/px;\\n    fastcgi_temp_path ${ngx}/fc;\\n    uwsgi_temp_path ${ngx}/uw;\\n    scgi_temp_path ${ngx}/sc;#' \\`,
                `    "$ROOT/etc/nginx/nginx.conf" > '${ngx}/nginx.conf'`,
                `  '${nginx}' -p '${ngx}' -c '${ngx}/nginx.conf' -e '${ngx}/logs/startup.log' ;;`,
                "esac",
            ].join("\n"),
        );
    }

    const bundle = serverBundle();
    const kit: BootKit = {
        dir,
        s3,
        stubs,
        calls,
        bundle,
        location: { bucket: BUCKET, key: BUNDLE_KEY, versionId: VERSION, sha256: bundle.sha256 },
        publish(bytes, versionId) {
            const file = path.join(s3, BUCKET, `${BUNDLE_KEY}#${versionId}`);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, bytes);
        },
        read() {
            return fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n").filter(Boolean) : [];
        },
        stopServices() {
            const pidFiles = [pids, path.join(dir, "nginx", "nginx.pid")];
            for (const file of pidFiles.filter((f) => fs.existsSync(f))) {
                for (const pid of fs.readFileSync(file, "utf8").split(/\s+/).filter(Boolean)) {
                    try {
                        process.kill(Number(pid), "SIGTERM");
                    } catch {
                        /* gone */
                    }
                }
                fs.rmSync(file, { force: true });
            }
        },
    };
    kit.publish(bundle.archive, VERSION);
    return kit;
}

export interface BootRun {
    status: number | null;
    stdout: string;
    stderr: string;
    calls: string[];
}

/** The environment a user data run gets: the stubs first on the PATH, ROOT and TMPDIR set. */
export function bootEnv(kit: BootKit, root: string, env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const tmpdir = `${root}-tmp`;
    fs.mkdirSync(tmpdir, { recursive: true });
    return { ...process.env, ROOT: root, TMPDIR: tmpdir, PATH: `${kit.stubs}:${process.env.PATH}`, ...env };
}

/** Runs the script to its end, synchronously (stub mode). */
export function runBootSync(kit: BootKit, script: string, root: string, env: NodeJS.ProcessEnv = {}): BootRun {
    fs.rmSync(kit.calls, { force: true });
    const file = path.join(kit.dir, "user-data.sh");
    fs.writeFileSync(file, script);
    const r = spawnSync("bash", [file], { encoding: "utf8", env: bootEnv(kit, root, env) });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: kit.read() };
}

/** Runs the script to its end without blocking the event loop (real mode: the test serves IMDS). */
export function runBoot(kit: BootKit, script: string, root: string, env: NodeJS.ProcessEnv = {}): Promise<BootRun> {
    fs.rmSync(kit.calls, { force: true });
    const file = path.join(kit.dir, `user-data-${path.basename(root)}.sh`);
    fs.writeFileSync(file, script);
    return new Promise((resolve, reject) => {
        const child = spawn("bash", [file], { env: bootEnv(kit, root, env), stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr, calls: kit.read() }));
    });
}

/**
 * The `bundle` and `lifecycle` options a pool's launch template was rendered with, read from an
 * evaluation (the pool's bundle bucket and object, and its group), for comparing user data.
 */
export function bootOptionsOf(
    ev: { resources: { type: string; name: string; inputs: Record<string, any>; state: Record<string, any> }[] },
    pool: string,
): Pick<UserDataOptions, "bundle" | "lifecycle"> {
    const one = (type: string, name: string) => {
        const found = ev.resources.filter((r) => r.type === type && r.name === name);
        if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
        return found[0];
    };
    const bucket = one("aws:s3/bucket:Bucket", `${pool}-bundle`);
    const object = one("aws:s3/bucketObjectv2:BucketObjectv2", `${pool}-bundle`);
    const group = one("aws:autoscaling/group:Group", `${pool}-asg`);
    return {
        bundle: {
            bucket: bucket.state.bucket,
            key: BUNDLE_KEY,
            versionId: object.state.versionId,
            sha256: serverBundle().sha256,
        },
        lifecycle: {
            autoScalingGroupName: group.inputs.name,
            hookName: LAUNCH_HOOK_NAME,
            readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
        },
    };
}

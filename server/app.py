#!/usr/bin/python3
"""ha-webstack sample app: stdlib http.server + PyMySQL, behind nginx (server/README.md).

Runs on Amazon Linux 2023's system Python 3.9: no `match`, no `X | Y` types.
Env: HA_WEBSTACK_CONFIG (config JSON), HA_WEBSTACK_LISTEN (host:port),
HA_WEBSTACK_IMDS (metadata base URL), HA_WEBSTACK_AWS (aws CLI).
"""
import html
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import pymysql
    DRIVER_ERROR = None
except Exception as e:  # reported by /startupz (the boot's readiness check), / and /readyz
    pymysql, DRIVER_ERROR = None, "%s: %s" % (type(e).__name__, e)

CONFIG = os.environ.get("HA_WEBSTACK_CONFIG", "/etc/ha-webstack/app.json")
LISTEN = os.environ.get("HA_WEBSTACK_LISTEN", "127.0.0.1:8000")
IMDS = os.environ.get("HA_WEBSTACK_IMDS", "http://169.254.169.254").rstrip("/")
AWS = os.environ.get("HA_WEBSTACK_AWS", "aws")
AUTH_ERRORS = (1045,)  # ER_ACCESS_DENIED_ERROR: the password may have been rotated
REFRESH_EVERY = 30  # seconds between two forced secret re-fetches


def log(msg):
    sys.stderr.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), msg))
    sys.stderr.flush()


class Secret(object):
    """DB credentials from Secrets Manager through the AWS CLI, cached in memory only."""

    def __init__(self, arn, region):
        self.arn, self.region, self.value, self.refreshed = arn, region, None, 0.0
        self.lock = threading.Lock()

    def get(self, refresh=False):
        with self.lock:
            if refresh and self.value is not None and time.time() - self.refreshed < REFRESH_EVERY:
                return self.value  # re-fetched moments ago: do not hammer the API
            if refresh or self.value is None:
                cmd = [AWS, "secretsmanager", "get-secret-value", "--secret-id", self.arn,
                       "--region", self.region, "--query", "SecretString", "--output", "text"]
                try:
                    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         universal_newlines=True, timeout=20)
                except (OSError, subprocess.TimeoutExpired) as e:
                    raise RuntimeError("cannot run the AWS CLI: %s" % e)
                if out.returncode != 0:
                    raise RuntimeError("get-secret-value failed (exit %d): %s"
                                       % (out.returncode, out.stderr.strip()[-300:]))
                try:
                    value = json.loads(out.stdout)
                    value["username"], value["password"]
                except (ValueError, KeyError, TypeError):
                    raise RuntimeError("secret is not JSON with username and password")
                if refresh:
                    self.refreshed = time.time()
                    log("DB secret re-fetched after an authentication error")
                self.value = value
            return self.value

    def redact(self, text):
        pw = (self.value or {}).get("password")
        return text.replace(pw, "***") if pw else text


class App(object):
    def __init__(self, cfg):
        self.cfg, self.db = cfg, cfg.get("db")
        self.meta, self.meta_lock, self.schema_ok = None, threading.Lock(), False
        self.secret = Secret(self.db["secretArn"], cfg["region"]) if self.db else None
        # TLS, always verified: the server's certificate must chain to db.tlsCa (the RDS CA
        # bundle the server bundle installs) or, without it, to the system's trust store, and
        # name the host connected to (check_hostname). A server that offers no TLS is refused.
        self.tls, self.tls_error = None, None
        if self.db:
            try:
                self.tls = ssl.create_default_context(cafile=self.db.get("tlsCa") or None)
                self.tls.check_hostname, self.tls.verify_mode = True, ssl.CERT_REQUIRED
            except (OSError, ssl.SSLError) as e:
                self.tls_error = "CA bundle %s: %s" % (self.db.get("tlsCa"), e)

    def startup(self):
        """Ready to serve, without asking the database: the driver loads, the CA bundle reads."""
        if not self.db:
            return 200, {"ok": True, "db": None}
        if pymysql is None:
            return 503, {"ok": False, "error": "PyMySQL cannot be loaded: %s" % DRIVER_ERROR}
        if self.tls_error:
            return 503, {"ok": False, "error": self.tls_error}
        return 200, {"ok": True, "driver": "PyMySQL %s" % pymysql.VERSION_STRING,
                     "tlsCa": self.db.get("tlsCa")}

    def instance(self):
        """Instance id and AZ from IMDSv2 (token required), fetched once and cached."""
        with self.meta_lock:
            if self.meta is None:
                try:
                    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                    req = urllib.request.Request(IMDS + "/latest/api/token", method="PUT",
                                                 headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"})
                    token = opener.open(req, timeout=2).read().decode()

                    def get(path):
                        r = urllib.request.Request(IMDS + "/latest/meta-data/" + path,
                                                   headers={"X-aws-ec2-metadata-token": token})
                        return opener.open(r, timeout=2).read().decode().strip()

                    self.meta = {"instanceId": get("instance-id"),
                                 "az": get("placement/availability-zone")}
                except Exception as e:  # not cached: retried on the next request
                    return {"instanceId": "unknown", "az": "unknown", "error": str(e)}
            return dict(self.meta)

    def error(self, e):
        return "%s: %s" % (type(e).__name__, self.secret.redact(str(e)) if self.secret else e)

    def connect(self, host, port):
        if pymysql is None:
            raise RuntimeError("PyMySQL cannot be loaded: %s" % DRIVER_ERROR)
        if self.tls is None:
            raise RuntimeError(self.tls_error)

        def attempt(creds):
            conn = pymysql.connect(host=host, port=int(port), user=creds["username"],
                                   password=creds["password"], autocommit=True,
                                   database=self.db.get("database") or creds.get("dbname"),
                                   connect_timeout=3, read_timeout=5, write_timeout=5,
                                   ssl=self.tls, charset="utf8mb4")
            # PyMySQL goes on without TLS when the server does not offer it: refuse that.
            if not isinstance(getattr(conn, "_sock", None), ssl.SSLSocket):
                conn.close()
                raise RuntimeError("%s:%s offers no TLS: refused" % (host, port))
            return conn
        try:
            return attempt(self.secret.get())
        except pymysql.err.OperationalError as e:
            if not e.args or e.args[0] not in AUTH_ERRORS:
                raise
            return attempt(self.secret.get(refresh=True))  # rotated? re-fetch once

    def reader(self):
        """The first reachable reader; the writer when there is no replica."""
        hosts = self.db.get("readerHosts") or []
        port = self.db.get("readerPort") or self.db["writerPort"]
        if not hosts:
            hosts, port = [self.db["writerHost"]], self.db["writerPort"]
        skipped = []
        for host in hosts:
            try:
                return "%s:%s" % (host, port), self.connect(host, port), skipped
            except Exception as e:
                if pymysql is None or not isinstance(e, pymysql.err.OperationalError) \
                        or (e.args and e.args[0] in AUTH_ERRORS):
                    raise
                skipped.append("%s (%s)" % (host, self.error(e)))
        raise RuntimeError("no reader reachable: " + "; ".join(skipped))

    def query(self, role, sql, args=()):
        """One statement through the writer or a reader: (endpoint, server, rows, skipped)."""
        if role == "writer":
            host, skipped = "%s:%s" % (self.db["writerHost"], self.db["writerPort"]), []
            conn = self.connect(self.db["writerHost"], self.db["writerPort"])
        else:
            host, conn, skipped = self.reader()
        try:
            with conn.cursor() as c:
                if role == "writer" and not self.schema_ok:
                    c.execute("CREATE TABLE IF NOT EXISTS visits (id BIGINT AUTO_INCREMENT"
                              " PRIMARY KEY, instance_id VARCHAR(64) NOT NULL, az VARCHAR(32)"
                              " NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)")
                    c.execute("CREATE TABLE IF NOT EXISTS healthcheck (instance_id VARCHAR(64)"
                              " PRIMARY KEY, checked_at DATETIME(6) NOT NULL)")
                    self.schema_ok = True
                c.execute(sql, args)
                rows = c.fetchall()
                c.execute("SELECT @@hostname, @@server_id")
                return host, "%s, server_id %s" % c.fetchone(), rows, skipped
        finally:
            conn.close()

    def visit(self, meta):
        out = {}
        try:
            host, server, _, _ = self.query("writer", "INSERT INTO visits (instance_id, az)"
                                            " VALUES (%s, %s)", (meta["instanceId"], meta["az"]))
            out["write"] = {"endpoint": host, "server": server}
        except Exception as e:
            out["writeError"] = self.error(e)
        try:
            host, server, rows, skipped = self.query("reader", "SELECT COUNT(*) FROM visits")
            out["read"] = {"endpoint": host, "server": server, "count": rows[0][0], "skipped": skipped}
        except Exception as e:
            out["readError"] = self.error(e)
        return out

    def ready(self):
        """Write through the writer, read it back through a reader."""
        if not self.db:
            return 200, {"ok": True, "db": None}
        me = self.instance()["instanceId"]
        res = {"ok": False}
        try:
            host, server, _, _ = self.query("writer", "REPLACE INTO healthcheck VALUES (%s, NOW(6))", (me,))
            res["writer"] = {"endpoint": host, "server": server}
            try:
                host, server, rows, skipped = self.query(
                    "reader", "SELECT checked_at FROM healthcheck WHERE instance_id = %s", (me,))
                res["reader"] = {"endpoint": host, "server": server, "skipped": skipped,
                                 "sawWrite": bool(rows)}  # False: replica lag
            except Exception as e:
                if not (e.args and e.args[0] == 1146):
                    raise
                res["reader"] = {"sawWrite": False, "note": "table not replicated yet"}
            res["ok"] = True
            return 200, res
        except Exception as e:
            res["error"] = self.error(e)
            return 503, res

    def page(self):
        meta = self.instance()
        e = html.escape
        parts = ["<!doctype html><html><head><meta charset=\"utf-8\"><title>ha-webstack</title>"
                 "</head><body><h1>ha-webstack</h1>",
                 "<p>Served by instance <b id=\"instance\">%s</b> in <b id=\"az\">%s</b> (stack %s, %s).</p>"
                 % (e(meta["instanceId"]), e(meta["az"]), e(str(self.cfg.get("stack"))),
                    e(str(self.cfg.get("region"))))]
        if meta.get("error"):
            parts.append("<p class=\"error\">Instance metadata: %s</p>" % e(meta["error"]))
        if not self.db:
            parts.append("<p>No database configured.</p>")
        else:
            v = self.visit(meta)
            if "write" in v:
                parts.append("<p>Visit written through the writer <b id=\"writer\">%s</b> (<span id=\"writer-"
                             "server\">%s</span>).</p>" % (e(v["write"]["endpoint"]), e(v["write"]["server"])))
            else:
                parts.append("<p class=\"error\">Write failed: <span id=\"write-error\">%s</span></p>"
                             % e(v["writeError"]))
            if "read" in v:
                r = v["read"]
                parts.append("<p>Visits: <b id=\"count\">%d</b>, read through the reader <b id=\"reader\">%s</b> ("
                             "<span id=\"reader-server\">%s</span>; a replica may lag).</p>"
                             % (r["count"], e(r["endpoint"]), e(r["server"])))
                if r["skipped"]:
                    parts.append("<p>Unreachable readers skipped: <span id=\"skipped\">%s</span></p>"
                                 % e("; ".join(r["skipped"])))
            else:
                parts.append("<p class=\"error\">Read failed: <span id=\"read-error\">%s</span></p>"
                             % e(v["readError"]))
        parts.append("</body></html>\n")
        return "".join(parts)


class Handler(BaseHTTPRequestHandler):
    server_version, sys_version = "ha-webstack", ""

    def send(self, code, ctype, body):
        body = body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        try:
            if path == "/healthz":
                # Liveness only, and never the database: the ALB health check hits this. If it
                # followed the DB, a DB outage would mark EVERY server unhealthy at once, the ALB
                # would fail open (or fail over to an equally "sick" pool) and the ASG would
                # replace healthy servers for nothing. The DB is reported by /readyz and /.
                self.send(200, "text/plain; charset=utf-8", "ok\n")
            elif path == "/startupz":
                # The boot's readiness check (server/loader.sh, through nginx): the app runs and can
                # use its database driver. Not the database itself: a database outage must not
                # make every new server fail its launch.
                code, res = APP.startup()
                self.send(code, "application/json", json.dumps(res) + "\n")
            elif path in ("/readyz", "/dbz"):
                code, res = APP.ready()
                self.send(code, "application/json", json.dumps(res, default=str) + "\n")
            elif path == "/":
                self.send(200, "text/html; charset=utf-8", APP.page())
            else:
                self.send(404, "text/plain; charset=utf-8", "not found\n")
        except Exception as e:
            log("error on %s: %s" % (path, APP.error(e)))
            self.send(500, "text/plain; charset=utf-8", "internal error\n")

    def log_request(self, code="-", size="-"):
        pass  # nginx keeps the access log

    def log_message(self, fmt, *args):
        log("%s %s" % (self.address_string(), fmt % args))


def main():
    global APP
    try:
        with open(CONFIG) as f:
            cfg = json.load(f)
        if cfg.get("db"):
            for key in ("writerHost", "writerPort", "secretArn"):
                if not cfg["db"].get(key):
                    raise ValueError("db.%s is missing" % key)
    except (OSError, ValueError) as e:
        log("bad config %s: %s" % (CONFIG, e))
        return 2
    APP = App(cfg)
    host, _, port = LISTEN.rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    log("listening on %s; database %s" % (LISTEN, "configured" if APP.db else "none"))
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

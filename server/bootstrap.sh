#!/bin/bash
# ha-webstack server bootstrap for Amazon Linux 2023, run as root by the user data that
# components/userData.ts renders (that script first unpacks app.py, nginx.conf and app.json
# into $HA_SRC). Output lands in /var/log/cloud-init-output.log. Safe to run again.
#   HA_SRC       directory holding app.py, nginx.conf, app.json (required)
#   HA_APP_PORT  port nginx listens on, the ALB's target port (default 80)
#   ROOT         prefix for every file written (default empty; tests use a temp dir)
set -euo pipefail

ROOT="${ROOT:-}"
HA_SRC="${HA_SRC:?HA_SRC must name the directory holding app.py, nginx.conf and app.json}"
HA_APP_PORT="${HA_APP_PORT:-80}"
HA_UPSTREAM="127.0.0.1:8000"   # where app.py listens (loopback only: nginx fronts it)
HA_USER="ha-webstack"
PYMYSQL_VERSION="1.1.1"        # pure Python, supports AL2023's system Python 3.9

log() { echo "ha-webstack: $*"; }
die() { echo "ha-webstack: ERROR: $*" >&2; exit 1; }

case "$HA_APP_PORT" in '' | *[!0-9]*) die "HA_APP_PORT must be a number, got '$HA_APP_PORT'" ;; esac
for f in app.py nginx.conf app.json; do
  [ -s "$HA_SRC/$f" ] || die "$HA_SRC/$f is missing or empty"
done

log "installing packages"
dnf install -y nginx python3-pip
# AL2023 ships no PyMySQL RPM (its maintainers point to pip: amazon-linux-2023 issue #321), so
# pip installs it into a private directory (PYTHONPATH in the unit) instead of the system
# site-packages. The servers reach PyPI through the NAT gateway. Without PyMySQL the app still
# serves /healthz and shows the error on / and /readyz, so a failure here is not fatal.
pymysql_ok=""
for attempt in 1 2 3; do
  if pip3 install --no-cache-dir --upgrade --target "$ROOT/opt/ha-webstack/lib" "PyMySQL==$PYMYSQL_VERSION"; then
    pymysql_ok=1
    break
  fi
  log "pip install PyMySQL failed (attempt $attempt)"
  sleep 5
done
[ -n "$pymysql_ok" ] || log "WARNING: PyMySQL not installed; the app runs without its database"

log "installing the app and its configuration"
id -u "$HA_USER" >/dev/null 2>&1 ||
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /sbin/nologin "$HA_USER"
install -D -m 0644 "$HA_SRC/app.py" "$ROOT/opt/ha-webstack/app.py"
install -D -m 0644 "$HA_SRC/app.json" "$ROOT/etc/ha-webstack/app.json"

conf="$ROOT/etc/nginx/nginx.conf"
mkdir -p "$ROOT/etc/nginx"
# Keep AL2023's original once, for reference.
if [ -f "$conf" ] && [ ! -e "$conf.al2023-default" ]; then cp -p "$conf" "$conf.al2023-default"; fi
sed -e "s/{{APP_PORT}}/$HA_APP_PORT/g" -e "s/{{APP_UPSTREAM}}/$HA_UPSTREAM/g" \
  -e "s/{{NGINX_USER}}/nginx/g" "$HA_SRC/nginx.conf" >"$conf.tmp"
if grep -n '{{' "$conf.tmp"; then die "unfilled placeholder in nginx.conf"; fi
chmod 0644 "$conf.tmp"
mv -f "$conf.tmp" "$conf"
nginx -t -q -c "$conf"

mkdir -p "$ROOT/etc/systemd/system"
cat >"$ROOT/etc/systemd/system/ha-webstack-app.service" <<EOF
[Unit]
Description=ha-webstack sample app (behind nginx)
Wants=network-online.target
After=network-online.target
Before=nginx.service

[Service]
User=$HA_USER
Group=$HA_USER
Environment=HA_WEBSTACK_CONFIG=/etc/ha-webstack/app.json HA_WEBSTACK_LISTEN=$HA_UPSTREAM
Environment=PYTHONPATH=/opt/ha-webstack/lib PYTHONUNBUFFERED=1
ExecStart=/usr/bin/python3 /opt/ha-webstack/app.py
Restart=always
RestartSec=2
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full
ProtectHome=yes

[Install]
WantedBy=multi-user.target
EOF

log "starting services"
systemctl daemon-reload
systemctl enable ha-webstack-app.service nginx.service
systemctl restart ha-webstack-app.service nginx.service
log "done: nginx on port $HA_APP_PORT -> app on $HA_UPSTREAM"

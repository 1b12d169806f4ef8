#!/bin/bash
# ha-webstack server bootstrap for Amazon Linux 2023, run as root by server/loader.sh (the user
# data) from the unpacked server bundle (components/serverPool/bundle.ts). Output lands in
# /var/log/cloud-init-output.log. Safe to run again. Any failure exits non-zero, and the loader
# then abandons the instance: a server without its database driver never takes traffic.
#   HA_SRC            the unpacked bundle: app.py, nginx.conf, app.json, vendor/ (required)
#   HA_APP_PORT       port nginx listens on, the ALB's target port (default 80)
#   HA_UPSTREAM_PORT  loopback port of app.py behind nginx (default 8000; tests pick a free one)
#   ROOT              prefix for every file written (default empty; tests use a temp dir)
set -euo pipefail

ROOT="${ROOT:-}"
HA_SRC="${HA_SRC:?HA_SRC must name the directory holding the unpacked server bundle}"
HA_APP_PORT="${HA_APP_PORT:-80}"
HA_UPSTREAM="127.0.0.1:${HA_UPSTREAM_PORT:-8000}" # where app.py listens (loopback only: nginx fronts it)
HA_USER="ha-webstack"
# Pinned here and in components/serverPool/bundle.ts (tests hold the two equal).
PYMYSQL_VERSION="1.1.2" # pure Python, supports AL2023's system Python 3.9
PYMYSQL_WHEEL="vendor/PyMySQL-1.1.2-py3-none-any.whl"
PYMYSQL_WHEEL_SHA256="5efdb1ce87f5c6eb4d53df27cd6be7855121795e88b2ae574c72a5b0330fdd78"
RDS_CA="vendor/rds-global-bundle.pem"
RDS_CA_SHA256="83fe4e0d026bae52ddaefca95aac0733d1be2fb6ebeec4434fc33d55d0929aa1"

log() { echo "ha-webstack: $*"; }
die() {
  echo "ha-webstack: ERROR: $*" >&2
  exit 1
}

case "$HA_APP_PORT" in '' | *[!0-9]*) die "HA_APP_PORT must be a number, got '$HA_APP_PORT'" ;; esac
for f in app.py nginx.conf app.json "$PYMYSQL_WHEEL" "$RDS_CA"; do
  [ -s "$HA_SRC/$f" ] || die "$HA_SRC/$f is missing or empty"
done
echo "$PYMYSQL_WHEEL_SHA256  $HA_SRC/$PYMYSQL_WHEEL" | sha256sum -c --quiet - || die "$PYMYSQL_WHEEL: wrong sha256"
echo "$RDS_CA_SHA256  $HA_SRC/$RDS_CA" | sha256sum -c --quiet - || die "$RDS_CA: wrong sha256"

log "installing packages"
# nginx from the Amazon Linux repository; python3 is part of AL2023 itself (dnf runs on it).
dnf install -y nginx

# AL2023 ships no PyMySQL RPM (amazon-linux-2023 issue #321), so the bundle carries the pure-Python
# wheel: a wheel is a zip of the package, unpacked into a private directory (PYTHONPATH in the
# unit), not the system site-packages. Then the driver must load, or the server is not ready.
lib="$ROOT/opt/ha-webstack/lib"
rm -rf "$lib"
mkdir -p "$lib"
python3 -m zipfile -e "$HA_SRC/$PYMYSQL_WHEEL" "$lib"
loaded="$(PYTHONPATH="$lib" python3 -c 'import pymysql; print(pymysql.VERSION_STRING, pymysql.__file__)')" ||
  die "PyMySQL does not load from $lib"
case "$loaded" in
  "$PYMYSQL_VERSION $lib/"*) log "PyMySQL $loaded" ;;
  *) die "expected PyMySQL $PYMYSQL_VERSION from $lib, python3 loaded: $loaded" ;;
esac

log "installing the app and its configuration"
id -u "$HA_USER" >/dev/null 2>&1 ||
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /sbin/nologin "$HA_USER"
install -D -m 0644 "$HA_SRC/app.py" "$ROOT/opt/ha-webstack/app.py"
install -D -m 0644 "$HA_SRC/app.json" "$ROOT/etc/ha-webstack/app.json"
install -D -m 0644 "$HA_SRC/$RDS_CA" "$ROOT/opt/ha-webstack/rds-global-bundle.pem"

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

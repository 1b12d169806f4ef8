#!/usr/bin/env bash
# System packages the tests run for real: nginx, a MariaDB server, and a Python 3 with PyMySQL
# (Debian's python3-pymysql, for /usr/bin/python3) for tests/server.test.ts; Chromium, which
# renders the plan's diagram in tests/plan-diagram.test.ts; shellcheck (the servers' loader and
# bootstrap) and openssl (the database's test certificates) for tests/server.test.ts. Installs them with apt-get when they
# are missing and we are root (CI); otherwise says what to run. Prints what it found.
set -euo pipefail

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
{ command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; } || missing+=(mariadb-server)
/usr/bin/python3 -c 'import pymysql' >/dev/null 2>&1 || missing+=(python3-pymysql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test prerequisites: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "test prerequisites missing: ${missing[*]}" >&2
        echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi
echo "test prerequisites: node $(node --version), $(/usr/sbin/nginx -v 2>&1 | tr -d '\n'), $(/usr/sbin/mariadbd --version 2>/dev/null | cut -d' ' -f1-4), python3 $(/usr/bin/python3 -c 'import sys, pymysql; print(sys.version.split()[0], "with PyMySQL", pymysql.__version__)'), $(chromium --version 2>/dev/null | cut -d' ' -f1-2), shellcheck $(shellcheck --version | sed -n 's/^version: //p')"

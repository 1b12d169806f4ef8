#!/bin/bash
# ha-webstack loader: the body of every web server's user data. components/serverPool/userData.ts
# puts the settings below and two functions (ha_write_config, ha_extras) in front of it.
#
# 1. learns the instance id (IMDSv2);
# 2. downloads the server bundle from S3 (the VPC's gateway endpoint), with a time limit, and
#    refuses it unless its sha256 is the one the launch template names;
# 3. unpacks it and runs its bootstrap.sh (nginx, the app, PyMySQL, the RDS CA bundle);
# 4. waits until nginx answers /healthz and the app answers /startupz (its DB driver loaded), both
#    through nginx on the app port; a 503 from /startupz (the app's own "not ready") fails at once;
# 5. completes the launch lifecycle hook: CONTINUE when all of that worked, ABANDON on any failure
#    (set -e and the EXIT trap). When the hook cannot be completed at all, its heartbeat runs out
#    and Auto Scaling applies the default result, ABANDON: a broken server never takes traffic.
#
# Settings (set by the user data; tests set them in the environment):
#   HA_REGION HA_BUNDLE_BUCKET HA_BUNDLE_KEY HA_BUNDLE_VERSION HA_BUNDLE_SHA256 HA_APP_PORT
#   HA_ASG_NAME HA_HOOK_NAME   the group and hook to complete (both empty: no hook to complete)
#   HA_READY_TIMEOUT           seconds to wait for nginx and the app (default 600)
#   HA_DOWNLOAD_TIMEOUT        seconds a bundle download may take (default 60; 3 tries)
#   HA_RETRY_PAUSE             seconds between tries, times the try (default 5)
#   HA_IMDS                    instance metadata base URL (default http://169.254.169.254)
#   ROOT                       prefix for every file the bootstrap writes (tests)
set -euo pipefail

: "${HA_REGION:?}" "${HA_BUNDLE_BUCKET:?}" "${HA_BUNDLE_KEY:?}" "${HA_BUNDLE_VERSION:?}" "${HA_BUNDLE_SHA256:?}"
: "${HA_APP_PORT:?}"
HA_ASG_NAME="${HA_ASG_NAME:-}"
HA_HOOK_NAME="${HA_HOOK_NAME:-}"
HA_READY_TIMEOUT="${HA_READY_TIMEOUT:-600}"
HA_DOWNLOAD_TIMEOUT="${HA_DOWNLOAD_TIMEOUT:-60}"
HA_RETRY_PAUSE="${HA_RETRY_PAUSE:-5}"
HA_IMDS="${HA_IMDS:-http://169.254.169.254}"
export ROOT="${ROOT:-}"

ha_log() { echo "ha-webstack: $*"; }
ha_die() {
  echo "ha-webstack: ERROR: $*" >&2
  exit 1
}

HA_SRC="$(mktemp -d)"
ha_instance_id=""
ha_completed=""

# Completes the launch hook with $1 (CONTINUE or ABANDON). Retried: the instance role's
# credentials and policy may take a few seconds to reach a new instance.
ha_complete() {
  if [ -z "$HA_ASG_NAME" ] || [ -z "$HA_HOOK_NAME" ]; then
    ha_log "no lifecycle hook to complete ($1)"
    return 0
  fi
  [ -n "$ha_instance_id" ] || return 1
  local attempt
  for attempt in 1 2 3 4 5 6; do
    if aws autoscaling complete-lifecycle-action --region "$HA_REGION" \
      --auto-scaling-group-name "$HA_ASG_NAME" --lifecycle-hook-name "$HA_HOOK_NAME" \
      --instance-id "$ha_instance_id" --lifecycle-action-result "$1"; then
      ha_log "lifecycle hook $HA_HOOK_NAME completed: $1"
      return 0
    fi
    ha_log "complete-lifecycle-action $1 failed (attempt $attempt)"
    sleep $((attempt * HA_RETRY_PAUSE))
  done
  return 1
}

ha_on_exit() {
  local rc=$?
  rm -rf "$HA_SRC"
  if [ -z "$ha_completed" ]; then
    ha_log "boot failed (exit $rc): abandoning this instance"
    ha_complete ABANDON || ha_log "could not complete the hook; its heartbeat timeout abandons the instance"
    [ "$rc" -ne 0 ] || rc=1
  fi
  exit "$rc"
}
trap ha_on_exit EXIT

# 1. The instance id, through IMDSv2 (a token is required).
ha_token="$(curl -fsS --retry 5 --retry-connrefused --max-time 5 -X PUT "$HA_IMDS/latest/api/token" \
  -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')" || ha_die "no IMDSv2 token"
ha_instance_id="$(curl -fsS --retry 5 --max-time 5 -H "X-aws-ec2-metadata-token: $ha_token" \
  "$HA_IMDS/latest/meta-data/instance-id")" || ha_die "no instance id from IMDS"
ha_log "instance $ha_instance_id, bundle s3://$HA_BUNDLE_BUCKET/$HA_BUNDLE_KEY version $HA_BUNDLE_VERSION"

# 2. The bundle the launch template names. A stalled try is killed with its process group and
# retried (the CLI's socket timeouts do not bound it).
ha_bundle="$HA_SRC/bundle.zip"
for attempt in 1 2 3; do
  ha_rc=0
  timeout -k 5 "$HA_DOWNLOAD_TIMEOUT" aws s3api get-object --region "$HA_REGION" --bucket "$HA_BUNDLE_BUCKET" \
    --key "$HA_BUNDLE_KEY" --version-id "$HA_BUNDLE_VERSION" "$ha_bundle" >/dev/null || ha_rc=$?
  [ "$ha_rc" -ne 0 ] || break
  [ "$ha_rc" -ne 124 ] || ha_log "bundle download killed after ${HA_DOWNLOAD_TIMEOUT}s"
  [ "$attempt" -lt 3 ] || ha_die "cannot download the server bundle"
  ha_log "bundle download failed (attempt $attempt)"
  sleep $((attempt * HA_RETRY_PAUSE))
done
ha_actual="$(sha256sum "$ha_bundle" | cut -d' ' -f1)"
[ "$ha_actual" = "$HA_BUNDLE_SHA256" ] ||
  ha_die "server bundle sha256 is $ha_actual, expected $HA_BUNDLE_SHA256: refused"

# 3. Unpack (Python's zipfile: AL2023 always has python3, not always unzip) and bootstrap.
ha_unpacked="$HA_SRC/bundle"
mkdir "$ha_unpacked"
python3 -m zipfile -e "$ha_bundle" "$ha_unpacked"
ha_write_config "$ha_unpacked"
HA_SRC="$ha_unpacked" HA_APP_PORT="$HA_APP_PORT" bash "$ha_unpacked/bootstrap.sh"
ha_extras "$ha_unpacked"

# 4. Ready: nginx proxies /healthz to the app, and the app says its DB driver is loaded. Until
# the app runs, nginx answers 502 (or nothing answers yet): wait. A 503 from /startupz is the app's
# own answer (its driver does not load, its CA bundle does not read), and waiting will not change it.
ha_deadline=$((SECONDS + HA_READY_TIMEOUT))
ha_ready=""
ha_startup="$HA_SRC/startupz.json"
while [ "$SECONDS" -lt "$ha_deadline" ]; do
  ha_code="$(curl -s --max-time 3 -o "$ha_startup" -w '%{http_code}' "http://127.0.0.1:$HA_APP_PORT/startupz" || true)"
  if [ "$ha_code" = "503" ]; then
    ha_die "the app is not ready: $(cat "$ha_startup")"
  fi
  if [ "$ha_code" = "200" ] &&
    [ "$(curl -fsS --max-time 3 "http://127.0.0.1:$HA_APP_PORT/healthz" 2>/dev/null)" = "ok" ]; then
    ha_ready=1
    break
  fi
  sleep 2
done
[ -n "$ha_ready" ] || ha_die "nginx and the app did not answer on port $HA_APP_PORT within ${HA_READY_TIMEOUT}s"
ha_log "nginx and the app answer on port $HA_APP_PORT"

# 5. In service.
ha_complete CONTINUE || ha_die "could not complete the lifecycle hook with CONTINUE"
ha_completed=1
ha_log "ready"

#!/usr/bin/env bash
# The main job on the bundled example site, nothing to configure: build `aero`, check the
# site's documents (lint, validate with the revision id, Aerostat's and Deckhand's
# semantics compared, where a value comes from), then deploy it end to end against the
# local lab: one emulated Redfish BMC (sushy-tools) per node and a node simulator standing
# in for each node's operating system. `aero deploy` plans, pins the revision, and
# provisions the nodes over virtual media (power, media, boot once, phone-home), journaled
# in a SQLite store under the state directory; the plan afterwards has nothing to do.
#
# The example sites' secrets are encrypted to an INSECURE demo key committed in
# site-manifests/demo-keys/, which `aero` uses only because no other key is given (it
# says so once per command, on stderr).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
site="${1:-edge-lon1}"

# Bold step headers on a terminal only: no raw escape codes in logs or pipes.
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ aero %s%s\n' "$bold" "$*" "$plain"; }

# The lab's BMC emulator runs in a Python venv; Debian needs python3-venv for it.
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "installing python3-venv (for the lab's Redfish emulator)..." >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi
echo "preparing the Redfish emulator venv (sushy-tools)..." >&2
AERO_SUSHY_VENV="$(bash ci/redfish/setup.sh | tail -n 1)"
export AERO_SUSHY_VENV

echo "building aero (release; the first build takes several minutes)..." >&2
cargo build --release --locked -p aero-cli
aero=target/release/aero
export AERO_STATE_DIR="${AERO_STATE_DIR:-$PWD/target/aero-state}"

step site list
"$aero" site list
step site lint "$site"
"$aero" site lint "$site"
step site validate "$site"
"$aero" site validate "$site"
step site compat "$site"
"$aero" site compat "$site"
step site explain "$site" armada/Chart/v2/nova .values.conf.nova
"$aero" site explain "$site" armada/Chart/v2/nova .values.conf.nova

# A fresh store each run, so the deploy below has work to do.
"$aero" lab down "$site" >/dev/null 2>&1 || true
rm -f "$AERO_STATE_DIR"/aerostat.db "$AERO_STATE_DIR"/aerostat.db-*
step lab up "$site"
"$aero" lab up "$site" --boot-delay 1
trap '"$aero" lab down "$site" >/dev/null 2>&1 || true' EXIT
step node list "$site"
"$aero" node list "$site"
step deploy "$site" --yes
"$aero" deploy "$site" --yes
step actions list
"$aero" actions list
step plan "$site" "(nothing left to do)"
"$aero" plan "$site"
step lab down "$site"
"$aero" lab down "$site"
trap - EXIT

#!/usr/bin/env bash
# The main job on the bundled example site, nothing to configure: build `aero`, then
# list the sites, lint, validate (with the revision id), compare Aerostat's and
# Deckhand's semantics, explain where a value comes from, and render the site (secrets
# redacted). The example sites' secrets are encrypted to an INSECURE demo key committed
# in site-manifests/demo-keys/, which `aero` uses only because no other key is given (it
# says so once, on stderr).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
site="${1:-edge-lon1}"

# Bold step headers on a terminal only: no raw escape codes in logs or pipes.
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ aero %s%s\n' "$bold" "$*" "$plain"; }

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
step site render "$site" --redact "(first 40 lines)"
"$aero" site render "$site" --redact | head -n 40

#!/usr/bin/env bash
# The test command (README.md): installs what the tests need, then runs the whole suite.
#
# Test dependencies:
#   - git, tar, openssl (diff over git revisions, certificate checks), script (a terminal
#     for the declined-plan test): Debian packages
#   - cloud-init (its `schema` check of user-data), netplan.io (`netplan generate` of
#     network-config), genisoimage (`isoinfo` on config images): Debian packages, for
#     aero-baremetal's tests of every example node's NoCloud files and image
#   - sushy-tools 2.2.0 (the Redfish BMC emulator) and sushy 5.14.0 (Ironic's Redfish
#     library, for the request-count comparison): a Python venv made by ci/redfish/setup.sh
#   - PostgreSQL (the workflow store's PostgreSQL tests): a throwaway cluster started by
#     ci/postgres/start.sh (which installs Debian's postgresql package if missing), or the
#     server given in AERO_TEST_POSTGRES_URL
# Every test that needs one of these fails (never skips) when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need_apt=()
for tool in git tar openssl python3 pkg-config; do
    command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool")
done
# `script` (util-linux) gives `aero deploy` a terminal in the test of a declined plan.
command -v script >/dev/null 2>&1 || need_apt+=(bsdutils)
# The Redfish client's OpenSSL transport (for legacy BMC firmware) builds against libssl.
dpkg -s libssl-dev >/dev/null 2>&1 || need_apt+=(libssl-dev)
# aero-baremetal's config files and images, checked by the tools that consume them.
for package in cloud-init netplan.io genisoimage; do
    dpkg -s "$package" >/dev/null 2>&1 || need_apt+=("$package")
done
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    need_apt+=(python3-venv)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "installing: ${need_apt[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

venv="$(bash ci/redfish/setup.sh | tail -n 1)"
export AERO_SUSHY_VENV="$venv"

# One PostgreSQL cluster for the whole run, stopped when this script exits.
if [ -z "${AERO_TEST_POSTGRES_URL:-}" ]; then
    AERO_TEST_POSTGRES_URL="$(bash ci/postgres/start.sh --owner-pid $$ | tail -n 1)"
    export AERO_TEST_POSTGRES_URL
fi

# Tests never touch the operator's state directory.
export AERO_STATE_DIR="${AERO_STATE_DIR:-$(mktemp -d)}"

# Style gates first: they are cheap and a failure there says exactly what to fix.
echo "checking formatting and lints..." >&2
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

cargo test --workspace --locked --no-fail-fast "$@"

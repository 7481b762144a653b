#!/usr/bin/env bash
# Install the Redfish test dependencies into a Python virtual environment.
#
# Usage: ci/redfish/setup.sh [VENV_DIR]
#
# VENV_DIR defaults to $AERO_SUSHY_VENV, then to <workspace>/target/sushy-venv, which is
# where the aero-redfish tests look for it. The script is idempotent: it reuses an existing
# venv whose packages already have the pinned versions. It prints the venv path on its last
# line of output.
#
# Installs:
#   sushy-tools==2.2.0  the Redfish BMC emulator (`sushy-emulator`, fake driver, no libvirt)
#   sushy==5.14.0       OpenStack Ironic's Redfish library, the reference client in the
#                       request-count comparison (ci/redfish/sushy_vmedia_boot.py)
#   bcrypt              already a dependency of sushy-tools; used to write htpasswd files
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace_dir="$(cd "${script_dir}/../.." && pwd)"
venv_dir="${1:-${AERO_SUSHY_VENV:-${workspace_dir}/target/sushy-venv}}"
python="${PYTHON:-python3}"

sushy_tools_version="2.2.0"
sushy_version="5.14.0"

installed_version() {
    "${venv_dir}/bin/python" - "$1" <<'PY' 2>/dev/null || true
import sys
from importlib import metadata
try:
    print(metadata.version(sys.argv[1]))
except metadata.PackageNotFoundError:
    pass
PY
}

if [[ ! -x "${venv_dir}/bin/python" ]]; then
    echo "creating venv at ${venv_dir}" >&2
    mkdir -p "$(dirname "${venv_dir}")"
    "${python}" -m venv "${venv_dir}"
fi

if [[ "$(installed_version sushy-tools)" == "${sushy_tools_version}" \
    && "$(installed_version sushy)" == "${sushy_version}" \
    && -x "${venv_dir}/bin/sushy-emulator" ]]; then
    echo "sushy-tools ${sushy_tools_version} and sushy ${sushy_version} already installed" >&2
else
    "${venv_dir}/bin/python" -m pip install --quiet \
        "sushy-tools==${sushy_tools_version}" "sushy==${sushy_version}" >&2
fi

# Fail here, not in the tests, when the install is broken.
"${venv_dir}/bin/python" -c 'import bcrypt, sushy, sushy_tools' >&2
test -x "${venv_dir}/bin/sushy-emulator"

echo "${venv_dir}"

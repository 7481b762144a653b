#!/usr/bin/env bash
# Stops a cluster made by ci/postgres/start.sh (immediately: it is thrown away) and removes
# its directory.
# Usage: ci/postgres/stop.sh DIR|URL   (the URL printed by start.sh finds its cluster by port)
set -euo pipefail
target="${1:?usage: stop.sh DIR|URL}"
dir="$target"
if [[ "$target" == postgres://* ]]; then
    port="$(printf '%s' "$target" | sed -E 's|.*@[^:/]+:([0-9]+)/.*|\1|')"
    dir=""
    for candidate in "${TMPDIR:-/tmp}"/aero-postgres.*; do
        if [ -f "$candidate/port" ] && [ "$(cat "$candidate/port")" = "$port" ]; then
            dir="$candidate"
        fi
    done
    [ -n "$dir" ] || { echo "error: no cluster of start.sh listens on port $port" >&2; exit 1; }
fi
case "$dir" in
    */aero-postgres.*) ;;
    *) echo "error: $dir is not a cluster directory of start.sh" >&2; exit 1 ;;
esac
bindir="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || command -v pg_ctl)")"
if [ -d "$dir/data" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    else
        "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
fi
rm -rf "$dir"

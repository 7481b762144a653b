#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the workflow store's tests and prints its URL
# on the last line of standard output:
#
#   url="$(bash ci/postgres/start.sh | tail -n 1)"   # postgres://aero:...@127.0.0.1:PORT/postgres
#   AERO_TEST_POSTGRES_URL="$url" cargo test -p aero-workflow
#   bash ci/postgres/stop.sh "$url"                   # or the cluster directory
#
# The cluster lives in a new temporary directory, listens on 127.0.0.1 only, on a free
# port, with a random password (scram-sha-256). Run as root, it runs as the `postgres`
# user (initdb refuses root). With `--owner-pid PID` it stops itself and removes its
# directory when process PID exits (the tests' own helper uses that).
#
# Needs Debian's `postgresql` package (initdb and pg_ctl under /usr/lib/postgresql/*/bin);
# installs it with apt-get when missing and running as root.
set -euo pipefail

owner_pid=""
if [ "${1:-}" = "--owner-pid" ]; then
    owner_pid="${2:?--owner-pid needs a process id}"
fi

find_bin() {
    local name="$1" found
    found="$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -z "$found" ]; then
        found="$(command -v "$name" || true)"
    fi
    printf '%s' "$found"
}

initdb="$(find_bin initdb)"
if [ -z "$initdb" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing postgresql (initdb is missing)" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        initdb="$(find_bin initdb)"
    fi
fi
if [ -z "$initdb" ]; then
    echo "error: initdb not found; install PostgreSQL (Debian: apt-get install postgresql)" >&2
    exit 1
fi
bindir="$(dirname "$initdb")"

dir="$(mktemp -d "${TMPDIR:-/tmp}/aero-postgres.XXXXXX")"
chmod 0755 "$dir"
password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | cut -c1-20)"
printf '%s\n' "$password" > "$dir/password"

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres: "$dir"
fi

as_owner "$bindir/initdb" -D "$dir/data" -U aero --pwfile="$dir/password" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $((20000 + RANDOM % 30000))
}

started=""
for _ in 1 2 3 4 5; do
    port="$(free_port)"
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200" \
        start >/dev/null 2>&1; then
        started=yes
        break
    fi
done
if [ -z "$started" ]; then
    echo "error: the PostgreSQL cluster in $dir did not start:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    exit 1
fi
printf '%s\n' "$port" > "$dir/port"

if [ -n "$owner_pid" ]; then
    # Stops the cluster when its owner exits, whatever way it exits.
    nohup bash -c "
        while kill -0 $owner_pid 2>/dev/null; do sleep 1; done
        bash '$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/stop.sh' '$dir'
    " >/dev/null 2>&1 &
fi

echo "cluster directory: $dir" >&2
echo "postgres://aero:$password@127.0.0.1:$port/postgres"

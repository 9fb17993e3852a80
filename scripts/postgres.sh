#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the store tests and print the line
#   export IDENTILINK_TEST_POSTGRES=postgresql://postgres@127.0.0.1:PORT/postgres
# Installs Debian's postgresql package when no server is on the machine. Idempotent: a
# server this script already started is reused. Usage: eval "$(scripts/postgres.sh)"
set -euo pipefail
PORT="${IDENTILINK_PG_PORT:-54329}"
DATA="${IDENTILINK_PG_DATA:-/tmp/identilink-pg}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
    echo "installing Debian's postgresql package" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -q && apt-get install -y -q --no-install-recommends postgresql; } >&2
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
run() {  # the server refuses to run as root
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    if [ ! -f "$DATA/PG_VERSION" ]; then
        mkdir -p "$DATA"
        [ "$(id -u)" = 0 ] && chown postgres "$DATA"
        run "$bin/initdb" -D "$DATA" -U postgres --auth=trust >/dev/null
    fi
    run "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k /tmp -c fsync=off" start >&2
fi
echo "export IDENTILINK_TEST_POSTGRES=postgresql://postgres@127.0.0.1:$PORT/postgres"

#!/usr/bin/env bash
# A throwaway PostgreSQL server for the end-to-end tests, on loopback only.
#
#   scripts/postgres.sh start DIR PORT   install (Debian package) if missing, initdb in DIR, start
#   scripts/postgres.sh stop DIR         stop the server started in DIR
#
# The server trusts local connections (it listens on 127.0.0.1 only, in a temporary
# directory) and has a database named `warehouse`.
set -euo pipefail

cmd=${1:?usage: postgres.sh start DIR PORT | stop DIR}
dir=${2:?data directory required}

pg_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  echo "$found"
}

as_owner() {
  # PostgreSQL refuses to run as root: use the `postgres` system user when we are root.
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    port=${3:?port required}
    bin=$(pg_bin)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
      echo "postgres.sh: installing PostgreSQL from Debian packages" >&2
      if [ "$(id -u)" != "0" ]; then
        echo "postgres.sh: need root (or sudo) to apt-get install postgresql" >&2
        exit 1
      fi
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null
      apt-get install -y -qq --no-install-recommends postgresql >/dev/null
      bin=$(pg_bin)
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" = "0" ]; then chown postgres "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off" >/dev/null
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres warehouse
    echo "postgresql://postgres@127.0.0.1:$port/warehouse"
    ;;
  stop)
    bin=$(pg_bin)
    if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    ;;
  *)
    echo "usage: postgres.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Installs what the project needs from Debian (when run as root) and makes sure the local
# PostgreSQL answers. Usage: .ci/system.sh run|test|drill|bench
set -euo pipefail
purpose=${1:-run}

pg_version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)
pg_version=${pg_version:-15}
# postgresql-client-N: pg_dump and pg_restore of the server's version (yishiting backup/restore).
packages=("postgresql-${pg_version}-postgis-3" "postgresql-${pg_version}-pgrouting"
          "postgresql-client-${pg_version}")
if [ "$purpose" = test ] || [ "$purpose" = bench ]; then
  # gdal-bin: GDAL's OAPIF client in the tests; chromium: the map pages' browser tests;
  # fonts-noto-cjk: Chinese labels in their screenshots; nginx: tiles through its proxy_cache.
  packages+=(gdal-bin chromium fonts-noto-cjk nginx)
fi
if [ "$purpose" = bench ]; then
  # wrk: the HTTP benches' client, in C as pgbench is (bench/bench_ogc.py).
  packages+=(wrk)
fi
if [ "$purpose" = drill ]; then
  # patroni, etcd-server: the failover drill's managed PostgreSQL pair and its consensus store.
  packages+=(patroni etcd-server)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing from Debian: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing Debian packages (run as root or install them): ${missing[*]}" >&2
  fi
fi

# The local server is used unless DATABASE_URL points elsewhere.
if [ -z "${DATABASE_URL:-}" ] || [[ "$DATABASE_URL" == *@127.0.0.1* || "$DATABASE_URL" == *@localhost* ]]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null; then
      pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
  fi
fi

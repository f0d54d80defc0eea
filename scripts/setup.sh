#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to run cnpg-ts and its tests: PostgreSQL 15, PgBouncer
# and kubectl from Debian's packages (only when absent), then the npm packages, among them the pinned
# Node 24 (the `node` package) that runs our TypeScript directly.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15 postgresql-client-15)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
# Every locale, so initdb accepts the locales users' manifests name (e.g. en_AU.UTF-8).
[ -f /usr/share/doc/locales-all/copyright ] || missing+=(locales-all)
# kubectl: the tests drive the local API server with the real client, as a user would.
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run this script as root, or install them)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  # We run our own instances: keep the package from creating and starting a default cluster.
  mkdir -p /etc/postgresql-common
  if ! grep -q '^create_main_cluster' /etc/postgresql-common/createcluster.conf 2>/dev/null; then
    echo 'create_main_cluster = false' >>/etc/postgresql-common/createcluster.conf
  fi
  apt-get update -qq
  # Debian ships kubectl as kubernetes-client; a Kubernetes apt repository, when configured, as kubectl.
  if [[ " ${missing[*]} " == *" kubectl "* ]] && ! apt-cache show kubectl >/dev/null 2>&1; then
    missing=("${missing[@]/#kubectl/kubernetes-client}")
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (with the pinned Node 24)"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: ready ($(node_modules/.bin/node --version), $(/usr/lib/postgresql/15/bin/postgres --version))"

#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to run cnpg-ts and its tests: PostgreSQL 15, PgBouncer
# and kubectl from Debian's packages (only when absent), then the npm packages, among them the pinned
# Node 24 (the `node` package) that runs our TypeScript directly, then the object store and the
# barman-cloud tools the backup tests use (docs/object-store.md): MinIO built from its Go module, and
# barman from PyPI in a virtualenv of its own. Each step is skipped when its pinned version is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# MinIO publishes no semver tags: the pin is the module's pseudo-version of a commit.
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_BIN=/usr/local/bin/minio
BARMAN_PINS=("barman[cloud]==3.19.1" "boto3==1.44.8")
BARMAN_VENV=/opt/cnpg-tools/barman

installed_minio_version() {
  [ -x "$MINIO_BIN" ] && command -v go >/dev/null 2>&1 || return 0
  go version -m "$MINIO_BIN" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/minio/minio" { print $3 }'
}
barman_installed() { [ "$(cat "$BARMAN_VENV/.pins" 2>/dev/null)" = "${BARMAN_PINS[*]}" ]; }

# The Go toolchain the MinIO build needs is usually at /usr/local/go (Debian's golang-go otherwise).
[ -x /usr/local/go/bin/go ] && export PATH="$PATH:/usr/local/go/bin"

missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15 postgresql-client-15)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
# Every locale, so initdb accepts the locales users' manifests name (e.g. en_AU.UTF-8).
[ -f /usr/share/doc/locales-all/copyright ] || missing+=(locales-all)
# kubectl: the tests drive the local API server with the real client, as a user would.
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
# Debian's Python for barman's virtualenv; psycopg2 (a barman dependency) builds from source.
if ! barman_installed; then
  for pkg in python3 python3-venv python3-dev libpq-dev gcc; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
fi
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

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: $1 is missing (run this script as root, or install it as docs/object-store.md says)" >&2
    exit 1
  fi
}

if [ "$(installed_minio_version)" != "$MINIO_VERSION" ]; then
  need_root "MinIO $MINIO_VERSION at $MINIO_BIN"
  go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
  if [ "$go_minor" -lt 24 ]; then
    echo "setup: MinIO needs Go 1.24 or later to build; this machine has $(go env GOVERSION)" >&2
    exit 1
  fi
  echo "setup: building MinIO $MINIO_VERSION from its Go module into $MINIO_BIN (about 6 minutes on 2 cores)"
  started=$SECONDS
  GOBIN="$(dirname "$MINIO_BIN")" GOFLAGS=-mod=mod go install "github.com/minio/minio@$MINIO_VERSION"
  echo "setup: MinIO built in $((SECONDS - started)) s"
fi

if ! barman_installed; then
  need_root "barman (${BARMAN_PINS[*]}) in $BARMAN_VENV"
  echo "setup: installing ${BARMAN_PINS[*]} into $BARMAN_VENV"
  started=$SECONDS
  rm -rf "$BARMAN_VENV"
  mkdir -p "$(dirname "$BARMAN_VENV")"
  /usr/bin/python3 -m venv "$BARMAN_VENV"
  "$BARMAN_VENV/bin/pip" install --quiet --disable-pip-version-check "${BARMAN_PINS[@]}"
  echo "${BARMAN_PINS[*]}" >"$BARMAN_VENV/.pins"
  echo "setup: barman installed in $((SECONDS - started)) s"
fi
# The tools on PATH, as Debian's barman-cli-cloud puts them.
for tool in "$BARMAN_VENV"/bin/barman-cloud-*; do
  [ "$(readlink "/usr/local/bin/$(basename "$tool")")" = "$tool" ] && continue
  need_root "the link /usr/local/bin/$(basename "$tool")"
  ln -sfn "$tool" "/usr/local/bin/$(basename "$tool")"
done

echo "setup: ready ($(node_modules/.bin/node --version), $(/usr/lib/postgresql/15/bin/postgres --version)," \
  "MinIO $MINIO_VERSION, $("$BARMAN_VENV/bin/barman-cloud-backup" --version))"

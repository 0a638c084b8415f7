#!/usr/bin/env bash
# Installs every Debian 12 package cancelflow needs to build, test and run.
# Idempotent: packages already present are left as they are.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # libraries (Boost.Beast/Asio are header-only in libboost1.81-dev)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libspdlog-dev libfmt-dev libcli11-dev
  libhiredis-dev libpq-dev libssl-dev libcurl4-openssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev googletest
  sqlite3 curl python3 wrk
  # servers the distributed backends are tested against
  redis-server redis-tools postgresql postgresql-contrib
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node.js runs the black-box tests with the real tRPC client (tests/e2e). A
# machine that has Node with its npm already (e.g. from NodeSource) keeps it;
# otherwise Debian's packages provide both.
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
else
  export DEBIAN_FRONTEND=noninteractive
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The e2e tests' npm packages, pinned by tests/e2e/package-lock.json.
e2e="$(dirname "$0")/../tests/e2e"
if [[ ! -d "$e2e/node_modules" || "$e2e/package-lock.json" -nt "$e2e/node_modules" ]]; then
  npm ci --prefix "$e2e" --no-audit --no-fund --loglevel=error
  touch "$e2e/node_modules"
fi
echo "install-deps: done"

#!/usr/bin/env bash
# Builds cancelflow and runs the whole test suite with CTest.
#   bash scripts/test.sh          release preset (what the README names)
#   bash scripts/test.sh asan     AddressSanitizer + UndefinedBehaviorSanitizer build
#   bash scripts/test.sh tsan     ThreadSanitizer build
# Installs missing Debian packages first and starts the services tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

bash scripts/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset"

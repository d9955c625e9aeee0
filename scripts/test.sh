#!/usr/bin/env bash
# Sets everything up, builds, and runs every test (unit and end-to-end) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build -DLIVEORIGIN_TESTS=ON
ctest --test-dir build --output-on-failure -j 2 --timeout 600

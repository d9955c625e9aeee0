#!/usr/bin/env bash
# Sets everything up, builds, and runs every test (unit and end-to-end) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test build -DLIVEORIGIN_TESTS=ON
ctest --test-dir build --output-on-failure -j 2 --timeout 600
# Again under ASan+UBSan in a tree of its own (docs/hardening.md): the unit tests, and the end-to-end
# files about bad input against the sanitized binary.
scripts/setup.sh build-asan -DLIVEORIGIN_TESTS=ON -DLIVEORIGIN_SANITIZE=ON -DLIVEORIGIN_BENCH=OFF
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j 2 --timeout 600 -L unit
ctest --test-dir build-asan --output-on-failure -j 2 --timeout 600 -R '^e2e_test_(robustness|limits)$'

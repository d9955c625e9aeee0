#!/usr/bin/env bash
# Sets everything up, builds, and runs the server on the default config.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build -DLIVEORIGIN_TESTS=OFF
exec build/liveorigin -c config/liveorigin.yaml

#!/usr/bin/env bash
# Installs the Debian 12 packages liveorigin needs (as root, idempotent) and builds it.
# Usage: scripts/setup.sh [--test] [BUILD_DIR] [extra cmake args...]
#   --test  also installs what the tests drive the server with (ffmpeg, pytest, GStreamer, Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config ccache git
  libboost1.81-all-dev libssl-dev libavformat-dev libavcodec-dev libavutil-dev
  nlohmann-json3-dev libspdlog-dev libyaml-cpp-dev libsqlite3-dev libgtest-dev libhiredis-dev)
if [ "${1:-}" = "--test" ]; then
  shift
  packages+=(ffmpeg python3-pytest curl gstreamer1.0-tools gstreamer1.0-plugins-base
    gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
    chromium chromium-driver python3-selenium redis-server nginx)
fi
# npm fetches the pinned browser libraries (web/package-lock.json) that the build embeds.
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ccache keyed on paths relative to the checkout: a fresh clone elsewhere reuses earlier objects.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

(cd web && npm ci --no-audit --no-fund --loglevel=error)

build_dir=${1:-build}
shift || true
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"

#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz/, clang, ASan+UBSan) and runs one of them.
# Usage: scripts/fuzz.sh TARGET [SECONDS] [extra libFuzzer args...]
#        scripts/fuzz.sh list        the targets
#        scripts/fuzz.sh all SECONDS each target in turn
# TARGET is the name without "fuzz_" (handshake, chunk_reader, amf0, session, flv, codec, enhanced, hls,
# config, api). Runs at nice 19 on one core. The seed corpus comes from real ffmpeg sessions
# (fuzz/make_seeds.py, needs build/liveorigin) into build-fuzz/seeds/; what the fuzzer finds grows
# build-fuzz/corpus/TARGET/; crashes land in build-fuzz/crashes/TARGET/. See docs/hardening.md.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(handshake chunk_reader amf0 session client flv codec enhanced hls config api)
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS] (scripts/fuzz.sh list)}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : $# ))

if [ "$target" = list ]; then printf '%s\n' "${targets[@]}"; exit 0; fi
if [ "$target" = all ]; then
  for t in "${targets[@]}"; do "$0" "$t" "$seconds" "$@"; done
  exit 0
fi
[[ " ${targets[*]} " == *" $target "* ]] || { echo "unknown target '$target' (scripts/fuzz.sh list)" >&2; exit 2; }

export CCACHE_NOHASHDIR=1 CCACHE_BASEDIR=$PWD
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
fi
if [ ! -f build-fuzz/build.ninja ]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DLIVEORIGIN_FUZZ=ON -DLIVEORIGIN_TESTS=OFF -DLIVEORIGIN_BENCH=OFF >/dev/null
fi
nice -n 19 cmake --build build-fuzz --target "fuzz_$target" -j "$(nproc)"

if [ ! -d build-fuzz/seeds ]; then
  [ -x build/liveorigin ] || scripts/setup.sh build
  nice -n 19 python3 fuzz/make_seeds.py build-fuzz/seeds.tmp build/liveorigin
  mv build-fuzz/seeds.tmp build-fuzz/seeds
fi
corpus=build-fuzz/corpus/$target
crashes=build-fuzz/crashes/$target
mkdir -p "$corpus" "$crashes" build-fuzz/seeds/"$target"
case $target in
  hls) max_len=262144 ;;
  config|api|amf0|codec|handshake) max_len=16384 ;;
  *) max_len=65536 ;;
esac
dict=()
[ -f "fuzz/dict/$target.dict" ] && dict=(-dict="fuzz/dict/$target.dict")
# Corpus first: new inputs are written there; the seeds are read only.
exec nice -n 19 "build-fuzz/fuzz/fuzz_$target" "$corpus" "build-fuzz/seeds/$target" \
  -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$crashes/" -print_final_stats=1 "${dict[@]}" "$@"

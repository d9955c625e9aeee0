#!/usr/bin/env bash
# Side by side: liveorigin (workers: 1) against nginx-rtmp (one worker) and the ideal writer, each
# server pinned to one core, the load generator (liveorigin-bench) to the other. It sweeps the number
# of players, measuring every server at each N in turn (REPEAT times, interleaved, so that a slow
# phase of a shared machine hits them all), drops a server from the sweep once fewer than 95% of its
# players are healthy, then prints a table with the ratios liveorigin / nginx-rtmp and liveorigin /
# ideal writer (medians when repeated). Everything stays on 127.0.0.1.
#
#   bench/compare.sh                       # full sweep, results in $OUT/results.jsonl
#   STEPS="400 1600" SERVERS="liveorigin-rtmp nginx-rtmp" bench/compare.sh
#   bench/compare.sh --table-only          # print the table of $OUT/results.jsonl again
#   HANDSHAKES=64 SERVERS="liveorigin-https nginx-rtmps" bench/compare.sh   # TLS handshakes per second
#   MANY="50 100 200 400" SERVERS="liveorigin-hls nginx-rtmp-hls" bench/compare.sh   # many channels
#
# Environment (defaults in brackets): BUILD [build-bench] OUT [/tmp/liveorigin-bench]
#   STEPS [400 800 1600 2400 3200 4800 6400 8000]  SERVERS [liveorigin-rtmp liveorigin-flv nginx-rtmp ideal]
#   REPEAT [1] runs of each server at each N (the table shows the median run and the range)
#   DURATION [10] measurement window (s)   RATE [400] players connected per second
#   WARMUP [5] seconds between the last player connecting and the window (GOP bursts drain)
#   SERVER_CPU [0] GEN_CPU [1]             MAX_LOAD [2.5] wait for a 1-min load below this before a step
#   QUIET_CORES [0.3] ... and for fewer cores than this busy (3-s sample) with nothing of ours running
#   QUIET_WAIT [600] longest wait for both (s); the step then runs anyway and the load is recorded
#   OTHERS_MAX [20] a step during which other processes used more than this % of a core is run
#   again, up to RETRIES [2] times (the last attempt is kept; its others_cpu_pct is in the table)
#   PRIO [0] nice level for the servers and the generator (e.g. -10 on a machine shared with others;
#   as root, under `setsid`, it also sets this session's autogroup nice)
#   MEDIA [$OUT/test-720p.flv] the test stream (generated with ffmpeg when missing)
#   HANDSHAKES [unset] instead of the sweep: for each TLS server, this many connections at once
#   loop connect → full TLS handshake → reset for DURATION s (REPEAT times); $OUT/handshakes.jsonl
#   MANY [unset] instead of the sweep: numbers of publishers P (streams bench0…), each with K players
#   (MANY_PROTOCOL [rtmp]: latency stamps through the server) for each K in MANY_K [0 4]; on the HLS
#   servers every stream's segment availability is watched; MANY_WARMUP [15] s before the window
#   (the HLS window fills); results in $OUT/many.jsonl, table by bench/many_table.py
# SERVERS may also name ideal-nodelay, ideal-cork, ideal-b20 (20 ms batches), liveorigin-hls, and a
# liveorigin server with a suffix -wMS for its write_interval in ms (liveorigin-rtmp-w0: each packet
# written at once; without the suffix: the default of the config). LIVEORIGIN [$BUILD/liveorigin]
# picks the binary; a liveorigin server named with the suffix -B runs LIVEORIGIN_B instead, so two
# builds are measured in the same run (SERVERS="liveorigin-flv liveorigin-flv-B"). A suffix -x2
# runs liveorigin with workers: 2 on both cores (the generator still on GEN_CPU, sharing one of
# them): how throughput scales. A suffix -hevc publishes MEDIA_HEVC instead of MEDIA: the same
# picture, bit rate and GOP in HEVC as enhanced RTMP (SERVERS="liveorigin-rtmp liveorigin-rtmp-hevc").
# nginx-rtmp-hls is nginx-rtmp with `hls on` writing to a tmpfs ($HLS_TMPFS [/dev/shm]) and the same
# nginx process serving those files over HTTP (`sendfile on`); its players are HLS players, as
# liveorigin-hls's (segments from memory). After each step the tmpfs bytes of its HLS files are
# recorded (hls_tmpfs_kib): they are memory the server's RSS does not show.
# Over TLS (players only; the publisher stays plain RTMP): liveorigin-rtmps (RTMPS players) and
# liveorigin-https (HTTPS-FLV) use liveorigin's own TLS (`server.tls`, a self-signed ECDSA P-256
# certificate made in $OUT/tls); nginx-rtmps is nginx's `stream` module terminating TLS in front of
# nginx-rtmp, two processes on the server's core, the CPU and memory of both counted.
# liveorigin-edge: the stream is owned by another node (docs/cluster.md, "Edge pull"): redis-server
# and the owner liveorigin run on the generator's core, ffmpeg publishes to the owner, and the
# measured node — pinned like the others, workers: 1 — pulls the stream and serves the players.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
OUT=${OUT:-/tmp/liveorigin-bench}
STEPS=${STEPS:-"400 800 1600 2400 3200 4800 6400 8000"}
SERVERS=${SERVERS:-"liveorigin-rtmp liveorigin-flv nginx-rtmp ideal"}
REPEAT=${REPEAT:-1}
DURATION=${DURATION:-10}
RATE=${RATE:-400}
WARMUP=${WARMUP:-5}
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
MAX_LOAD=${MAX_LOAD:-2.5}
QUIET_WAIT=${QUIET_WAIT:-600}
QUIET_CORES=${QUIET_CORES:-0.3}
OTHERS_MAX=${OTHERS_MAX:-20}
RETRIES=${RETRIES:-2}
MANY_K=${MANY_K:-"0 4"}
MANY_WARMUP=${MANY_WARMUP:-15}
MANY_PROTOCOL=${MANY_PROTOCOL:-rtmp}
HLS_TMPFS=${HLS_TMPFS:-/dev/shm}
PRIO=${PRIO:-0}
RUN=(taskset -c)
if [[ $PRIO != 0 ]]; then
  RUN=(nice -n "$PRIO" taskset -c)
  # With autogroup scheduling, nice works only inside a session's group: raise this session's group
  # too (run the script under setsid so that is only the benchmark).
  [[ -w /proc/$$/autogroup ]] && { echo "$PRIO" >/proc/$$/autogroup; } 2>/dev/null || true
fi
MEDIA=${MEDIA:-$OUT/test-720p.flv}
MEDIA_HEVC=${MEDIA_HEVC:-$OUT/test-720p-hevc.flv}
RESULTS=$OUT/results.jsonl
NGINX_MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so
NGINX_STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so
mkdir -p "$OUT"

print_table() {
  python3 "$ROOT/bench/table.py" "$RESULTS"
}
if [[ ${1:-} == --table-only ]]; then print_table; exit 0; fi

log() { echo "compare: $*" >&2; }

# --- prerequisites -----------------------------------------------------------------------------
need_apt=()
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
command -v taskset >/dev/null || need_apt+=(util-linux)
[[ -x /usr/sbin/nginx ]] || need_apt+=(nginx)
[[ -f $NGINX_MODULE ]] || need_apt+=(libnginx-mod-rtmp)
[[ -f $NGINX_STREAM_MODULE || ! $SERVERS =~ nginx-rtmps ]] || need_apt+=(libnginx-mod-stream)
command -v openssl >/dev/null || need_apt+=(openssl)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]} from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_apt[@]}" >&2 ||
    { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_apt[@]}" >&2; }
fi
# Debian's nginx package enables and starts a system nginx on port 80; it is not used here.
if [[ ! -x $BUILD/liveorigin || ! -x $BUILD/bench/liveorigin-bench || ! -x $BUILD/bench/liveorigin-ideal-writer ]]; then
  log "building liveorigin and the bench tools in $BUILD (RelWithDebInfo)"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
  cmake --build "$BUILD" --target liveorigin liveorigin-bench liveorigin-ideal-writer >&2
fi
LIVEORIGIN=${LIVEORIGIN:-$BUILD/liveorigin}
BENCH=$BUILD/bench/liveorigin-bench
IDEAL=$BUILD/bench/liveorigin-ideal-writer

# --- the test stream: 2.5 Mbit/s 720p30 H.264 (CBR, 2 s GOP) + AAC 128k, 60 s, looped ------------
if [[ ! -s $MEDIA ]]; then
  log "generating $MEDIA"
  timeout 900 ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t" \
    -f lavfi -i "sine=frequency=440:sample_rate=44100" -t 60 \
    -c:v libx264 -preset ultrafast -b:v 2400k -minrate 2400k -maxrate 2400k -bufsize 2400k \
    -x264-params nal-hrd=cbr -g 60 -keyint_min 60 -sc_threshold 0 -pix_fmt yuv420p \
    -c:a aac -b:a 128k -ac 2 -f flv "$MEDIA.tmp" && mv "$MEDIA.tmp" "$MEDIA"
fi

# The same in HEVC (enhanced FLV `hvc1` tags), for the -hevc servers.
if [[ $SERVERS == *-hevc* && ! -s $MEDIA_HEVC ]]; then
  log "generating $MEDIA_HEVC"
  python3 "$ROOT/bench/make_hevc_flv.py" "$MEDIA_HEVC"
fi

# The TLS servers' certificate: self-signed, ECDSA P-256 (what a Let's Encrypt ECDSA leaf costs).
TLS_DIR=$OUT/tls
if [[ $SERVERS =~ rtmps|https && ! -s $TLS_DIR/cert.pem ]]; then
  mkdir -p "$TLS_DIR"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost >/dev/null 2>&1
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # PORT: until something listens there (10 s at most)
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
busy_cores() {  # cores busy over the next 3 s, everybody together (/proc/stat)
  python3 - <<'PY'
import time
def busy():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    return sum(v) - v[3] - v[4], sum(v)
b0, t0 = busy(); time.sleep(3); b1, t1 = busy()
import os
print(f"{(b1 - b0) / os.sysconf('SC_CLK_TCK') / 3:.2f}")
PY
}
wait_quiet() {  # until the 1-min load is below MAX_LOAD and the machine is idle now (< QUIET_CORES busy)
  local waited=0 load busy
  while :; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    busy=$(busy_cores)
    if python3 -c "import sys; sys.exit(0 if $load < $MAX_LOAD and $busy < $QUIET_CORES else 1)"; then
      echo "$load"; return
    fi
    if ((waited >= QUIET_WAIT)); then log "load $load, $busy cores busy after ${waited}s; measuring anyway"; echo "$load"; return; fi
    ((waited % 60 == 0)) && log "waiting for a quiet machine (load $load, $busy cores busy)"
    sleep 7; waited=$((waited + 10))
  done
}

SERVER_PID=     # the server's main process
SERVER_PIDS=    # all its processes, comma-separated (nginx-rtmps: the TLS proxy too)
EXTRA_PIDS=     # processes a server kind runs beside it (liveorigin-edge: redis, the owner, the publisher)
stop_server() {
  local pid
  for pid in ${SERVER_PIDS//,/ }; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for pid in ${EXTRA_PIDS:-}; do  # what a server kind runs beside the measured server
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SERVER_PID= SERVER_PIDS= EXTRA_PIDS=
  [[ -z ${HLS_DIR:-} ]] || rm -rf "$HLS_DIR"
  HLS_DIR=
}
trap stop_server EXIT

# nginx_conf DIR MODULE BLOCK: a one-process nginx configuration (one worker, no master)
nginx_conf() {
  cat <<EOF
load_module $2;
worker_processes 1;
daemon off;
master_process off;
error_log $1/error.log warn;
pid $1/nginx.pid;
worker_rlimit_nofile 80000;
events { worker_connections 40000; }
$3
EOF
}

# start_server NAME: sets SERVER_PID(S) and the ports the generator uses (RTMP_PORT, HTTP_PORT, ARGS)
start_server() {
  local name=$1 dir=$OUT/run-$1
  rm -rf "$dir"; mkdir -p "$dir"
  RTMP_PORT=$(free_port); HTTP_PORT=$(free_port)
  local media=$MEDIA
  [[ $name == *-hevc* ]] && media=$MEDIA_HEVC
  ARGS=(--rtmp 127.0.0.1:$RTMP_PORT --http 127.0.0.1:$HTTP_PORT --file "$media")
  TLS_PORT=$(free_port)
  case $name in
    liveorigin-rtmps*|nginx-rtmps) ARGS+=(--tls --rtmps 127.0.0.1:$TLS_PORT) ;;
    liveorigin-https*) ARGS+=(--tls --https 127.0.0.1:$TLS_PORT) ;;
  esac
  case $name in
    liveorigin-edge*) start_edge "$dir" ;;
    liveorigin-*)
      local hls=false write_interval="" workers=1 cpus=$SERVER_CPU
      [[ $name == *-x2* ]] && { workers=2; cpus="$SERVER_CPU,$GEN_CPU"; }
      [[ $name == liveorigin-hls* ]] && hls=true
      [[ $name =~ -w([0-9]+) ]] && write_interval="  write_interval: $(python3 -c "print(${BASH_REMATCH[1]} / 1000)")"
      local tls=""
      [[ $name == liveorigin-rtmps* ]] && tls="  rtmps: { listen: \"127.0.0.1:$TLS_PORT\" }"
      [[ $name == liveorigin-https* ]] && tls="  https: { listen: \"127.0.0.1:$TLS_PORT\" }"
      [[ -n $tls ]] && tls="  tls: { cert: $TLS_DIR/cert.pem, key: $TLS_DIR/key.pem }
$tls"
      cat >"$dir/liveorigin.yaml" <<EOF
server:
  rtmp: { listen: "127.0.0.1:$RTMP_PORT" }
  http: { listen: "127.0.0.1:$HTTP_PORT" }
  api: { listen: "127.0.0.1:$(free_port)", token: "bench" }
  data_dir: $dir/data
  workers: $workers
$write_interval
$tls
apps:
  live:
    hls: { enabled: $hls }
limits: { max_connections: 30000, max_connections_per_ip: 30000 }
log: { level: warn }
EOF
      local binary=$LIVEORIGIN
      [[ $name == *-B ]] && binary=${LIVEORIGIN_B:?LIVEORIGIN_B names the second build}
      "${RUN[@]}" "$cpus" "$binary" -c "$dir/liveorigin.yaml" >"$dir/server.log" 2>&1 &
      SERVER_PID=$!
      wait_port "$RTMP_PORT"; wait_port "$HTTP_PORT"
      [[ -z $tls ]] || wait_port "$TLS_PORT"
      ;;
    nginx-rtmp|nginx-rtmps|nginx-rtmp-hls)
      local hls="" http=""
      if [[ $name == nginx-rtmp-hls ]]; then
        HLS_DIR=$(mktemp -d "$HLS_TMPFS/liveorigin-bench-hls.XXXXXX")
        # The fragment and playlist length of liveorigin's defaults (2 s, 6 segments).
        hls="hls on; hls_path $HLS_DIR; hls_fragment 2s; hls_playlist_length 12s;"
        http="http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
  server { listen 127.0.0.1:$HTTP_PORT; location /live/ { alias $HLS_DIR/; } }
}"
      fi
      nginx_conf "$dir" "$NGINX_MODULE" \
        "rtmp { server { listen 127.0.0.1:$RTMP_PORT; application live { live on; $hls } } }
$http" >"$dir/nginx.conf"
      "${RUN[@]}" "$SERVER_CPU" /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
        >"$dir/server.log" 2>&1 &
      SERVER_PID=$!
      wait_port "$RTMP_PORT"
      [[ -z $http ]] || wait_port "$HTTP_PORT"
      if [[ $name == nginx-rtmps ]]; then
        # The usual RTMPS set-up: nginx's stream module terminates TLS and proxies to nginx-rtmp.
        mkdir -p "$dir/stream"
        nginx_conf "$dir/stream" "$NGINX_STREAM_MODULE" "stream { server {
  listen 127.0.0.1:$TLS_PORT ssl;
  ssl_protocols TLSv1.2 TLSv1.3;  # nginx 1.22's default stops at TLS 1.2; liveorigin offers both
  ssl_certificate $TLS_DIR/cert.pem;
  ssl_certificate_key $TLS_DIR/key.pem;
  proxy_pass 127.0.0.1:$RTMP_PORT;
} }" >"$dir/stream/nginx.conf"
        "${RUN[@]}" "$SERVER_CPU" /usr/sbin/nginx -p "$dir/stream" -c "$dir/stream/nginx.conf" \
          -e "$dir/stream/error.log" >"$dir/stream/server.log" 2>&1 &
        SERVER_PIDS=$SERVER_PID,$!
        wait_port "$TLS_PORT"
      fi
      ;;
    ideal*)
      local batch=0 opt=nagle
      case $name in ideal-nodelay) opt=nodelay ;; ideal-cork) opt=cork ;; ideal-b20) batch=20 ;; esac
      "${RUN[@]}" "$SERVER_CPU" "$IDEAL" --listen 127.0.0.1:$HTTP_PORT --file "$MEDIA" --batch-ms $batch \
        --sockopt $opt >"$dir/server.log" 2>&1 &
      SERVER_PID=$!
      wait_port "$HTTP_PORT"
      ARGS+=(--no-publish)
      ;;
  esac
  [[ -n $SERVER_PIDS ]] || SERVER_PIDS=$SERVER_PID
}

# liveorigin-edge: redis-server, the owner node (both on GEN_CPU), ffmpeg publishing to the owner, and
# the measured node on SERVER_CPU (SERVER_PID), which pulls the stream for the generator's players.
start_edge() {
  local dir=$1 redis_port owner_rtmp owner_http role rtmp http cpu
  redis_port=$(free_port); owner_rtmp=$(free_port); owner_http=$(free_port)
  "${RUN[@]}" "$GEN_CPU" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    >"$dir/redis.log" 2>&1 &
  EXTRA_PIDS=$!
  wait_port "$redis_port"
  for role in owner edge; do
    rtmp=$RTMP_PORT http=$HTTP_PORT cpu=$SERVER_CPU
    [[ $role == owner ]] && { rtmp=$owner_rtmp; http=$owner_http; cpu=$GEN_CPU; }
    cat >"$dir/$role.yaml" <<EOF
server:
  rtmp: { listen: "127.0.0.1:$rtmp" }
  http: { listen: "127.0.0.1:$http" }
  api: { listen: "127.0.0.1:$(free_port)", token: "bench" }
  data_dir: $dir/$role-data
  workers: 1
apps:
  live:
    hls: { enabled: false }
limits: { max_connections: 30000, max_connections_per_ip: 30000 }
cluster: { redis: "redis://127.0.0.1:$redis_port/0", node_id: "$role" }
log: { level: warn }
EOF
    "${RUN[@]}" "$cpu" "$LIVEORIGIN" -c "$dir/$role.yaml" >"$dir/$role.log" 2>&1 &
    if [[ $role == owner ]]; then EXTRA_PIDS+=" $!"; else SERVER_PID=$!; fi
    wait_port "$rtmp"; wait_port "$http"
  done
  "${RUN[@]}" "$GEN_CPU" ffmpeg -v error -nostdin -re -stream_loop -1 -i "$MEDIA" -c copy -f flv \
    "rtmp://127.0.0.1:$owner_rtmp/live/bench" >"$dir/publisher.log" 2>&1 &
  EXTRA_PIDS="$! $EXTRA_PIDS"  # the publisher stops first
  for _ in $(seq 100); do  # the owner has the stream; the players' first requests start the pull
    curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$owner_http/live/bench.flv" | grep -q 200 && break
    sleep 0.1
  done
  ARGS+=(--no-publish)
}

protocol_of() {
  case $1 in liveorigin-hls*|*-rtmp-hls) echo hls ;; liveorigin-rtmp*|liveorigin-edge*|nginx-rtmp*) echo rtmp ;; *) echo flv ;; esac
}

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log "results go to $RESULTS"
run_step() {  # SERVER PROTOCOL N [PUBLISHERS]: one measurement; prints the JSON line (empty on failure)
  local server=$1 protocol=$2 n=$3 publishers=${4:-1} load json rc alive step_timeout pid tmpfs=0 warmup=$WARMUP
  local extra=()
  load=$(wait_quiet)
  start_server "$server"
  if ((publishers > 1)); then
    # Streams bench0…: the publishers start over one key interval, so their key frames do not align.
    extra=(--publishers "$publishers" --full "$((n < 8 ? n : 8))")
    [[ $server == *hls* ]] && extra+=(--hls-watch)
    warmup=$MANY_WARMUP
  fi
  log "$server $protocol N=$n P=$publishers (load $load)"
  step_timeout=$(python3 -c "print(int(60 + 2 * $n / $RATE + $DURATION + $warmup))")
  set +e
  json=$(timeout "$step_timeout" "${RUN[@]}" "$GEN_CPU" "$BENCH" "${ARGS[@]}" --protocol "$protocol" \
    --players "$n" --rate "$RATE" --warmup "$warmup" --duration "$DURATION" --server-pid "$SERVER_PIDS" \
    --label "$server" "${extra[@]}")
  rc=$?
  set -e
  alive=1
  for pid in ${SERVER_PIDS//,/ }; do kill -0 "$pid" 2>/dev/null || alive=0; done
  [[ -z ${HLS_DIR:-} ]] || tmpfs=$(du -sk "$HLS_DIR" | cut -f1)
  stop_server
  if [[ $rc -ne 0 || -z $json ]]; then
    log "$server N=$n: generator failed (exit $rc, server alive: $alive)"
    echo "{\"label\":\"$server\",\"players\":$n,\"publishers\":{\"count\":$publishers},\"protocol\":\"$protocol\",\"load1\":$load,\"error\":\"generator exit $rc\"}"
    return
  fi
  echo "$json" | python3 -c "import json,sys; j=json.load(sys.stdin); j['load1']=$load; j['server_alive']=bool($alive); j['hls_tmpfs_kib']=$tmpfs; print(json.dumps(j))"
}

# One attempt per step, again (up to RETRIES times) while others used more than OTHERS_MAX% of a
# core; the last attempt's line goes to FILE.  Usage: measure FILE SERVER PROTOCOL N [PUBLISHERS]
measure() {
  local file=$1 line others attempt
  shift
  for attempt in $(seq 0 "$RETRIES"); do
    line=$(run_step "$@")
    others=$(echo "$line" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("others_cpu_pct", 0))')
    if python3 -c "import sys; sys.exit(0 if $others <= $OTHERS_MAX else 1)"; then break; fi
    [[ $attempt -lt $RETRIES ]] && log "others used $others% of a core during the step: measuring again"
  done
  echo "$line" >>"$file"
}

if [[ -n ${HANDSHAKES:-} ]]; then
  for repeat in $(seq "$REPEAT"); do
    for server in $SERVERS; do
      load=$(wait_quiet)
      start_server "$server"
      log "$server: TLS handshakes, $HANDSHAKES at once (load $load)"
      timeout $((DURATION + 60)) "${RUN[@]}" "$GEN_CPU" "$BENCH" "${ARGS[@]}" --no-publish --handshakes \
        --protocol "$(protocol_of "$server")" --players "$HANDSHAKES" --warmup 2 --duration "$DURATION" \
        --server-pid "$SERVER_PIDS" --label "$server" >>"$OUT/handshakes.jsonl" || log "$server: generator failed"
      stop_server
    done
  done
  exit 0
fi

if [[ -n ${MANY:-} ]]; then
  for p in $MANY; do
    for k in $MANY_K; do
      for repeat in $(seq "$REPEAT"); do
        for server in $SERVERS; do measure "$OUT/many.jsonl" "$server" "$MANY_PROTOCOL" $((p * k)) "$p"; done
      done
    done
  done
  python3 "$ROOT/bench/many_table.py" "$OUT/many.jsonl"
  exit 0
fi

active=($SERVERS)
for n in $STEPS; do
  ((${#active[@]})) || break
  for repeat in $(seq "$REPEAT"); do
    for server in "${active[@]}"; do measure "$RESULTS" "$server" "$(protocol_of "$server")" "$n"; done
  done
  still=()
  for server in "${active[@]}"; do
    if python3 "$ROOT/bench/table.py" --healthy "$RESULTS" "$server" "$n"; then
      still+=("$server")
    else
      log "$server: fewer than 95% healthy at N=$n, stopping its sweep"
    fi
  done
  active=("${still[@]}")
done
print_table

#!/usr/bin/env bash
# Builds the Docker image and drives a container of it end to end: publish over RTMP, play FLV and
# HLS, /healthz, the image's health check, a graceful `docker stop` (exit 0) and the recording in the
# mounted data directory. Then docker/compose.yaml: two nodes on Redis and the nginx HLS cache,
# publish on one node, play from the other and through the cache, a second publisher refused.
# Run as root; needs docker.io, docker compose (or Debian's docker-compose), debootstrap (when
# there is no debian:12 image yet), ffmpeg and curl. Not part of ctest or CI: building the image
# takes too long there.
# Usage: docker/test.sh   (IMAGE=name:tag to choose the image's name; SKIP_BUILD=1 tests the
# image of that name as it is)
set -euo pipefail
cd "$(dirname "$0")/.."

image=${IMAGE:-liveorigin:test}
name=liveorigin-test-$$
passed=0
failed=0
work=$(mktemp -d /tmp/liveorigin-docker-test.XXXXXX)
publisher=

cleanup() {
  [ -n "$publisher" ] && kill "$publisher" 2>/dev/null || true
  docker rm -f "$name" >/dev/null 2>&1 || true
  [ -n "${PROJECT:-}" ] && compose_down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

# step NAME SECONDS FUNCTION: runs FUNCTION under a deadline, prints PASS or FAIL (and its output).
step() {
  local title=$1 secs=$2 fn=$3 log="$work/step.log" start=$SECONDS
  if timeout "$secs" bash -euo pipefail -c "$fn" >"$log" 2>&1; then
    echo "PASS $title ($((SECONDS - start)) s)"
    passed=$((passed + 1))
  else
    echo "FAIL $title ($((SECONDS - start)) s, limit $secs s)"
    tail -n 25 "$log" | sed 's/^/    /'
    failed=$((failed + 1))
    return 1
  fi
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for tool in docker ffmpeg ffprobe curl python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool"; exit 1; }
done

# dockerd without systemd (containers, sandboxes) is started by hand. At nice 10, so that image
# builds, which run under it, leave CPU to the rest of the machine.
docker_daemon() {
  docker info >/dev/null 2>&1 && return 0
  nice -n 10 dockerd >/var/log/liveorigin-test-dockerd.log 2>&1 &
  until docker info >/dev/null 2>&1; do sleep 1; done
}

base_image() { docker/base-image.sh; }

build_image() {
  # The classic builder when the buildx plugin is missing (docker.io from Debian has none).
  docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
  # Host network: the build's apt-get and npm ci reach their mirrors as this host does.
  # CAs this host added (update-ca-certificates' local dir), e.g. a TLS-inspecting proxy's, so the
  # build's npm ci trusts what this host trusts.
  local extra_ca=
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    extra_ca=$(cat /usr/local/share/ca-certificates/*.crt)
  fi
  docker build --network host --build-arg EXTRA_CA_CERTS="$extra_ca" -f docker/Dockerfile -t "$image" .
}

start_container() {
  local uid
  uid=$(docker run --rm --entrypoint id "$image" -u liveorigin)
  # The config mount is read by the container's user; the data mount must be writable by it.
  install -d -m 755 "$work/etc"
  install -d -m 750 -o "$uid" "$work/data"
  cat >"$work/etc/liveorigin.yaml" <<EOF
server:
  rtmp: { listen: "127.0.0.1:$RTMP_PORT" }
  http: { listen: "127.0.0.1:$HTTP_PORT" }
  api:  { listen: "127.0.0.1:$API_PORT", token: "change-me" }
  data_dir: /var/lib/liveorigin
apps:
  live:
    record: { enabled: true, format: mp4, interval: 0 }
EOF
  chmod 644 "$work/etc/liveorigin.yaml"
  # Host network: free ports on this host; the image's health check is told the API's port.
  docker run -d --name "$NAME" --network host \
    --health-interval 1s --health-start-period 5s \
    -e LIVEORIGIN_HEALTH_URL="http://127.0.0.1:$API_PORT/healthz" \
    -v "$work/etc:/etc/liveorigin:ro" -v "$work/data:/var/lib/liveorigin" "$image"
  until curl -fsS -o /dev/null "http://127.0.0.1:$API_PORT/healthz"; do
    [ "$(docker inspect -f '{{.State.Running}}' "$NAME")" = true ] || { docker logs "$NAME"; exit 1; }
    sleep 0.5
  done
}

make_media() {
  ffmpeg -nostdin -hide_banner -loglevel error -y \
    -f lavfi -i testsrc2=size=640x360:rate=25 -f lavfi -i sine=frequency=440:sample_rate=44100 \
    -t 10 -c:v libx264 -preset veryfast -g 50 -pix_fmt yuv420p -c:a aac -b:a 96k -f flv "$work/media.flv"
}

wait_live() {
  # The stream is live once its FLV URL answers 200.
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$HTTP_PORT/live/test.flv")" = 200 ]; do
    sleep 0.3
  done
}

probe() {
  local url=$1 out
  out=$(ffprobe -v error -rw_timeout 10000000 -show_entries stream=codec_name -of csv=p=0 "$url")
  echo "$out"
  grep -qx h264 <<<"$out" && grep -qx aac <<<"$out"
}
play_flv() { probe "http://127.0.0.1:$HTTP_PORT/live/test.flv"; }
play_hls() {
  local url="http://127.0.0.1:$HTTP_PORT/live/test.m3u8"
  until curl -fsS --max-time 2 "$url" | grep -q '#EXTINF'; do sleep 0.5; done
  probe "$url"
}

healthz() { curl -fsS --max-time 5 "http://127.0.0.1:$API_PORT/healthz"; echo; }

container_healthy() {
  local status
  while status=$(docker inspect -f '{{.State.Health.Status}}' "$NAME"); [ "$status" != healthy ]; do
    echo "health: $status"
    sleep 1
  done
  echo "health: $status"
}

stop_container() {
  docker stop -t 20 "$NAME" >/dev/null
  local code
  code=$(docker inspect -f '{{.State.ExitCode}}' "$NAME")
  echo "exit code $code"
  docker logs --tail 5 "$NAME" 2>&1
  [ "$code" = 0 ]
}

recording_landed() {
  local uid files
  uid=$(stat -c %u "$work/data")
  files=$(find "$work/data" -name '*.mp4' -size +10k)
  [ -n "$files" ] || { echo "no .mp4 under the data dir:"; find "$work/data"; exit 1; }
  for f in $files; do
    echo "$f: $(stat -c '%s bytes, uid %u' "$f")"
    [ "$(stat -c %u "$f")" = "$uid" ]
    ffprobe -v error -show_entries format=duration -of csv=p=0 "$f"
  done
}

# --- docker/compose.yaml: two nodes on Redis, nginx caching HLS in front of them ---

compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi
}

# redis:7 and nginx:stable, or stand-ins built from Debian's packages where no registry has them.
standin_images() {
  if ! docker image inspect redis:7 >/dev/null 2>&1 && ! docker pull redis:7 >/dev/null 2>&1; then
    docker build --network host -t redis:7 - <<'DOCKERFILE'
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*
CMD ["redis-server", "--protected-mode", "no"]
DOCKERFILE
  fi
  if ! docker image inspect nginx:stable >/dev/null 2>&1 && ! docker pull nginx:stable >/dev/null 2>&1; then
    docker build --network host -t nginx:stable - <<'DOCKERFILE'
FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends nginx && rm -rf /var/lib/apt/lists/* \
 && rm -f /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
CMD ["nginx", "-g", "daemon off;"]
DOCKERFILE
  fi
}

compose_up() {
  compose -p "$PROJECT" -f docker/compose.yaml up -d --no-build
  local node
  for node in node1 node2; do
    local id
    id=$(compose -p "$PROJECT" -f docker/compose.yaml ps -q "$node")
    until [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ]; do
      [ "$(docker inspect -f '{{.State.Running}}' "$id")" = true ] || { docker logs "$id"; exit 1; }
      sleep 1
    done
    echo "$node healthy"
  done
  until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$CACHE_PORT/"; do sleep 0.5; done
}

compose_live() {
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$NODE1_HTTP/live/cluster.flv")" = 200 ]; do
    sleep 0.3
  done
}

# node2 does not own the stream: it pulls it from node1.
compose_flv_from_other_node() { probe "http://127.0.0.1:$NODE2_HTTP/live/cluster.flv"; }

compose_hls_through_cache() {
  local url="http://127.0.0.1:$CACHE_PORT/live/cluster.m3u8" segment
  until curl -fsS --max-time 2 "$url" | grep -q '#EXTINF'; do sleep 0.5; done
  probe "$url"
  segment=$(curl -fsS --max-time 2 "$url" | grep -v '^#' | head -n 1)
  segment=${segment%%\?*}
  curl -fsS -o /dev/null -D - --max-time 5 "http://127.0.0.1:$CACHE_PORT/live/$segment" | grep -i '^x-cache-status'
  curl -fsS -o /dev/null -D - --max-time 5 "http://127.0.0.1:$CACHE_PORT/live/$segment" | grep -i '^x-cache-status: HIT'
}

# One publisher per stream across the nodes: node2 refuses a second one.
compose_second_publisher_refused() {
  if ffmpeg -nostdin -hide_banner -loglevel error -re -i "$work/media.flv" -t 3 -c copy -f flv \
      "rtmp://127.0.0.1:$NODE2_RTMP/live/cluster"; then
    echo "node2 accepted a second publisher of live/cluster"
    exit 1
  fi
  echo "refused, as it must be"
}

compose_down() { compose -p "$PROJECT" -f docker/compose.yaml down -v --remove-orphans; }

export RTMP_PORT HTTP_PORT API_PORT NAME=$name image work
RTMP_PORT=$(free_port)
HTTP_PORT=$(free_port)
API_PORT=$(free_port)
export -f docker_daemon base_image build_image start_container make_media wait_live probe play_flv \
  play_hls healthz container_healthy stop_container recording_landed

step "docker daemon" 60 docker_daemon || summary
step "debian:12 base image" 1200 base_image || summary
if [ "${SKIP_BUILD:-0}" = 1 ]; then
  echo "SKIP image build (SKIP_BUILD=1: testing $image as it is)"
else
  step "image build" 3600 build_image || summary
fi
step "container starts (RTMP $RTMP_PORT, HTTP $HTTP_PORT, API $API_PORT)" 60 start_container || summary
step "test media (10 s H.264/AAC)" 120 make_media || summary

ffmpeg -nostdin -hide_banner -loglevel error -re -i "$work/media.flv" -c copy -f flv \
  "rtmp://127.0.0.1:$RTMP_PORT/live/test" >"$work/publisher.log" 2>&1 &
publisher=$!
step "publish RTMP, stream live" 15 wait_live || true
step "play HTTP-FLV (ffprobe)" 30 play_flv || true
step "play HLS (ffprobe)" 30 play_hls || true
step "/healthz" 10 healthz || true
step "container reports healthy" 30 container_healthy || true
# The recording of a publish is finalised when it ends: let the publisher finish the file.
if timeout 30 tail --pid="$publisher" -f /dev/null; then publisher=; fi
step "docker stop, exit code 0" 40 stop_container || true
step "recording in the mounted data dir, owned by the container user" 30 recording_landed || true

export PROJECT=liveorigin-test-$$ LIVEORIGIN_IMAGE=$image
export NODE1_RTMP NODE1_HTTP NODE2_RTMP NODE2_HTTP CACHE_PORT HLS_CACHE_HTTP
NODE1_RTMP=$(free_port) NODE1_HTTP=$(free_port) NODE2_RTMP=$(free_port) NODE2_HTTP=$(free_port)
CACHE_PORT=$(free_port) HLS_CACHE_HTTP=$CACHE_PORT
export -f compose standin_images compose_up compose_live compose_flv_from_other_node \
  compose_hls_through_cache compose_second_publisher_refused compose_down
compose_ok=true
step "compose: redis and nginx images" 900 standin_images || compose_ok=false
if $compose_ok && step "compose: two nodes, Redis, nginx up and healthy" 120 compose_up; then
  ffmpeg -nostdin -hide_banner -loglevel error -re -stream_loop -1 -i "$work/media.flv" -c copy -f flv \
    "rtmp://127.0.0.1:$NODE1_RTMP/live/cluster" >"$work/cluster-publisher.log" 2>&1 &
  publisher=$!
  step "compose: publish on node1, stream live" 15 compose_live || true
  step "compose: play HTTP-FLV from node2 (ffprobe)" 30 compose_flv_from_other_node || true
  step "compose: play HLS through the nginx cache (ffprobe), a segment cached" 40 compose_hls_through_cache || true
  step "compose: a second publisher on node2 is refused" 30 compose_second_publisher_refused || true
  kill "$publisher" 2>/dev/null || true
  publisher=
fi
step "compose: down" 120 compose_down || true
summary

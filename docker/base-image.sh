#!/usr/bin/env bash
# Builds the debian:12 and debian:12-slim base images with debootstrap, for hosts that cannot pull
# from an image registry. Does nothing when both images are already present. Run as root.
# The mirror is the one apt on this host uses (override: DEBIAN_MIRROR=URL).
set -euo pipefail

have() { docker image inspect "$1" >/dev/null 2>&1; }
if have debian:12 && have debian:12-slim; then
  echo "debian:12 and debian:12-slim are present"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }

# The first URI apt uses for bookworm (one-line sources.list or deb822 .sources), printed for SUITE.
apt_uri() {
  local suite=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # "deb [options] URI SUITE COMPONENTS...": drop the options, then match the suite.
    sed -E 's/\[[^]]*\]//' "$f" | awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # Paragraph mode: one stanza per record; skip disabled ones.
    awk -v s="$suite" 'BEGIN { RS = "" }
      /(^|\n)Enabled: *no/ { next }
      { uri = ""; ok = 0
        n = split($0, lines, "\n")
        for (i = 1; i <= n; i++) {
          if (lines[i] ~ /^URIs:/) { split(lines[i], u, " "); uri = u[2] }
          if (lines[i] ~ /^Suites:/) { m = split(lines[i], w, " "); for (j = 2; j <= m; j++) if (w[j] == s) ok = 1 }
        }
        if (ok && uri != "") { print uri; exit } }' "$f"
  done
}
mirror=${DEBIAN_MIRROR:-$(apt_uri bookworm | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
security=$(apt_uri bookworm-security | head -n1)

rootfs=$(mktemp -d /tmp/debian12-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

echo "debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || { tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"

# Same suites as the host (updates, and security when the host has it), so images get fixes.
{
  printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\n' "$mirror"
  printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
  if [ -n "$security" ]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$security"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
  fi
} >"$rootfs/etc/apt/sources.list.d/debian.sources"
rm -f "$rootfs/etc/apt/sources.list"
# Package scripts must not try to start services inside an image build.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 755 "$rootfs/usr/sbin/policy-rc.d"
# Images run apt-get update before installing: the bootstrap's package lists and .debs are dead weight.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb

import() { tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' - "$1" >/dev/null; echo "imported $1"; }
have debian:12 || import debian:12

# Slim, as Debian's own -slim images: no docs, man pages or translations, now or in later installs.
if ! have debian:12-slim; then
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{info,locale,man,groff,lintian}/*
  import debian:12-slim
fi
docker image ls debian

#!/usr/bin/env bash
# Stand-in base images, made from Debian packages with no container registry, for building the job
# images where Docker Hub and nvcr.io cannot be reached (this CI kind):
#   robo-submit/base-python:3.11   Debian bookworm's Python 3.11 with a venv at /opt/venv on PATH, so
#                                  `python` and a pip that may install anywhere (what python:3.11-slim gives)
#   robo-submit/base-python:3.12   the same rootfs plus a self-contained Python 3.12 (pyenv's), copied at
#                                  the same absolute path (its RUNPATH is absolute), /opt/venv made from it;
#                                  Debian has no 3.12 and Isaac Lab 3.0 needs >=3.12,<3.13
# The Dockerfiles take one with `--build-arg BASE=robo-submit/base-python:3.11` (docs/images.md).
#
#   scripts/make-base-images.sh [3.11|3.12|all]     prints the references it made or found, one a line
#
# Idempotent: each image carries a label with the hash of its recipe (this script, the host's CA store,
# the copied Python's version); an image with the same hash is kept, so its ID, and every layer cached on
# top of it, stays. The Debian archive itself is not hashed: a rebuild takes today's packages.
# TLS: the host's trust store (the bundle its Python's ssl module loads) is copied in certificate by
# certificate, so a network that intercepts TLS with its own CA works inside the build too.
# Needs root (debootstrap, chroot), debootstrap and a Docker engine (scripts/setup-docker.sh).
# Cold: about 2-3 minutes for both, ~400 MB of temporary disk.
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), BASE_PYTHON312 (a self-contained
# Python 3.12; default as scripts/setup-isaaclab-env.sh finds it: ISAACLAB_PYTHON, pyenv's 3.12.1, python3.12).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
which="${1:-all}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
name="robo-submit/base-python"
label="org.robo-submit.recipe"

# shellcheck source=lib/find-python.sh
source "$repo/scripts/lib/find-python.sh"
# shellcheck source=lib/install.sh
source "$repo/scripts/lib/install.sh"

fail() {
  echo "make-base-images: $*" >&2
  exit 1
}

case "$which" in
  3.11) wanted=(3.11) ;;
  3.12) wanted=(3.12) ;;
  all) wanted=(3.11 3.12) ;;
  *) fail "unknown image '$which'; accepted: 3.11, 3.12, all" ;;
esac

host_bundle="$(python3 -c 'import os, ssl; p = ssl.get_default_verify_paths(); print(os.environ.get("SSL_CERT_FILE") or p.cafile or p.openssl_cafile)')"
[[ -r "$host_bundle" ]] || fail "the host's CA bundle ($host_bundle) cannot be read"

py312=""
if [[ " ${wanted[*]} " == *" 3.12 "* ]]; then
  py312="${BASE_PYTHON312:-${ISAACLAB_PYTHON:-$(find_python "make-base-images: Python 3.12 not found; install it (pyenv install 3.12.1) or set BASE_PYTHON312" \
    'sys.version_info[:2] == (3, 12)' "$(pyenv root 2>/dev/null)/versions/3.12.1/bin/python" python3.12)}}"
  py312_prefix="$("$py312" -c 'import sys; print(sys.base_prefix)')"
  py312_version="$("$py312" -c 'import sys; print(sys.version.split()[0])')"
  # A system Python (prefix /usr) is not a tree that can be copied on its own.
  case "$py312_prefix" in
    /usr | /usr/local | /) fail "$py312 lives in $py312_prefix, not in a self-contained tree; set BASE_PYTHON312 to one (e.g. pyenv's)" ;;
  esac
fi

recipe() { # recipe VERSION: the hash of what makes that image
  {
    cat "${BASH_SOURCE[0]}"
    sha256sum <"$host_bundle"
    echo "$mirror $1"
    [[ "$1" == 3.12 ]] && echo "$py312_prefix $py312_version"
    true
  } | sha256sum | cut -c1-16
}

todo=()
for v in "${wanted[@]}"; do
  have="$(docker image inspect --format "{{ index .Config.Labels \"$label\" }}" "$name:$v" 2>/dev/null || true)"
  if [[ "$have" == "$(recipe "$v")" ]]; then
    echo "make-base-images: $name:$v is up to date" >&2
  else
    todo+=("$v")
  fi
done
if [[ ${#todo[@]} -eq 0 ]]; then
  printf '%s\n' "${wanted[@]/#/$name:}"
  exit 0
fi

[[ "$(id -u)" == 0 ]] || fail "making a base image needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null 2>&1 || fail "debootstrap missing (scripts/setup-docker.sh installs it)"
docker info >/dev/null 2>&1 || fail "the Docker engine does not answer (run scripts/setup-docker.sh)"
tmp="${TMPDIR:-/tmp}"
check_free make-base-images "$tmp" 2 "the base rootfs"

root="$(mktemp -d "$tmp/robo-base.XXXXXX")"
mounted=()
cleanup() {
  local m
  for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

start=$SECONDS
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$tmp/robo-base-debootstrap.log" 2>&1 \
  || fail "debootstrap failed (last line: $(tail -n 1 "$tmp/robo-base-debootstrap.log"))"
rm -f "$tmp/robo-base-debootstrap.log"
security="${mirror%/debian}/debian-security"
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount --bind /dev "$root/dev" && mounted+=("$root/dev")
cp /etc/resolv.conf "$root/etc/resolv.conf"
apt_log="$tmp/robo-base-apt.log"
{ in_root apt-get update -qq \
  && in_root apt-get install -y -qq --no-install-recommends python3 python3-venv python3-pip ca-certificates \
  && in_root apt-get clean; } >"$apt_log" 2>&1 || fail "apt-get in the rootfs failed (last line: $(tail -n 1 "$apt_log"))"
rm -f "$apt_log"

# The host's trust store, each certificate the Debian store lacks as its own file.
python3 - "$host_bundle" "$root/etc/ssl/certs/ca-certificates.crt" "$root/usr/local/share/ca-certificates/robo-host" <<'EOF'
import re
import sys
from pathlib import Path

pem = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
have = set(pem.findall(Path(sys.argv[2]).read_text()))
out = Path(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
extra = [c for c in dict.fromkeys(pem.findall(Path(sys.argv[1]).read_text())) if c not in have]
for i, cert in enumerate(extra):
    (out / f"host-{i:03d}.crt").write_text(cert + "\n")
print(f"make-base-images: {len(extra)} CA certificate(s) of the host added", file=sys.stderr)
EOF
in_root update-ca-certificates >/dev/null 2>&1

for m in "${mounted[@]}"; do umount -l "$m"; done
mounted=()
: >"$root/etc/resolv.conf"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
echo "make-base-images: Debian rootfs ready in $((SECONDS - start)) s" >&2

import_as() { # import_as VERSION: the rootfs (with a venv at /opt/venv) as $name:VERSION
  local v="$1" hash old
  hash="$(recipe "$v")"
  old="$(docker image inspect --format '{{ .Id }}' "$name:$v" 2>/dev/null || true)"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change "LABEL $label=$hash" \
    --change 'CMD ["python"]' \
    - "$name:$v" >/dev/null
  echo "make-base-images: made $name:$v (recipe $hash)" >&2
  # The image it replaces, unless something still uses it (a container, an image built on it).
  [[ -z "$old" ]] || docker image rm "$old" >/dev/null 2>&1 || true
}

if [[ " ${todo[*]} " == *" 3.11 "* ]]; then
  in_root python3 -m venv /opt/venv
  in_root /opt/venv/bin/python -c 'import ssl, sqlite3, venv' || fail "the Python 3.11 venv does not start"
  import_as 3.11
fi
if [[ " ${todo[*]} " == *" 3.12 "* ]]; then
  rm -rf "$root/opt/venv"
  mkdir -p "$root$py312_prefix"
  # Without its test suite, tkinter/IDLE and anything pip put into it: an interpreter, not an environment.
  tar -C "$py312_prefix" -c --exclude='./lib/python3.12/test' --exclude='./lib/python3.12/idlelib' \
    --exclude='./lib/python3.12/tkinter' --exclude='./lib/python3.12/site-packages/*' --exclude='__pycache__' . \
    | tar -C "$root$py312_prefix" -x
  in_root "$py312_prefix/bin/python3.12" -m venv /opt/venv
  in_root /opt/venv/bin/python -c 'import ssl, sqlite3, ctypes, lzma, bz2; assert __import__("sys").version_info[:2] == (3, 12)' \
    || fail "the copied Python 3.12 does not start in the Debian rootfs"
  import_as 3.12
fi
printf '%s\n' "${wanted[@]/#/$name:}"

#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine, for the image test tier and `submit image build`.
#   1. docker.io and debootstrap are installed with apt-get when missing (root, Debian/Ubuntu);
#   2. dockerd is started in the background when `docker info` does not answer, and waited for.
# A missing or dead engine is a failure (one line on stderr, exit 1), never a skip.
#
# Machines of the CI kind have no network bridge and no iptables: the daemon runs with
# --iptables=false --bridge=none, and every build and run uses --network host (docs/images.md).
# A daemon already running (another checkout's, a system service) is used as it is, never restarted.
#
# Environment: DOCKERD_LOG (default /var/log/robo-submit-dockerd.log), DOCKER_WAIT_S (default 60).
set -euo pipefail

log="${DOCKERD_LOG:-/var/log/robo-submit-dockerd.log}"
wait_s="${DOCKER_WAIT_S:-60}"

fail() {
  echo "setup-docker: $*" >&2
  exit 1
}

answers() { docker info >/dev/null 2>&1; }

missing=()
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v dockerd >/dev/null 2>&1 || [[ " ${missing[*]} " == *" docker.io "* ]] || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ "$(id -u)" == 0 ]] || fail "${missing[*]} missing and installing needs root (apt-get install -y ${missing[*]})"
  command -v apt-get >/dev/null 2>&1 || fail "${missing[*]} missing and there is no apt-get here; install them"
  start=$SECONDS
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"; } >/tmp/setup-docker-apt.log 2>&1; then
    fail "apt-get install ${missing[*]} failed (last line: $(tail -n 1 /tmp/setup-docker-apt.log))"
  fi
  echo "setup-docker: installed ${missing[*]} in $((SECONDS - start)) s" >&2
fi

if answers; then
  echo "setup-docker: the Docker engine answers" >&2
  exit 0
fi

[[ "$(id -u)" == 0 ]] || fail "the Docker engine does not answer (docker info) and starting dockerd needs root"
if ! pgrep -x dockerd >/dev/null 2>&1; then
  mkdir -p "$(dirname "$log")"
  # setsid: the daemon outlives this script and the test run that called it, and gets no Ctrl-C of theirs.
  setsid dockerd --iptables=false --bridge=none --storage-driver=overlay2 >>"$log" 2>&1 </dev/null &
  echo "setup-docker: started dockerd (pid $!, log $log)" >&2
fi
for ((i = 0; i < wait_s; i++)); do
  answers && { echo "setup-docker: the Docker engine answers" >&2; exit 0; }
  sleep 1
done
fail "dockerd did not answer within ${wait_s} s (last log line: $(tail -n 1 "$log" 2>/dev/null))"

#!/usr/bin/env bash
# The whole test suite on a fresh machine: creates or updates every virtual environment, then runs
# the three tiers. .ci/run calls exactly this script.
#   tier 1  .venv            Python 3.11: ruff check, then CLI, renderers, trainer (skrl on gymnasium), real MLflow server
#   tier 2  .venv-lerobot    Python 3.12: LeRobot 0.6.1 with torch 2.11.0/torchvision 0.26.0, accelerate (docs/lerobot.md)
#   tier 3  .venv-isaaclab   Python 3.12: Isaac Lab 3.0 kit-less on CPU (Isaac-Cartpole-Direct)
#   tier 4  images (.venv)   Docker: builds the LeRobot and kit-less Isaac Lab 3 job images from their
#                            Dockerfiles (stand-in bases), runs rendered Azure ML and OSMO specs in them
#                            with `submit local run` (tests/images; docs/images.md)
# Extra arguments go to every pytest run (e.g. -x, -k name). A tier that runs no test fails.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Warp compiles kernels on first use; keep its cache inside the workspace (ignored by git).
export WARP_CACHE_PATH="$repo/.cache/warp"
export MPLBACKEND=Agg
failed=()

run_tier() {
  local name="$1" python="$2"
  shift 2
  echo "=== tier: $name" >&2
  local start=$SECONDS
  "$python" -m pytest "$@"
  local rc=$?
  # pytest exits 5 when it collected no test: a tier that runs nothing is a failure, never a pass.
  if [[ $rc -ne 0 ]]; then
    [[ $rc -eq 5 ]] && echo "tier $name ran no test" >&2
    failed+=("$name")
  fi
  echo "=== tier: $name finished in $((SECONDS - start)) s (exit $rc)" >&2
}

# The image tier's disk, checked once the engine answers (so images a warm machine keeps are seen) and
# before anything is built. The tier builds one job image at a time: a job image is about 7 GB and needs as
# much again while BuildKit exports its layers, and when the disk is short the tier removes the other job
# image and the build cache before the next build (tests/images/conftest.py, make_room). The Kit layer's check
# runs first, in a container of about 3 GiB that is removed after it. So the need is one build's peak when a job
# image is missing, the Kit container's when both are built. One line and exit 1 when short.
image_disk() (
  source "$repo/scripts/lib/install.sh"
  local need=7 name root
  for name in robo-submit-ci/lerobot:built robo-submit-ci/isaaclab3:built; do
    docker image inspect "$name" >/dev/null 2>&1 || need=19
  done
  root="$(docker info --format '{{.DockerRootDir}}' 2>/dev/null)"
  check_free "image tier" "$(nearest_existing "${root:-/var/lib/docker}")" "$need" "the job images"
)

setup() {
  if ! "$@"; then
    echo "setup failed: $*" >&2
    failed+=("setup:$(basename "$1")")
    return 1
  fi
}

lint() {
  echo "=== lint: ruff check" >&2
  .venv/bin/ruff check . || failed+=("lint")
}

# One line for the log: what the suite will take of the disk it starts with (each step checks its own
# need before it starts, and says so in one line when short). Measured on 2026-12-04: .venv 2.3 GiB,
# .venv-lerobot 5.8, .venv-isaaclab 6.3 (each about 2 GiB more while pip unpacks), the two job images
# about 14 GiB when they are not built yet. A clone's environments stay after the run: remove the
# clone (or set LEROBOT_VENV / ISAACLAB_VENV to shared folders) to give the disk back.
echo "test.sh: $(df -Pk "$repo" | awk 'NR == 2 { printf "%.1f", $4 / 1048576 }') GiB free under $repo; a first run needs about 34 GiB of it at its peak and keeps about 29" >&2

setup ./scripts/setup-venv.sh azure,train,dev \
  && lint \
  && run_tier main .venv/bin/python tests --ignore=tests/lerobot --ignore=tests/isaaclab --ignore=tests/images "$@"
setup ./scripts/setup-lerobot-env.sh \
  && run_tier lerobot .venv-lerobot/bin/python tests/lerobot -m lerobot "$@"
setup ./scripts/setup-isaaclab-env.sh \
  && run_tier isaaclab .venv-isaaclab/bin/python tests/isaaclab -m isaaclab "$@"
setup ./scripts/setup-docker.sh \
  && setup image_disk \
  && run_tier images .venv/bin/python tests/images -m images "$@"

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all tiers passed" >&2

#!/usr/bin/env bash
# Create .venv-lerobot: LeRobot 0.6.1 on Python 3.12, torch 2.11.0 / torchvision 0.26.0, MLflow 3.15.0 and
# this repo's trainer, for the LeRobot test tier and `submit local lerobot-training`.
#
# Why a separate environment (docs/lerobot.md): lerobot 0.6.1 needs Python >= 3.12 and torch<2.12,
# torchvision<0.27, while the main .venv is Python 3.11 with the CPU torch 2.13.0 from disk, next to
# which no torchvision loads.
#
# How: workflows/images/requirements-lerobot.txt is a full lock (every package, exact version), installed
# with --no-deps so pip never re-resolves lerobot's torch caps. The job image installs the same file.
#
# Idempotent: a stamp holds the interpreter version plus a hash of the lock and test pins; a second run
# with the same inputs checks a few installed versions and exits within seconds. pip's HTTP cache stays
# empty on this network (docs/isaaclab.md), so a new venv downloads everything again (100 s here).
#
# Environment: LEROBOT_VENV (default <repo>/.venv-lerobot), LEROBOT_PYTHON (a Python 3.12 interpreter).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${LEROBOT_VENV:-$repo/.venv-lerobot}"
lock="$repo/workflows/images/requirements-lerobot.txt"
stamp="$venv/.robo-submit-stamp"
# Test tools only: the image does not need them.
test_pins=("pytest==8.4.2" "iniconfig==2.3.1" "pluggy==1.7.0")

# shellcheck source=lib/find-python.sh
source "$repo/scripts/lib/find-python.sh"
# shellcheck source=lib/install.sh
source "$repo/scripts/lib/install.sh"

wanted_stamp() {
  "$python" -c 'import sys; print(sys.version.split()[0])'
  printf '%s\n' "${test_pins[@]}"
  sha256sum "$lock" | cut -d' ' -f1
}

# The stamp alone could outlive a half-deleted venv, so key versions are read back too.
already_installed() {
  [[ -x "$venv/bin/python" && -f "$stamp" ]] || return 1
  [[ "$(cat "$stamp")" == "$(wanted_stamp)" ]] || return 1
  "$venv/bin/python" -I - "$repo" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
from pathlib import Path

want = {"lerobot": "0.6.1", "torch": "2.11.0", "torchvision": "0.26.0", "accelerate": "1.16.0", "mlflow": "3.15.0", "pytest": "8.4.2"}
if any(version(name).split("+")[0] != v for name, v in want.items()):
    sys.exit(1)
import training  # the repo, installed editable

sys.exit(0 if Path(training.__file__).resolve().parent == Path(sys.argv[1]) / "training" else 1)
EOF
}

python="${LEROBOT_PYTHON:-$(find_python "setup-lerobot-env: Python 3.12 not found; install it (pyenv install 3.12.1) or set LEROBOT_PYTHON" \
  'sys.version_info[:2] == (3, 12)' "$(pyenv root 2>/dev/null)/versions/3.12.1/bin/python" python3.12 python3)}"
if already_installed; then
  echo "setup-lerobot-env: $venv is up to date"
  exit 0
fi

start=$SECONDS
# Measured here: the venv ends at 5.8 GiB (torch 2.11.0 is a CUDA build); while pip unpacks, at most
# 1.8 GiB more is in use (7.6 GiB in all above the free space it started from).
need_space setup-lerobot-env "$venv" 7 2
# A venv of another Python (the 3.11 one of LeRobot 0.4) is made anew: its packages would not import.
if [[ -x "$venv/bin/python" ]] && ! "$venv/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)'; then
  echo "setup-lerobot-env: $venv is not Python 3.12; recreating it"
  rm -rf "$venv"
fi
[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install -q "$pip_pin"
# --no-deps: the lock is complete; resolving would fight lerobot's torch caps (see the lock's header).
# No progress bars: they bury a failure in a CI log.
"${pip[@]}" install --progress-bar off --no-deps -r "$lock" "${test_pins[@]}"
# The repo itself, editable and without its dependencies: click, pydantic and PyYAML are in the lock.
"${pip[@]}" install --no-deps -e "$repo"
wanted_stamp >"$stamp"
echo "setup-lerobot-env: installed into $venv in $((SECONDS - start)) s"

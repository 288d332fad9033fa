#!/usr/bin/env bash
# Create .venv-isaaclab: Isaac Lab 3.0 kit-less (Newton + MuJoCo-Warp on CPU), skrl 2.1.1, MLflow and this
# repo's trainer, for the Isaac Lab test tier and `submit local training --task Isaac-...`.
#
# Why a separate environment: isaaclab 3.0.0 needs Python 3.12 and pins torch==2.11.0 exactly, while the
# main .venv is Python 3.11 with the CPU torch 2.13.0 from disk.
#
# How: scripts/requirements-isaaclab.txt is a full lock (every package, exact version) installed with
# --no-deps, so pip neither resolves (isaaclab's own requirements pull ~190 packages the classic tasks never
# import) nor drifts. Then the stand-in cartpole assets are generated (scripts/make-isaaclab-assets.py).
#
# Idempotent: a stamp holds the interpreter version and a hash of the lock; a second run with the same
# inputs reads a few installed versions back and exits in well under a second. A venv kept outside the
# clone (ISAACLAB_VENV, e.g. for CI on a fresh clone) is only re-pointed at this checkout.
# Cold install here: 3 to 5 minutes (about 3.5 GB of wheels, torch and the CUDA libraries dominate;
# pip's HTTP cache stays empty on this network, see docs/isaaclab.md).
#
# Environment: ISAACLAB_VENV (default <repo>/.venv-isaaclab), ISAACLAB_PYTHON (a Python 3.12 interpreter).
# The stand-in assets go to <repo>/.cache/isaaclab-assets (git-ignored).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${ISAACLAB_VENV:-$repo/.venv-isaaclab}"
lock="$repo/scripts/requirements-isaaclab.txt"
stamp="$venv/.robo-submit-stamp"
# Never ISAACSIM_ASSET_ROOT itself: that may be a real asset mirror the stand-ins must not overwrite.
assets="$repo/.cache/isaaclab-assets"

# shellcheck source=lib/find-python.sh
source "$repo/scripts/lib/find-python.sh"
# shellcheck source=lib/install.sh
source "$repo/scripts/lib/install.sh"

wanted_stamp() {
  "$python" -c 'import sys; print(sys.version.split()[0])'
  sha256sum "$lock" | cut -d' ' -f1
}

# The stamp alone could outlive a half-deleted venv, so key versions are read back too.
lock_installed() {
  [[ -x "$venv/bin/python" && -f "$stamp" ]] || return 1
  [[ "$(cat "$stamp")" == "$(wanted_stamp)" ]] || return 1
  "$venv/bin/python" - <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version

want = {"isaaclab": "3.0.0", "torch": "2.11.0", "skrl": "2.1.1", "mlflow": "3.15.0", "warp-lang": "1.17.0"}
sys.exit(0 if all(version(name) == v for name, v in want.items()) else 1)
EOF
}

# A venv kept outside the clone (ISAACLAB_VENV) may point at another checkout: re-point it, nothing more.
repo_installed() {
  # -I: without the current folder on sys.path, a checkout there cannot answer for the installed one
  "$venv/bin/python" -I - "$repo" <<'EOF' 2>/dev/null
import importlib.util
import sys
from pathlib import Path

spec = importlib.util.find_spec("training")  # found without importing it
sys.exit(0 if spec and Path(spec.origin).resolve().parent == Path(sys.argv[1]) / "training" else 1)
EOF
}

make_assets() {
  "$venv/bin/python" "$repo/scripts/make-isaaclab-assets.py" --root "$assets" >/dev/null
  echo "setup-isaaclab-env: stand-in assets in $assets (export ISAACSIM_ASSET_ROOT=$assets)"
}

python="${ISAACLAB_PYTHON:-$(find_python "setup-isaaclab-env: Python 3.12 not found; install it (pyenv install 3.12.1) or set ISAACLAB_PYTHON" \
  'sys.version_info[:2] == (3, 12)' "$(pyenv root 2>/dev/null)/versions/3.12.1/bin/python" python3.12)}"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
if lock_installed; then
  if ! repo_installed; then
    # The repo itself, editable and without its dependencies: click, pydantic and PyYAML are in the lock.
    "${pip[@]}" install -q --no-deps -e "$repo"
  fi
  echo "setup-isaaclab-env: $venv is up to date"
  make_assets
  exit 0
fi

start=$SECONDS
# Measured here: the venv ends at 6.3 GiB; while pip unpacks, at most 1.9 GiB more is in use (8.1 GiB in
# all above the free space it started from).
need_space setup-isaaclab-env "$venv" 7 2
[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
"${pip[@]}" install -q "$pip_pin"
# --no-deps: the lock is complete; see its header. No progress bars: they bury a failure in a CI log.
"${pip[@]}" install --progress-bar off --no-deps -r "$lock"
"${pip[@]}" install --no-deps -e "$repo"
wanted_stamp >"$stamp"
echo "setup-isaaclab-env: installed into $venv in $((SECONDS - start)) s"
make_assets

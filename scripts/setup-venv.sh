#!/usr/bin/env bash
# Create or update .venv (Python 3.11) with robo-submit installed editable and the given extras.
#   scripts/setup-venv.sh train            # what the quick start needs
#   scripts/setup-venv.sh azure,train,dev  # everything the main test tier needs
# torch comes first, pinned to the CPU build on this machine's disk (any other torch is a multi-GB CUDA build).
# Idempotent: a stamp keyed on pyproject.toml, this script and the extras skips pip when nothing changed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-train}"
venv="${ROBO_VENV:-$repo/.venv}"
stamp="$venv/.robo-submit-stamp-${extras//,/-}"
torch_pin="torch==2.13.0"

# shellcheck source=lib/find-python.sh
source "$repo/scripts/lib/find-python.sh"
# shellcheck source=lib/install.sh
source "$repo/scripts/lib/install.sh"

wanted_stamp() {
  cat "$repo/pyproject.toml" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1
  echo "$extras"
}

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$(wanted_stamp)" ]] \
  && "$venv/bin/python" -c 'import submit, training' 2>/dev/null; then
  echo "setup-venv: $venv is up to date ($extras)" >&2
  exit 0
fi

start=$SECONDS
# The venv is about 2 GB with every extra (torch 2.13.0 CPU from disk, azure-ai-ml, MLflow).
need_space setup-venv "$venv" 3 1
if [[ ! -x "$venv/bin/python" ]]; then
  python="$(find_python "setup-venv: Python >= 3.11 not found; install it or set ROBO_PYTHON" \
    'sys.version_info[:2] >= (3, 11)' "${ROBO_PYTHON:-}" python3.11 python3)"
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install "$pip_pin"
if [[ ",$extras," == *",train,"* ]]; then
  "${pip[@]}" install "$torch_pin"
fi
"${pip[@]}" install -e "$repo[$extras]"
wanted_stamp >"$stamp"
echo "setup-venv: installed robo-submit[$extras] into $venv in $((SECONDS - start)) s" >&2

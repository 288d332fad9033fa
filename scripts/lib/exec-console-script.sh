#!/usr/bin/env bash
# exec-console-script.sh PROGRAM ARGS...: run a robo-submit console script with the same arguments,
# preferring this checkout's .venv (scripts/setup-venv.sh), then whatever is on PATH.
# The scripts/submit-*.sh shims (old names kept for migrating users) all call this.
set -euo pipefail

program="$1"
shift
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ -x "$repo/.venv/bin/$program" ]]; then
  exec "$repo/.venv/bin/$program" "$@"
fi
if command -v "$program" >/dev/null 2>&1; then
  exec "$program" "$@"
fi
echo "$program.sh: $program not found; run scripts/setup-venv.sh azure,train (or pip install robo-submit)" >&2
exit 127

#!/usr/bin/env bash
# Old name kept for migrating users: runs `submit-osmo-lerobot-training` (= `submit osmo lerobot-training`) with the same arguments.
# Prefers this checkout's .venv (scripts/setup-venv.sh), then whatever is on PATH.
set -euo pipefail

program="submit-osmo-lerobot-training"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -x "$repo/.venv/bin/$program" ]]; then
  exec "$repo/.venv/bin/$program" "$@"
fi
if command -v "$program" >/dev/null 2>&1; then
  exec "$program" "$@"
fi
echo "$(basename "$0"): $program not found; run scripts/setup-venv.sh azure,train (or pip install robo-submit)" >&2
exit 127

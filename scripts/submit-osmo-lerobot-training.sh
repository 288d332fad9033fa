#!/usr/bin/env bash
# Old name kept for migrating users: runs the `submit-osmo-lerobot-training` console script with the same arguments.
exec "$(dirname "${BASH_SOURCE[0]}")/lib/exec-console-script.sh" submit-osmo-lerobot-training "$@"

#!/usr/bin/env bash
# Old name kept for migrating users: runs the `submit-azureml-lerobot-training` console script with the same arguments.
exec "$(dirname "${BASH_SOURCE[0]}")/lib/exec-console-script.sh" submit-azureml-lerobot-training "$@"

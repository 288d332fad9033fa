#!/usr/bin/env bash
# Quick start on a fresh machine: create .venv at the repository root, install robo-submit with the
# trainer, and run the main job: a real local skrl PPO training of CartPole-v1 on the CPU, tracked in
# a local MLflow store (./mlruns.db), registered as a model version when it succeeds.
# Then render the same job for Azure ML and OSMO into outputs/specs/ to show where it would run.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
./scripts/setup-venv.sh train

.venv/bin/submit local training --task CartPole-v1

mkdir -p outputs/specs
.venv/bin/submit azureml training -t Isaac-Cartpole-Direct -n 512 --dry-run -o outputs/specs/azureml-cartpole.yaml
if .venv/bin/submit osmo --help >/dev/null 2>&1; then
  .venv/bin/submit osmo training -t Isaac-Cartpole-Direct -n 512 --dry-run -o outputs/specs/osmo-cartpole.yaml
fi
echo "quick start done: specs in outputs/specs/, runs in mlruns.db (mlflow ui --backend-store-uri sqlite:///$repo/mlruns.db)" >&2

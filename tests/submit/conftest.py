"""CLI fixtures: an in-process runner with stdout and stderr apart, run from the repository root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from submit.cli import cli

REPO = Path(__file__).resolve().parents[2]

# Variables the CLI reads as fallbacks; cleared so the developer's shell cannot change a result.
FALLBACK_VARS = (
    "TASK", "NUM_ENVS", "MAX_ITERATIONS", "CHECKPOINT_URI", "CHECKPOINT_MODE", "REGISTER_CHECKPOINT",
    "AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME", "AZUREML_COMPUTE",
    "AZUREML_KEY_VAULT_URI", "MLFLOW_TRACKING_TOKEN_REFRESH_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT",
    "OSMO_POOL", "IMAGE", "DATASET_REPO_ID", "POLICY_TYPE", "TRAINING_STEPS", "BATCH_SIZE", "LEARNING_RATE",
    "SAVE_FREQ", "EVAL_FREQ", "POLICY_REPO_ID",
    "OSMO_GPU", "OSMO_CPU", "OSMO_MEMORY", "OSMO_STORAGE", "BLOB_STORAGE_ACCOUNT", "BLOB_STORAGE_CONTAINER", "BLOB_PREFIX",
    "SUBMIT_PROFILE", "SUBMIT_TERRAFORM_DIR",
    # Reference-script variables read (or noted) for migrating users; CI systems set some (Jenkins: JOB_NAME).
    "RUN_AZURE_SMOKE_TEST", "TRAINING_BACKEND", "EXPERIMENT_NAME", "WANDB_ENABLE", "WANDB_PROJECT",
    "AZURE_STORAGE_ACCOUNT_NAME", "JOB_NAME", "SLEEP_AFTER_UNPACK",
)


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(monkeypatch, tmp_path_factory):
    """Invoke `submit ARGS...` in-process from the repository root; returns exit code, stdout, stderr."""
    monkeypatch.chdir(REPO)
    for name in FALLBACK_VARS:
        monkeypatch.delenv(name, raising=False)
    # The user's own submit.toml profiles (~/.config/robo-submit) must not change a result.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Run:
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke

"""`runs:/<Azure ML job name>/...` renders on both backends (issue 15, item 3): on Azure ML a job's MLflow run id
is its name (sharp_tail_4ks8v1), so the CLI takes MLflow's own run-id rule, not only OSS MLflow's 32 hex."""

from __future__ import annotations

import pytest
import yaml

URI = "runs:/sharp_tail_4ks8v1/checkpoints/agent_1000.pt"


def _environment(backend: str, spec: dict) -> dict:
    if backend == "azureml":
        return spec["environment_variables"]
    return spec["workflow"]["tasks"][0]["environment"]


@pytest.mark.parametrize("backend", ["azureml", "osmo"])
@pytest.mark.parametrize("command", ["training", "lerobot-training"])
def test_a_resume_from_an_azure_ml_job_renders(run_cli, backend, command):
    extra = ["-d", "a/b"] if command == "lerobot-training" else []
    result = run_cli(backend, command, *extra, "-M", "resume", "-c", URI, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert _environment(backend, yaml.safe_load(result.stdout))["ROBO_CHECKPOINT_URI"] == URI

"""The reference's --azure-subscription-id/--azure-resource-group/--azure-workspace-name on OSMO (issue 15, item 7):
accepted, and carried into the spec for the job to look up the workspace's MLflow tracking URI with its identity
(training/workspace.py; docs/osmo.md says why the job, not the submission). So a dry run and a submission render
the same spec. OSMO is replaced at its executable (fake_osmo), which keeps the file it was given."""

from __future__ import annotations

import pytest
import yaml

from tests.submit import fake_osmo

SUB = "00000000-0000-4000-8000-000000000001"
FLAGS = ["--azure-subscription-id", SUB, "--azure-resource-group", "rg-robots", "--azure-workspace-name", "robots"]
IMAGE = ["-i", "registry.example.com/robo-submit/job:0.1.0"]  # a submission names an image a cluster can pull
ENV = {"AZURE_SUBSCRIPTION_ID": SUB, "AZURE_RESOURCE_GROUP": "rg-robots", "AZUREML_WORKSPACE_NAME": "robots"}
NOTE = (
    "note: the job looks up the MLflow tracking URI of Azure ML workspace robots with its Azure identity "
    "(the pool's workload identity or AZURE_CLIENT_* credentials)\n"
)


def _env(stdout: str) -> dict:
    return yaml.safe_load(stdout)["workflow"]["tasks"][0]["environment"]


@pytest.mark.parametrize("command", [["training"], ["lerobot-training", "-d", "a/b"]])
def test_the_workspace_flags_reach_the_job_and_a_dry_run_renders_what_is_submitted(run_cli, tmp_path, command):
    dry = run_cli("osmo", *command, *FLAGS, *IMAGE, "--dry-run")
    assert dry.exit_code == 0 and NOTE in dry.stderr
    environment = _env(dry.stdout)
    assert {key: environment[key] for key in ENV} == ENV
    assert "MLFLOW_TRACKING_URI" not in environment
    osmo = fake_osmo.install(
        tmp_path, workflow_submit=fake_osmo.submitted(), pool_list=fake_osmo.pools(), credential_list=fake_osmo.credentials()
    )
    submitted = run_cli("osmo", *command, *FLAGS, *IMAGE, env=osmo.path_env)
    assert submitted.exit_code == 0, submitted.stderr
    assert osmo.submitted_spec() == dry.stdout


def test_the_reference_environment_names_the_workspace_too(run_cli):
    result = run_cli("osmo", "training", "--dry-run", env=ENV)
    assert result.exit_code == 0 and NOTE in result.stderr
    assert {key: _env(result.stdout)[key] for key in ENV} == ENV


def test_a_tracking_uri_wins_and_no_mlflow_carries_no_workspace(run_cli):
    given = run_cli("osmo", "training", *FLAGS, "--mlflow-tracking-uri", "https://mlflow.example.com", "--dry-run")
    assert given.stderr.splitlines()[0] == (
        "note: --mlflow-tracking-uri is given, so the Azure ML workspace's tracking URI is not looked up"
    )
    assert "Azure ML workspace robots" not in given.stderr
    assert "AZURE_SUBSCRIPTION_ID" not in _env(given.stdout)
    off = run_cli("osmo", "training", *FLAGS, "--no-mlflow", "--dry-run")
    assert off.exit_code == 0 and "AZURE_SUBSCRIPTION_ID" not in _env(off.stdout)


def test_part_of_the_workspace_on_the_command_line_is_refused_naming_the_missing_flag(run_cli):
    result = run_cli("osmo", "training", *FLAGS[:2], "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "submit: error: --azure-resource-group: the Azure ML workspace for MLflow needs --azure-subscription-id, "
        "--azure-resource-group and --azure-workspace-name together\n"
    )


def test_part_of_the_workspace_in_the_environment_is_a_note(run_cli):
    result = run_cli("osmo", "training", "--dry-run", env={"AZURE_SUBSCRIPTION_ID": SUB})
    assert result.exit_code == 0
    assert result.stderr.splitlines()[0] == (
        "note: AZURE_SUBSCRIPTION_ID set but not AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE_NAME: "
        "no Azure ML workspace is looked up for MLflow"
    )
    assert "AZURE_SUBSCRIPTION_ID" not in _env(result.stdout)


def test_a_malformed_subscription_is_refused_naming_its_flag(run_cli):
    result = run_cli("osmo", "training", "--azure-subscription-id", "nope", *FLAGS[2:], "--dry-run")
    assert result.stderr == "submit: error: --azure-subscription-id: must be a GUID\n"

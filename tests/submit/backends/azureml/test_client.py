"""Azure ML submission and tracking through the real azure-ai-ml client objects.

The network boundary is replaced at ONE seam: `submit.backends.azureml.connection` returns a
credential and an azure-core HTTP transport (tests/submit/fake_azure.py) that answers the ARM and
run-history calls azure-ai-ml makes, from an in-memory workspace. MLClient, job loading,
validation, code hashing, ARM id resolution, serialisation and log streaming are the real SDK.
"""

from __future__ import annotations

import json

import pytest
import yaml

from submit import snapshot
from submit.backends.azureml import client as backend
from tests.submit.fake_azure import (
    STUDIO,
    WORKSPACE_FLAGS,
    FakeAzureML,
    FakeCredential,
    RefusingCredential,
    Workspace,
)
from tests.submit.golden_cases import RUN_ID

JOB = (
    "azureml",
    "training",
    "-t",
    "Isaac-Cartpole-Direct",
    "-n",
    "64",
    "--compute",
    "gpu-a100",
    "--job-name",
    "cartpole-1",
)
BUILT_ENV = "/environments/CliV2AnonymousEnvironment/versions/"  # + the build context's content version


@pytest.fixture
def azure(monkeypatch):
    """The fake workspace behind the one seam; log polling without the SDK's 2 s minimum wait."""
    from azure.ai.ml.operations._run_history_constants import RunHistoryConstants

    fake = FakeAzureML(Workspace())
    monkeypatch.setattr(backend, "connection", lambda: backend.Connection(FakeCredential(), fake))
    # Same effect as AZUREML_RUN_POLLING_INTERVAL_MIN=0 set before azure-ai-ml is imported.
    monkeypatch.setattr(RunHistoryConstants, "_WAIT_COMPLETION_POLLING_INTERVAL_MIN", 0)
    return fake


def _sent_job(azure: FakeAzureML, name: str = "cartpole-1") -> dict:
    puts = azure.calls("PUT", f"/jobs/{name}$")
    assert len(puts) == 1
    return puts[0].body["properties"]


def test_the_job_sent_is_the_job_the_dry_run_printed(run_cli, azure):
    dry = run_cli(*JOB, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    submitted = run_cli(*JOB, *WORKSPACE_FLAGS, "--output-format", "json")
    assert submitted.exit_code == 0, submitted.stderr

    dry_spec = yaml.safe_load(dry.stdout)
    expected = backend.load(dry_spec, run_cli.cwd)._to_job()._to_rest_object().as_dict()["properties"]
    sent = _sent_job(azure)
    resolved = {"codeId", "computeId", "environmentId", "properties"}
    assert {k: v for k, v in sent.items() if k not in resolved} == {
        k: v for k, v in expected.items() if k not in resolved
    }
    # Local names became the workspace's ARM ids; the SDK adds only git provenance properties.
    assert sent["computeId"].endswith("/computes/gpu-a100")
    # No image given: the environment Azure ML built from this checkout's build context, found by its content
    # version and used as it is (nothing uploaded or built again).
    built, _, version = sent["environmentId"].partition(BUILT_ENV)
    assert built and version in azure.workspace.built
    assert "is built already; not building it again" in submitted.stderr
    assert sent["codeId"].endswith("/versions/1")
    assert all(key.startswith(("mlflow.source.git", "azureml.git")) for key in sent["properties"])
    # The code asset is the snapshot the dry run described: same files, same content hash.
    from azure.ai.ml._utils._asset_utils import _get_file_list_content_hash

    root = snapshot.snapshot_root()
    files = [(str(path), path.relative_to(root).as_posix()) for path in snapshot.build_files(root)]
    assert azure.workspace.code_hashes == [_get_file_list_content_hash(files)]

    result = json.loads(submitted.stdout)
    assert result == {
        "backend": "azureml",
        "job_id": "cartpole-1",
        "url": STUDIO.format(name="cartpole-1"),
        "spec": dry_spec,
    }


def test_a_missing_named_environment_without_an_image_is_refused_not_registered_with_a_made_up_image(
    run_cli, azure
):
    result = run_cli(*JOB, *WORKSPACE_FLAGS, "--environment-name", "robo-env")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "submit: error: --environment-name: robo-env:1 is not registered in the workspace and no --image is given; "
        "give -i IMAGE (e.g. what `submit image build` prints), or leave out --environment-name and Azure ML "
        "builds the environment from our build context"
    )
    assert azure.calls("PUT", "/environments/") == [] and azure.calls("PUT", "/jobs/") == []


def test_a_missing_named_environment_with_an_image_is_registered_once_and_skipped_while_unchanged(run_cli, azure):
    named = "/environments/robo-env/versions/1"
    image = ("-i", "ghcr.io/team/trainer:1", "--environment-name", "robo-env")
    first = run_cli(*JOB, *WORKSPACE_FLAGS, *image)
    assert first.exit_code == 0, first.stderr
    assert "registered environment robo-env:1 (image ghcr.io/team/trainer:1)" in first.stderr
    second = run_cli(*JOB[:-1], "cartpole-2", *WORKSPACE_FLAGS, *image)
    assert second.exit_code == 0, second.stderr
    assert "environment robo-env:1 is registered (image ghcr.io/team/trainer:1); not registering it again" in second.stderr
    assert len(azure.calls("PUT", "/environments/")) == 1
    assert _sent_job(azure, "cartpole-2")["environmentId"].endswith(named)


def test_a_changed_image_registers_the_next_version_and_the_job_uses_it(run_cli, azure):
    azure.workspace.environments[("robo-env", "1")] = "ghcr.io/team/trainer:1"
    result = run_cli(*JOB, *WORKSPACE_FLAGS, "--environment-name", "robo-env", "-i", "ghcr.io/team/trainer:2")
    assert result.exit_code == 0, result.stderr
    assert "registered environment robo-env:2 (image ghcr.io/team/trainer:2)" in result.stderr
    assert azure.workspace.environments == {
        ("robo-env", "1"): "ghcr.io/team/trainer:1",
        ("robo-env", "2"): "ghcr.io/team/trainer:2",
    }
    assert _sent_job(azure)["environmentId"].endswith("/environments/robo-env/versions/2")


def test_a_pinned_version_with_another_image_is_refused_before_anything_is_sent(run_cli, azure):
    azure.workspace.environments[("robo-env", "1")] = "ghcr.io/team/trainer:1"
    args = ("--environment-name", "robo-env", "--environment-version", "1", "-i", "ghcr.io/team/trainer:2")
    result = run_cli(*JOB, *WORKSPACE_FLAGS, *args)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "submit: error: --environment-version: robo-env:1 is registered with image ghcr.io/team/trainer:1, "
        "not ghcr.io/team/trainer:2; registered versions never change: give a new --environment-version"
    )
    assert azure.calls("PUT", "/jobs/") == [] and azure.calls("PUT", "/environments/") == []


def test_an_inline_image_already_registered_is_not_registered_again(run_cli, azure):
    for name in ("inline-1", "inline-2"):
        result = run_cli(*JOB[:-1], name, *WORKSPACE_FLAGS, "-i", "ghcr.io/team/trainer:7")
        assert result.exit_code == 0, result.stderr
    puts = azure.calls("PUT", "/environments/CliV2AnonymousEnvironment/versions/")
    assert len(puts) == 1  # the SDK registered it with the first job; the second job reused it
    assert _sent_job(azure, "inline-1")["environmentId"] == _sent_job(azure, "inline-2")["environmentId"]


def test_no_sign_in_is_a_clear_one_line_error_with_exit_1_and_nothing_written(
    run_cli, azure, monkeypatch, tmp_path
):
    monkeypatch.setattr(backend, "connection", lambda: backend.Connection(RefusingCredential(), azure))
    target = tmp_path / "job.yaml"
    result = run_cli(*JOB, *WORKSPACE_FLAGS, "-o", str(target))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "submit: error: Azure sign-in failed "
        "(DefaultAzureCredential failed to retrieve a token from the included credentials.); "
        "sign in with `az login`, set AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET "
        "for a service principal, "
        "or run where a managed identity is available"
    )
    assert not target.exists()
    assert azure.requests == []  # the token is asked for before any request leaves


def test_a_refused_request_names_the_status_and_the_fix(run_cli, azure):
    azure.workspace.refuse_with = 403
    result = run_cli(*JOB, *WORKSPACE_FLAGS)
    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith("submit: error: Azure ML refused the request (403): ")
    assert last.endswith("check your role on workspace robots (resource group rg-robots)")


def test_missing_workspace_coordinates_are_bad_input_naming_every_way_to_give_them(run_cli, azure):
    result = run_cli(*JOB, "--resource-group", "rg", "--workspace-name", "robots")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "submit: error: --subscription-id: needed to reach Azure ML; "
        "give the flag, set AZURE_SUBSCRIPTION_ID, "
        "add it to a submit.toml profile or .azureml/config.json, or pass --terraform-dir"
    )
    assert azure.requests == []


def test_preflight_refuses_a_missing_compute_and_no_preflight_skips_the_checks(run_cli, azure):
    args = (
        "azureml",
        "training",
        "-t",
        "Isaac-Cartpole-Direct",
        "--compute",
        "h100-pool",
        "--job-name",
        "h100-1",
        *WORKSPACE_FLAGS,
    )
    refused = run_cli(*args)
    assert refused.exit_code == 1
    assert (
        refused.stderr.splitlines()[-1]
        == "submit: error: --compute: h100-pool does not exist in the workspace (computes: gpu-a100)"
    )
    assert azure.calls("PUT", "/jobs/") == []

    skipped = run_cli(*args, "--no-preflight")
    assert skipped.exit_code == 0, skipped.stderr
    assert len(azure.calls("GET", "/computes/h100-pool$")) == 1  # asked by the refused run only
    assert "preflight:" not in skipped.stderr
    assert _sent_job(azure, "h100-1")["computeId"].endswith("/computes/h100-pool")


def test_preflight_resolves_checkpoint_uris_against_the_workspace(run_cli, azure):
    missing_run = run_cli(*JOB, *WORKSPACE_FLAGS, "-M", "resume", "-c", f"runs:/{RUN_ID}/checkpoints")
    assert missing_run.exit_code == 1
    assert missing_run.stderr.splitlines()[-1] == (
        f"submit: error: --checkpoint-uri: runs:/{RUN_ID}/checkpoints does not resolve in the workspace "
        "(no such run or model version)"
    )
    azure.workspace.models["cartpole"] = {"3"}
    found = run_cli(*JOB, *WORKSPACE_FLAGS, "-M", "warm-start", "-c", "models:/cartpole/3")
    assert found.exit_code == 0, found.stderr
    assert (
        "preflight: workspace robots, compute gpu-a100, checkpoint models:/cartpole/3, "
        "model name isaac-cartpole-direct ok" in found.stderr
    )


def test_status_and_cancel_print_the_job_as_json(run_cli, azure):
    assert run_cli(*JOB, *WORKSPACE_FLAGS).exit_code == 0
    status = run_cli("azureml", "status", "cartpole-1", *WORKSPACE_FLAGS, "--output-format", "json")
    assert status.exit_code == 0, status.stderr
    assert json.loads(status.stdout) == {
        "backend": "azureml",
        "job_id": "cartpole-1",
        "status": "Starting",
        "url": STUDIO.format(name="cartpole-1"),
        "display_name": "Isaac Lab SKRL training",
        "experiment_name": "isaaclab-training",
        "compute": "gpu-a100",
        "resume": "runs:/cartpole-1/checkpoints",  # an Azure ML job's MLflow run id is its name
    }
    cancelled = run_cli("azureml", "cancel", "cartpole-1", *WORKSPACE_FLAGS, "--output-format", "json")
    assert cancelled.exit_code == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["status"] == "CancelRequested"
    assert len(azure.calls("POST", "/jobs/cartpole-1/cancel$")) == 1


def test_status_of_an_unknown_job_is_an_error_naming_it(run_cli, azure):
    result = run_cli("azureml", "status", "no-such-job", *WORKSPACE_FLAGS)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "submit: error: job no-such-job not found in workspace robots (resource group rg-robots): "
    )


def test_stream_with_json_output_keeps_stdout_to_the_one_result_object(run_cli, azure):
    azure.workspace.run_statuses = ["Running", "Completed"]
    result = run_cli(*JOB, *WORKSPACE_FLAGS, "--output-format", "json", "--stream")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["job_id"] == "cartpole-1"
    assert "training: iteration 1 reward 1.0" in result.stderr
    assert "Execution Summary" in result.stderr


def test_logs_of_a_failed_job_are_printed_and_the_failure_exits_1(run_cli, azure):
    assert run_cli(*JOB, *WORKSPACE_FLAGS).exit_code == 0
    azure.workspace.run_statuses = ["Running", "Failed"]
    result = run_cli("azureml", "logs", "cartpole-1", *WORKSPACE_FLAGS)
    assert result.exit_code == 1
    assert "training: iteration 1 reward 1.0" in result.stdout
    assert result.stderr == "submit: error: job cartpole-1 failed: UserError: training exited with code 1\n"


EVALUATION = ("azureml", "evaluation", "--compute", "gpu-a100", "--job-name", "cartpole-eval-1", "--gate", "mean_return>=@champion", "--promote", "champion")


@pytest.mark.parametrize("model", ["models:/cartpole/3", "azureml:cartpole:3"])
def test_an_evaluation_submitted_is_the_dry_run_and_preflight_finds_its_model(run_cli, azure, model, monkeypatch):
    from submit import waiting

    monkeypatch.setattr(waiting, "POLL_SECONDS", 0)
    args = (*EVALUATION, "--model", model, "-t", "CartPole-v1")
    missing = run_cli(*args, *WORKSPACE_FLAGS)
    assert missing.exit_code == 1
    assert missing.stderr.splitlines()[-1] == f"submit: error: --model: {model} does not resolve in the workspace (no such run or model version)"
    assert not azure.calls("PUT", "/jobs/cartpole-eval-1$")

    azure.workspace.models["cartpole"] = {"3"}
    azure.workspace.job_statuses = ["Running", "Completed"]
    dry = run_cli(*args, "--dry-run")
    submitted = run_cli(*args, *WORKSPACE_FLAGS, "--wait", "--output-format", "json")
    assert submitted.exit_code == 0, submitted.stderr
    assert f"preflight: workspace robots, compute gpu-a100, model {model} ok" in submitted.stderr
    expected = backend.load(yaml.safe_load(dry.stdout), run_cli.cwd)._to_job()._to_rest_object().as_dict()["properties"]
    sent = _sent_job(azure, "cartpole-eval-1")
    resolved = {"codeId", "computeId", "environmentId", "properties", "inputs"}
    assert {k: v for k, v in sent.items() if k not in resolved} == {k: v for k, v in expected.items() if k not in resolved}
    assert json.loads(submitted.stdout)["status"] == "Completed"

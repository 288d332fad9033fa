"""An Azure ML command-job spec as the container `submit local run` starts: pure, no engine involved.

The rendered specs are the golden files (what `submit azureml training --dry-run` writes); hand-written
variations are built as data and checked as the command would see them.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from submit import yamlio
from submit.backends.local.azureml_job import container_job
from submit.backends.local.job import CODE, ImageBuild, Mount, Refused
from submit.trainer_contract import trainer_image
from tests.submit.conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "azureml"


def _golden(name: str, *, build: bool = False) -> dict:
    """A golden spec; its environment built from the repository root unless `build`, an image (the tag
    `submit image build` gives), so that the spec runs from any folder."""
    spec = yamlio.load_file(GOLDEN / f"{name}.yaml")
    if not build and isinstance(spec.get("environment"), dict) and "build" in spec["environment"]:
        spec["environment"] = {"image": trainer_image("lerobot" if "lerobot" in name else "rl")}
    return spec


def _refusal(spec: dict, tmp_path: Path, environ: dict | None = None) -> str:
    with pytest.raises(Refused) as refused:
        container_job(spec, tmp_path, environ or {})
    return str(refused.value)


def test_a_rendered_job_runs_its_command_with_bash_in_the_trainer_image_with_the_binding_resolved():
    # Golden specs are rendered in the repository root (scripts/regen-golden): their `code:` and build context
    # `.` are that folder. With no image given, Azure ML builds the environment from it: so does the local run.
    job = container_job(_golden("single-gpu", build=True), REPO, {})

    assert job.build == ImageBuild(REPO, REPO / "workflows" / "images" / "Dockerfile.isaaclab")
    assert job.image.startswith("robo-submit-local/environment:")
    assert job.argv == ("/bin/bash", "-c", "python -m training rl --output-dir /job/outputs/checkpoints")
    assert job.output == "/job/outputs/checkpoints"  # outputs/<job>/ is the one output itself
    assert job.env["ROBO_TASK"] == "Isaac-Cartpole-Direct" and job.env["ROBO_NUM_ENVS"] == "512"
    assert job.env["AZURE_ML_OUTPUT_checkpoints"] == "/job/outputs/checkpoints"  # as Azure ML sets it
    assert (job.code, job.workdir) == (REPO, CODE)  # code: . where the spec was rendered; the job runs in its copy
    assert (job.name, job.shm_size, job.tracking_uri, job.from_host) == ("cartpole-1", "2g", None, ())


def test_an_image_given_on_the_command_line_replaces_the_environment():
    assert container_job(_golden("lerobot-hub"), REPO, {}, image="robo-submit-lerobot:test").image == "robo-submit-lerobot:test"


def test_an_inline_image_is_used_and_a_literal_input_reaches_the_shell_as_a_variable_not_as_text(tmp_path):
    spec = _golden("single-gpu") | {
        "environment": {"image": "robo/x:1"},
        "inputs": {"lr": 0.5, "tag": {"type": "string", "default": "a b; rm -rf /"}},
        "command": "python -m training rl --lr ${{inputs.lr}} --tag ${{inputs.tag}} --output-dir ${{outputs.checkpoints}}",
    }
    job = container_job(spec, tmp_path, {})

    assert job.image == "robo/x:1"
    assert job.argv[2] == (
        "python -m training rl --lr ${AZURE_ML_INPUT_lr} --tag ${AZURE_ML_INPUT_tag} --output-dir /job/outputs/checkpoints"
    )
    assert (job.env["AZURE_ML_INPUT_lr"], job.env["AZURE_ML_INPUT_tag"]) == ("0.5", "a b; rm -rf /")


def test_a_local_data_input_is_mounted_read_only_and_bound_to_its_mount(tmp_path):
    (tmp_path / "data").mkdir()
    spec = _golden("single-gpu") | {
        "inputs": {"data": {"type": "uri_folder", "path": "./data"}},
        "command": "python -m training rl --data ${{inputs.data}} --output-dir ${{outputs.checkpoints}}",
    }
    job = container_job(spec, tmp_path, {})

    assert job.inputs == (Mount(tmp_path / "data", "/job/inputs/data"),)
    assert "--data /job/inputs/data " in job.argv[2]


def test_several_outputs_each_get_a_folder_under_outputs_job(tmp_path):
    spec = _golden("single-gpu") | {
        "outputs": {"checkpoints": {"type": "uri_folder"}, "logs": {"type": "uri_folder", "path": "azureml://datastores/x/paths/y"}},
        "command": "train --ckpt ${{outputs.checkpoints}} --logs ${{outputs.logs}}",
    }
    job = container_job(spec, tmp_path, {})

    assert job.output == "/job/outputs"
    assert job.argv[2] == "train --ckpt /job/outputs/checkpoints --logs /job/outputs/logs"
    assert job.notes == ("outputs.logs.path: azureml://datastores/x/paths/y is not uploaded from here; the output stays in outputs/<job>/",)


def test_the_trainer_secrets_this_shell_has_are_passed_by_name():
    spec = _golden("single-gpu")
    spec["environment_variables"]["ROBO_WANDB"] = "true"
    job = container_job(spec, GOLDEN, {"WANDB_API_KEY": "k" * 40, "HF_TOKEN": ""})

    assert job.from_host == ("WANDB_API_KEY",)  # by name: the value never enters the engine's argv


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            {"resources": {"instance_count": 4}},
            "resources.instance_count: 4 nodes; a local run is one node: render it with --num-nodes 1",
        ),
        (
            {"distribution": {"type": "pytorch", "process_count_per_instance": 8}},
            "distribution.process_count_per_instance: 8 processes per node need Azure ML's launcher; "
            "a local run starts one: render it with --gpus-per-node 1",
        ),
        (
            {"inputs": {"data": {"type": "uri_folder", "path": "azureml://datastores/d/paths/p"}}},
            "inputs.data.path: a remote input (azureml:) cannot be fetched by a local run; use a local path",
        ),
        (
            {"inputs": {"data": {"type": "uri_folder", "path": "https://x.blob.core.windows.net/c/p"}}},
            "inputs.data.path: a remote input (https:) cannot be fetched by a local run; use a local path",
        ),
        ({"code": "azureml:robo-code:3"}, "code: a remote code snapshot (azureml:) cannot be fetched by a local run; use a local path"),
        (
            {"environment": "azureml:AzureML-pytorch:7"},
            "environment: azureml:AzureML-pytorch:7 is registered in a workspace, which a local run does not read; "
            "give --image IMAGE or write `environment: {image: IMAGE}`",
        ),
        (
            {"environment": {"image": "x", "conda_file": "conda.yaml"}},
            "environment.conda_file: an environment Azure ML makes from conda is not made here; give --image IMAGE",
        ),
        (
            {"environment": {"build": {"path": ".", "dockerfile_path": "nope/Dockerfile"}}},
            "environment.build.dockerfile_path: {tmp}/nope/Dockerfile is not a file on this machine",
        ),
        ({"outputs": {"checkpoints": {"type": "uri_file"}}}, "outputs.checkpoints.type: uri_file outputs are not written by a local run; use uri_folder"),
        ({"command": "train $[[--lr ${{inputs.lr}}]]"}, "command: optional-input blocks $[[...]] are not run by a local run; write the command without them"),
        ({"resources": {"docker_args": "--privileged"}}, "resources.docker_args: not passed to the container engine here; remove it"),
        ({"environment_variables": {"A=B": "1"}}, "environment_variables.A=B: not an environment variable name (letters, digits, '_')"),
    ],
)
def test_what_cannot_run_here_is_refused_naming_the_spec_field(change, line, tmp_path):
    spec = copy.deepcopy(_golden("single-gpu")) | change
    spec["code"] = change.get("code", str(tmp_path))

    assert _refusal(spec, tmp_path) == line.replace("{tmp}", str(tmp_path))


def test_an_environment_azure_ml_builds_is_built_here_from_the_same_context_and_dockerfile(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "Dockerfile").write_text("FROM scratch\n")
    spec = _golden("single-gpu") | {"environment": {"build": {"path": ".", "dockerfile_path": "images/Dockerfile"}}}

    job = container_job(spec, tmp_path, {})
    again = container_job(spec, tmp_path, {})

    assert job.build == ImageBuild(tmp_path, tmp_path / "images" / "Dockerfile")
    assert job.image == again.image and job.image.startswith("robo-submit-local/environment:")  # one tag per build
    assert container_job(spec, tmp_path, {}, image="robo/x:1").build is None  # --image: nothing is built


def test_a_key_vault_job_needs_a_service_principal_to_stand_in_for_its_managed_identity(tmp_path):
    spec = _golden("single-gpu")
    spec["environment_variables"] |= {"ROBO_SECRET_SOURCE": "keyvault", "ROBO_KEY_VAULT_URI": "https://kv.vault.azure.net/"}
    principal = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}

    assert _refusal(spec, GOLDEN, principal | {"AZURE_CLIENT_SECRET": ""}) == (
        "environment_variables.ROBO_KEY_VAULT_URI: the job reads its secrets from Key Vault as its Azure identity, "
        "which does not exist on this machine; export AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET "
        "(a service principal allowed to do the same) or remove it"
    )
    assert container_job(spec, GOLDEN, principal).from_host == ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")


def test_a_spec_naming_its_tracking_server_keeps_it():
    spec = _golden("single-gpu")
    spec["environment_variables"]["MLFLOW_TRACKING_URI"] = "http://mlflow.example:5000"

    assert container_job(spec, GOLDEN, {}).tracking_uri == "http://mlflow.example:5000"

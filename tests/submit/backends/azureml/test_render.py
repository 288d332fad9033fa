"""Azure ML training specs: golden files, load_job on every one, and the REST object azure-ai-ml would send."""

from __future__ import annotations

import pytest
import yaml

from submit.backends.azureml import client as backend
from tests.submit.conftest import REPO
from tests.submit.golden_cases import RUN_ID, SPECS

GOLDEN = REPO / "tests" / "golden"


@pytest.mark.parametrize("relative", sorted(SPECS))
def test_rendered_spec_equals_golden_file_byte_for_byte(run_cli, relative):
    result = run_cli(*SPECS[relative], cwd=REPO)  # `code: .`, as scripts/regen-golden renders them
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (GOLDEN / relative).read_text(encoding="utf-8")


@pytest.mark.parametrize("relative", sorted(SPECS))
def test_every_golden_spec_loads_with_azure_ai_ml_and_converts_to_rest(relative):
    spec = yaml.safe_load((GOLDEN / relative).read_text(encoding="utf-8"))
    assert backend.check(spec, REPO) == []
    rest = backend.load(spec, REPO)._to_job()._to_rest_object().as_dict()["properties"]
    assert rest["jobType"] == "Command"
    kind = "evaluate" if "evaluation" in relative else "lerobot" if "lerobot" in relative else "rl"
    output = "evaluation" if kind == "evaluate" else "checkpoints"
    command = f"python -m training {kind} --output-dir ${{{{outputs.{output}}}}}"
    inputs = spec.get("inputs", {})  # each mounted input follows as a trainer flag
    flags = {"model": "--model-uri", "init_policy": "--checkpoint-uri"}
    bound = [f"{flags.get(name, '--dataset-dirs')} ${{{{inputs.{name}}}}}" for name in inputs]
    assert rest["command"] == " ".join([command, *bound])
    assert rest["codeId"] == "."
    assert rest["outputs"] == {output: {"mode": "Upload", "jobOutputType": "uri_folder"}}
    assert rest["identity"] == {"identityType": "Managed"}
    assert rest["environmentVariables"] == spec["environment_variables"]


def _spec(run_cli, *args):
    result = run_cli("azureml", "training", *args, "--dry-run")
    assert result.exit_code == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_multi_node_sets_instance_count_and_pytorch_distribution_without_torchrun(run_cli):
    spec = _spec(run_cli, "--num-nodes", "4", "--gpus-per-node", "8")
    assert spec["resources"]["instance_count"] == 4
    assert spec["distribution"] == {"type": "pytorch", "process_count_per_instance": 8}
    assert "torchrun" not in spec["command"]
    rest = backend.load(spec, run_cli.cwd)._to_job()._to_rest_object().as_dict()["properties"]
    assert rest["distribution"] == {"processCountPerInstance": 8, "distributionType": "PyTorch"}
    assert rest["resources"]["instanceCount"] == 4


def test_single_process_job_has_no_distribution(run_cli):
    assert "distribution" not in _spec(run_cli, "--num-nodes", "1", "--gpus-per-node", "1")


def test_every_user_value_is_an_environment_variable_and_the_command_is_constant(run_cli):
    spec = _spec(run_cli, "-t", "Isaac-Lift-Cube-Franka-v0", "-n", "64", "-m", "10", "-M", "resume", "-c", f"runs:/{RUN_ID}/ckpt")
    env = spec["environment_variables"]
    assert env["ROBO_TASK"] == "Isaac-Lift-Cube-Franka-v0"
    assert env["ROBO_NUM_ENVS"] == "64"
    assert env["ROBO_MAX_ITERATIONS"] == "10"
    assert env["ROBO_CHECKPOINT_URI"] == f"runs:/{RUN_ID}/ckpt"
    assert env["ROBO_REGISTER_MODEL"] == "isaac-lift-cube-franka-v0"
    assert spec["command"] == "python -m training rl --output-dir ${{outputs.checkpoints}}"


def test_code_snapshot_is_the_trainer_and_the_image_build_context_and_matches_what_azure_ai_ml_uploads(run_cli):
    from azure.ai.ml._utils._asset_utils import get_ignore_file, get_upload_files_from_folder

    from submit import snapshot

    root = snapshot.snapshot_root()
    ours = sorted(str(p.relative_to(root)) for p in snapshot.build_files(root))
    theirs = sorted(remote for _, remote in get_upload_files_from_folder(root, ignore_file=get_ignore_file(root)))
    assert ours == theirs
    assert ours and all(path.startswith(("training/", "workflows/images/")) or path == ".dockerignore" for path in ours)
    assert "workflows/images/Dockerfile.isaaclab" in ours and "workflows/images/requirements-lerobot.txt" in ours
    result = run_cli("azureml", "training", "--dry-run")
    size = sum((root / p).stat().st_size for p in ours)
    assert f"code snapshot: {len(ours)} files, {size:,} bytes" in result.stderr


def test_output_file_gets_the_spec_with_code_relative_to_it(run_cli, tmp_path):
    target = tmp_path / "specs" / "job.yaml"
    result = run_cli("azureml", "training", "-t", "Isaac-Cartpole-Direct", "--dry-run", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    spec = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert (target.parent / spec["code"]).resolve() == REPO
    assert backend.check(spec, target.parent) == []


def test_json_dry_run_prints_one_object_with_the_spec(run_cli):
    import json

    result = run_cli("azureml", "training", "--dry-run", "--output-format", "json")
    payload = json.loads(result.stdout)
    assert payload["backend"] == "azureml" and payload["job_id"] is None
    assert payload["spec"]["command"].startswith("python -m training rl")


def test_alias_console_script_renders_the_same_spec(tmp_path):
    import subprocess

    alias = subprocess.run(
        [str(REPO / ".venv/bin/submit-azureml-training"), "-t", "Isaac-Cartpole-Direct", "--dry-run"],
        cwd=REPO, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=False,
    )
    group = subprocess.run(
        [str(REPO / ".venv/bin/submit"), "azureml", "training", "-t", "Isaac-Cartpole-Direct", "--dry-run"],
        cwd=REPO, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=False,
    )
    assert alias.returncode == 0, alias.stderr
    assert alias.stdout == group.stdout


CANARIES = {
    "WANDB_API_KEY": "canary-wandb-7f3a",
    "HF_TOKEN": "canary-hf-91c2",
    "MLFLOW_TRACKING_TOKEN": "canary-mlflow-55d0",
    "AZURE_CLIENT_SECRET": "canary-azure-0b8e",
    "MLFLOW_TRACKING_PASSWORD": "canary-mlflowpw-c4d1",
}


@pytest.mark.parametrize("args", [
    ["azureml", "training", "--wandb", "--wandb-project", "p", "--key-vault-uri", "https://robo-kv.vault.azure.net"],
    ["azureml", "lerobot-training", "-d", "lerobot/pusht", "--wandb-enable", "--push-to-hub", "--policy-repo-id", "me/pol",
     "--key-vault-uri", "https://robo-kv.vault.azure.net"],
    ["azureml", "training", "-n", "0"],  # an error message must not carry them either
])
def test_secrets_in_the_environment_never_reach_a_spec_or_a_message(run_cli, args):
    result = run_cli(*args, "--dry-run", "--output-format", "json", env=CANARIES)
    assert result.exit_code == (2 if "-n" in args else 0), result.stderr
    for canary in CANARIES.values():
        assert canary not in result.stdout
        assert canary not in result.stderr


@pytest.mark.parametrize(
    ("flags", "instance_type"),
    [
        (("--compute", "aks-gpu"), "gpuspot"),  # Kubernetes compute: the reference deployment's instance type
        ((), None),  # serverless: an instance type is a VM size, none is guessed
        (("--instance-type", "Standard_NC6s_v3"), "Standard_NC6s_v3"),
    ],
)
def test_the_default_instance_type_applies_only_to_a_named_compute(run_cli, flags, instance_type):
    result = run_cli("azureml", "training", "-t", "Isaac-Cartpole-Direct", *flags, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout)["resources"].get("instance_type") == instance_type


def test_with_no_image_azure_ml_builds_the_environment_from_our_build_context_versioned_by_content(run_cli, tmp_path):
    from azure.ai.ml import load_job

    target = tmp_path / "job.yaml"
    result = run_cli("azureml", "lerobot-training", "-d", "lerobot/pusht", "--dry-run", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert spec["environment"] == {"build": {"path": spec["code"], "dockerfile_path": "workflows/images/Dockerfile.lerobot"}}
    assert (
        "environment: Azure ML builds workflows/images/Dockerfile.lerobot from the code snapshot's folder on first "
        "submission (FROM python:3.12.12-slim-bookworm); -i/--image or --environment-name to use a published one"
    ) in result.stderr.splitlines()
    environment = load_job(target).environment  # what azure-ai-ml sends: an anonymous, content-versioned build
    assert environment.build.dockerfile_path == "workflows/images/Dockerfile.lerobot"
    assert environment.name == "CliV2AnonymousEnvironment" and len(environment.version) == 64
    again = tmp_path / "again.yaml"
    assert run_cli("azureml", "lerobot-training", "-d", "lerobot/pusht", "--dry-run", "-o", str(again)).exit_code == 0
    assert load_job(again).environment.version == environment.version  # same content, same environment


@pytest.mark.parametrize(
    ("flags", "environment"),
    [
        (("-i", "robots.azurecr.io/robo/isaaclab@sha256:" + "0" * 64), {"image": "robots.azurecr.io/robo/isaaclab@sha256:" + "0" * 64}),
        (("--environment-name", "team-env", "--environment-version", "3"), "azureml:team-env:3"),
    ],
    ids=["pinned-image", "registered-environment"],
)
def test_a_pinned_image_or_a_registered_environment_wins_over_the_build(run_cli, flags, environment):
    result = run_cli("azureml", "training", "-t", "Isaac-Cartpole-Direct", *flags, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout)["environment"] == environment


def test_a_correlation_id_is_a_job_tag_and_the_trainers_variable_and_nothing_without_one(run_cli):
    spec = _spec(run_cli, "--correlation-id", "gh-run-42/3")
    assert spec["tags"]["correlation_id"] == "gh-run-42/3"
    assert spec["environment_variables"]["ROBO_CORRELATION_ID"] == "gh-run-42/3"
    assert backend.check(spec, run_cli.cwd) == []
    plain = _spec(run_cli)
    assert "correlation_id" not in plain["tags"] and "ROBO_CORRELATION_ID" not in plain["environment_variables"]


CORRELATION_RULE = "must be 1 to 128 letters, digits or ._:/@+=- characters, starting with a letter or digit"


@pytest.mark.parametrize("value", ["a\nb", "${{inputs.x}}", "{{output}}", "a b", "x" * 129, "-x"])
def test_a_correlation_id_outside_the_trainers_rule_is_bad_input_on_one_line(run_cli, value):
    result = run_cli("azureml", "training", f"--correlation-id={value}", "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: --correlation-id: {CORRELATION_RULE}\n"


# ---- evaluation ---------------------------------------------------------------------------


def _evaluation(run_cli, *args):
    result = run_cli("azureml", "evaluation", *args, "--dry-run")
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    assert backend.check(spec, run_cli.cwd) == []
    return spec


def test_an_evaluation_is_the_constant_command_with_the_model_as_a_variable_in_the_rl_image(run_cli):
    spec = _evaluation(run_cli, "--model", "models:/cartpole-v1@champion", "--gate", "mean_return >= 450", "--promote", "champion")
    assert spec["command"] == "python -m training evaluate --output-dir ${{outputs.evaluation}}"
    env = spec["environment_variables"]
    assert (env["ROBO_MODEL_URI"], env["ROBO_GATE"], env["ROBO_PROMOTE"]) == ("models:/cartpole-v1@champion", '["mean_return >= 450"]', "champion")
    assert "ROBO_TASK" not in env  # the version's task tag
    assert spec["environment"]["build"]["dockerfile_path"] == "workflows/images/Dockerfile.isaaclab"
    assert "inputs" not in spec and "distribution" not in spec


def test_a_workspace_model_is_a_job_input_whose_folder_the_command_hands_over(run_cli):
    spec = _evaluation(run_cli, "--model", "azureml:cartpole:3", "-t", "CartPole-v1")
    assert spec["inputs"] == {"model": {"type": "mlflow_model", "path": "azureml:cartpole:3", "mode": "ro_mount"}}
    assert spec["command"].endswith(" --model-uri ${{inputs.model}}")
    assert "ROBO_MODEL_URI" not in spec["environment_variables"]
    rest = backend.load(spec, run_cli.cwd)._to_job()._to_rest_object().as_dict()["properties"]
    assert rest["inputs"]["model"]["jobInputType"] == "mlflow_model"


def test_a_lerobot_flag_makes_it_a_lerobot_evaluation_in_the_lerobot_image(run_cli):
    spec = _evaluation(run_cli, "--model", "models:/act/1", "--lerobot-env", "aloha", "-i", "robots.azurecr.io/lerobot:1")
    assert spec["environment"] == {"image": "robots.azurecr.io/lerobot:1"}
    assert spec["environment_variables"]["ROBO_LEROBOT_ENV"] == "aloha"
    built = _evaluation(run_cli, "--model", "models:/act/1", "-d", "lerobot/pusht")
    assert built["environment"]["build"]["dockerfile_path"] == "workflows/images/Dockerfile.lerobot"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        ([], "--model: needed"),
        (["--model", "cartpole"], "--model: not a model URI; use runs:/<run id>/<path> (on Azure ML the run id is the job name), "
         "models:/<name>/<version>, models:/<name>@<alias>, a path, or azureml:<name>:<version> on Azure ML"),
        (["--model", "models:/m/1", "--gate", "reward>=1"], "--gate: 'reward' is not a metric the evaluation produces; accepted: "
         "mean_return, std_return, min_return, max_return, mean_episode_length, success_rate, action_mse, action_mae"),
        (["--model", "models:/m/1", "--gate", "action_mse<0.1"], "--gate: 'action_mse' is not a metric an evaluation in an environment "
         "produces; accepted: mean_return, std_return, min_return, max_return, mean_episode_length, success_rate"),
        (["--model", "models:/m/1", "-d", "lerobot/pusht", "--gate", "mean_return>=1"], "--gate: 'mean_return' is not a metric a LeRobot "
         "evaluation on held-out episodes produces; accepted: action_mse, action_mae"),
        (["--model", "models:/m/1", "--gate", "mean_return=>1"], "--gate: 'mean_return=>1' is not a gate; use METRIC>=VALUE, METRIC<=VALUE, "
         "METRIC>VALUE, METRIC<VALUE, or METRIC>=@ALIAS (against the version holding ALIAS)"),
        (["--model", "models:/m/1", "--promote", "latest"], "--promote: must be letters, digits, _ or - (MLflow reserves latest and v<number>)"),
        (["--model", "models:/m/1", "--promote", "champ", "--no-mlflow"], "--promote: needs MLflow (the alias lives in its model registry), "
         "but --no-mlflow is set; drop one"),
        (["--model", "models:/m/1", "--episodes", "5", "--video-episodes", "6"], "--video-episodes: 6 is more than the 5 episodes evaluated"),
        (["--model", "models:/m/1", "-d", "lerobot/pusht", "--algorithm", "ppo"], "--algorithm: is for an RL model; a LeRobot evaluation "
         "(--dataset-repo-id, --heldout-episodes, --lerobot-env) takes none"),
        (["--model", "models:/m/1", "--lerobot-env", "pusht", "--heldout-episodes", "1"], "--heldout-episodes: is for held-out "
         "dataset episodes, and --lerobot-env rolls the policy out in a gym environment; drop one"),
        (["--model", "models:/m/1", "--lerobot-env", "pusht", "-d", "lerobot/pusht"], "--dataset-repo-id: is for held-out "
         "dataset episodes, and --lerobot-env rolls the policy out in a gym environment; drop one"),
        (["--model", "models:/m/1", "--lerobot-env", "gym_pusht/PushT-v0"], "--lerobot-env: must be a LeRobot environment type "
         "such as pusht (1 to 64 letters, digits or ._-)"),
        (["--model", "models:/m/1", "--heldout-episodes", "4,x"], "--heldout-episodes: must be episode indices, comma-separated, such as 40,41,42"),
        (["--model", "azureml:m:1"], "--task: needed with an azureml: model, a job input that carries no MLflow version tags"),
        (["--model", "models:/m/1", "--model-input-type", "custom_model"], "--model-input-type: only for an azureml:<name>:<version> model; drop it"),
    ],
)
def test_an_evaluation_the_trainer_would_refuse_is_bad_input_on_one_line_before_anything_is_written(run_cli, args, line):
    result = run_cli("azureml", "evaluation", *args, "--dry-run", "-o", "job.yaml")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: {line}\n"
    assert not (run_cli.cwd / "job.yaml").exists()

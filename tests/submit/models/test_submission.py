"""What a job spec may not carry, and the promise that a spec the CLI accepts is one the trainer starts.

The trainer's own check (training/lerobot/plan.check, run on the ROBO_* variables the spec carries) is
real and runs here in-process; only the job systems are absent: the specs are rendered with --dry-run.
"""

from __future__ import annotations

import re

import pytest
import yaml

from submit.models.submission import LocalTarget, Submission
from training.config import from_env, lerobot_model_name
from training.lerobot import plan

SAS = "sv=2024-05-04&sr=c&sig=CANARYSIGNATURE"
RUN = "runs:/0123456789abcdef0123456789abcdef/checkpoints/last"


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("osmo", "lerobot-training", "-d", "a/b", "--blob-url", f"https://acct.blob.core.windows.net/c/d?{SAS}"), "--blob-url"),
        (("azureml", "lerobot-training", "-d", "a/b", "--blob-url", f"https://acct.blob.core.windows.net/c/d?{SAS}"), "--blob-url"),
        (("azureml", "lerobot-training", "-d", "a/b", "--blob-url", "https://user:CANARYPASSWORD@host/d"), "--blob-url"),
        (("azureml", "training", "-M", "warm-start", "-c", f"wasbs://c@acct.blob.core.windows.net/agent.pt?{SAS}"), "--checkpoint-uri"),
        (("osmo", "training", "-M", "resume", "-c", f"wasbs://c@acct.blob.core.windows.net/agent.pt?{SAS}"), "--checkpoint-uri"),
        (("osmo", "lerobot-training", "-d", "a/b", "--pretrained-path", f"https://host/policy?{SAS}"), "--pretrained-path"),
        (("osmo", "training", "--mlflow-tracking-uri", "https://mlflow.example.com/?token=CANARYTOKEN"), "--mlflow-tracking-uri"),
        (("osmo", "lerobot-training", "-d", "a/b", "--pretrained-path", "hf.co/me/act?token=CANARYTOKEN"), "--pretrained-path"),
        (("azureml", "lerobot-training", "-d", "a/b", "--blob-url", "https://acct.blob.core.windows.net/c/d#CANARYSIG"), "--blob-url"),
        (("osmo", "training", "--code-source", "url:s3://AKIAEXAMPLE:CANARYSECRET@bucket/code"), "--code-source"),
        (("osmo", "training", "--code-source", f"url:azure://acct/c/code?{SAS}"), "--code-source"),
        (("osmo", "training", "--output-url", f"azure://acct/c/out?{SAS}"), "--output-url"),
    ],
)
def test_a_url_carrying_a_credential_never_reaches_a_spec(run_cli, tmp_path, args, flag):
    spec = tmp_path / "spec.yaml"
    result = run_cli(*args, "--dry-run", "-o", str(spec))
    assert (result.exit_code, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"submit: error: {flag}: ") and " must not carry " in line
    assert "CANARY" not in line
    assert not spec.exists()


@pytest.mark.parametrize(("flag", "extra"), [("--checkpoint-uri", ("-M", "resume")), ("--mlflow-tracking-uri", ())])
def test_a_malformed_url_is_refused_naming_its_flag(run_cli, flag, extra):
    result = run_cli("osmo", "training", *extra, flag, "https://[not-a-host/x", "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: {flag}: is not a valid URL\n"


def test_a_local_run_writes_no_spec_so_it_may_read_a_sas_url():
    url = f"https://acct.blob.core.windows.net/c/d?{SAS}"
    settings = Submission[LocalTarget].model_validate({"job": {"kind": "lerobot", "dataset_repo_id": "a/b", "blob_urls": [url]}})
    assert settings.job.blob_urls == (url,)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--no-mlflow", "-r", "cartpole"), "--register-checkpoint: registering needs MLflow (its model registry), but --no-mlflow is set; drop one"),
        (("--skip-register-checkpoint", "-r", "cartpole"), "--register-checkpoint: names a model to register, but --skip-register-checkpoint is set; drop one"),
    ],
)
def test_a_model_name_that_would_not_be_registered_is_refused(run_cli, flags, message):
    result = run_cli("azureml", "training", "-t", "Isaac-Cartpole-Direct", *flags, "--dry-run")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"submit: error: {message}\n")


def test_a_refused_value_from_the_environment_says_so(run_cli):
    result = run_cli("osmo", "training", "--no-mlflow", "--dry-run", env={"REGISTER_CHECKPOINT": "cartpole"})
    assert result.stderr == (
        "submit: error: --register-checkpoint: registering needs MLflow (its model registry), but --no-mlflow is "
        "set; drop one (from env REGISTER_CHECKPOINT)\n"
    )


def test_a_lerobot_resume_without_a_dataset_leaves_the_model_name_to_the_trainer(run_cli):
    """The trainer names it from the checkpoint's dataset (training.config.lerobot_model_name), as the first
    run's spec did; a placeholder name here would register the resumed policy as another model."""
    result = run_cli("osmo", "lerobot-training", "-M", "resume", "-c", RUN, "--dry-run")
    env = yaml.safe_load(result.stdout)["workflow"]["tasks"][0]["environment"]
    assert env["ROBO_REGISTER"] == "true" and "ROBO_REGISTER_MODEL" not in env
    first = run_cli("osmo", "lerobot-training", "-d", "lerobot/pusht", "--dry-run")
    assert yaml.safe_load(first.stdout)["workflow"]["tasks"][0]["environment"]["ROBO_REGISTER_MODEL"] == (
        lerobot_model_name("act", "lerobot/pusht")
    )


def test_without_mlflow_the_spec_says_nothing_is_registered(run_cli):
    result = run_cli("osmo", "training", "-t", "Isaac-Cartpole-Direct", "--no-mlflow", "--dry-run")
    env = yaml.safe_load(result.stdout)["workflow"]["tasks"][0]["environment"]
    assert (env["ROBO_MLFLOW"], env["ROBO_REGISTER"]) == ("false", "false")
    assert "ROBO_REGISTER_MODEL" not in env


# LeRobot command lines around every rule of plan.check: each is refused by the CLI (exit 2, the flag named)
# or rendered into a spec whose ROBO_* variables the trainer's own check accepts. Never a spec that fails
# only once the job has a GPU (the reference's W20).
LEROBOT_CASES = [
    ("-d", "a/b"),
    ("-d", "a/b", "--lerobot-arg=--policy.dim_model=64"),
    *(("-d", "a/b", f"--lerobot-arg={name}=1") for name in (*plan.RESERVED_ARGS, *plan.SETTING_ARGS)),
    ("--blob-url", "https://acct.blob.core.windows.net/c/d"),
    ("-d", "a/b", "--blob-url", "https://acct.blob.core.windows.net/c/d"),
    ("-d", "a/b", "--pretrained-path", "lerobot/act"),
    *(("-d", "a/b", "--pretrained-path", "lerobot/act", "-M", mode, "-c", RUN) for mode in ("warm-start", "resume")),
    ("-M", "resume", "-c", RUN),
    ("-d", "a/b", "-M", "warm-start", "-c", RUN),
    ("-d", "a/b", "--push-to-hub", "--policy-repo-id", "me/policy", "--hf-credential", "hf"),
    ("-d", "a/b", "--no-mlflow"),
]


def _environment(backend: str, spec: dict) -> dict[str, str]:
    if backend == "osmo":
        return {k: str(v) for k, v in spec["workflow"]["tasks"][0]["environment"].items()}
    return {k: str(v) for k, v in spec["environment_variables"].items()}


@pytest.mark.parametrize("backend", ["osmo", "azureml"])
@pytest.mark.parametrize("args", LEROBOT_CASES, ids=" ".join)
def test_a_lerobot_spec_the_cli_accepts_passes_the_trainers_own_check(run_cli, backend, args):
    if backend == "azureml" and "--hf-credential" in args:
        args = (*args[: args.index("--hf-credential")], "--key-vault-uri", "https://vault.vault.azure.net")
    result = run_cli(backend, "lerobot-training", *args, "--dry-run")
    if result.exit_code == 2:
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("submit: error: --")
        advice = re.search(r"use (--[a-z-]+)", result.stderr)
        if advice:  # the flag it points at is one this command has
            assert advice.group(1) in run_cli(backend, "lerobot-training", "--help").stdout
        return
    assert result.exit_code == 0, result.stderr
    config = from_env("lerobot", _environment(backend, yaml.safe_load(result.stdout)), ["--output-dir", "/job/out"])
    plan.check(config)  # raises ConfigError (the trainer's exit 2) if the job would refuse to start


def test_the_parity_cases_include_both_outcomes(run_cli):
    """Guard against a vacuous parity test: some cases render, and the owned arguments are all refused."""
    outcomes = {args: run_cli("osmo", "lerobot-training", *args, "--dry-run").exit_code for args in LEROBOT_CASES}
    assert outcomes[("-d", "a/b")] == 0
    assert outcomes[("-d", "a/b", "--lerobot-arg=--policy.dim_model=64")] == 0
    owned = [args for args in LEROBOT_CASES if args[-1].startswith("--lerobot-arg=") and "dim_model" not in args[-1]]
    assert owned and all(outcomes[args] == 2 for args in owned)


AZUREML_JOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
command: python -m training rl
environment: azureml:robo:1
compute: gpu
environment_variables:
  MLFLOW_TRACKING_URI: https://user:CANARYPASSWORD@mlflow.example.com/
  ROBO_CHECKPOINT_URI: https://acct.blob.core.windows.net/c/agent.pt?sig=CANARYSIGNATURE
  ROBO_TASK: Isaac-Cartpole-Direct
"""
OSMO_WORKFLOW = """\
workflow:
  name: train
  tasks:
  - name: train
    image: registry.example.com/team/trainer:1
    command: [python]
    environment:
      MLFLOW_TRACKING_URI: https://user:CANARYPASSWORD@mlflow.example.com/
    outputs:
    - url: azure://acct/c/out?sig=CANARYSIGNATURE
"""


@pytest.mark.parametrize(
    ("text", "backend", "expected"),
    [
        (AZUREML_JOB, "azureml", ["environment_variables.MLFLOW_TRACKING_URI", "environment_variables.ROBO_CHECKPOINT_URI"]),
        (OSMO_WORKFLOW, "osmo", ["workflow.tasks[0].environment.MLFLOW_TRACKING_URI", "workflow.tasks[0].outputs[0].url"]),
    ],
    ids=["azureml", "osmo"],
)
def test_validate_flags_urls_carrying_credentials_in_a_hand_written_spec(run_cli, tmp_path, text, backend, expected):
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_cli("validate", str(path), "--backend", backend)
    assert (result.exit_code, result.stdout) == (1, "")
    flagged = [line.split(": ", 1)[0] for line in result.stderr.splitlines()[:-1]]
    assert sorted(flagged) == sorted(expected)
    assert "CANARY" not in result.stderr


def test_a_blob_dataset_trains_on_several_gpus_fetched_once_by_the_trainer(run_cli):
    # The trainer fetches blobs before it starts its workers (training/lerobot/launch.py), so a blob dataset
    # and several GPUs go together.
    blob = ("-d", "a/b", "--blob-url", "https://acct.blob.core.windows.net/c/d")
    result = run_cli("azureml", "lerobot-training", *blob, "--gpus", "4", "--dry-run")
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    assert spec["environment_variables"]["ROBO_GPUS"] == "4"
    assert "distribution" not in spec  # the trainer launches its processes, not Azure ML


# ---- Isaac Lab 3 presets (--physics) --------------------------------------------------------------

PHYSICS_JOBS = [("azureml", "training", "--compute", "gpu-a100"), ("osmo", "training", "--pool", "h100")]


@pytest.mark.parametrize("job", PHYSICS_JOBS, ids=["azureml", "osmo"])
def test_physics_presets_reach_the_trainer_as_its_own_setting(run_cli, job):
    result = run_cli(*job, "-t", "Isaac-Cartpole-Direct", "--physics", "newton_mjwarp", "--dry-run")
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    task_env = spec["environment_variables"] if job[0] == "azureml" else spec["workflow"]["tasks"][0]["environment"]
    config = from_env("rl", {name: str(value) for name, value in task_env.items() if name.startswith("ROBO_")})
    assert config.physics == "newton_mjwarp"
    assert "ROBO_PHYSICS" not in run_cli(*job, "-t", "Isaac-Cartpole-Direct", "--dry-run").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-t", "CartPole-v1", "--physics", "newton_mjwarp"), "presets are for Isaac Lab tasks (Isaac-, IsaacContrib-...); CartPole-v1 has none"),
        (("-t", "Isaac-Cartpole-Direct", "--physics", "newton mjwarp"), "must be Isaac Lab preset names, comma-separated, such as newton_mjwarp"),
        (("-t", "Isaac-Cartpole-Direct", "--physics", "a,,b"), "must be Isaac Lab preset names, comma-separated, such as newton_mjwarp"),
    ],
)
def test_physics_presets_that_cannot_apply_are_refused(run_cli, args, message):
    for job in PHYSICS_JOBS:
        result = run_cli(*job, *args, "--dry-run")
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"submit: error: --physics: {message}\n")


# ---- checkpoint URIs the trainer can fetch ---------------------------------------------------------

ARTIFACT_SERVER_URL = "https://mlflow.example.com/api/2.0/mlflow-artifacts/artifacts/1/0123/artifacts/agent.pt"


@pytest.mark.parametrize("job", PHYSICS_JOBS, ids=["azureml", "osmo"])
def test_an_https_checkpoint_is_accepted_exactly_when_the_trainer_can_fetch_it(run_cli, job):
    from training.checkpoints import check_uri

    refused = run_cli(*job, "-M", "warm-start", "-c", "https://acct.blob.core.windows.net/c/agent.pt", "--dry-run")
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr.startswith("submit: error: --checkpoint-uri: an https URL must be an MLflow artifact server's")

    accepted = run_cli(*job, "-M", "warm-start", "-c", ARTIFACT_SERVER_URL, "--dry-run")
    assert accepted.exit_code == 0, accepted.stderr
    assert ARTIFACT_SERVER_URL in accepted.stdout
    check_uri(ARTIFACT_SERVER_URL)  # the trainer starts on it

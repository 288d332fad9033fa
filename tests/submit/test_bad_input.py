"""Bad input: exit 2, one line on stderr naming the flag and what is accepted, nothing on stdout, nothing written."""

from __future__ import annotations

import pytest

from tests.submit.golden_cases import RUN_ID

CASES = {
    "unknown checkpoint mode": (["-M", "from-trained"], "--checkpoint-mode: 'from-trained' is not one of 'from-scratch', 'warm-start', 'resume', 'fresh'"),
    "resume without uri": (["-M", "resume"], "--checkpoint-uri: checkpoint mode resume needs --checkpoint-uri"),
    "warm-start without uri": (["-M", "warm-start"], "--checkpoint-uri: checkpoint mode warm-start needs --checkpoint-uri"),
    "uri with from-scratch": (
        ["-c", "models:/cartpole/3"],
        "--checkpoint-uri: a checkpoint URI was given with mode from-scratch; use warm-start or resume, or drop the URI",
    ),
    "uri with fresh": (
        ["-M", "fresh", "-c", "models:/cartpole/3"],
        "--checkpoint-uri: a checkpoint URI was given with mode fresh; use warm-start or resume, or drop the URI",
    ),
    "malformed runs uri": (
        ["-M", "resume", "-c", "runs:/not-a-run-id"],
        "--checkpoint-uri: not a checkpoint URI; use runs:/<32-hex run id>/<path>, models:/<name>/<version>, models:/<name>@<alias> or a path",
    ),
    "malformed models uri": (
        ["-M", "warm-start", "-c", "models:cartpole"],
        "--checkpoint-uri: not a checkpoint URI; use runs:/<32-hex run id>/<path>, models:/<name>/<version>, models:/<name>@<alias> or a path",
    ),
    "zero envs": (["-n", "0"], "--num-envs: must be greater than or equal to 1"),
    "negative iterations": (["-m", "-5"], "--max-iterations: must be greater than or equal to 1"),
    "zero nodes": (["--num-nodes", "0"], "--num-nodes: must be greater than or equal to 1"),
    "non-integer envs": (["-n", "many"], "--num-envs: 'many' is not a valid integer"),
    "job name with space": (
        ["--job-name", "my job"],
        "--job-name: must start with a letter or digit and use only letters, digits, '-' and '_' (at most 255)",
    ),
    "experiment name with slash": (
        ["--experiment-name", "team/exp"],
        "--experiment-name: must start with a letter or digit and use only letters, digits, '-' and '_' (at most 255)",
    ),
    "compute with punctuation": (["--compute", "gpu a100!!"], "--compute: must be 2-32 characters: a letter, then letters, digits or '-'"),
    "model name with space": (
        ["-r", "my model"],
        "--register-checkpoint: must start with a letter or digit and use only letters, digits, '.', '-' and '_'",
    ),
    "environment version without name": (["--environment-version", "3"], "--environment-name: --environment-version needs --environment-name"),
    "bad log interval": (["--mlflow-log-interval", "often"], "--mlflow-log-interval: accepted values: step, balanced, rollout, or a whole number >= 1"),
    "wandb project without wandb": (["--wandb-project", "robots"], "--wandb: --wandb-project/--wandb-entity need --wandb"),
    "display name with a binding": (
        ["--display-name", "x ${{inputs.secret}}"],
        "--display-name: must not contain '{{' or '}}' (job systems read them as bindings)",
    ),
    "bad subscription": (["--subscription-id", "not-a-guid"], "--subscription-id: must be a GUID"),
    "bad image": (["-i", "Not An Image"], "--image: must be an image reference such as registry.example.com/team/image:tag"),
    "unknown flag": (["--num-env", "3"], "No such option '--num-env'. (Did you mean one of: '--num-envs', '--num-nodes'?)"),
    "stray argument": (
        ["extra"],
        "unexpected arguments after the flags (not shown); nothing is passed through to az or osmo: "
        "write the spec with --dry-run -o FILE, edit it, and submit it (az ml job create -f, osmo workflow submit)",
    ),
    "pass-through after --": (
        ["--", "--set", "environment_variables.TOKEN=canary-secret"],
        "unexpected arguments after the flags (not shown); nothing is passed through to az or osmo: "
        "write the spec with --dry-run -o FILE, edit it, and submit it (az ml job create -f, osmo workflow submit)",
    ),
    "wandb without a vault": (
        ["--wandb"],
        "--key-vault-uri: needed by --wandb on Azure ML (the job reads its W&B key from the vault's secret wandb-api-key)",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_exits_2_with_one_line_naming_the_flag_and_writes_nothing(run_cli, tmp_path, name):
    args, expected = CASES[name]
    target = tmp_path / "job.yaml"
    result = run_cli("azureml", "training", *args, "--dry-run", "-o", str(target))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"submit: error: {expected}\n"
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_lerobot_push_to_hub_without_a_vault_is_refused_naming_the_vault_flag(run_cli, tmp_path):
    target = tmp_path / "job.yaml"
    args = ["-d", "lerobot/pusht", "--push-to-hub", "--policy-repo-id", "me/pol", "--dry-run", "-o", str(target)]
    result = run_cli("azureml", "lerobot-training", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "submit: error: --key-vault-uri: needed by --push-to-hub on Azure ML "
        "(the job reads its Hugging Face token from the vault's secret hf-token)\n"
    )
    assert not target.exists()
    with_vault = run_cli("azureml", "lerobot-training", *args, "--key-vault-uri", "https://robo-kv.vault.azure.net")
    assert with_vault.exit_code == 0, with_vault.stderr


def test_bad_input_from_the_environment_is_reported_against_its_flag(run_cli):
    result = run_cli("azureml", "training", "--dry-run", env={"NUM_ENVS": "0"})
    assert result.exit_code == 2
    assert result.stderr == "submit: error: --num-envs: must be greater than or equal to 1 (from env NUM_ENVS)\n"


def test_valid_resume_uri_is_accepted(run_cli):
    result = run_cli("azureml", "training", "-M", "resume", "-c", f"runs:/{RUN_ID}/checkpoints", "--dry-run")
    assert result.exit_code == 0, result.stderr


def test_checkpoint_mode_is_case_insensitive_like_the_reference(run_cli):
    result = run_cli("azureml", "training", "-M", "Warm-Start", "-c", "models:/cartpole@champion", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "ROBO_CHECKPOINT_MODE: warm-start" in result.stdout


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_learning_rate_that_is_not_a_number_is_called_that(run_cli, value):
    result = run_cli("osmo", "lerobot-training", "-d", "a/b", "--learning-rate", value, "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "submit: error: --learning-rate: must be a finite number\n"


@pytest.mark.parametrize(
    ("flag", "value"), [("--memory", "0Gi"), ("--storage", "0"), ("--exec-timeout", "0m"), ("--queue-timeout", "PT0S")]
)
def test_an_osmo_size_or_timeout_of_zero_is_refused(run_cli, flag, value):
    result = run_cli("osmo", "training", flag, value, "--dry-run")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"submit: error: {flag}: must be above 0\n")


@pytest.mark.parametrize(("flag", "value"), [("--storage", "0.5Gi"), ("--exec-timeout", "90"), ("--exec-timeout", "10m")])
def test_small_osmo_sizes_and_timeouts_are_accepted(run_cli, flag, value):
    assert run_cli("osmo", "training", flag, value, "--dry-run").exit_code == 0


@pytest.mark.parametrize("vault", ["https://robo-kv.vault.azure.net", "https://robo-kv.vault.usgovcloudapi.net/", "https://robo-kv.vault.azure.cn"])
def test_key_vaults_of_every_cloud_are_accepted(run_cli, vault):
    result = run_cli("azureml", "training", "--wandb", "--key-vault-uri", vault, "--dry-run")
    assert result.exit_code == 0, result.stderr


def test_a_key_vault_uri_on_another_domain_is_refused(run_cli):
    result = run_cli("azureml", "training", "--key-vault-uri", "https://robo-kv.example.com", "--dry-run")
    assert result.stderr == (
        "submit: error: --key-vault-uri: must be https://<vault>.vault.azure.net (.azure.cn, .usgovcloudapi.net in other clouds)\n"
    )

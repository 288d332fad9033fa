"""Command lines of the reference scripts: their documented flags and variables keep working, or stop
with exit 2 and one line naming what to use instead, before anything is written or submitted
(research/anchor-inventory.md §2; migration notes in README.md and docs/osmo.md)."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
import yaml

from submit.cli import cli

RL_AZUREML = ("azureml", "training")
RL_OSMO = ("osmo", "training")
LEROBOT_AZUREML = ("azureml", "lerobot-training", "-d", "lerobot/pusht")
LEROBOT_OSMO = ("osmo", "lerobot-training", "-d", "lerobot/pusht")

# Variables this file gives meaning to; cleared so the developer's shell cannot change a result.
REFERENCE_VARS = (
    "RUN_AZURE_SMOKE_TEST",
    "TRAINING_BACKEND",
    "EXPERIMENT_NAME",
    "WANDB_ENABLE",
    "WANDB_PROJECT",
    "AZURE_STORAGE_ACCOUNT_NAME",
    "JOB_NAME",
    "SLEEP_AFTER_UNPACK",
)

MLFLOW_NOTE = "note: MLflow is on but no --mlflow-tracking-uri is set; runs stay inside the container"
OUTPUT_DIR = (
    "--output-dir: the trainer owns its output folder (the job's outputs); -o now writes the rendered spec "
    "to FILE; drop --output-dir"
)
ASSETS_ONLY = (
    "--assets-only: the job's environment is registered when the job is submitted, only when it is missing "
    "or its image changed; drop --assets-only"
)
JOB_FILE = (
    "--job-file: there is no job template: the job is rendered from the flags; drop it "
    "(--dry-run prints the job, -o job.yaml writes it)"
)
WORKFLOW = (
    "--workflow: there is no workflow template: the workflow is rendered from the flags; drop it "
    "(--dry-run prints the workflow, -o workflow.yaml writes it)"
)
LEROBOT_VERSION = (
    "--lerobot-version: LeRobot comes pinned in the trainer image; another version needs another -i/--image"
)
LOCAL_OSMO = "--use-local-osmo: the osmo CLI found on PATH is used; put your development build first on PATH"

GONE = {
    "azureml training --assets-only": (RL_AZUREML, ["--assets-only"], ASSETS_ONLY),
    "azureml training -w": (RL_AZUREML, ["-w", "workflows/azureml/train.yaml"], JOB_FILE),
    "azureml training --job-file": (RL_AZUREML, ["--job-file", "train.yaml"], JOB_FILE),
    "azureml lerobot --output-dir": (
        LEROBOT_AZUREML,
        ["--output-dir", "/workspace/outputs/train"],
        OUTPUT_DIR,
    ),
    "azureml lerobot --lerobot-version": (LEROBOT_AZUREML, ["--lerobot-version", "0.3.3"], LEROBOT_VERSION),
    "azureml lerobot --assets-only": (LEROBOT_AZUREML, ["--assets-only"], ASSETS_ONLY),
    "azureml lerobot -w": (LEROBOT_AZUREML, ["-w", "lerobot-train.yaml"], JOB_FILE),
    "osmo training -w": (RL_OSMO, ["-w", "workflows/osmo/train.yaml"], WORKFLOW),
    "osmo training -p": (
        RL_OSMO,
        ["-p", "/workspace/isaac_payload"],
        "--payload-root: no code archive is unpacked: the trainer is in the image, or shipped with "
        "--code-source local or url:...; drop it",
    ),
    "osmo training --sleep-after-unpack": (
        RL_OSMO,
        ["--sleep-after-unpack", "600"],
        "--sleep-after-unpack: no code archive is unpacked and every workflow trains; "
        "--dry-run shows the workflow without running it",
    ),
    "osmo training --use-local-osmo": (RL_OSMO, ["--use-local-osmo"], LOCAL_OSMO),
    "osmo lerobot --output-dir": (LEROBOT_OSMO, ["--output-dir", "/workspace/outputs/train"], OUTPUT_DIR),
    "osmo lerobot --lerobot-version": (LEROBOT_OSMO, ["--lerobot-version", "0.3.3"], LEROBOT_VERSION),
    "osmo lerobot -w": (LEROBOT_OSMO, ["-w", "lerobot-train.yaml"], WORKFLOW),
    "osmo lerobot --use-local-osmo": (LEROBOT_OSMO, ["--use-local-osmo"], LOCAL_OSMO),
}


@pytest.fixture(autouse=True)
def _no_reference_vars(monkeypatch):
    for name in REFERENCE_VARS:
        monkeypatch.delenv(name, raising=False)


def _refused(result, line: str) -> None:
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"submit: error: {line}\n")


@pytest.mark.parametrize(("command", "args", "line"), GONE.values(), ids=GONE.keys())
def test_a_gone_reference_flag_names_what_to_use_instead_and_writes_nothing(
    run_cli, tmp_path, command, args, line
):
    spec = tmp_path / "job.yaml"
    result = run_cli(*command, *args, "--dry-run", "-o", str(spec))
    _refused(result, line)
    assert not spec.exists()
    assert line.split(":")[0] not in run_cli(*command[:2], "--help").stdout  # refused, never offered


# ---- A: -o writes the spec; the reference's -o/--output-dir DIR is refused ----------------------------

OUTPUT_REASON = (
    "-o writes the rendered spec to a FILE such as job.yaml "
    "(the trainer owns the job's output folder: the reference's -o/--output-dir is gone)"
)


def test_the_reference_lerobot_output_dir_after_o_is_refused_before_anything_is_written(
    run_cli, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*LEROBOT_OSMO, "-o", "outputs/train", "--dry-run")
    _refused(result, f"--output: 'outputs/train' is not a .yaml or .yml file name; {OUTPUT_REASON}")
    assert list(tmp_path.iterdir()) == []
    # A spec file name is what -o takes: the spec goes there and nothing to stdout.
    written = run_cli(*LEROBOT_OSMO, "-o", "outputs/train.yml", "--dry-run")
    assert (written.exit_code, written.stdout) == (0, ""), written.stderr
    assert (tmp_path / "outputs" / "train.yml").read_text() == run_cli(*LEROBOT_OSMO, "--dry-run").stdout


@pytest.mark.parametrize("command", [RL_AZUREML, LEROBOT_AZUREML, RL_OSMO, LEROBOT_OSMO], ids=" ".join)
def test_o_with_a_folder_is_refused(run_cli, tmp_path, command):
    existing = run_cli(*command, "-o", str(tmp_path), "--dry-run")
    _refused(existing, f"--output: '{tmp_path}' is a folder; {OUTPUT_REASON}")
    slash = f"{tmp_path}/outputs/train/"
    trailing = run_cli(*command, "-o", slash, "--dry-run")
    _refused(trailing, f"--output: '{slash}' is a folder; {OUTPUT_REASON}")
    assert list(tmp_path.iterdir()) == []


# ---- B: -s/--run-smoke-test and RUN_AZURE_SMOKE_TEST ---------------------------------------------------

SMOKE_NOTE = (
    "note: -s/RUN_AZURE_SMOKE_TEST submits a smoke-test job instead of training "
    "(the reference ran the smoke test here, then trained; --preflight checks the workspace before submitting)"
)


def test_s_on_azureml_is_mode_smoke_test_and_says_it_submits_the_smoke_test_as_the_job(run_cli):
    smoke = run_cli(*RL_AZUREML, "--mode", "smoke-test", "--dry-run")
    result = run_cli(*RL_AZUREML, "-s", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "ROBO_MODE: smoke-test" in result.stdout
    assert result.stdout == smoke.stdout
    assert result.stderr.splitlines()[0] == SMOKE_NOTE
    assert SMOKE_NOTE not in smoke.stderr
    # Bad input stays one line: the note comes only once the settings are valid.
    _refused(
        run_cli(*RL_AZUREML, "-s", "-n", "0", "--dry-run"), "--num-envs: must be greater than or equal to 1"
    )


@pytest.mark.parametrize("command", [RL_AZUREML, RL_OSMO], ids=" ".join)
@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_run_azure_smoke_test_is_s_and_a_mode_flag_beats_it(run_cli, command, value):
    flag = run_cli(*command, "-s", "--dry-run")
    result = run_cli(*command, "--dry-run", env={"RUN_AZURE_SMOKE_TEST": value})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == flag.stdout
    assert "ROBO_MODE: smoke-test" in result.stdout
    train = run_cli(*command, "--dry-run").stdout
    assert "ROBO_MODE: train" in train
    assert (
        run_cli(*command, "--mode", "train", "--dry-run", env={"RUN_AZURE_SMOKE_TEST": value}).stdout == train
    )
    assert run_cli(*command, "--dry-run", env={"RUN_AZURE_SMOKE_TEST": "0"}).stdout == train


@pytest.mark.parametrize("command", [RL_AZUREML, RL_OSMO], ids=" ".join)
def test_s_with_mode_train_is_refused(run_cli, command):
    _refused(
        run_cli(*command, "-s", "--mode", "train", "--dry-run"),
        "--run-smoke-test: means --mode smoke-test; drop -s or --mode train",
    )


def test_a_run_azure_smoke_test_that_is_not_yes_or_no_is_refused(run_cli):
    result = run_cli(*RL_AZUREML, "--dry-run", env={"RUN_AZURE_SMOKE_TEST": "maybe"})
    _refused(
        result,
        "--run-smoke-test: 'maybe' is not one of 1, true, yes, on, 0, false, no, off (from env RUN_AZURE_SMOKE_TEST)",
    )


# ---- C: TRAINING_BACKEND is -b; reference variables read, or noted ---------------------------------

@pytest.mark.parametrize("command", [RL_OSMO, (*RL_AZUREML, "--compute", "gpu-a100")])
def test_training_backend_and_b_are_rl_library_on_every_backend(run_cli, command):
    rsl_rl = run_cli(*command, "--rl-library", "rsl_rl", "--dry-run")
    assert rsl_rl.exit_code == 0, rsl_rl.stderr
    assert "ROBO_RL_LIBRARY: rsl_rl" in rsl_rl.stdout
    for args, env in ((["-b", "rsl_rl"], None), (["--backend", "rsl-rl"], None), ([], {"TRAINING_BACKEND": "rslrl"})):
        result = run_cli(*command, *args, "--dry-run", env=env)
        assert (result.exit_code, result.stdout) == (0, rsl_rl.stdout), (args, env, result.stderr)
    plain = run_cli(*command, "--dry-run")
    assert "ROBO_RL_LIBRARY" not in plain.stdout  # skrl, the default, leaves skrl specs as they were
    for args, env in ((["-b", "SKRL"], None), ([], {"TRAINING_BACKEND": "SKRL"})):
        result = run_cli(*command, *args, "--dry-run", env=env)
        assert (result.exit_code, result.stdout) == (0, plain.stdout), result.stderr


def test_an_unknown_rl_library_is_refused_naming_the_flag_and_the_values(run_cli):
    _refused(run_cli(*RL_OSMO, "-b", "torchrl", "--dry-run"), "--rl-library: 'torchrl' is not one of 'skrl', 'rsl_rl'")
    from_env = run_cli(*RL_OSMO, "--dry-run", env={"TRAINING_BACKEND": "torchrl"})
    _refused(from_env, "--rl-library: 'torchrl' is not one of 'skrl', 'rsl_rl' (from env TRAINING_BACKEND)")


def test_experiment_name_is_read_by_osmo_lerobot(run_cli):
    flag = run_cli(*LEROBOT_OSMO, "--experiment-name", "pusht-act", "--dry-run")
    result = run_cli(*LEROBOT_OSMO, "--dry-run", env={"EXPERIMENT_NAME": "pusht-act"})
    assert result.exit_code == 0, result.stderr
    assert "ROBO_EXPERIMENT_NAME: pusht-act" in result.stdout
    assert result.stdout == flag.stdout


def test_azure_storage_account_name_is_the_second_fallback_of_storage_account(run_cli):
    blob = ("-d", "lab/pick-place", "--from-blob", "--dry-run")
    flag = run_cli("osmo", "lerobot-training", *blob, "--storage-account", "labdata")
    result = run_cli("osmo", "lerobot-training", *blob, env={"AZURE_STORAGE_ACCOUNT_NAME": "labdata"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == flag.stdout
    both = {"AZURE_STORAGE_ACCOUNT_NAME": "other", "BLOB_STORAGE_ACCOUNT": "labdata"}
    assert run_cli("osmo", "lerobot-training", *blob, env=both).stdout == flag.stdout


def test_wandb_enable_and_wandb_project_are_read_the_project_only_with_wandb_on(run_cli):
    flag = run_cli(*LEROBOT_OSMO, "--wandb-enable", "--wandb-project", "pusht", "--dry-run")
    result = run_cli(*LEROBOT_OSMO, "--dry-run", env={"WANDB_ENABLE": "true", "WANDB_PROJECT": "pusht"})
    assert result.exit_code == 0, result.stderr
    assert "ROBO_WANDB_PROJECT: pusht" in result.stdout
    assert result.stdout == flag.stdout
    # WANDB_PROJECT is also wandb's own variable: set for other work, it must not make --wandb-project an error.
    plain = run_cli(*LEROBOT_OSMO, "--dry-run")
    alone = run_cli(*LEROBOT_OSMO, "--dry-run", env={"WANDB_PROJECT": "someone-elses"})
    assert (alone.exit_code, alone.stdout) == (0, plain.stdout)


def test_wandb_enable_on_azureml_needs_a_vault_like_the_flag(run_cli):
    _refused(
        run_cli(*LEROBOT_AZUREML, "--dry-run", env={"WANDB_ENABLE": "1"}),
        "--key-vault-uri: needed by --wandb on Azure ML (the job reads its W&B key from the vault's secret wandb-api-key)",
    )


NOTES = {
    "IMAGE": "note: IMAGE is set but not read: too generic a name to choose what the job runs; "
    "pass -i/--image (or image in a submit.toml profile)",
    "JOB_NAME": "note: JOB_NAME is set but not read: CI systems set it for their own jobs; "
    "pass -j/--job-name (or job_name in a submit.toml profile)",
    "POLICY_REPO_ID": "note: POLICY_REPO_ID is set but not read: it named the Hub repo a policy was pushed to; "
    "start from a policy with --pretrained-path, push with --push-to-hub --policy-repo-id",
    "SLEEP_AFTER_UNPACK": "note: SLEEP_AFTER_UNPACK is set but not read: no code archive is unpacked and the "
    "workflow trains; --dry-run shows it without running it",
}
UNREAD = {
    "IMAGE": "registry.example.com/other:1",
    "JOB_NAME": "ci/folder/build",
    "POLICY_REPO_ID": "me/act-base",
}


def _no_image_note(kind: str, tag: str) -> str:
    return (
        f"note: no image is configured and OSMO only pulls from a registry ({tag} is a local tag); "
        f"run `submit image build {kind} --push REGISTRY` and pass the reference it prints as -i/--image "
        "or `image = ...` in submit.toml; a submission without one is refused"
    )


def test_unread_reference_variables_change_nothing_and_each_gets_a_note_on_osmo_lerobot(run_cli):
    plain = run_cli(*LEROBOT_OSMO, "--dry-run")
    result = run_cli(*LEROBOT_OSMO, "--dry-run", env=UNREAD)
    assert (result.exit_code, result.stdout) == (0, plain.stdout)
    assert result.stderr.splitlines() == [
        *list(NOTES.values())[:3], _no_image_note("lerobot", "robo-submit/lerobot:0.2.0"), MLFLOW_NOTE
    ]
    # With the flag given, the variable is moot: no note.
    image = "registry.example.com/team/lerobot:2"
    given = run_cli(*LEROBOT_OSMO, "-i", image, "--dry-run", env={"IMAGE": "other:1"})
    assert f"image: {image}" in given.stdout
    assert given.stderr.splitlines() == [f"image: the cluster pulls {image}", MLFLOW_NOTE]


def test_osmo_gpu_is_read_again_for_a_lerobot_workflow_its_gpu_request_and_process_count(run_cli):
    # LeRobot 0.6 trains on several GPUs (accelerate), so the reference's OSMO_GPU means what it says.
    spec = yaml.safe_load(run_cli(*LEROBOT_OSMO, "--dry-run", env={"OSMO_GPU": "8"}).stdout)
    task = spec["workflow"]["tasks"][0]
    assert (spec["workflow"]["resources"]["default"]["gpu"], task["environment"]["ROBO_GPUS"]) == (8, "8")


def test_an_unread_variable_gets_no_note_when_a_profile_sets_its_setting(run_cli):
    profile = Path(os.environ["XDG_CONFIG_HOME"]) / "robo-submit" / "submit.toml"
    profile.parent.mkdir(parents=True, exist_ok=True)
    profile.write_text('[default]\nimage = "registry.example.com/team/lerobot:3"\n', encoding="utf-8")
    result = run_cli(*LEROBOT_OSMO, "--dry-run", env={"IMAGE": "other:1"})
    assert "image: registry.example.com/team/lerobot:3" in result.stdout
    assert NOTES["IMAGE"] not in result.stderr


def test_unread_reference_variables_on_azureml_lerobot(run_cli):
    plain = run_cli(*LEROBOT_AZUREML, "--dry-run")
    result = run_cli(*LEROBOT_AZUREML, "--dry-run", env=UNREAD)
    assert (result.exit_code, result.stdout) == (0, plain.stdout)
    assert result.stderr.splitlines()[:3] == [NOTES["IMAGE"], NOTES["JOB_NAME"], NOTES["POLICY_REPO_ID"]]
    assert "OSMO_GPU" not in result.stderr


def test_unread_reference_variables_on_osmo_training(run_cli):
    plain = run_cli(*RL_OSMO, "--dry-run")
    result = run_cli(
        *RL_OSMO, "--dry-run", env={"IMAGE": "registry.example.com/other:1", "SLEEP_AFTER_UNPACK": "600"}
    )
    assert (result.exit_code, result.stdout) == (0, plain.stdout)
    assert result.stderr.splitlines() == [
        NOTES["IMAGE"], NOTES["SLEEP_AFTER_UNPACK"], _no_image_note("rl", "robo-submit/isaaclab:0.1.0"), MLFLOW_NOTE
    ]


# ---- D: --help says where values come from ---------------------------------------------------------


def _job_commands() -> list[click.Command]:
    ctx = click.Context(cli)
    return [
        cli.get_command(ctx, backend).get_command(ctx, name)
        for backend in ("azureml", "osmo", "local")
        for name in ("training", "lerobot-training")
    ]


@pytest.mark.parametrize("command", _job_commands(), ids=lambda command: command.name)
def test_every_environment_fallback_is_shown_in_help(command):
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden or not param.envvar:
            continue
        names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
        assert "[env " in param.help, param.opts
        assert [name for name in names if name not in param.help] == [], param.opts


def test_help_of_environment_version_and_output_is_accurate():
    ctx = click.Context(cli)
    command = cli.get_command(ctx, "azureml").get_command(ctx, "training")
    helps = {param.name: param.help for param in command.params}
    assert helps["environment_version"] == "Version of --environment-name (needs it). [default 1]"
    assert helps["environment_name"] == (
        "Registered Azure ML environment to run in (default: none; the job runs --image, else Azure ML builds the "
        "job's image from our Dockerfile in the code snapshot)."
    )
    assert helps["output_file"] == (
        "Write the spec to FILE (.yaml or .yml) instead of stdout; --output-format json still prints its object."
    )


# Reference flags that did nothing there (issue 15, item 6): accepted with one note on stderr, never refused.
NOOPS = {
    "--val-split": (["--val-split", "0.1"], "the reference only logged it (LeRobot trains on the whole dataset)"),
    "--no-val-split": (["--no-val-split"], "the reference only logged it (LeRobot trains on the whole dataset)"),
    "--lr-warmup-steps": (
        ["--lr-warmup-steps", "1000"],
        "the reference only logged it; LeRobot's own warmup is --lerobot-arg=--policy.scheduler_warmup_steps=N (diffusion)",
    ),
    "--no-system-metrics": (["--no-system-metrics"], "the LeRobot trainer logs no system metrics, so there is nothing to turn off"),
}


@pytest.mark.parametrize("backend", ["osmo", "azureml"])
@pytest.mark.parametrize("flag", sorted(NOOPS))
def test_a_reference_no_op_flag_is_accepted_with_one_note_and_changes_nothing(run_cli, backend, flag):
    args, note = NOOPS[flag]
    base = ("-d", "a/b", "--dry-run")
    plain = run_cli(backend, "lerobot-training", *base)
    result = run_cli(backend, "lerobot-training", *base, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"note: {flag} is accepted and ignored: {note}\n" + plain.stderr
    assert result.stdout == plain.stdout


@pytest.mark.parametrize("backend", ["osmo", "azureml"])
def test_a_policy_repo_id_without_push_names_pretrained_path_and_push_to_hub(run_cli, backend):
    result = run_cli(backend, "lerobot-training", "-d", "a/b", "--policy-repo-id", "lerobot/act_aloha", "--dry-run")
    _refused(
        result,
        "--policy-repo-id: only names the Hub repo the trained policy is pushed to: add --push-to-hub to push there; "
        "to fine-tune from a pretrained policy, use --pretrained-path",
    )

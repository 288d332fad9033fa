"""`submit local training`: the real trainer as a subprocess, tracked in a local sqlite MLflow store.

Nothing is replaced: skrl trains CartPole for a few hundred timesteps on the CPU and the model is
registered in `mlruns.db` in the working directory, exactly as the quick start does.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.submit.conftest import REPO

TINY = REPO / "tests" / "training" / "data" / "tiny_ppo_cartpole.yaml"


def _submit(tmp_path: Path, *args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OMP_NUM_THREADS": "1", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "submit.cli_entry", "local", "training", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )


@pytest.mark.slow
def test_local_training_runs_the_trainer_registers_the_model_and_reports_it(tmp_path):
    result = _submit(tmp_path, "--task", "CartPole-v1", "-n", "4", "--agent-config", str(TINY), "--timesteps", "200",
                     "--job-name", "local-1", "--output-format", "json")
    assert result.returncode == 0, result.stderr[-2000:]
    payload = json.loads(result.stdout)
    assert payload["backend"] == "local"
    assert payload["tracking_uri"] == f"sqlite:///{tmp_path / 'mlruns.db'}"
    assert payload["model_name"] == "cartpole-v1" and payload["model_version"] == "1"
    assert Path(payload["output_dir"]) == tmp_path / "outputs" / "local-1"
    assert "[train] timestep" in result.stderr  # progress on stderr

    import mlflow

    client = mlflow.MlflowClient(tracking_uri=payload["tracking_uri"])
    version = client.get_model_version("cartpole-v1", "1")
    assert version.run_id == payload["run_id"]
    assert client.get_run(payload["run_id"]).info.status == "FINISHED"


@pytest.mark.slow
def test_local_training_text_report_names_run_reward_model_and_ui_command(tmp_path):
    result = _submit(tmp_path, "--task", "CartPole-v1", "-n", "4", "--agent-config", str(TINY), "--timesteps", "100",
                     "-r", "local-cartpole")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == ""
    assert "run id:" in result.stderr and "final mean reward:" in result.stderr
    assert "registered model: local-cartpole version 1" in result.stderr
    assert f"mlflow ui --backend-store-uri sqlite:///{tmp_path / 'mlruns.db'}" in result.stderr


@pytest.mark.slow
def test_a_run_without_mlflow_reports_no_run_and_no_ui_command(tmp_path):
    result = _submit(tmp_path, "--task", "CartPole-v1", "-n", "4", "--agent-config", str(TINY), "--timesteps", "100",
                     "--no-mlflow")
    assert result.returncode == 0, result.stderr[-2000:]
    report = result.stderr[result.stderr.index("final mean reward:"):]
    assert "registered model: none" in report
    assert "run id:" not in result.stderr and "mlflow ui" not in report


def test_agent_config_the_trainer_refuses_exits_2_and_registers_nothing(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(TINY.read_text(encoding="utf-8").replace("class: PPO", "class: NoSuchAgent"), encoding="utf-8")
    result = _submit(tmp_path, "--task", "CartPole-v1", "-n", "2", "--agent-config", str(broken), "--timesteps", "50")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert "error: ROBO_ALGORITHM: ppo, but the agent config declares nosuchagent; pass --algorithm nosuchagent" in lines
    # Refused before training: no outputs folder exists, so none is pointed at.
    assert lines[-1] == "submit: error: the trainer refused its settings (its error line above); nothing was trained or registered"
    assert not (tmp_path / "mlruns.db").exists() or _registered(tmp_path) == []


def _registered(tmp_path: Path) -> list:
    import mlflow

    return mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlruns.db'}").search_registered_models()


def test_bad_local_input_exits_2_before_anything_runs(tmp_path):
    result = _submit(tmp_path, "--task", "CartPole-v1", "--timesteps", "0")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == "submit: error: --timesteps: 0 is not in the range x>=1"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["training", "lerobot-training"])
def test_a_local_run_has_no_image_flag(run_cli, command):
    """It runs on this machine's environment: --image is not offered, and a job's --image is refused by name."""
    assert "--image" not in run_cli("local", command, "--help").stdout
    result = run_cli("local", command, "--image", "registry.example.com/team/trainer:1")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "submit: error: --image: a local run uses this machine's Python environment, not a container image; drop --image\n"
    )


@pytest.mark.parametrize("command", ["training", "lerobot-training"])
def test_a_display_name_is_refused_naming_what_names_a_local_run(run_cli, command):
    result = run_cli("local", command, "--display-name", "My run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "submit: error: --display-name: a local run is named by --job-name (its outputs folder and MLflow run); drop it\n"
    )
    assert "unique in the workspace" not in run_cli("local", command, "--help").stdout


def test_local_help_shows_the_defaults_a_local_run_uses(run_cli):
    shown = " ".join(run_cli("local", "training", "--help").stdout.split())
    assert "[env TASK; default CartPole-v1]" in shown
    assert "[env NUM_ENVS; default 8]" in shown
    cluster = " ".join(run_cli("azureml", "training", "--help").stdout.split())
    assert "[env NUM_ENVS; default 2048]" in cluster


@pytest.mark.slow
def test_a_profile_image_for_cluster_jobs_does_not_stop_a_local_run(tmp_path):
    """The same submit.toml serves every command: its image is for jobs, a local run just does not use it."""
    (tmp_path / "submit.toml").write_text('[default]\nimage = "registry.example.com/team/trainer:1"\n')
    result = _submit(tmp_path, "--task", "CartPole-v1", "-n", "4", "--agent-config", str(TINY), "--timesteps", "100",
                     "--skip-register-checkpoint")
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_job_name_whose_outputs_exist_is_refused_before_anything_runs(tmp_path):
    earlier = tmp_path / "outputs" / "cartpole-7"
    earlier.mkdir(parents=True)
    result = _submit(tmp_path, "--task", "CartPole-v1", "-j", "cartpole-7")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.strip().splitlines()[-1] == (
        f"submit: error: --job-name: {earlier} exists (an earlier run's outputs); choose another name or remove it"
    )
    assert list(earlier.iterdir()) == [] and not (tmp_path / "mlruns.db").exists()


def test_a_device_that_is_not_one_is_bad_input_before_anything_runs(tmp_path):
    result = _submit(tmp_path, "--device", "gpu0")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "submit: error: --device: accepted values: auto, cpu, cuda, cuda:N, mps\n"
    assert list(tmp_path.iterdir()) == []


def _cuda_devices() -> int:
    import torch

    return torch.cuda.device_count()


@pytest.mark.skipif(_cuda_devices() > 0, reason="this machine has a CUDA device")
def test_cuda_on_a_machine_without_it_is_refused_naming_the_flag_before_training(tmp_path):
    # The trainer's own check, run by the CLI first: the refusal names --device, not ROBO_DEVICE (issue 15, item 19).
    result = _submit(tmp_path, "--task", "CartPole-v1", "--device", "cuda", "--timesteps", "10")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "submit: error: --device: cuda asked for, but torch finds 0 CUDA device(s) here; use cpu or auto\n"
    assert not (tmp_path / "mlruns.db").exists() and not (tmp_path / "outputs").exists()  # nothing started


def test_missing_isaaclab_environment_names_the_setup_script(tmp_path):
    result = _submit(tmp_path, "--task", "Isaac-Cartpole-Direct", env_extra={"ROBO_ISAACLAB_PYTHON": str(tmp_path / "none")})
    assert result.returncode == 1
    assert "create it with ./scripts/setup-isaaclab-env.sh or set ROBO_ISAACLAB_PYTHON" in result.stderr


def _submit_cli(tmp_path: Path, *args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OMP_NUM_THREADS": "1", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "submit.cli_entry", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "profile", "line"),
    [
        (("--task", ""), {}, None, "--task: must be a task id such as Isaac-Cartpole-Direct or CartPole-v1"),
        (("-n", "0"), {}, None, "--num-envs: must be greater than or equal to 1"),
        ((), {"NUM_ENVS": "0"}, None, "--num-envs: must be greater than or equal to 1 (from env NUM_ENVS)"),
        ((), {}, "[default]\nnum_envs = 0\n",
         "--num-envs: must be greater than or equal to 1 (from profile default (./submit.toml))"),
    ],
    ids=["empty-task", "zero-envs-flag", "zero-envs-env", "zero-envs-profile"],
)
def test_an_empty_task_or_zero_envs_is_refused_as_a_job_would_be_not_swapped_for_the_local_default(
    tmp_path, args, env, profile, line
):
    """Only a value given nowhere takes CartPole-v1 / 8 environments; a bad one is the cluster's exit 2."""
    written = []
    if profile is not None:
        (tmp_path / "submit.toml").write_text(profile)
        written = [tmp_path / "submit.toml"]
    result = _submit(tmp_path, *args, "--timesteps", "1", "--no-mlflow", env_extra=env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: {line}\n"
    assert list(tmp_path.iterdir()) == written  # nothing trained, no outputs folder, no store
    cluster = _submit_cli(tmp_path, "azureml", "training", "--dry-run", *args, env_extra=env)
    assert (cluster.returncode, cluster.stderr) == (2, result.stderr)


def _unwritable_reason(path: str) -> str:
    from submit.output import unwritable_reason

    try:
        Path(path).mkdir(parents=True)
    except OSError as exc:
        return unwritable_reason(exc)
    Path(path).rmdir()
    raise AssertionError(f"{path} could be made here")


@pytest.mark.parametrize("root", ["afile/sub", "/proc/x"])
def test_an_output_root_that_cannot_be_made_is_bad_input_on_one_line_before_anything_starts(tmp_path, root):
    (tmp_path / "afile").touch()
    reason = "part of the path is a file, not a folder" if root == "afile/sub" else _unwritable_reason(root)
    result = _submit(tmp_path, "--output-root", root, "--timesteps", "1", "-n", "1", "--no-mlflow")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: --output-root: cannot write {root} ({reason})\n"
    assert list(tmp_path.iterdir()) == [tmp_path / "afile"]


def test_a_writable_output_root_missing_several_levels_is_made_by_the_run(tmp_path):
    result = _submit(tmp_path, "--output-root", "deep/a/b", "-j", "run-1", "-n", "2", "--agent-config", str(TINY),
                     "--timesteps", "20", "--no-mlflow")
    assert result.returncode == 0, result.stderr[-2000:]
    assert list((tmp_path / "deep" / "a" / "b").iterdir()) == [tmp_path / "deep" / "a" / "b" / "run-1"]


SAS_SECRET = "SASSECRET9"


def test_a_blob_checkpoint_url_is_refused_on_one_line_without_its_sas_token_before_training(tmp_path):
    # The trainer fetches https only from an MLflow artifact server; the CLI applies its rule
    # (training.checkpoints.unfetchable) before it starts anything.
    url = f"https://a.blob.core.windows.net/c/m.pt?sv=1&sig={SAS_SECRET}"
    result = _submit(tmp_path, "-M", "warm-start", "-c", url, "--timesteps", "1", "-n", "1", "--no-mlflow")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "submit: error: --checkpoint-uri: an https URL must be an MLflow artifact server's "
        "(.../api/2.0/mlflow-artifacts/artifacts/...); use runs:/<run-id>/<path>, models:/<name>/<version>, "
        "models:/<name>@<alias>, or download the checkpoint and pass its path\n"
    )
    assert not (tmp_path / "outputs").exists()  # nothing started


@pytest.mark.skipif(importlib.util.find_spec("lerobot") is not None, reason="LeRobot is installed in this venv")
def test_lerobot_missing_from_the_trainer_interpreter_is_one_line_naming_the_setup_script(tmp_path):
    result = _submit_cli(tmp_path, "local", "lerobot-training", "-d", "local/tiny", "--steps", "1", "--no-mlflow",
                         env_extra={"ROBO_LEROBOT_PYTHON": sys.executable})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"submit: error: LeRobot is not installed in {sys.executable}; create its environment with "
        "./scripts/setup-lerobot-env.sh or set ROBO_LEROBOT_PYTHON to an interpreter that has it\n"
    )
    assert list(tmp_path.iterdir()) == []  # no outputs folder left behind


@pytest.mark.parametrize("backend", ["local", "azureml", "osmo"])
def test_a_window_for_a_gymnasium_task_is_refused_not_ignored(run_cli, backend):
    extra = {"azureml": ["--dry-run"], "osmo": ["--dry-run", "--pool", "p"], "local": []}[backend]
    result = run_cli(backend, "training", "-t", "CartPole-v1", "--gui", *extra)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "submit: error: --headless: a window (--gui) is for Isaac Lab tasks; CartPole-v1 trains without one; drop --gui\n"
    )


@pytest.mark.slow
def test_a_training_folder_or_random_py_where_it_runs_neither_replaces_nor_breaks_the_trainer(tmp_path):
    """The trainer runs with a safe import path (PYTHONSAFEPATH): the working folder is not on it."""
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "__init__.py").write_text("raise SystemExit('the working folder replaced the trainer')\n")
    (tmp_path / "training" / "__main__.py").write_text("raise SystemExit('the working folder replaced the trainer')\n")
    (tmp_path / "random.py").write_text("raise ImportError('the working folder shadowed random')\n")
    # The console script, as a user runs it (`python -m submit...` would itself import from the folder).
    result = subprocess.run(
        [str(Path(sys.executable).parent / "submit"), "local", "training", "--task", "CartPole-v1", "-n", "2",
         "--agent-config", str(TINY), "--timesteps", "16", "--job-name", "safe", "--no-mlflow"],
        cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OMP_NUM_THREADS": "1"},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "replaced the trainer" not in result.stderr and "shadowed" not in result.stderr
    # The final mean reward a person reads is rounded.
    reward = [line for line in result.stderr.splitlines() if line.startswith("final mean reward:")]
    assert reward and re.fullmatch(r"final mean reward: -?\d+\.\d\d", reward[0]), reward


@pytest.mark.parametrize(("users", "seen"), [(None, None), ("some-plugin", "some-plugin")], ids=["ours", "the-users"])
def test_the_trainer_does_not_inherit_the_clis_own_pydantic_plugin_switch(tmp_path, users, seen):
    # robo-submit turns pydantic's plugins off for its own process (start-up time); the trainer it starts keeps the
    # user's environment as it was. The "interpreter" is a stand-in that records the environment it was given.
    stub = tmp_path / "python"
    stub.write_text(f"#!/bin/sh\nenv > {tmp_path / 'trainer-env.txt'}\nexit 1\n")
    stub.chmod(0o755)
    extra = {"ROBO_ISAACLAB_PYTHON": str(stub), **({"PYDANTIC_DISABLE_PLUGINS": users} if users else {})}
    result = _submit(tmp_path, "--task", "Isaac-Cartpole-Direct", "--physics", "newton_mjwarp", env_extra=extra)
    assert result.returncode != 0
    env = dict(line.split("=", 1) for line in (tmp_path / "trainer-env.txt").read_text().splitlines() if "=" in line)
    assert env.get("ROBO_TASK") == "Isaac-Cartpole-Direct"  # it is the trainer's environment
    assert env.get("PYDANTIC_DISABLE_PLUGINS") == seen

"""`python -m training rl` as the job runs it: a subprocess whose exit code is the truth."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
import torch
from mlflow import MlflowClient

from tests.training.conftest import TINY_PPO, finish, result_of, start_trainer, wait_until_training


def test_bad_settings_exit_2_with_one_line_naming_the_variable(tmp_path: Path, sqlite_tracking: str) -> None:
    code, out, err = finish(start_trainer(tmp_path, sqlite_tracking, num_envs="zero"))
    assert (code, out) == (2, "")
    assert err == "error: ROBO_NUM_ENVS: invalid literal for int() with base 10: 'zero'\n"


def test_an_unknown_task_exits_2_before_anything_is_tracked(tmp_path: Path, sqlite_tracking: str) -> None:
    code, out, err = finish(start_trainer(tmp_path, sqlite_tracking, task="CartPol-v1"))
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        "error: ROBO_TASK: unknown environment 'CartPol-v1'; did you mean 'CartPole-v1'? "
        "(Isaac Lab tasks need Isaac Lab installed)"
    )
    assert not (tmp_path / "mlruns.db").exists() or not MlflowClient(sqlite_tracking).search_runs(["0"])


def test_a_missing_checkpoint_is_an_error_before_training(tmp_path: Path, sqlite_tracking: str) -> None:
    missing = tmp_path / "gone" / "agent_100.pt"
    code, out, err = finish(
        start_trainer(tmp_path, sqlite_tracking, checkpoint_mode="resume", checkpoint_uri=str(missing))
    )
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == f"error: ROBO_CHECKPOINT_URI: {missing}: no such file or folder"
    assert not list((tmp_path / "out").glob("skrl/checkpoints/*.pt"))


def test_an_unreachable_checkpoint_server_is_one_line_exit_1_without_its_sas_token(
    tmp_path: Path, sqlite_tracking: str
) -> None:
    from tests.conftest import free_port

    port = free_port()  # nothing listens there: the artifact server is unreachable
    uri = f"https://127.0.0.1:{port}/api/2.0/mlflow-artifacts/artifacts/0/r/agent.pt?sv=1&sig=SASSECRET9"
    code, out, err = finish(
        start_trainer(
            tmp_path,
            sqlite_tracking,
            extra_env={"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"},
            checkpoint_mode="warm-start",
            checkpoint_uri=uri,
            timesteps="8",
        )
    )
    assert code == 1
    assert "Traceback" not in err and "SASSECRET9" not in err + out
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors == err.splitlines()[-1:]
    assert errors[0].startswith(
        f"error: ROBO_CHECKPOINT_URI: could not download "
        f"https://127.0.0.1:{port}/api/2.0/mlflow-artifacts/artifacts/0/r/agent.pt: "
    )
    assert not list((tmp_path / "out").glob("skrl/checkpoints/*.pt"))  # nothing trained


@pytest.mark.slow
def test_an_exception_inside_training_exits_1_and_registers_nothing(
    tmp_path: Path, sqlite_tracking: str
) -> None:
    # 1000 mini-batches of a 16-sample rollout: skrl's first update fails inside training.
    broken = tmp_path / "broken.yaml"
    broken.write_text(TINY_PPO.read_text().replace("mini_batches: 2", "mini_batches: 1000"))
    code, out, err = finish(
        start_trainer(tmp_path, sqlite_tracking, agent_config=str(broken), register_model="never")
    )
    assert code == 1
    assert err.splitlines()[-1] == "error: training failed; nothing was registered"
    result = result_of(out)
    assert (result["status"], result["model_version"]) == ("failed", None)
    client = MlflowClient(sqlite_tracking)
    assert client.search_model_versions("name='never'") == []
    run = client.get_run(result["run_id"])
    assert (run.info.status, run.data.tags["training_outcome"]) == ("FAILED", "failed")


@pytest.mark.slow
def test_sigterm_writes_a_last_checkpoint_flushes_and_exits_143_without_registering(
    tmp_path: Path, sqlite_tracking: str
) -> None:
    process = start_trainer(
        tmp_path, sqlite_tracking, timesteps=100_000, register_model="never", log_interval="step"
    )
    wait_until_training(process)
    process.send_signal(signal.SIGTERM)
    ledger = tmp_path / "out" / "metrics.jsonl"
    code, out, err = finish(process)
    assert code == 143
    result = result_of(out)
    assert result["status"] == "interrupted" and result["model_version"] is None
    last = Path(result["checkpoint"])
    assert last.name == f"agent_{result['timesteps']}.pt" and 0 < result["timesteps"] < 100_000
    assert torch.load(last, weights_only=True)["trainer_state"]["timestep"] == result["timesteps"]
    assert "stopped by SIGTERM after timestep" in err.splitlines()[-1]
    client = MlflowClient(sqlite_tracking)
    assert client.search_model_versions("name='never'") == []
    run = client.get_run(result["run_id"])
    assert (run.info.status, run.data.tags["training_outcome"]) == ("KILLED", "interrupted")
    uploaded = {f.path for f in client.list_artifacts(result["run_id"], "checkpoints")}
    assert f"checkpoints/{last.name}" in uploaded
    logged = {m.step for m in client.get_metric_history(result["run_id"], "timesteps")}
    ledger_steps = {json.loads(line)["step"] for line in ledger.read_text().splitlines()}
    assert logged == ledger_steps  # flushed: every logged step reached MLflow


def test_help_exits_0_and_the_trainers_own_cli_errors_are_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    def trainer(*args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROBO_")}
        return subprocess.run([sys.executable, "-m", "training", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip

    shown = trainer("--help")
    assert (shown.returncode, shown.stderr) == (0, "")
    evaluate = trainer("evaluate", "--help")
    assert evaluate.returncode == 0 and "ROBO_GATE" in evaluate.stdout and "--correlation-id" in evaluate.stdout
    assert shown.stdout.startswith("usage: python -m training {rl,lerobot,evaluate}")
    for args, line in [
        (("rl", "--seed"), "error: argument --seed: expected one argument; see python -m training rl --help"),
        (("rl", "--timestep", "5"), "error: unknown argument '--timestep'; did you mean --timesteps?"),
        (("train",), "error: unknown kind 'train'; usage: python -m training {rl,lerobot,evaluate} [--flag value ...]; "
                     "settings: ROBO_* variables; --help per kind"),
        (("evaluate", "--gate", "reward>=1"), "error: --gate: 'reward' is not a metric the evaluation produces; "
         "accepted: mean_return, std_return, min_return, max_return, mean_episode_length, success_rate, "
         "action_mse, action_mae"),
        (("evaluate",), "error: ROBO_MODEL_URI: a model to evaluate is needed: models:/<name>/<version>, "
         "models:/<name>@<alias>, runs:/<run id>/<path> or a path"),
    ]:  # fmt: skip
        done = trainer(*args)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", line + "\n")
    assert list(tmp_path.iterdir()) == []  # nothing written

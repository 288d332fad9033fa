"""The trainer's other paths, in process: SAC, tracking off, non-zero rank, smoke test, real learning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from mlflow import MlflowClient

from tests.training.conftest import TINY_SAC, rl_config
from training.rl.loop import StopFlag
from training.rl.train import RESULT_PREFIX, main


def run(config, capsys: pytest.CaptureFixture) -> dict:
    assert main(config, stop=StopFlag()) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(RESULT_PREFIX))
    return json.loads(line.removeprefix(RESULT_PREFIX))


def test_sac_trains_checkpoints_every_module_and_registers(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    config = rl_config(
        tmp_path / "out", task="Pendulum-v1", algorithm="sac", agent_config=str(TINY_SAC), timesteps=100
    )
    result = run(config, capsys)
    assert (result["status"], result["timesteps"], result["model_name"]) == ("succeeded", 100, "pendulum-v1")
    saved = torch.load(result["checkpoint"], weights_only=True)
    assert set(saved) == {
        "policy",
        "critic_1",
        "critic_2",
        "target_critic_1",
        "target_critic_2",
        "entropy_optimizer",
        "policy_optimizer",
        "critic_optimizer",
        "trainer_state",
    }
    version = MlflowClient(sqlite_tracking).get_model_version("pendulum-v1", result["model_version"])
    assert (version.tags["algorithm"], version.tags["timestep"]) == ("sac", "100")
    metrics = MlflowClient(sqlite_tracking).get_run(result["run_id"]).data.metrics
    assert {"loss/critic_loss", "critic_loss", "entropy_coefficient", "q-network/q1_max"} <= metrics.keys()


def test_with_tracking_off_training_still_runs_and_keeps_metrics_locally(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    result = run(rl_config(tmp_path / "out", mlflow=False), capsys)
    assert (result["status"], result["run_id"], result["model_version"]) == ("succeeded", None, None)
    assert result["final_reward_mean"] is not None
    assert (tmp_path / "out" / "metrics.jsonl").read_text().count("\n") >= 1
    assert not (tmp_path / "mlruns.db").exists()


def test_a_non_zero_rank_trains_without_tracking_or_registering(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANK", "1")
    result = run(rl_config(tmp_path / "out"), capsys)
    assert (result["status"], result["run_id"], result["checkpoint"]) == ("succeeded", None, None)
    assert not (tmp_path / "out" / "metrics.jsonl").exists()
    assert not (tmp_path / "mlruns.db").exists()


def test_smoke_test_mode_checks_tracking_and_storage_without_training(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    result = run(rl_config(tmp_path / "out", mode="smoke-test"), capsys)
    client = MlflowClient(sqlite_tracking)
    assert client.get_run(result["run_id"]).data.metrics == {"smoke_test": 1.0}
    assert [f.path for f in client.list_artifacts(result["run_id"], "smoke-test")] == [
        "smoke-test/smoke-test.txt"
    ]
    assert not (tmp_path / "out" / "skrl").exists()


@pytest.mark.slow
def test_the_shipped_cartpole_config_learns(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    """The quick start's promise: mean episode reward of at least 400 (timing: benchmarks, not here)."""
    config = rl_config(tmp_path / "out", agent_config=None, num_envs=8, timesteps=None, register=False)
    result = run(config, capsys)
    assert result["timesteps"] == 5000
    assert result["final_reward_mean"] >= 400


def _smoke_refusal(tmp_path: Path, uri: str) -> str:
    from training.checkpoints import CheckpointError

    config = rl_config(tmp_path / "out", mode="smoke-test", checkpoint_mode="resume", checkpoint_uri=uri)
    with pytest.raises(CheckpointError) as raised:
        main(config, stop=StopFlag())
    assert not (tmp_path / "mlruns.db").exists()  # refused before any tracking
    return str(raised.value)


def test_smoke_test_mode_refuses_a_missing_checkpoint(tmp_path: Path, sqlite_tracking: str) -> None:
    missing = tmp_path / "gone" / "agent_80.pt"
    assert _smoke_refusal(tmp_path, str(missing)) == f"ROBO_CHECKPOINT_URI: {missing}: no such file or folder"


def test_smoke_test_mode_refuses_a_checkpoint_of_another_task(tmp_path: Path, sqlite_tracking: str) -> None:
    source = tmp_path / "agent_80.pt"
    torch.save({"policy": {}, "trainer_state": {"timestep": 80, "timesteps": 160, "task": "Pendulum-v1"}}, source)
    assert _smoke_refusal(tmp_path, str(source)) == (
        f"ROBO_CHECKPOINT_URI: {source}: was trained on Pendulum-v1, not CartPole-v1; pass --task Pendulum-v1"
    )


def test_smoke_test_mode_with_a_fitting_checkpoint_passes(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    source = tmp_path / "agent_80.pt"
    torch.save({"policy": {}, "trainer_state": {"timestep": 80, "timesteps": 160, "task": "CartPole-v1"}}, source)
    config = rl_config(tmp_path / "out", mode="smoke-test", checkpoint_mode="resume", checkpoint_uri=str(source))
    assert run(config, capsys)["status"] == "succeeded"

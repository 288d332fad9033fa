"""The RSL-RL path end to end, in this process: real RSL-RL 5.5.1 PPO on gymnasium CartPole-v1 through our
vec-env adapter, real MLflow (sqlite), registration, resume and warm start, mixed checkpoints.

Runs are tiny (2 envs x 32 steps per iteration, 4-8 iterations): seconds each.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
import torch
from mlflow import MlflowClient

from tests.training.conftest import assert_same_tensors, rl_config
from training.checkpoints import CheckpointError, fetch_checkpoint
from training.config import ConfigError, from_env, to_env
from training.metadata import code_tags
from training.registration import sha256_file
from training.rl import train as skrl_train
from training.rl.loop import StopFlag
from training.rl.rsl_rl import compat, train
from training.rl.rsl_rl.runner_config import apply_overrides, load_runner_cfg
from training.rl.rsl_rl.train import iteration_plan, load_checkpoint
from training.rl.train import RESULT_PREFIX, CheckpointPlan

STEPS = 32  # num_steps_per_env of the shipped CartPole config (training/agents/rsl_rl/cartpole-v1_ppo.yaml)


def rsl_config(output_dir: Path, **settings):
    """Settings as a job passes them, with the shipped RSL-RL CartPole config."""
    values = {
        "rl_library": "rsl_rl",
        "agent_config": None,
        "timesteps": None,
        "max_iterations": 4,
        **settings,
    }
    return rl_config(output_dir, **values)


def run(tmp_path: Path, name: str, capsys: pytest.CaptureFixture, **settings) -> dict:
    config = rsl_config(tmp_path / name, job_name=name, **settings)
    assert train.main(config, stop=StopFlag()) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(RESULT_PREFIX)]
    assert len(lines) == 1  # RSL-RL's own prints went to stderr
    return json.loads(lines[0].removeprefix(RESULT_PREFIX))


def names(result: dict) -> list[str]:
    folder = Path(result["checkpoint"]).parent
    return sorted((p.name for p in folder.glob("model_*.pt")), key=lambda n: int(n[6:-3]))


def history(client: MlflowClient, run_id: str, key: str) -> dict[int, float]:
    return {m.step: m.value for m in client.get_metric_history(run_id, key)}


def built_runner(config):
    """The runner the trainer builds for `config` (env included), for inspecting what a mode loads."""
    env, _ = train.make_env(config, "cpu")
    runner_cfg = apply_overrides(load_runner_cfg(config), config, device="cpu")
    return compat.build_runner(env, runner_cfg, log_dir=None, device="cpu"), env


def fetch(config):
    return fetch_checkpoint(config.checkpoint_uri, config.checkpoint_mode, config.rl_library, config.task)


def test_trains_logs_every_iteration_window_and_registers_with_rl_library(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    result = run(
        tmp_path, "first", capsys, register_model="rsl-cartpole", log_interval="2", checkpoint_interval=64
    )
    client = MlflowClient(sqlite_tracking)
    assert (result["status"], result["timesteps"]) == ("succeeded", 4 * STEPS)
    assert names(result) == ["model_0.pt", "model_2.pt", "model_3.pt"]  # every 2 iterations, and the last
    # Every two iterations one point, at trainer timesteps, holding the mean of both iterations' values.
    logged = history(client, result["run_id"], "loss/value")
    assert sorted(logged) == [2 * STEPS, 4 * STEPS]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(Path(result["checkpoint"]).parent))
    events.Reload()
    per_iteration = [e.value for e in sorted(events.Scalars("Loss/value"), key=lambda e: e.step)]
    assert len(per_iteration) == 4
    assert logged[2 * STEPS] == pytest.approx(sum(per_iteration[:2]) / 2, rel=1e-6)
    assert logged[4 * STEPS] == pytest.approx(sum(per_iteration[2:]) / 2, rel=1e-6)
    assert sorted(history(client, result["run_id"], "updates").values()) == [2.0, 4.0]
    assert result["final_reward_mean"] == client.get_run(result["run_id"]).data.metrics["episode_reward_mean"]

    version = client.get_model_version("rsl-cartpole", result["model_version"])
    assert version.source == f"runs:/{result['run_id']}/model"
    for key, value in {**code_tags(), "image": "unknown"}.items():
        assert version.tags.pop(key) == value, key
    assert version.tags == {
        "agent_config": "artifacts/agent.yaml",
        "evaluated": "false",
        "mlflow_model": "true",
        "framework": "rsl_rl",
        "task": "CartPole-v1",
        "rl_library": "rsl_rl",
        "algorithm": "ppo",
        "checkpoint_mode": "from-scratch",
        "timestep": str(4 * STEPS),
        "iteration": "3",
        "source_run_id": result["run_id"],
        "checkpoint_file": "agent.pt",
        "sha256": sha256_file(result["checkpoint"]),
    }
    import mlflow
    import numpy as np

    # An MLflow model (issue 16): RSL-RL's own TorchScript export of the policy behind the pyfunc.
    model = mlflow.pyfunc.load_model(f"models:/rsl-cartpole/{result['model_version']}")
    actions = model.predict(np.zeros((3, 4), dtype=np.float32))
    assert actions.shape[0] == 3 and np.isfinite(actions).all()
    run_data = client.get_run(result["run_id"]).data
    assert run_data.tags["rl_library"] == "rsl_rl" and run_data.params["runner.num_steps_per_env"] == str(
        STEPS
    )
    assert client.list_artifacts(result["run_id"], "tensorboard")  # RSL-RL's event files
    artifacts = {a.path for a in client.list_artifacts(result["run_id"], "checkpoints")}
    assert {"checkpoints/model_0.pt", "checkpoints/model_3.pt"} <= artifacts
    assert client.list_artifacts(result["run_id"], "checkpoints/git") == []  # no git diff of this checkout


def test_resume_from_models_uri_continues_iteration_optimizer_names_and_steps(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    first = run(tmp_path, "a", capsys, register_model="rsl-resume", log_interval="step")
    saved = torch.load(first["checkpoint"], weights_only=True)
    assert saved["iter"] == 3 and saved["infos"] == {"run_id": first["run_id"]}

    config = rsl_config(
        tmp_path / "plan", checkpoint_mode="resume", checkpoint_uri="models:/rsl-resume/1", max_iterations=8
    )
    runner, env = built_runner(config)
    plan = load_checkpoint(config, fetch(config), runner, total=8)
    env.close()
    assert plan == CheckpointPlan("resume", "models:/rsl-resume/1", 4, first["run_id"])
    assert runner.current_learning_iteration == 4
    assert_same_tensors(runner.alg.optimizer.state_dict(), saved["optimizer_state_dict"])
    assert_same_tensors(runner.alg.get_policy().state_dict(), saved["actor_state_dict"])

    second = run(
        tmp_path,
        "b",
        capsys,
        checkpoint_mode="resume",
        checkpoint_uri="models:/rsl-resume/1",
        max_iterations=8,
        register_model="rsl-resume",
        log_interval="step",
    )
    assert names(second) == ["model_7.pt"]  # save_interval 20: only the last; iteration 4..7 trained
    assert torch.load(second["checkpoint"], weights_only=True)["iter"] == 7
    client = MlflowClient(sqlite_tracking)
    assert sorted(history(client, first["run_id"], "loss/value")) == [STEPS * i for i in range(1, 5)]
    assert sorted(history(client, second["run_id"], "loss/value")) == [STEPS * i for i in range(5, 9)]
    tags = client.get_run(second["run_id"]).data.tags
    assert (tags["checkpoint_source_run_id"], tags["checkpoint_start_timestep"]) == (
        first["run_id"],
        str(4 * STEPS),
    )
    version = client.get_model_version("rsl-resume", second["model_version"])
    assert (version.tags["checkpoint_mode"], version.tags["iteration"], version.tags["timestep"]) == (
        "resume",
        "7",
        str(8 * STEPS),
    )


def test_warm_start_loads_the_weights_with_a_fresh_optimizer_from_iteration_zero(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    first = run(tmp_path, "a", capsys, register=False)
    saved = torch.load(first["checkpoint"], weights_only=True)
    assert saved["optimizer_state_dict"]["state"]  # Adam moments exist after training

    config = rsl_config(tmp_path / "plan", checkpoint_mode="warm-start", checkpoint_uri=first["checkpoint"])
    runner, env = built_runner(config)
    plan = load_checkpoint(config, fetch(config), runner, total=4)
    env.close()
    assert (plan.start, runner.current_learning_iteration) == (0, 0)
    assert_same_tensors(runner.alg.get_policy().state_dict(), saved["actor_state_dict"])  # obs normaliser included
    assert runner.alg.optimizer.state_dict()["state"] == {}
    assert runner.alg.optimizer.param_groups[0]["lr"] == 1e-3  # the config's, not the adapted one

    warm = run(
        tmp_path,
        "b",
        capsys,
        checkpoint_mode="warm-start",
        checkpoint_uri=first["checkpoint"],
        register=False,
    )
    assert names(warm) == ["model_0.pt", "model_3.pt"]


def test_a_skrl_checkpoint_is_refused_before_the_environment_naming_both_libraries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    skrl_checkpoint = tmp_path / "agent_160.pt"
    torch.save(
        {"policy": {"w": torch.ones(2)}, "optimizer": {"state": {}, "param_groups": []}}, skrl_checkpoint
    )
    monkeypatch.setattr(train, "make_env", _no_environment)
    config = rsl_config(tmp_path / "out", checkpoint_mode="warm-start", checkpoint_uri=str(skrl_checkpoint))
    with pytest.raises(CheckpointError) as raised:
        train.main(config, stop=StopFlag())
    assert str(raised.value) == (
        f"ROBO_CHECKPOINT_URI: {skrl_checkpoint}: was written by skrl, but this run trains with RSL-RL "
        "(ROBO_RL_LIBRARY=rsl_rl); pass --rl-library skrl, or a checkpoint RSL-RL wrote"
    )


def test_an_rsl_rl_checkpoint_is_refused_by_a_skrl_run_before_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rsl_checkpoint = tmp_path / "model_3.pt"
    torch.save(
        {"actor_state_dict": {}, "critic_state_dict": {}, "optimizer_state_dict": {}, "iter": 3},
        rsl_checkpoint,
    )
    monkeypatch.setattr(skrl_train, "make_env", _no_environment)
    config = rl_config(tmp_path / "out", checkpoint_mode="resume", checkpoint_uri=str(tmp_path))  # a folder
    with pytest.raises(CheckpointError) as raised:
        skrl_train.main(config, stop=StopFlag())
    assert str(raised.value) == (
        f"ROBO_CHECKPOINT_URI: {tmp_path}: was written by RSL-RL, but this run trains with skrl "
        "(ROBO_RL_LIBRARY=skrl); pass --rl-library rsl_rl, or a checkpoint skrl wrote"
    )


@pytest.mark.parametrize(
    ("mode", "uri", "payload", "expected"),
    [
        ("from-scratch", None, {}, CheckpointPlan("from-scratch", None, 0, "")),
        ("fresh", None, {}, CheckpointPlan("fresh", None, 0, "")),
        (
            "warm-start",
            "m.pt",
            {"iter": 7, "infos": {"run_id": "r1"}},
            CheckpointPlan("warm-start", "m.pt", 0, "r1"),
        ),
        ("resume", "m.pt", {"iter": 7, "infos": None}, CheckpointPlan("resume", "m.pt", 8, "")),
        ("resume", "m.pt", {"iter": 0, "infos": {"run_id": "r1"}}, CheckpointPlan("resume", "m.pt", 1, "r1")),
    ],
)
def test_iteration_plan_is_a_pure_table_of_mode_and_contents(mode, uri, payload, expected) -> None:
    assert iteration_plan(mode, uri, payload, total=10) == expected


def test_a_resume_with_no_iterations_left_or_no_iteration_is_refused() -> None:
    with pytest.raises(CheckpointError) as raised:
        iteration_plan("resume", "m.pt", {"iter": 9}, total=10)
    assert str(raised.value) == (
        "ROBO_CHECKPOINT_URI: the checkpoint completed iteration 9 and this run is 10 iterations long; "
        "pass --max-iterations above 10"
    )
    with pytest.raises(CheckpointError, match="holds no iteration, so resume cannot continue it"):
        iteration_plan("resume", "m.pt", {"actor_state_dict": {}}, total=10)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ROBO_RL_LIBRARY": "torchrl"}, "ROBO_RL_LIBRARY: accepted values: skrl, rsl_rl"),
        (
            {"ROBO_RL_LIBRARY": "rsl_rl", "ROBO_ALGORITHM": "sac"},
            "ROBO_ALGORITHM: sac is skrl's; RSL-RL trains ppo (pass --algorithm ppo or --rl-library skrl)",
        ),
    ],
)
def test_an_unknown_library_or_an_algorithm_rsl_rl_lacks_is_refused(variables, message) -> None:
    with pytest.raises(ConfigError) as raised:
        from_env("rl", variables)
    assert str(raised.value) == message


def test_rl_library_is_written_only_when_it_is_not_skrl_and_reads_back() -> None:
    skrl = from_env("rl", {})
    assert skrl.rl_library == "skrl" and "ROBO_RL_LIBRARY" not in to_env(skrl)  # skrl specs stay as they were
    rsl_rl = from_env("rl", {"ROBO_RL_LIBRARY": "rsl_rl"})
    assert to_env(rsl_rl)["ROBO_RL_LIBRARY"] == "rsl_rl"
    assert from_env("rl", to_env(rsl_rl)) == rsl_rl


def test_the_reference_spellings_of_rsl_rl_are_accepted() -> None:
    for spelling in ("rsl_rl", "rsl-rl", "RslRl", " RSL_RL "):
        assert from_env("rl", {"ROBO_RL_LIBRARY": spelling}).rl_library == "rsl_rl"


def _no_environment(*_args, **_kwargs):
    raise AssertionError("the environment was built before the checkpoint was checked")


def test_sigterm_stops_after_the_iteration_writes_its_checkpoint_registers_nothing_and_exits_143(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    from training import exits

    stop = StopFlag()
    stop.signum = signal.SIGTERM  # as the handler records it; the run stops at the end of iteration 0
    config = rsl_config(tmp_path / "out", job_name="stopped", register_model="never-registered")
    assert exits.run("rl", lambda: train.main(config, stop=stop)) == 128 + signal.SIGTERM
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(RESULT_PREFIX))
    result = json.loads(line.removeprefix(RESULT_PREFIX))
    assert (result["status"], result["timesteps"], result["model_version"]) == ("interrupted", STEPS, None)
    assert Path(result["checkpoint"]).name == "model_0.pt"
    assert torch.load(result["checkpoint"], weights_only=True)["iter"] == 0  # resumable from iteration 1
    client = MlflowClient(sqlite_tracking)
    assert client.get_run(result["run_id"]).data.tags["training_outcome"] == "interrupted"
    assert client.search_model_versions("name='never-registered'") == []


def test_a_rank_other_than_zero_trains_without_tracking_or_checkpoints(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANK", "1")
    result = run(tmp_path, "rank1", capsys, max_iterations=2)
    assert (result["status"], result["timesteps"], result["run_id"], result["checkpoint"]) == (
        "succeeded", 2 * STEPS, None, None,
    )
    assert not (tmp_path / "rank1" / "rsl_rl").exists()

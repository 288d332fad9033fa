"""The trainer end to end, in this process: registration, resume and warm start with real MLflow.

Runs are tiny (160-320 timesteps of a small PPO on CartPole, 2 envs): seconds each.
"""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
import torch
from mlflow import MlflowClient

from tests.training.conftest import assert_same_tensors, build_agent, rl_config
from training.checkpoints import CheckpointError, Fetched, TrainerState, fetch_checkpoint, modules_to_load
from training.metadata import code_tags
from training.registration import sha256_file
from training.rl.loop import StopFlag
from training.rl.train import (
    RESULT_PREFIX,
    CheckpointPlan,
    checkpoint_plan,
    cpu_threads,
    load_checkpoint,
    main,
    seed,
)


def train(tmp_path: Path, name: str, capsys: pytest.CaptureFixture, **settings) -> dict:
    """Run `python -m training rl`'s main in-process; returns the ROBO_RESULT object."""
    config = rl_config(tmp_path / name, job_name=name, **settings)
    assert main(config, stop=StopFlag()) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(RESULT_PREFIX)]
    assert len(lines) == 1
    return json.loads(lines[0].removeprefix(RESULT_PREFIX))


def fetch(config) -> Fetched | None:
    """The checkpoint as the trainer fetches it before building the environment."""
    return fetch_checkpoint(config.checkpoint_uri, config.checkpoint_mode, config.rl_library, config.task)


def steps_of(client: MlflowClient, run_id: str, key: str) -> list[int]:
    return sorted(m.step for m in client.get_metric_history(run_id, key))


def checkpoint_names(result: dict) -> list[str]:
    folder = Path(result["checkpoint"]).parent
    return sorted((p.name for p in folder.glob("agent_*.pt")), key=lambda n: int(n[6:-3]))


def test_success_registers_one_version_with_tags_and_the_files_sha256(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    result = train(tmp_path, "first", capsys, register_model="tiny-cartpole")
    client = MlflowClient(sqlite_tracking)
    assert result["status"] == "succeeded" and result["timesteps"] == 160
    assert (result["model_name"], result["model_version"]) == ("tiny-cartpole", "1")
    versions = client.search_model_versions("name='tiny-cartpole'")
    assert len(versions) == 1
    version = versions[0]
    assert version.source == f"runs:/{result['run_id']}/model"
    downloaded = Path(client.download_artifacts(result["run_id"], "model", str(tmp_path / "dl")))
    assert {"MLmodel", "pyfunc_policy.py", "artifacts"} <= {p.name for p in downloaded.iterdir()}
    assert sorted(p.name for p in (downloaded / "artifacts").iterdir()) == ["agent.pt", "agent.yaml", "policy.pt"]
    assert_same_tensors(
        torch.load(downloaded / "artifacts" / "agent.pt", weights_only=True),
        torch.load(result["checkpoint"], weights_only=True),
    )  # the raw checkpoint, unchanged
    code = code_tags()  # this checkout's commit and dirty flag (training/metadata.py)
    for key, value in {**code, "image": "unknown"}.items():
        assert version.tags.pop(key) == value, key
    assert version.description.startswith("PPO (skrl) on CartPole-v1, 160 timesteps, final mean episode reward ")
    assert f"from-scratch; run {result['run_id']}; code {code['git_commit'][:12]}" in version.description
    best = Path(result["checkpoint"]).parent / "best_agent.pt"
    assert version.tags.pop("best_checkpoint") == f"runs:/{result['run_id']}/checkpoints/best_agent.pt"
    assert version.tags.pop("best_checkpoint_sha256") == sha256_file(best)
    best_timestep = int(version.tags.pop("best_timestep"))
    assert 0 < best_timestep <= 160 and float(version.tags.pop("best_reward")) > 0
    assert version.tags == {
        "agent_config": "artifacts/agent.yaml",
        "evaluated": "false",
        "mlflow_model": "true",
        "framework": "skrl",
        "task": "CartPole-v1",
        "rl_library": "skrl",
        "algorithm": "ppo",
        "checkpoint_mode": "from-scratch",
        "timestep": "160",
        "source_run_id": result["run_id"],
        "checkpoint_file": "agent.pt",
        "sha256": sha256_file(downloaded / "artifacts" / "agent.pt"),
    }
    assert sha256_file(result["checkpoint"]) == version.tags["sha256"]
    run = client.get_run(result["run_id"])
    assert run.info.status == "FINISHED" and run.data.tags["training_outcome"] == "succeeded"
    for key, value in {**code, "image": "unknown", "framework": "skrl", "device": "cpu",
                       "versions.skrl": "2.1.1", "versions.mlflow": mlflow.__version__,
                       "versions.torch": torch.__version__, "versions.isaaclab": "none"}.items():  # fmt: skip
        assert run.data.tags[key] == value, key
    assert run.data.tags["versions.python"].count(".") == 2 and run.data.tags["host"]
    events = sorted(p.name for p in Path(result["checkpoint"]).parents[1].glob("events.out.tfevents.*"))
    assert events and [a.path for a in client.list_artifacts(result["run_id"], "tensorboard")] == [
        f"tensorboard/{name}" for name in events
    ]
    ledger = Path(client.download_artifacts(result["run_id"], "metrics/metrics.jsonl", str(tmp_path / "ledger")))
    assert ledger.read_text() == (tmp_path / "first" / "metrics.jsonl").read_text()
    assert run.data.params["agent.rollouts"] == "8" and run.data.params["task"] == "CartPole-v1"
    assert checkpoint_names(result) == ["agent_40.pt", "agent_80.pt", "agent_120.pt", "agent_160.pt"]
    assert result["final_reward_mean"] == run.data.metrics["episode_reward_mean"]


@pytest.mark.mlflow_server
@pytest.mark.slow
def test_resume_from_runs_and_models_uris_continues_timestep_optimizer_and_steps(
    tmp_path: Path, server_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    first = train(tmp_path, "a", capsys, register_model="resume-me", log_interval="step")
    client = MlflowClient(server_tracking)
    client.set_registered_model_alias("resume-me", "champion", first["model_version"])
    saved = torch.load(first["checkpoint"], weights_only=True)
    assert saved["trainer_state"]["timestep"] == 160

    for uri in (
        f"runs:/{first['run_id']}/checkpoints/agent_160.pt",
        "models:/resume-me/1",
        "models:/resume-me@champion",
    ):
        config = rl_config(tmp_path / "plan", checkpoint_mode="resume", checkpoint_uri=uri, timesteps=320)
        built = build_agent(config)
        state = TrainerState()
        built.agent.checkpoint_modules["trainer_state"] = state
        plan = load_checkpoint(config, fetch(config), built.agent, state, total=320)
        built.env.close()
        assert (plan.start, state.timestep, plan.source_run_id) == (160, 160, first["run_id"]), uri
        assert_same_tensors(built.agent.checkpoint_modules["optimizer"].state_dict(), saved["optimizer"])
        assert_same_tensors(built.agent.checkpoint_modules["policy"].state_dict(), saved["policy"])
        assert_same_tensors(
            built.agent.checkpoint_modules["observation_preprocessor"].state_dict(),
            saved["observation_preprocessor"],
        )

    second = train(
        tmp_path,
        "b",
        capsys,
        checkpoint_mode="resume",
        checkpoint_uri="models:/resume-me/1",
        timesteps=320,
        register_model="resume-me",
        log_interval="step",
    )
    assert checkpoint_names(second) == ["agent_200.pt", "agent_240.pt", "agent_280.pt", "agent_320.pt"]
    assert torch.load(second["checkpoint"], weights_only=True)["trainer_state"]["timestep"] == 320
    for key in ("timesteps", "episode_reward_mean", "loss/policy_loss"):
        steps = steps_of(client, first["run_id"], key) + steps_of(client, second["run_id"], key)
        assert steps == sorted(set(steps)), key  # strictly increasing across both runs
        assert (
            max(steps_of(client, first["run_id"], key)) <= 160 < min(steps_of(client, second["run_id"], key))
        )
    tags = client.get_run(second["run_id"]).data.tags
    assert tags["checkpoint_source_run_id"] == first["run_id"]
    assert tags["checkpoint_start_timestep"] == "160"
    version = client.get_model_version("resume-me", second["model_version"])
    assert (version.tags["checkpoint_mode"], version.tags["timestep"]) == ("resume", "320")


def test_warm_start_loads_weights_and_preprocessors_with_a_fresh_optimizer(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    first = train(tmp_path, "a", capsys, register=False)
    saved = torch.load(first["checkpoint"], weights_only=True)
    assert saved["optimizer"]["state"]  # Adam moments exist after training

    config = rl_config(tmp_path / "plan", checkpoint_mode="warm-start", checkpoint_uri=first["checkpoint"])
    built = build_agent(config)
    state = TrainerState()
    built.agent.checkpoint_modules["trainer_state"] = state
    plan = load_checkpoint(config, fetch(config), built.agent, state, total=160)
    built.env.close()
    assert (plan.start, state.timestep) == (0, 0)
    loaded = modules_to_load("warm-start", built.agent.checkpoint_modules, saved, first["checkpoint"])
    assert loaded == ["policy", "value", "observation_preprocessor", "value_preprocessor"]
    assert_same_tensors(built.agent.checkpoint_modules["policy"].state_dict(), saved["policy"])
    assert_same_tensors(
        built.agent.checkpoint_modules["value_preprocessor"].state_dict(), saved["value_preprocessor"]
    )
    optimizer = built.agent.checkpoint_modules["optimizer"].state_dict()
    assert optimizer["state"] == {} and optimizer["param_groups"][0]["lr"] == 1e-3
    assert saved["optimizer"]["param_groups"][0]["lr"] != 1e-3  # KLAdaptiveLR had moved it

    warm = train(
        tmp_path,
        "b",
        capsys,
        checkpoint_mode="warm-start",
        checkpoint_uri=first["checkpoint"],
        register=False,
    )
    assert checkpoint_names(warm) == ["agent_40.pt", "agent_80.pt", "agent_120.pt", "agent_160.pt"]


def test_resume_refuses_a_checkpoint_without_trainer_state(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    first = train(tmp_path, "a", capsys, register=False)
    payload = torch.load(first["checkpoint"], weights_only=True)
    del payload["trainer_state"]  # what skrl or Isaac Lab write on their own
    foreign = tmp_path / "foreign.pt"
    torch.save(payload, foreign)
    config = rl_config(tmp_path / "plan", checkpoint_mode="resume", checkpoint_uri=str(foreign))
    built = build_agent(config)
    built.agent.checkpoint_modules["trainer_state"] = TrainerState()
    with pytest.raises(Exception) as raised:
        load_checkpoint(config, fetch(config), built.agent, built.agent.checkpoint_modules["trainer_state"], total=320)
    built.env.close()
    assert str(raised.value) == (
        f"ROBO_CHECKPOINT_URI: {foreign}: has no trainer state, so resume cannot continue its timestep "
        "(it was not written by this trainer); use --checkpoint-mode warm-start"
    )


RUN = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("mode", "uri", "payload", "expected"),
    [
        ("from-scratch", None, {}, CheckpointPlan("from-scratch", None, 0, "")),
        ("fresh", None, {}, CheckpointPlan("fresh", None, 0, "")),
        ("warm-start", "models:/m/1", {"trainer_state": {"timestep": 96, "run_id": RUN}}, CheckpointPlan("warm-start", "models:/m/1", 0, RUN)),
        ("resume", "models:/m/1", {"trainer_state": {"timestep": 96, "run_id": RUN}}, CheckpointPlan("resume", "models:/m/1", 96, RUN)),
        ("resume", "/c/agent.pt", {"policy": {}}, CheckpointPlan("resume", "/c/agent.pt", 0, "")),
    ],
)
def test_checkpoint_plan_is_a_pure_table_of_mode_and_contents(mode, uri, payload, expected):
    assert checkpoint_plan(mode, uri, payload, total=160) == expected


def test_a_resume_with_no_budget_left_is_refused_naming_the_timesteps():
    with pytest.raises(CheckpointError) as raised:
        checkpoint_plan("resume", "models:/m/1", {"trainer_state": {"timestep": 160}}, total=160)
    assert str(raised.value) == (
        "ROBO_CHECKPOINT_URI: the checkpoint is at timestep 160 and this run is 160 timesteps long; "
        "pass --timesteps above 160"
    )


def test_a_resume_that_would_stop_short_of_the_budget_of_the_run_it_continues_is_refused():
    payload = {"trainer_state": {"timestep": 96, "timesteps": 320}}
    with pytest.raises(CheckpointError) as raised:
        checkpoint_plan("resume", "models:/m/1", payload, total=160)
    assert str(raised.value) == (
        "ROBO_CHECKPOINT_URI: the checkpoint's run is 320 timesteps long and this resume would end at 160; "
        "resume keeps the budget: drop --timesteps/--max-iterations or pass --timesteps 320 or more "
        "(--checkpoint-mode warm-start starts a new, shorter run)"
    )
    assert checkpoint_plan("resume", "models:/m/1", payload, total=480).start == 96  # a longer one is fine
    assert checkpoint_plan("warm-start", "models:/m/1", payload, total=160).start == 0  # a new run


def test_a_resume_without_timesteps_ends_where_the_run_it_continues_would_have(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    # 240 timesteps, not the agent YAML's 160: the budget travels in the checkpoint's trainer state.
    first = train(tmp_path, "long", capsys, timesteps=240, register=False)
    middle = Path(first["checkpoint"]).parent / "agent_120.pt"
    state = torch.load(middle, weights_only=True)["trainer_state"]
    assert (state["timestep"], state["timesteps"], state["task"]) == (120, 240, "CartPole-v1")
    resumed = train(tmp_path, "resumed", capsys, timesteps=None, checkpoint_mode="resume",
                    checkpoint_uri=str(middle), register_model="resumed")  # fmt: skip
    assert (resumed["status"], resumed["timesteps"], resumed["model_version"]) == ("succeeded", 240, "1")
    assert checkpoint_names(resumed) == ["agent_160.pt", "agent_200.pt", "agent_240.pt"]


def test_a_checkpoint_of_another_task_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    source = tmp_path / "agent_96.pt"
    torch.save({"policy": {}, "trainer_state": {"timestep": 96, "timesteps": 160, "task": "Pendulum-v1"}}, source)
    config = rl_config(tmp_path / "out", checkpoint_mode="warm-start", checkpoint_uri=str(source))
    with pytest.raises(CheckpointError) as raised:
        main(config, stop=StopFlag())
    assert str(raised.value) == (
        f"ROBO_CHECKPOINT_URI: {source}: was trained on Pendulum-v1, not CartPole-v1; pass --task Pendulum-v1"
    )
    assert not (tmp_path / "out").exists()  # refused: nothing left behind


def test_a_checkpoint_refused_once_the_agent_exists_leaves_no_skrl_folder_behind(tmp_path: Path) -> None:
    source = tmp_path / "foreign.pt"  # no trainer state: only its shapes tell it is for another agent
    torch.save({"policy": {"net.0.weight": torch.ones(3, 3)}, "value": {}, "observation_preprocessor": {},
                "value_preprocessor": {}}, source)  # fmt: skip
    config = rl_config(tmp_path / "out", checkpoint_mode="warm-start", checkpoint_uri=str(source))
    with pytest.raises(CheckpointError, match="does not fit this agent"):
        main(config, stop=StopFlag())
    assert not (tmp_path / "out").exists()  # skrl had made out/skrl (a TensorBoard file): removed


@pytest.mark.mlflow_server
@pytest.mark.slow
def test_a_resumed_run_keeps_and_uploads_no_copy_of_its_source_checkpoint(
    tmp_path: Path, server_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    first = train(tmp_path, "src", capsys, register=False)
    uri = f"runs:/{first['run_id']}/checkpoints/agent_80.pt"
    resumed = train(tmp_path, "dst", capsys, checkpoint_mode="resume", checkpoint_uri=uri, register=False)
    out = tmp_path / "dst"
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.pt"))
    assert files == ["skrl/checkpoints/agent_120.pt", "skrl/checkpoints/agent_160.pt"]
    client = MlflowClient(server_tracking)
    uploaded = sorted(f.path for f in client.list_artifacts(resumed["run_id"], "checkpoints"))
    assert uploaded == ["checkpoints/agent_120.pt", "checkpoints/agent_160.pt"]
    # The run's own checkpoints, its metrics ledger and TensorBoard events (run metadata): no source copy.
    assert sorted(f.path for f in client.list_artifacts(resumed["run_id"])) == ["checkpoints", "metrics", "tensorboard"]
    for folder in ("metrics", "tensorboard"):
        assert not [f.path for f in client.list_artifacts(resumed["run_id"], folder) if f.path.endswith(".pt")]


@pytest.mark.parametrize(
    ("omp", "cuda", "expected"),
    [
        (None, False, 1),  # a CPU run: one thread (docs/benchmarks.md says why)
        ("2", False, 2),  # the user's count wins
        (" 3 ", False, 3),
        ("2", True, 2),
        (None, True, None),  # a GPU run: torch's default
        ("", False, 1),
        ("0", False, None),  # not a count: left to torch, which reads (and warns about) it itself
        ("many", False, None),
    ],
)
def test_cpu_threads_are_one_unless_omp_num_threads_names_a_count(omp, cuda, expected) -> None:
    assert cpu_threads(omp, cuda=cuda) == expected


def test_omp_num_threads_set_after_torch_was_imported_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    before = torch.get_num_threads()
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    try:
        with caplog.at_level("INFO", logger="training.rl"):
            seed(rl_config(tmp_path, device="cpu"))
        assert torch.get_num_threads() == 2
        assert "torch CPU threads: 2 (from OMP_NUM_THREADS)" in caplog.text
        monkeypatch.delenv("OMP_NUM_THREADS")
        seed(rl_config(tmp_path, device="cpu"))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)

"""Isaac-Cartpole-Direct trained for real through `python -m training rl`: Isaac Lab 3.0 kit-less on CPU
(Newton + MuJoCo-Warp), skrl PPO with the task's own agent YAML, a real MLflow server.

The first run is the trainer invocation `submit-azureml-training` renders, the warm start the one
`submit-osmo-training` renders (the contract across CLI and trainer, with real Isaac Lab); resume uses
plain ROBO_* settings. Each run is 2 iterations (64 timesteps x 16 envs); resume and warm start begin
at the first run's registered model. Optimizer and preprocessor counters in the checkpoints tell the
modes apart: PPO's Adam takes 64 steps per iteration here (8 epochs x 8 mini-batches).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from .conftest import EXPERIMENT, NUM_ENVS, TASK, render_invocation

pytestmark = pytest.mark.isaaclab

ITERATIONS = 2
ROLLOUTS = 32  # the task's skrl_direct_ppo_cfg.yaml
TIMESTEPS = ITERATIONS * ROLLOUTS
ADAM_STEPS_PER_ITERATION = 64
MODEL = "isaaclab-tier-cartpole"
# The same job settings for both backends, in the reference scripts' flags.
JOB_FLAGS = (
    *("-t", TASK, "-n", str(NUM_ENVS), "-m", str(ITERATIONS), "-r", MODEL),
    *("--mlflow-log-interval", "rollout", "--experiment-name", EXPERIMENT),
)


@pytest.fixture(scope="module")
def first_run(run_trainer):
    run = run_trainer("azureml", render_invocation("submit-azureml-training", *JOB_FLAGS))
    assert run.returncode == 0, run.describe()
    return run


def test_azureml_job_trains_and_reports_a_registered_model(first_run):
    result = first_run.result

    assert result["status"] == "succeeded"
    assert result["timesteps"] == TIMESTEPS
    assert result["model_uri"] == f"models:/{MODEL}/{result['model_version']}"
    assert Path(result["checkpoint"]) == _checkpoints(first_run) / f"agent_{TIMESTEPS}.pt"


def test_wrapper_metrics_reach_mlflow_at_trainer_timesteps(first_run, mlflow_client):
    run_id = first_run.result["run_id"]
    metrics = mlflow_client.get_run(run_id).data.metrics

    for name in ("policy_loss", "value_loss", "episode_reward_mean"):
        assert name in metrics, sorted(metrics)
    steps = [point.step for point in mlflow_client.get_metric_history(run_id, "policy_loss")]
    # one point per PPO update ("rollout" interval), at the timesteps completed by then
    assert steps == [ROLLOUTS, TIMESTEPS]


def test_checkpoint_holds_the_agent_and_the_trainer_state(first_run):
    checkpoint = _load(first_run.result["checkpoint"])

    assert {"policy", "value", "optimizer", "observation_preprocessor", "trainer_state"} <= set(checkpoint)
    assert checkpoint["trainer_state"]["timestep"] == TIMESTEPS
    assert checkpoint["trainer_state"]["run_id"] == first_run.result["run_id"]
    assert _adam_steps(checkpoint) == ITERATIONS * ADAM_STEPS_PER_ITERATION


def test_model_is_registered_once_with_the_checkpoint_sha256(first_run, mlflow_client, tmp_path):
    run_id = first_run.result["run_id"]
    versions = [v for v in mlflow_client.search_model_versions(f"name='{MODEL}'") if v.run_id == run_id]

    assert len(versions) == 1
    version = versions[0]
    assert version.tags["task"] == TASK
    assert version.tags["timestep"] == str(TIMESTEPS)
    # An MLflow model keeps the raw checkpoint in artifacts/ (issue 16); a plain folder (mlflow_model=false) at the top.
    inside = "model/artifacts/agent.pt" if version.tags.get("mlflow_model") == "true" else "model/agent.pt"
    downloaded = Path(mlflow_client.download_artifacts(run_id, inside, str(tmp_path)))
    assert version.tags["sha256"] == hashlib.sha256(downloaded.read_bytes()).hexdigest()
    assert downloaded.read_bytes() == Path(first_run.result["checkpoint"]).read_bytes()


def test_resume_continues_timestep_optimizer_and_metric_steps(first_run, run_trainer, mlflow_client):
    run = run_trainer(
        "resume",
        ROBO_MAX_ITERATIONS=str(2 * ITERATIONS),
        ROBO_CHECKPOINT_MODE="resume",
        ROBO_CHECKPOINT_URI=first_run.result["model_uri"],
        ROBO_REGISTER_MODEL=MODEL,
    )
    assert run.returncode == 0, run.describe()

    assert run.result["timesteps"] == 2 * TIMESTEPS
    # checkpoint names continue after the first run's last timestep; none restarts from 0
    assert min(_timesteps(_checkpoints(run))) > TIMESTEPS
    final = _load(_checkpoints(run) / f"agent_{2 * TIMESTEPS}.pt")
    assert final["trainer_state"]["timestep"] == 2 * TIMESTEPS
    assert (
        _adam_steps(final) == 2 * ITERATIONS * ADAM_STEPS_PER_ITERATION
    )  # the restored optimizer kept counting
    steps = [p.step for p in mlflow_client.get_metric_history(run.result["run_id"], "policy_loss")]
    assert steps == [TIMESTEPS + ROLLOUTS, 2 * TIMESTEPS]  # MLflow steps continue too
    tags = mlflow_client.get_run(run.result["run_id"]).data.tags
    assert tags["checkpoint_start_timestep"] == str(TIMESTEPS)
    assert tags["checkpoint_source_run_id"] == first_run.result["run_id"]


def test_osmo_job_warm_starts_with_loaded_weights_and_a_fresh_optimizer(
    first_run, run_trainer, mlflow_client
):
    source = first_run.result["model_uri"]
    invocation = render_invocation("submit-osmo-training", *JOB_FLAGS, "-M", "warm-start", "-c", source)
    run = run_trainer("osmo-warm", invocation)
    assert run.returncode == 0, run.describe()

    first = _load(first_run.result["checkpoint"])
    final = _load(_checkpoints(run) / f"agent_{TIMESTEPS}.pt")
    assert final["trainer_state"]["timestep"] == TIMESTEPS  # counters start again at 0
    assert _adam_steps(final) == _adam_steps(first)  # a fresh optimizer: only this run's updates
    # the loaded observation statistics kept accumulating on top of the first run's
    assert _seen(final) > 1.5 * _seen(first)
    steps = [p.step for p in mlflow_client.get_metric_history(run.result["run_id"], "policy_loss")]
    assert steps == [ROLLOUTS, TIMESTEPS]
    assert mlflow_client.get_run(run.result["run_id"]).data.tags["checkpoint_mode"] == "warm-start"


def _checkpoints(run) -> Path:
    return run.output_dir / "skrl" / "checkpoints"


def _load(path) -> dict:
    import torch  # lazy: only the checkpoint tests read tensors

    return torch.load(path, map_location="cpu", weights_only=False)


def _adam_steps(checkpoint: dict) -> int:
    return int(max(float(state["step"]) for state in checkpoint["optimizer"]["state"].values()))


def _seen(checkpoint: dict) -> float:
    return float(checkpoint["observation_preprocessor"]["current_count"])


def _timesteps(folder: Path) -> list[int]:
    names = (p.stem.removeprefix("agent_") for p in folder.glob("agent_*.pt"))
    return [int(name) for name in names if name.isdigit()]

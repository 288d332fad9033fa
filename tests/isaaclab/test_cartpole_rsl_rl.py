"""Isaac-Cartpole-Direct trained for real with RSL-RL (`--rl-library rsl_rl`): Isaac Lab 3.0 kit-less on CPU,
RSL-RL 5.5.1's OnPolicyRunner with the task's own runner config (CartpoleDirectPPORunnerCfg through
Isaac Lab's RslRlVecEnvWrapper), a real MLflow server.

As for skrl (test_cartpole_training.py): the first run is what `submit-azureml-training --rl-library rsl_rl`
renders, the warm start what `submit-osmo-training -b rsl_rl` renders (the reference's flag), resume uses
plain ROBO_* settings; resume and warm start begin at the first run's registered model (`models:/`).
Each run is 2 iterations of 16 steps x 16 envs. PPO's Adam takes 20 steps per iteration (the task's
5 epochs x 4 mini-batches), which tells a restored optimizer from a fresh one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import EXPERIMENT, NUM_ENVS, TASK, render_invocation

pytestmark = pytest.mark.isaaclab

ITERATIONS = 2
STEPS = 16  # num_steps_per_env of the task's rsl_rl_ppo_cfg.py
ADAM_STEPS_PER_ITERATION = 20
MODEL = "isaaclab-tier-cartpole-rsl-rl"
JOB_FLAGS = (
    *("-t", TASK, "-n", str(NUM_ENVS), "-m", str(ITERATIONS), "-r", MODEL),
    *("--mlflow-log-interval", "rollout", "--experiment-name", EXPERIMENT),
)


@pytest.fixture(scope="module")
def first_run(run_trainer):
    invocation = render_invocation("submit-azureml-training", *JOB_FLAGS, "--rl-library", "rsl_rl")
    assert invocation.env["ROBO_RL_LIBRARY"] == "rsl_rl"
    run = run_trainer("rsl-rl-azureml", invocation)
    assert run.returncode == 0, run.describe()
    return run


def test_azureml_job_trains_logs_at_trainer_timesteps_and_registers(first_run, mlflow_client):
    result = first_run.result
    assert (result["status"], result["timesteps"]) == ("succeeded", ITERATIONS * STEPS)
    assert Path(result["checkpoint"]) == first_run.output_dir / "rsl_rl" / f"model_{ITERATIONS - 1}.pt"
    run_id = result["run_id"]
    for name in ("policy_loss", "value_loss", "loss/entropy", "perf/total_fps"):
        assert name in mlflow_client.get_run(run_id).data.metrics, name
    steps = [p.step for p in mlflow_client.get_metric_history(run_id, "value_loss")]
    assert steps == [STEPS, 2 * STEPS]  # one point per iteration ("rollout"), at the timesteps done
    version = mlflow_client.get_model_version(MODEL, result["model_version"])
    assert (version.tags["rl_library"], version.tags["task"], version.tags["iteration"]) == ("rsl_rl", TASK, "1")
    checkpoint = _load(result["checkpoint"])
    assert checkpoint["iter"] == ITERATIONS - 1 and checkpoint["infos"] == {"run_id": run_id}
    assert _adam_steps(checkpoint) == ITERATIONS * ADAM_STEPS_PER_ITERATION


def test_resume_continues_iteration_optimizer_and_metric_steps(first_run, run_trainer, mlflow_client):
    run = run_trainer(
        "rsl-rl-resume",
        ROBO_RL_LIBRARY="rsl_rl",
        ROBO_MAX_ITERATIONS=str(2 * ITERATIONS),
        ROBO_CHECKPOINT_MODE="resume",
        ROBO_CHECKPOINT_URI=first_run.result["model_uri"],
        ROBO_REGISTER_MODEL=MODEL,
    )
    assert run.returncode == 0, run.describe()
    assert run.result["timesteps"] == 2 * ITERATIONS * STEPS
    assert _names(run) == [f"model_{2 * ITERATIONS - 1}.pt"]  # no model_0: iterations 2 and 3 trained
    final = _load(run.result["checkpoint"])
    assert final["iter"] == 2 * ITERATIONS - 1
    assert _adam_steps(final) == 2 * ITERATIONS * ADAM_STEPS_PER_ITERATION  # the restored Adam kept counting
    steps = [p.step for p in mlflow_client.get_metric_history(run.result["run_id"], "value_loss")]
    assert steps == [3 * STEPS, 4 * STEPS]
    tags = mlflow_client.get_run(run.result["run_id"]).data.tags
    assert tags["checkpoint_source_run_id"] == first_run.result["run_id"]
    assert tags["checkpoint_start_timestep"] == str(ITERATIONS * STEPS)


def test_osmo_job_warm_starts_from_models_uri_with_a_fresh_optimizer(first_run, run_trainer, mlflow_client):
    source = first_run.result["model_uri"]
    invocation = render_invocation("submit-osmo-training", *JOB_FLAGS, "-b", "rsl_rl", "-M", "warm-start", "-c", source)
    run = run_trainer("rsl-rl-osmo-warm", invocation)
    assert run.returncode == 0, run.describe()
    assert _names(run) == ["model_0.pt", f"model_{ITERATIONS - 1}.pt"]  # iterations start again at 0
    final = _load(run.result["checkpoint"])
    assert _adam_steps(final) == ITERATIONS * ADAM_STEPS_PER_ITERATION  # only this run's updates
    assert "warm-start from agent.pt (actor_state_dict, critic_state_dict); starting at iteration 0" in run.stderr
    # Loaded weights: after one iteration the warm start is nearer the first run's final actor than that
    # run's own first iteration was (a fresh start would be as far as an untrained network).
    first_final, first_start = _load(first_run.result["checkpoint"]), _load(first_run.output_dir / "rsl_rl" / "model_0.pt")
    warm_start = _load(run.output_dir / "rsl_rl" / "model_0.pt")
    assert _distance(warm_start, first_final) < _distance(warm_start, first_start)
    steps = [p.step for p in mlflow_client.get_metric_history(run.result["run_id"], "value_loss")]
    assert steps == [STEPS, 2 * STEPS]
    assert mlflow_client.get_run(run.result["run_id"]).data.tags["checkpoint_mode"] == "warm-start"


def test_a_skrl_checkpoint_given_to_an_rsl_rl_job_is_refused_before_isaac_lab_starts(first_run, run_trainer):
    skrl_like = first_run.output_dir / "skrl_agent_64.pt"
    import torch  # lazy: only the checkpoint tests read tensors

    torch.save({"policy": {}, "value": {}, "optimizer": {}}, skrl_like)
    run = run_trainer(
        "rsl-rl-mixed", ROBO_RL_LIBRARY="rsl_rl", ROBO_CHECKPOINT_MODE="warm-start", ROBO_CHECKPOINT_URI=str(skrl_like)
    )
    assert run.returncode == 2, run.describe()
    assert f"{skrl_like}: was written by skrl, but this run trains with RSL-RL" in run.stderr
    assert "SimulationContext" not in run.stderr  # nothing of Isaac Lab was started


def _names(run) -> list[str]:
    return sorted((p.name for p in (run.output_dir / "rsl_rl").glob("model_*.pt")), key=lambda n: int(n[6:-3]))


def _load(path) -> dict:
    import torch  # lazy: only the checkpoint tests read tensors

    return torch.load(path, map_location="cpu", weights_only=True)


def _distance(a: dict, b: dict) -> float:
    pairs = zip(a["actor_state_dict"].values(), b["actor_state_dict"].values(), strict=True)
    return float(sum((x.float() - y.float()).norm() for x, y in pairs))


def _adam_steps(checkpoint: dict) -> int:
    return int(max(float(state["step"]) for state in checkpoint["optimizer_state_dict"]["state"].values()))

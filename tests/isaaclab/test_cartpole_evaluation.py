"""A trained Isaac-Cartpole-Direct version evaluated for real through `python -m training evaluate` (issue 16's
Isaac Lab tier): Isaac Lab 3.0 kit-less on CPU (Newton + MuJoCo-Warp), the version's own policy and agent
YAML downloaded from a real MLflow server, its task, library and physics preset read from its tags.

One tiny training serves the module (1 iteration, as test_cartpole_training.py's runs); two evaluations of 4
episodes over 4 environments follow: a gate that holds promotes, one that cannot hold exits 3 and leaves the
alias where it was. The second one is given no physics preset: it must take the version's `physics` tag
(Isaac-Cartpole-Direct's default preset is PhysX, which needs the Kit runtime this machine does not have).
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from .conftest import EXPERIMENT, TASK, Invocation

pytestmark = pytest.mark.isaaclab

MODEL = "isaaclab-tier-cartpole-eval"
ALIAS = "champion"
EPISODES = 4
EVAL_ENVS = 4
EVALUATE = ["python", "-m", "training", "evaluate", "--output-dir", "${{outputs.checkpoints}}"]
MAX_EPISODE_LENGTH = 300  # Isaac-Cartpole-Direct: 5 s episodes at 120 Hz with decimation 2


@pytest.fixture(scope="module")
def trained(run_trainer):
    run = run_trainer("eval-train", ROBO_MAX_ITERATIONS="1", ROBO_REGISTER_MODEL=MODEL)
    assert run.returncode == 0, run.describe()
    return run


@pytest.fixture(scope="module")
def promoted(trained, run_trainer):
    """The version, task and all else from its tags, evaluated behind a gate that holds, then promoted."""
    run = run_trainer(
        "eval-promote",
        Invocation(EVALUATE, {"ROBO_EXPERIMENT_NAME": EXPERIMENT}),
        ROBO_MODEL_URI=trained.result["model_uri"],
        ROBO_EPISODES=str(EPISODES),
        ROBO_NUM_ENVS=str(EVAL_ENVS),
        ROBO_GATE="mean_episode_length>=1",
        ROBO_PROMOTE=ALIAS,
    )
    assert run.returncode == 0, run.describe()
    return run


def test_the_version_records_its_physics_preset(trained, mlflow_client):
    version = mlflow_client.get_model_version(MODEL, trained.result["model_version"])
    assert version.tags["physics"] == "newton_mjwarp"  # conftest's MACHINE_ENV
    assert version.tags["evaluated"] == "false"


def test_an_evaluation_reports_episodes_of_every_environment(promoted, trained):
    result = promoted.result
    assert result["status"] == "evaluated"
    assert (result["task"], result["rl_library"], result["algorithm"]) == (TASK, "skrl", "ppo")
    assert result["model_uri"] == trained.result["model_uri"]
    assert result["episodes"] == EPISODES
    with open(promoted.output_dir / "episodes.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == EPISODES
    # one episode per environment: the first to finish (the shortest) do not crowd the others out
    assert Counter(int(row["env"]) for row in rows) == {index: 1 for index in range(EVAL_ENVS)}
    lengths = [int(row["length"]) for row in rows]
    assert all(1 <= length <= MAX_EPISODE_LENGTH for length in lengths)
    assert result["metrics"]["mean_episode_length"] == pytest.approx(sum(lengths) / EPISODES)
    returns = [float(row["return"]) for row in rows]
    assert result["metrics"]["mean_return"] == pytest.approx(sum(returns) / EPISODES)
    assert (result["metrics"]["min_return"], result["metrics"]["max_return"]) == pytest.approx(
        (min(returns), max(returns))
    )
    assert "success_rate" not in result["metrics"]  # the task reports no success


def test_the_evaluation_run_holds_the_metrics_and_the_version_is_tagged(promoted, trained, mlflow_client):
    result = promoted.result
    run = mlflow_client.get_run(result["run_id"])
    for name in ("mean_return", "std_return", "min_return", "max_return", "mean_episode_length"):
        assert run.data.metrics[name] == pytest.approx(result["metrics"][name]), name
    assert run.data.tags["kind"] == "evaluation"
    assert run.data.tags["task"] == TASK
    assert run.data.tags["gate_passed"] == "true"
    version = mlflow_client.get_model_version(MODEL, trained.result["model_version"])
    assert version.tags["evaluated"] == "true"
    assert float(version.tags["eval.mean_return"]) == pytest.approx(result["metrics"]["mean_return"])
    assert float(version.tags["eval.mean_episode_length"]) == pytest.approx(result["metrics"]["mean_episode_length"])
    assert version.tags["eval.episodes"] == str(EPISODES)
    assert version.tags["eval.run_id"] == result["run_id"]
    assert version.tags["eval.task"] == TASK


def test_a_gate_that_holds_promotes_the_version(promoted, trained, mlflow_client):
    assert promoted.result["gate_passed"] is True
    assert promoted.result["promoted"] == ALIAS
    holder = mlflow_client.get_model_version_by_alias(MODEL, ALIAS)
    assert holder.version == trained.result["model_version"]


def test_a_gate_that_does_not_hold_exits_3_and_keeps_the_alias(promoted, trained, run_trainer, mlflow_client):
    run = run_trainer(
        "eval-gate-fails",
        Invocation(EVALUATE, {"ROBO_EXPERIMENT_NAME": EXPERIMENT}),
        ROBO_MODEL_URI=f"models:/{MODEL}@{ALIAS}",
        ROBO_EPISODES=str(EPISODES),
        ROBO_NUM_ENVS=str(EVAL_ENVS),
        ROBO_GATE=f"mean_episode_length>{MAX_EPISODE_LENGTH}",  # no episode outlasts the time limit
        ROBO_PROMOTE="candidate",
        ROBO_PHYSICS="",  # none given: the version's physics tag is used
    )
    assert run.returncode == 3, run.describe()
    result = run.result
    assert (result["status"], result["gate_passed"], result["promoted"]) == ("gate-failed", False, None)
    assert result["gates"][0]["holds"] is False
    assert result["gates"][0]["measured"] <= MAX_EPISODE_LENGTH
    assert mlflow_client.get_model_version_by_alias(MODEL, ALIAS).version == trained.result["model_version"]
    version = mlflow_client.get_model_version(MODEL, trained.result["model_version"])
    assert "candidate" not in (version.aliases or [])
    assert mlflow_client.get_run(result["run_id"]).data.tags["gate_passed"] == "false"
    assert version.tags["eval.run_id"] == result["run_id"]  # the evaluation happened and was recorded


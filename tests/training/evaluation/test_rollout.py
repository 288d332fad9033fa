"""Episodes over vectorised environments (training/evaluation/rollout.py) in the trainer's real CartPole-v1
environment, and the physics preset an evaluation simulates with (training/evaluation/run.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.training.conftest import rl_config
from training.config import EvalConfig
from training.evaluation.model import Target
from training.evaluation.outcome import Plan
from training.evaluation.rollout import quotas, run_episodes
from training.evaluation.run import physics


def test_quotas_split_the_episodes_evenly_over_the_environments():
    assert quotas(4, 4) == [1, 1, 1, 1]
    assert quotas(6, 4) == [2, 2, 1, 1]
    assert quotas(2, 4) == [1, 1, 0, 0]
    assert sum(quotas(10, 3)) == 10


def test_a_fast_failing_environment_does_not_crowd_out_the_others(tmp_path: Path):
    """Env 0 always pushes left (its pole falls in about 10 steps); env 1 balances (its episodes last far
    longer). Keeping whichever episodes finished first would give 4 short episodes of env 0."""
    import torch

    from training.rl.envs import make_env

    environment = make_env(rl_config(tmp_path, task="CartPole-v1", num_envs=2, device="cpu"))

    def act(observations: torch.Tensor) -> torch.Tensor:
        balance = (observations[:, 2] + 0.5 * observations[:, 3] > 0).long()
        return torch.stack([torch.zeros_like(balance[0]), balance[1]]).reshape(2, 1)

    try:
        episodes = run_episodes(environment.env, act, 4)
    finally:
        environment.env.close()

    assert Counter(e.env for e in episodes) == {0: 2, 1: 2}
    assert [e.episode for e in episodes] == [0, 1, 2, 3]
    short = max(e.length for e in episodes if e.env == 0)
    assert min(e.length for e in episodes if e.env == 1) > 3 * short


def _plan(task: str, **tags: str) -> Plan:
    return Plan(Target("models:/m/1", Path("."), "m", "1", tags), task, "skrl", "ppo", [])


@pytest.mark.parametrize(
    ("task", "given", "tags", "expected"),
    [
        ("Isaac-Cartpole-Direct", None, {"physics": "newton_mjwarp"}, "newton_mjwarp"),  # as trained
        ("Isaac-Cartpole-Direct", "physx", {"physics": "newton_mjwarp"}, "physx"),  # --physics wins
        ("Isaac-Cartpole-Direct", None, {}, None),  # trained with the task's default
        ("CartPole-v1", None, {"physics": "newton_mjwarp"}, None),  # a tag never gives a gymnasium task one
    ],
)
def test_the_physics_preset_is_the_given_one_else_the_versions(task, given, tags, expected):
    config = EvalConfig(model_uri="models:/m/1", physics=given)
    assert physics(config, _plan(task, **tags)) == expected

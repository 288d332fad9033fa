"""skrl tags become MLflow-safe names; windows reduce the way skrl's TensorBoard writer does."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from training.tracking.names import ALIASES, metric_name
from training.tracking.reduce import freeze, reduce_window

# MLflow's rule for metric keys (open-source server): letters, digits, _ - . / and space.
MLFLOW_KEY = re.compile(r"^[/\w.\- ]*$")

# Every tag skrl 2.1.1 emits for PPO and SAC (research/rl-probe.md §1) and its documented name.
SKRL_TAGS = {
    "Loss / Policy loss": "loss/policy_loss",
    "Loss / Value loss": "loss/value_loss",
    "Loss / Entropy loss": "loss/entropy_loss",
    "Loss / Critic loss": "loss/critic_loss",
    "Policy / Standard deviation": "policy/standard_deviation",
    "Learning / Learning rate": "learning/learning_rate",
    "Learning / Policy learning rate": "learning/policy_learning_rate",
    "Learning / Critic learning rate": "learning/critic_learning_rate",
    "Coefficient / Entropy coefficient": "coefficient/entropy_coefficient",
    "Q-network / Q1 (max)": "q-network/q1_max",
    "Q-network / Q2 (min)": "q-network/q2_min",
    "Target / Target (mean)": "target/target_mean",
    "Stats / Algorithm update time (ms)": "stats/algorithm_update_time_ms",
    "Stats / Env stepping time (ms)": "stats/env_stepping_time_ms",
    "Stats / Inference time (ms)": "stats/inference_time_ms",
    "Reward / Instantaneous reward (max)": "reward/instantaneous_reward_max",
    "Reward / Total reward (mean)": "reward/total_reward_mean",
    "Episode / Total timesteps (min)": "episode/total_timesteps_min",
    "Info / Episode_Reward/alive": "info/episode_reward/alive",
}


@pytest.mark.parametrize(("tag", "name"), sorted(SKRL_TAGS.items()))
def test_skrl_tags_get_their_documented_mlflow_names(tag: str, name: str) -> None:
    assert metric_name(tag) == name
    assert MLFLOW_KEY.match(name)


# Tags RSL-RL 5.5.1's logger writes (rsl_rl/utils/logger.py; the losses are PPO.update's loss_dict keys).
RSL_RL_TAGS = {
    "Loss/value": "loss/value",
    "Loss/surrogate": "loss/surrogate",
    "Loss/entropy": "loss/entropy",
    "Loss/learning_rate": "loss/learning_rate",
    "Policy/mean_std": "policy/mean_std",
    "Perf/total_fps": "perf/total_fps",
    "Train/mean_reward": "train/mean_reward",
    "Train/mean_episode_length": "train/mean_episode_length",
    "Episode/rew_alive": "episode/rew_alive",
}


@pytest.mark.parametrize(("tag", "name"), sorted(RSL_RL_TAGS.items()))
def test_rsl_rl_tags_keep_their_names_lower_cased(tag: str, name: str) -> None:
    assert metric_name(tag) == name


def test_every_alias_source_is_a_name_skrl_or_rsl_rl_produces() -> None:
    produced = set(SKRL_TAGS.values()) | set(RSL_RL_TAGS.values()) | {
        "reward/total_reward_max",
        "reward/total_reward_min",
        "episode/total_timesteps_mean",
    }
    assert set(ALIASES) <= produced


def test_names_with_odd_characters_are_made_safe_and_bounded() -> None:
    assert metric_name("Custom / Loss [\u03b1] (p95)!") == "custom/loss_p95"
    assert metric_name("a" * 400) == "a" * 250
    assert metric_name(" / ") == "unnamed"


def test_scalars_reduce_like_tensorboard_min_max_and_mean() -> None:
    window = {
        "Reward / Total reward (max)": [1.0, 7.0, 3.0],
        "Reward / Total reward (min)": [np.float64(4.0), np.float64(-2.0)],
        "Loss / Policy loss": [1.0, 2.0, 6.0],
        "Episode / Total timesteps (mean)": [np.int32(10), np.int32(20)],
    }
    metrics, skipped = reduce_window(window, max_depth=2)
    assert metrics == {
        "reward/total_reward_max": 7.0,
        "reward/total_reward_min": -2.0,
        "loss/policy_loss": 3.0,
        "episode/total_timesteps_mean": 15.0,
    }
    assert skipped == set()


def test_lists_and_tensors_give_mean_std_min_max_over_all_elements() -> None:
    window = {"Custom / per env": [torch.tensor([1.0, 3.0]), [5.0, 7.0], np.array([9.0])]}
    metrics, _ = reduce_window(window, max_depth=2)
    values = np.array([1.0, 3.0, 5.0, 7.0, 9.0])
    assert metrics == pytest.approx(
        {
            "custom/per_env/mean": values.mean(),
            "custom/per_env/std": values.std(),
            "custom/per_env/min": 1.0,
            "custom/per_env/max": 9.0,
        }
    )


def test_one_element_tensors_are_scalars() -> None:
    metrics, _ = reduce_window({"Loss / x": [torch.tensor(2.0), torch.tensor([4.0])]}, max_depth=0)
    assert metrics == {"loss/x": 3.0}


def test_nested_values_are_flattened_to_max_depth_and_deeper_ones_reported() -> None:
    value = {"a": 1.0, "b": {"c": 2.0, "d": {"e": 3.0}}}
    assert reduce_window({"N": [value]}, max_depth=0) == ({}, {"n"})
    assert reduce_window({"N": [value]}, max_depth=1) == ({"n/a": 1.0}, {"n/b"})
    assert reduce_window({"N": [value]}, max_depth=2) == ({"n/a": 1.0, "n/b/c": 2.0}, {"n/b/d"})
    assert reduce_window({"N": [value]}, max_depth=3) == ({"n/a": 1.0, "n/b/c": 2.0, "n/b/d/e": 3.0}, set())


def test_values_that_are_not_numbers_are_skipped_not_fatal() -> None:
    metrics, skipped = reduce_window(
        {"Text": ["hello", None], "Ok": [1.0], "Ragged": [[1.0, [2.0, 3.0]]]}, max_depth=2
    )
    assert metrics == {"ok": 1.0}
    assert skipped == {"text", "ragged"}


def test_freeze_copies_tensors_so_later_in_place_changes_do_not_leak() -> None:
    live = torch.tensor([1.0, 2.0])
    frozen = freeze([live])
    live.add_(100.0)
    assert reduce_window({"T": frozen}, max_depth=0)[0]["t/max"] == 2.0

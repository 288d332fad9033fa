"""skrl tag -> MLflow metric name, and the short names seed-era dashboards use.

MLflow accepts letters, digits, ``_ - . / space`` in metric names (newer servers also
``:``); skrl's tags contain parentheses (``Reward / Total reward (mean)``), which some
servers reject and which make one bad name fail a whole batch. The mapping is lower
case, `` / `` becomes ``/``, ``(x)`` becomes ``_x``, and any other run of characters
becomes ``_``. docs/metrics.md lists every tag skrl 2.1.1 emits and its name.
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_NAME_LENGTH = 250  # MLflow's limit for a metric key

_SEPARATOR = re.compile(r"\s*/\s*")
_PARENTHESES = re.compile(r"\(([^()]*)\)")
_OTHER = re.compile(r"[^a-z0-9_.\-]+")

# MLflow name of a skrl tag -> the name seed-era users chart. Only where skrl has the data.
ALIASES: dict[str, str] = {
    "reward/total_reward_mean": "episode_reward_mean",
    "reward/total_reward_max": "episode_reward_max",
    "reward/total_reward_min": "episode_reward_min",
    "episode/total_timesteps_mean": "episode_length_mean",
    "loss/policy_loss": "policy_loss",
    "loss/value_loss": "value_loss",
    "loss/critic_loss": "critic_loss",
    "loss/entropy_loss": "entropy_loss",
    "learning/learning_rate": "learning_rate",
    "learning/policy_learning_rate": "learning_rate",
    "learning/critic_learning_rate": "critic_learning_rate",
    "coefficient/entropy_coefficient": "entropy_coefficient",
    "policy/standard_deviation": "policy_std",
    # RSL-RL's logger (rsl_rl/utils/logger.py, 5.5.1): mean of its last 100 episodes, and its losses.
    "train/mean_reward": "episode_reward_mean",
    "train/mean_episode_length": "episode_length_mean",
    "loss/surrogate": "policy_loss",
    "loss/value": "value_loss",
    "loss/learning_rate": "learning_rate",
    "policy/mean_std": "policy_std",
}


@lru_cache(maxsize=4096)
def metric_name(tag: str) -> str:
    """The MLflow-safe name of a skrl tag or a nested key path."""
    parts = (_part(piece) for piece in _SEPARATOR.split(tag))
    name = "/".join(part for part in parts if part)
    return name[:MAX_NAME_LENGTH] or "unnamed"


def reduction(tag: str) -> str:
    """How skrl's TensorBoard writer reduces a tag's values: min, max, or mean."""
    stripped = tag.rstrip()
    if stripped.endswith("(min)"):
        return "min"
    if stripped.endswith("(max)"):
        return "max"
    return "mean"


def _part(text: str) -> str:
    spaced = _PARENTHESES.sub(r" \1", text.strip().lower())
    return _OTHER.sub("_", spaced).strip("_")

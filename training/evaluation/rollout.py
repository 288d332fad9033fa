"""Episodes of a policy in a skrl-wrapped environment, and the metrics they give.

The environment is the trainer's own (training/rl/envs.py: gymnasium with same-step autoreset, or Isaac Lab),
so an episode that ends is reset in the same step and its return and length are final. With several
environments each one contributes a fixed share of the episodes (`quotas`: `episodes` split as evenly as
possible), kept in the order they finished: keeping whichever episodes finish first would over-represent short
episodes (a policy's failures) whenever environments outnumber the episodes still to go.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

_SUCCESS_KEYS = ("is_success", "success")  # gymnasium-robotics' convention, and a plain `success`


@dataclass(frozen=True)
class Episode:
    episode: int
    env: int
    ret: float
    length: int
    success: bool | None = None

    def row(self) -> dict[str, Any]:
        row = asdict(self)
        row["return"] = row.pop("ret")
        return row


def run_episodes(env: Any, act: Callable[[Any], Any], episodes: int) -> list[Episode]:
    """Step `env` with `act(observations) -> actions` until `episodes` episodes have ended."""
    import torch  # lazy: start-up time

    observations, _ = env.reset()
    count = env.num_envs
    returns = torch.zeros(count, dtype=torch.float64)
    lengths = torch.zeros(count, dtype=torch.int64)
    wanted = quotas(episodes, count)
    done: list[Episode] = []
    while len(done) < episodes:
        with torch.no_grad():
            actions = act(observations)
        observations, rewards, terminated, truncated, infos = env.step(actions)
        returns += rewards.detach().reshape(-1).to("cpu", torch.float64)
        lengths += 1
        ended = (terminated | truncated).reshape(-1).to("cpu")
        successes = successes_of(infos, count)
        for index in ended.nonzero().reshape(-1).tolist():
            if wanted[index]:
                wanted[index] -= 1
                success = None if successes is None else bool(successes[index])
                done.append(Episode(len(done), index, float(returns[index]), int(lengths[index]), success))
            returns[index], lengths[index] = 0.0, 0
    return done


def quotas(episodes: int, num_envs: int) -> list[int]:
    """How many episodes each environment contributes: `episodes` split evenly, the first ones one more."""
    share, extra = divmod(episodes, num_envs)
    return [share + (1 if index < extra else 0) for index in range(num_envs)]


def metrics(episodes: list[Episode]) -> dict[str, float]:
    """mean/std/min/max return, mean episode length, and success_rate when the task reported success."""
    values = [e.ret for e in episodes]
    mean = sum(values) / len(values)
    result = {
        "mean_return": mean,
        "std_return": math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)),
        "min_return": min(values),
        "max_return": max(values),
        "mean_episode_length": sum(e.length for e in episodes) / len(episodes),
    }
    reported = [e.success for e in episodes if e.success is not None]
    if reported:
        result["success_rate"] = sum(reported) / len(reported)
    return result


def successes_of(infos: Any, count: int) -> list[bool] | None:
    """Per environment, whether the episode that just ended succeeded; None when the task says nothing."""
    if not isinstance(infos, dict):
        return None
    for source in (infos.get("final_info"), infos):
        if not isinstance(source, dict):
            continue
        for key in _SUCCESS_KEYS:
            if key in source:
                values = source[key]
                flat = values.reshape(-1).tolist() if hasattr(values, "reshape") else list(values)
                if len(flat) == count:
                    return [bool(v) for v in flat]
    return None

"""A video of a few evaluation episodes: gymnasium's RecordVideo around one rendering copy of the task, driven
by the evaluation's deterministic policy. gymnasium tasks only (Isaac Lab renders through its own viewer); needs
moviepy (RecordVideo's encoder) and the task's renderer (pygame for the classic-control tasks)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from training.config import ENV_PREFIX, ConfigError


def check_can_record(task: str) -> None:
    """Refuse, before anything runs, a video this environment cannot make."""
    from training.rl.envs import is_gymnasium_id  # lazy: imports gymnasium

    if not is_gymnasium_id(task):
        raise ConfigError(f"{ENV_PREFIX}VIDEO_EPISODES: video is recorded for gymnasium tasks; {task} is none; drop it")
    for module, package in (("moviepy", "moviepy"), ("pygame", "pygame-ce")):
        if importlib.util.find_spec(module) is None:
            raise ConfigError(
                f"{ENV_PREFIX}VIDEO_EPISODES: recording needs {package}, not installed here; install "
                "robo-submit[train] or drop it"
            )


def record_episodes(task: str, policy: Any, episodes: int, folder: Path, seed: int) -> list[Path]:
    """Run `episodes` episodes of `task` with `policy` and write one mp4 each to `folder`; the files."""
    import gymnasium as gym  # lazy: start-up time
    import torch
    from gymnasium.wrappers import RecordVideo

    device = next((t.device for t in [*policy.parameters(), *policy.buffers()]), torch.device("cpu"))
    env = RecordVideo(
        gym.make(task, render_mode="rgb_array"), video_folder=str(folder), episode_trigger=lambda _: True,
        name_prefix="episode", disable_logger=True,
    )  # fmt: skip
    discrete = isinstance(env.action_space, gym.spaces.Discrete)
    try:
        for index in range(episodes):
            observation, _ = env.reset(seed=seed + index)
            finished = False
            while not finished:
                with torch.no_grad():
                    batch = torch.as_tensor(observation, dtype=torch.float32, device=device).reshape(1, -1)
                    output = policy(batch).reshape(-1).cpu()
                action = (int(output.argmax()) if output.numel() > 1 else int(output[0])) if discrete else output.numpy()
                observation, _, terminated, truncated, _ = env.step(action)
                finished = bool(terminated or truncated)
    finally:
        env.close()
    return sorted(folder.glob("*.mp4"))

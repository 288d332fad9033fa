"""A LeRobot policy rolled out in a gym environment (ROBO_LEROBOT_ENV): LeRobot's own environment types
(lerobot.envs.configs: pusht, aloha, ...), whose gym package must be installed (the job image and
.venv-lerobot have gym-pusht).

The rollout follows `lerobot-eval` step for step: the batch of environments is reset with seeds
seed, seed+1, ... (episode i gets seed + i), observations go through LeRobot's `preprocess_observation`, the
environment's processors and the policy's pre/post-processors, and the policy is reset at the start of each
batch. Unlike `lerobot-eval` an episode's return stops at the step that ended it (with several environments
`lerobot-eval` adds the step after it, which belongs to the next episode). Metrics are the RL evaluation's
(mean/std/min/max return, mean episode length, success_rate when the environment reports `is_success`); a
video of the first ROBO_VIDEO_EPISODES episodes is written with LeRobot's own encoder (PyAV).

The environment's observation type follows the policy: pusht gives pixels when the policy reads an image,
its keypoints (`environment_state`) otherwise. A policy input the environment does not provide, or an action
of another size, is refused (exit 2) before anything runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.config import ENV_PREFIX, ConfigError, EvalConfig
from training.evaluation.rollout import Episode, successes_of

SETTING = f"{ENV_PREFIX}LEROBOT_ENV"
VIDEO_FOLDER = "video"


@dataclass(frozen=True)
class EnvRollout:
    """What to run: the policy folder and the environment it is rolled out in."""

    policy: Path  # the pretrained_model folder
    env_type: str
    env_cfg: Any  # lerobot.envs.configs.EnvConfig


def device_of(setting: str, torch: Any) -> str:
    """ROBO_DEVICE for a LeRobot policy: auto is CUDA when there is one."""
    if setting != "auto":
        return setting
    return "cuda" if torch.cuda.is_available() else "cpu"


def installed_types() -> list[str]:
    """LeRobot's environment types whose gym package is importable here."""
    from lerobot.envs.configs import EnvConfig  # lazy: LeRobot's environment only

    found = []
    for name in sorted(EnvConfig.get_known_choices()):
        if importlib.util.find_spec(f"gym_{name}") is not None:
            found.append(name)
    return found


def make_env_config(env_type: str, policy_folder: Path) -> Any:
    """The environment's config for this policy; refusals name ROBO_LEROBOT_ENV and what is installed here."""
    import lerobot.policies  # noqa: F401 (registers the policy types PreTrainedConfig.from_pretrained looks up)
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.envs.configs import EnvConfig

    here = installed_types()
    accepted = ", ".join(here) or "none"
    if env_type not in EnvConfig.get_known_choices():
        raise ConfigError(f"{SETTING}: {env_type} is not a LeRobot environment type; installed here: {accepted}")
    if env_type not in here:
        raise ConfigError(
            f"{SETTING}: {env_type} needs the gym_{env_type} package, not installed here; installed here: {accepted}"
        )
    policy_cfg = PreTrainedConfig.from_pretrained(policy_folder)
    cls = EnvConfig.get_choice_class(env_type)
    options = {}
    if env_type == "pusht":
        reads_image = any(key.startswith("observation.image") for key in policy_cfg.input_features)
        options["obs_type"] = "pixels_agent_pos" if reads_image else "environment_state_agent_pos"
    env_cfg = cls(**options)
    check_features(policy_cfg, env_cfg, env_type)
    return env_cfg


def check_features(policy_cfg: Any, env_cfg: Any, env_type: str) -> None:
    """The environment provides every input the policy reads (state sizes equal) and takes its action size."""
    from lerobot.envs.utils import env_to_policy_features

    provided = env_to_policy_features(env_cfg)
    for key, feature in policy_cfg.input_features.items():
        if key not in provided:
            offered = ", ".join(k for k in provided if k != "action")
            raise ConfigError(f"{SETTING}: {env_type} does not provide {key}, which the policy reads; it provides {offered}")
        if not key.startswith("observation.image") and tuple(provided[key].shape) != tuple(feature.shape):
            raise ConfigError(
                f"{SETTING}: {env_type}'s {key} is {tuple(provided[key].shape)}, the policy's {tuple(feature.shape)}"
            )
    action = policy_cfg.output_features.get("action")
    if action is not None and "action" in provided and tuple(provided["action"].shape) != tuple(action.shape):
        raise ConfigError(
            f"{SETTING}: {env_type}'s action is {tuple(provided['action'].shape)}, the policy's {tuple(action.shape)}"
        )


def evaluate(config: EvalConfig, rollout: EnvRollout, output: Path) -> tuple[list[Episode], list[Path]]:
    """Roll the policy out for config.episodes episodes; (the episodes, the video files written)."""
    import torch  # lazy: LeRobot's environment only
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.envs.factory import make_env, make_env_pre_post_processors
    from lerobot.policies.factory import get_policy_class, make_pre_post_processors

    device = device_of(config.device, torch)
    torch.manual_seed(config.seed)
    policy_cfg = PreTrainedConfig.from_pretrained(rollout.policy)
    policy_cfg.device = device
    policy = get_policy_class(policy_cfg.type).from_pretrained(rollout.policy, config=policy_cfg).eval()
    preprocessor, postprocessor = make_pre_post_processors(
        policy_cfg, pretrained_path=str(rollout.policy), preprocessor_overrides={"device_processor": {"device": device}}
    )
    env_pre, env_post = make_env_pre_post_processors(rollout.env_cfg, policy_cfg)
    importlib.import_module(rollout.env_cfg.package_name)  # registers its gym ids (else LeRobot prints that it will)
    count = min(config.num_envs, config.episodes)
    env = next(iter(make_env(rollout.env_cfg, n_envs=count)[rollout.env_type].values()))
    steps = _Steps(policy, preprocessor, postprocessor, env_pre, env_post)
    episodes: list[Episode] = []
    videos: list[Path] = []
    try:
        for batch in range(math.ceil(config.episodes / count)):
            first = batch * count
            record = max(0, min(config.video_episodes - first, count))
            done, frames = _rollout(env, steps, [config.seed + first + i for i in range(count)], record)
            for index, (ret, length, success) in enumerate(done):
                if first + index < config.episodes:
                    episodes.append(Episode(first + index, index, ret, length, success))
            for index, clip in enumerate(frames):
                videos.append(_write_video(clip, output / VIDEO_FOLDER / f"episode-{first + index}.mp4", rollout.env_cfg))
    finally:
        env.close()
    return episodes, videos


class _Steps:
    """One policy step as `lerobot-eval` takes it: environment observation in, environment action out."""

    def __init__(self, policy: Any, preprocessor: Any, postprocessor: Any, env_pre: Any, env_post: Any) -> None:
        self.policy, self.pre, self.post, self.env_pre, self.env_post = policy, preprocessor, postprocessor, env_pre, env_post

    def reset(self) -> None:
        self.policy.reset()

    def __call__(self, env: Any, observation: dict) -> Any:
        import torch
        from lerobot.envs.utils import preprocess_observation

        batch = preprocess_observation(observation)
        batch["task"] = _task_text(env)
        batch = self.pre(self.env_pre(batch))
        with torch.inference_mode():
            action = self.post(self.policy.select_action(batch))
        action = self.env_post({"action": action})["action"]
        return action.to("cpu").numpy()


def _rollout(env: Any, steps: _Steps, seeds: list[int], record: int) -> tuple[list[tuple], list[list]]:
    """One batch: every environment runs one episode; per environment (return, length, success or None), and
    the frames of the first `record` environments."""
    import numpy as np

    steps.reset()
    observation, _ = env.reset(seed=seeds)
    count = env.num_envs
    returns, lengths = np.zeros(count), np.zeros(count, dtype=int)
    success: list[bool | None] = [None] * count
    done = np.zeros(count, dtype=bool)
    frames: list[list] = [[] for _ in range(record)]
    _capture(env, frames, done)
    limit = int(env.call("_max_episode_steps")[0])
    while not done.all() and int(lengths.max()) < limit:
        observation, reward, terminated, truncated, info = env.step(steps(env, observation))
        reported = successes_of(info, count)
        live = ~done
        returns[live] += np.asarray(reward, dtype=float)[live]
        lengths[live] += 1
        if reported is not None:
            for index in np.flatnonzero(live):
                success[index] = bool(success[index]) or reported[index]
        done |= np.asarray(terminated) | np.asarray(truncated)
        _capture(env, frames, done)
    return [(float(returns[i]), int(lengths[i]), success[i]) for i in range(count)], frames


def _capture(env: Any, frames: list[list], finished: Any) -> None:
    """A frame of each recorded environment still in its episode. The step that ends an episode resets the
    environment in the same step (same-step autoreset), so a clip's last frame is the one before it."""
    if not frames:
        return
    images = env.call("render")
    for index, clip in enumerate(frames):
        if not finished[index]:
            clip.append(images[index])


def _task_text(env: Any) -> list[str]:
    for name in ("task_description", "task"):
        try:
            return list(env.call(name))
        except (AttributeError, NotImplementedError):
            continue
    return [""] * env.num_envs


def _write_video(frames: list, path: Path, env_cfg: Any) -> Path:
    from lerobot.utils.io_utils import write_video

    path.parent.mkdir(parents=True, exist_ok=True)
    write_video(str(path), frames, int(env_cfg.fps))
    return path

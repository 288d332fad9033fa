"""A LeRobot policy evaluated offline: its actions on held-out dataset episodes against the recorded ones.

The registered version's `pretrained_model/` folder is loaded as LeRobot 0.6 saves it: the policy
(config.json, model.safetensors) and its pre/post-processor pipelines (normalisation in, un-normalisation
out). Each held-out episode is replayed frame by frame as the robot would run it: the policy is reset at the
episode's start, `select_action` sees each recorded frame (so action chunking and observation queues behave
as deployed), and its un-normalised action is compared with the dataset's action of that frame.

Metrics: `action_mse` and `action_mae`, the mean squared and absolute error over every frame and action
dimension of the held-out episodes, in the dataset's own units; per episode the same in the episode table.

Held-out episodes: ROBO_HELDOUT_EPISODES, else the dataset's episodes the training did not use (the
`dataset.episodes` list of the checkpoint's train_config.json); a training on every episode leaves none, and
then the setting is required. Every refusal (exit 2) comes before anything is written.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training import gate as gates
from training.config import ENV_PREFIX, ConfigError, EvalConfig
from training.evaluation import lerobot_env
from training.evaluation.lerobot_env import EnvRollout
from training.evaluation.model import SOURCE, Target
from training.evaluation.outcome import Plan
from training.exits import RunError, first_line
from training.lerobot import plan as lerobot_plan

FRAMEWORK = "lerobot"
# Any of these makes an evaluation a LeRobot policy's (the CLI picks the LeRobot image by the same rule).
SETTINGS = ("dataset_repo_id", "dataset_root", "heldout_episodes", "lerobot_env")
# RL-only settings a LeRobot policy's evaluation refuses rather than ignores.
RL_ONLY = {
    "rl_library": "a LeRobot policy has no RL library",
    "algorithm": "a LeRobot policy's type comes from its config.json",
    "export": "a LeRobot policy's pretrained_model folder is already its export",
    "video_episodes": "held-out dataset episodes are replayed, not rendered (a rollout in ROBO_LEROBOT_ENV is)",
    "physics": "held-out dataset episodes need no simulator",
}


@dataclass(frozen=True)
class HeldOut:
    """What to run: the policy folder, the dataset and its episodes to replay."""

    policy: Path  # the pretrained_model folder
    repo_id: str
    root: Path | None
    episodes: tuple[int, ...]


@dataclass(frozen=True)
class HeldOutEpisode:
    """One replayed episode's errors (a row of the episode table)."""

    episode: int
    frames: int
    action_mse: float
    action_mae: float

    def row(self) -> dict[str, Any]:
        return {"episode": self.episode, "frames": self.frames, "action_mse": self.action_mse,
                "action_mae": self.action_mae}  # fmt: skip


def is_lerobot(target: Target) -> bool:
    """A LeRobot policy: a version tagged framework=lerobot, or untagged files holding a policy folder."""
    if target.tags:
        return target.tags.get("framework") == FRAMEWORK
    if target.checkpoint is not None:
        return False
    try:
        lerobot_plan.find_checkpoint(target.folder)
    except ConfigError:
        return False
    return True


def given(config: EvalConfig) -> list[str]:
    """The LeRobot settings given, as their variable names."""
    return [f"{ENV_PREFIX}{name.upper()}" for name in SETTINGS if getattr(config, name) not in (None, ())]


def prepare(config: EvalConfig, target: Target) -> tuple[Plan, HeldOut | EnvRollout]:
    """The plan and what to replay; every refusal (exit 2) happens here, before the policy runs."""
    if not given(config):
        raise ConfigError(
            f"{SOURCE}: {target.uri} is a LeRobot policy: evaluate it on held-out dataset episodes "
            f"({ENV_PREFIX}DATASET_REPO_ID, {ENV_PREFIX}DATASET_ROOT, {ENV_PREFIX}HELDOUT_EPISODES) or in a gym "
            f"environment ({ENV_PREFIX}LEROBOT_ENV)"
        )
    for name, why in RL_ONLY.items():
        if getattr(config, name) and not (config.lerobot_env and name == "video_episodes"):
            raise ConfigError(f"{ENV_PREFIX}{name.upper()}: {why}; drop it for {target.uri}")
    wanted = gates.gates_of(config.gate)
    if config.lerobot_env:
        return prepare_env(config, target, wanted)
    check_gates(wanted, gates.OFFLINE_METRICS, "a LeRobot evaluation on held-out episodes")
    checkpoint = _checkpoint(target)
    trained = _trained_dataset(checkpoint.train_config)
    repo_id = config.dataset_repo_id or target.tags.get("dataset") or trained.get("repo_id")
    if not repo_id:
        raise ConfigError(f"{ENV_PREFIX}DATASET_REPO_ID: {target.uri} does not say which dataset it was trained on; pass it")
    root = Path(config.dataset_root) if config.dataset_root else None
    total = _episode_count(repo_id, root)
    episodes = tuple(sorted(set(config.heldout_episodes))) or _not_trained_on(repo_id, total, trained, target.uri)
    missing = [e for e in episodes if e >= total]
    if missing:
        which = ", ".join(map(str, missing))
        raise ConfigError(
            f"{ENV_PREFIX}HELDOUT_EPISODES: {which} {'is not an episode' if len(missing) == 1 else 'are not episodes'} "
            f"of {repo_id}, which has episodes 0 to {total - 1}"
        )
    used = set(trained.get("episodes") or range(total)) if repo_id == trained.get("repo_id") else set()
    seen = sorted(used & set(episodes))
    if seen:
        print(f"warning: {ENV_PREFIX}HELDOUT_EPISODES: the policy was trained on episode(s) {seen}", file=sys.stderr)
    policy_type = target.tags.get("policy_type") or _policy_type(checkpoint.pretrained_model)
    extra = {"framework": FRAMEWORK, "policy_type": policy_type, "dataset": repo_id, "heldout_episodes": list(episodes)}
    plan = Plan(target, repo_id, None, None, wanted, framework=FRAMEWORK, extra=extra)
    return plan, HeldOut(checkpoint.pretrained_model, repo_id, root, tuple(episodes))


def prepare_env(config: EvalConfig, target: Target, wanted: list[gates.Gate]) -> tuple[Plan, EnvRollout]:
    """A rollout in a gym environment (training.evaluation.lerobot_env); refusals before anything runs."""
    if config.heldout_episodes or config.dataset_repo_id or config.dataset_root:
        name = next(n for n in ("heldout_episodes", "dataset_repo_id", "dataset_root") if getattr(config, n))
        raise ConfigError(
            f"{ENV_PREFIX}{name.upper()}: is for held-out dataset episodes, and {ENV_PREFIX}LEROBOT_ENV rolls the "
            "policy out in a gym environment; drop one"
        )
    check_gates(wanted, gates.RL_METRICS, "an evaluation in an environment")
    checkpoint = _checkpoint(target)
    env_type = config.lerobot_env
    env_cfg = lerobot_env.make_env_config(env_type, checkpoint.pretrained_model)
    trained = target.tags.get("dataset") or _trained_dataset(checkpoint.train_config).get("repo_id")
    policy_type = target.tags.get("policy_type") or _policy_type(checkpoint.pretrained_model)
    extra = {"framework": FRAMEWORK, "policy_type": policy_type, "lerobot_env": env_type, "dataset": trained}
    plan = Plan(target, env_cfg.gym_id, None, None, wanted, framework=FRAMEWORK, extra=extra)
    return plan, EnvRollout(checkpoint.pretrained_model, env_type, env_cfg)


def check_gates(wanted: list[gates.Gate], produced: tuple[str, ...], what: str) -> None:
    """A gate on a metric this kind of evaluation does not produce: exit 2 naming what it does produce."""
    for item in wanted:
        if item.metric not in produced:
            raise ConfigError(f"{ENV_PREFIX}GATE: {item}: {what} produces {', '.join(produced)}, not {item.metric}")


def evaluate(config: EvalConfig, held_out: HeldOut) -> tuple[list[HeldOutEpisode], dict[str, float]]:
    """Replay the held-out episodes through the policy; (per-episode errors, action_mse and action_mae)."""
    import torch  # lazy: LeRobot's environment only
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.policies.factory import get_policy_class, make_pre_post_processors

    device = lerobot_env.device_of(config.device, torch)
    torch.manual_seed(config.seed)  # a sampling policy (diffusion) draws the same noise each run
    policy_cfg = PreTrainedConfig.from_pretrained(held_out.policy)
    policy_cfg.device = device
    policy = get_policy_class(policy_cfg.type).from_pretrained(held_out.policy, config=policy_cfg).eval()
    preprocessor, postprocessor = make_pre_post_processors(
        policy_cfg, pretrained_path=str(held_out.policy), preprocessor_overrides={"device_processor": {"device": device}}
    )
    dataset = LeRobotDataset(held_out.repo_id, root=held_out.root, episodes=list(held_out.episodes))
    _check_features(policy_cfg, dataset.meta.features, held_out.repo_id)
    loader = torch.utils.data.DataLoader(dataset, batch_size=1, shuffle=False, num_workers=0)
    sums: dict[int, list[float]] = {}  # episode -> [frames, squared error sum, absolute error sum, values]
    current = None
    with torch.inference_mode():
        for batch in loader:
            episode = int(batch["episode_index"].reshape(-1)[0])
            if episode != current:
                policy.reset()
                preprocessor.reset()
                postprocessor.reset()
                current = episode
            truth = batch.pop("action").to("cpu", torch.float64).reshape(-1)
            action = postprocessor(policy.select_action(preprocessor(batch)))
            error = action.to("cpu", torch.float64).reshape(-1) - truth
            totals = sums.setdefault(episode, [0, 0.0, 0.0, 0])
            totals[0] += 1
            totals[1] += float((error**2).sum())
            totals[2] += float(error.abs().sum())
            totals[3] += error.numel()
    rows = [HeldOutEpisode(e, int(n), sq / count, ab / count) for e, (n, sq, ab, count) in sums.items()]
    values = sum(t[3] for t in sums.values())
    produced = {
        "action_mse": sum(t[1] for t in sums.values()) / values,
        "action_mae": sum(t[2] for t in sums.values()) / values,
    }
    return rows, produced


def _checkpoint(target: Target) -> Any:
    """The model's LeRobot checkpoint folder; a refusal names ROBO_MODEL_URI, not the training's setting."""
    try:
        return lerobot_plan.find_checkpoint(target.folder)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace(f"{ENV_PREFIX}CHECKPOINT_URI", SOURCE)) from None


def _trained_dataset(train_config: Path) -> dict[str, Any]:
    """The trained dataset's repo id and episode list (None: every episode) from train_config.json."""
    try:
        saved = json.loads(train_config.read_text())
    except (OSError, ValueError):
        return {}
    dataset = saved.get("dataset") if isinstance(saved, dict) else None
    return dataset if isinstance(dataset, dict) else {}


def _not_trained_on(repo_id: str, total: int, trained: dict[str, Any], uri: str) -> tuple[int, ...]:
    if repo_id != trained.get("repo_id"):
        return tuple(range(total))  # another dataset than the training's: none of its episodes was used
    used = trained.get("episodes")
    rest = tuple(e for e in range(total) if used is not None and e not in set(used))
    if not rest:
        raise ConfigError(
            f"{ENV_PREFIX}HELDOUT_EPISODES: {uri} was trained on every episode of {repo_id} (0 to {total - 1}), so "
            "none is held out; name the episodes to evaluate on (e.g. 40,41)"
        )
    return rest


def _episode_count(repo_id: str, root: Path | None) -> int:
    """How many episodes the dataset has; a dataset that does not open is a setting to fix."""
    from lerobot.datasets.dataset_metadata import LeRobotDatasetMetadata  # lazy: imports torch

    what = f"{ENV_PREFIX}DATASET_ROOT: {root}" if root else f"{ENV_PREFIX}DATASET_REPO_ID: {repo_id}"
    if root is not None:
        from training.lerobot.dataset import check_layout

        check_layout(root)
    try:
        return int(LeRobotDatasetMetadata(repo_id, root=root).total_episodes)
    except Exception as exc:  # the Hub, the file system or the format: one line naming the setting
        raise ConfigError(f"{what}: could not open the dataset ({first_line(exc)})") from None


def _policy_type(folder: Path) -> str:
    try:
        return str(json.loads((folder / "config.json").read_text())["type"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def _check_features(policy_cfg: Any, features: dict[str, Any], repo_id: str) -> None:
    """The dataset holds every input the policy reads and the action it writes, in the policy's shapes."""
    wanted = {**policy_cfg.input_features, **policy_cfg.output_features}
    for key, feature in wanted.items():
        if key not in features:
            raise ConfigError(f"{ENV_PREFIX}DATASET_REPO_ID: {repo_id} has no {key}, which the policy reads or writes")
        shape = tuple(features[key]["shape"])
        if key == "action" and tuple(feature.shape) != shape:
            raise ConfigError(
                f"{ENV_PREFIX}DATASET_REPO_ID: {repo_id}'s action is {shape}, the policy's {tuple(feature.shape)}"
            )


def not_installed() -> RunError:
    return RunError(
        f"{SOURCE}: evaluating a LeRobot policy needs LeRobot, not installed in {sys.executable}; run it in the "
        "LeRobot job image or .venv-lerobot (./scripts/setup-lerobot-env.sh); no tag or alias was changed"
    )

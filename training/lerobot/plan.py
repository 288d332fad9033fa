"""Which `lerobot-train` arguments a LeRobotConfig means: pure decisions, no LeRobot import.

LeRobot builds its TrainPipelineConfig from command-line style arguments (draccus), and its own
validation re-reads `--policy.path` and `--config_path` from them. So the plan is an argument list;
the runner hands it to LeRobot's parser in-process instead of spawning `lerobot-train`.

Checkpoint modes:
- from-scratch / fresh: `--policy.type=<type>`, our dataset, step 0.
- warm-start: `--policy.path=<checkpoint>/pretrained_model`: weights and processors load, the optimizer
  and scheduler are new, step 0 (LeRobot's fine-tuning path).
- resume: `--config_path=<checkpoint>/pretrained_model --resume=true`: LeRobot restores the train config,
  optimizer, scheduler, RNG and step, so checkpoint names and metric steps continue. A checkpoint written
  by LeRobot 0.4 cannot be resumed by 0.6 (its train config has fields 0.6 no longer reads); it is
  refused with the warm start to use instead, which loads its policy folder unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from training.config import ConfigError, LeRobotConfig, env_name

PRETRAINED_MODEL_DIR = "pretrained_model"
TRAINING_STATE_DIR = "training_state"
TRAIN_CONFIG_FILE = "train_config.json"
MODEL_FILE = "model.safetensors"
TRAIN_SUBDIR = "train"  # LeRobot refuses an existing output_dir unless resuming; the job's folder exists

# Arguments the trainer owns: passing them through lerobot_args would bypass the checkpoint modes.
RESERVED_ARGS = ("--output_dir", "--resume", "--config_path", "--policy.path")
# Arguments the trainer sets from a setting of its own (LeRobotConfig field). Extra arguments come last and
# win, so passing one through lerobot_args would silently override that setting, or a guard on it (push to
# the Hub only with a repo id, W&B only with a key).
SETTING_ARGS = {
    "--policy.type": "policy_type",
    "--dataset.repo_id": "dataset_repo_id",
    "--dataset.root": "dataset_root",
    "--dataset.revision": "dataset_revision",
    "--batch_size": "batch_size",
    "--policy.optimizer_lr": "learning_rate",
    "--steps": "steps",
    "--save_freq": "save_freq",
    "--env_eval_freq": "eval_freq",
    "--eval_freq": "eval_freq",  # LeRobot 0.4's name of --env_eval_freq
    "--seed": "seed",
    "--job_name": "job_name",
    "--policy.push_to_hub": "push_to_hub",
    "--policy.repo_id": "policy_repo_id",
    "--wandb.enable": "wandb",
    "--wandb.project": "wandb_project",
    "--wandb.entity": "wandb_entity",
}
_FIELDS = {f.name: f for f in fields(LeRobotConfig)}


@dataclass(frozen=True)
class Dataset:
    """Where LeRobot finds the data: a Hub id, optionally with a local root."""

    repo_id: str
    root: Path | None = None


@dataclass(frozen=True)
class LeRobotCheckpoint:
    """A LeRobot policy folder (`pretrained_model/`); its parent step folder holds `training_state/`."""

    pretrained_model: Path

    @property
    def train_config(self) -> Path:
        return self.pretrained_model / TRAIN_CONFIG_FILE

    @property
    def training_state(self) -> Path:
        return self.pretrained_model.parent / TRAINING_STATE_DIR


def train_dir(output_dir: str | Path) -> Path:
    """LeRobot's own output folder inside the job's checkpoint output."""
    return Path(output_dir) / TRAIN_SUBDIR


def owned_arg(lerobot_args: tuple[str, ...]) -> tuple[str, str | None] | None:
    """The first extra argument the trainer sets itself: (its name, the LeRobotConfig field that sets it, or
    None for the ones the checkpoint modes own); None when every argument is free to pass through."""
    for arg in lerobot_args:
        name = arg.split("=", 1)[0]
        if name in RESERVED_ARGS or name in SETTING_ARGS:
            return name, SETTING_ARGS.get(name)
    return None


def check(config: LeRobotConfig) -> None:
    """LeRobot-specific rules on top of training.config.validate; raise ConfigError naming the input."""
    owned = owned_arg(config.lerobot_args)
    if owned and owned[1] is None:
        raise ConfigError(
            f"ROBO_LEROBOT_ARGS: {owned[0]} is set by the trainer; use ROBO_CHECKPOINT_MODE/"
            "ROBO_CHECKPOINT_URI (resume, warm-start) or ROBO_PRETRAINED_PATH instead"
        )
    if owned:
        raise ConfigError(
            f"ROBO_LEROBOT_ARGS: {owned[0]} has its own setting; use {env_name(_FIELDS[owned[1]])}"
        )
    if config.push_to_hub and not config.policy_repo_id:
        raise ConfigError(
            "ROBO_POLICY_REPO_ID: pushing to the Hub needs the target repo id; set it or drop push_to_hub"
        )
    if config.pretrained_path and config.checkpoint_mode != "from-scratch":
        raise ConfigError(
            "ROBO_PRETRAINED_PATH: a pretrained policy starts a new training; it cannot be combined with "
            f"checkpoint mode {config.checkpoint_mode}"
        )
    if config.checkpoint_mode != "resume" and not (config.dataset_repo_id or config.dataset_root or config.dataset_dirs):
        raise ConfigError(
            "ROBO_DATASET_REPO_ID: a dataset is needed (a Hub id, a local root, or blob URLs with an id)"
        )
    if config.dataset_revision and (config.blob_urls or config.dataset_root or config.dataset_dirs):
        raise ConfigError("ROBO_DATASET_REVISION: pins a Hub dataset; this one is local, blob or mounted data")
    if config.blob_urls and not config.dataset_repo_id:
        raise ConfigError("ROBO_DATASET_REPO_ID: blob datasets need the dataset id LeRobot knows them by")


def lerobot_args(
    config: LeRobotConfig,
    *,
    dataset: Dataset | None,
    checkpoint: LeRobotCheckpoint | None,
) -> list[str]:
    """The `lerobot-train` arguments for this config; lerobot_args come last so they win."""
    out = train_dir(config.output_dir)
    args = [f"--output_dir={out}", *_start_args(config, checkpoint), *_run_args(config)]
    if dataset is not None:
        args.append(f"--dataset.repo_id={dataset.repo_id}")
        if dataset.root is not None:
            args.append(f"--dataset.root={dataset.root}")
        if config.dataset_revision:
            args.append(f"--dataset.revision={config.dataset_revision}")
    return args + list(config.lerobot_args)


def _start_args(config: LeRobotConfig, checkpoint: LeRobotCheckpoint | None) -> list[str]:
    mode = config.checkpoint_mode
    if mode == "resume":
        if checkpoint is None:
            raise ConfigError("ROBO_CHECKPOINT_URI: resume needs a LeRobot checkpoint")
        # Batch size, learning rate and policy come from the checkpoint's train config on resume. LeRobot 0.6
        # takes the policy folder itself as --config_path and finds train_config.json and training_state/.
        return ["--resume=true", f"--config_path={checkpoint.pretrained_model}"]
    shaping = [f"--batch_size={config.batch_size}"]
    if config.learning_rate is not None:
        shaping.append(f"--policy.optimizer_lr={config.learning_rate}")
    if mode == "warm-start":
        if checkpoint is None:
            raise ConfigError("ROBO_CHECKPOINT_URI: warm-start needs a LeRobot checkpoint")
        return [f"--policy.path={checkpoint.pretrained_model}", *shaping]
    if config.pretrained_path:
        return [f"--policy.path={config.pretrained_path}", *shaping]
    return [f"--policy.type={config.policy_type}", *shaping]


def _run_args(config: LeRobotConfig) -> list[str]:
    args = [
        f"--steps={config.steps}",
        f"--save_freq={config.save_freq}",
        f"--log_freq={config.log_freq}",
        f"--env_eval_freq={config.eval_freq}",
        f"--num_workers={config.num_workers}",
        f"--seed={config.seed}",
        f"--policy.push_to_hub={_flag(config.push_to_hub)}",
        f"--wandb.enable={_flag(config.wandb)}",
    ]
    if config.job_name:
        args.append(f"--job_name={config.job_name}")
    if config.device != "auto":
        args.append(f"--policy.device={config.device}")
    if config.policy_repo_id:
        args.append(f"--policy.repo_id={config.policy_repo_id}")
    if config.wandb_project:
        args.append(f"--wandb.project={config.wandb_project}")
    if config.wandb_entity:
        args.append(f"--wandb.entity={config.wandb_entity}")
    return args


def _flag(value: bool) -> str:
    return "true" if value else "false"


def find_checkpoint(path: Path) -> LeRobotCheckpoint:
    """The LeRobot policy folder behind a downloaded or local checkpoint path.

    Accepts a policy folder (config.json + model.safetensors, e.g. pretrained_model/), its
    train_config.json, a step folder, a LeRobot output folder (uses checkpoints/last), or a job
    output folder holding train/checkpoints/last.
    """
    path = Path(path)
    if path.is_file():
        path = path.parent
    # A downloaded model input may hold the registered folder one level down (Azure ML names it).
    below = [child / PRETRAINED_MODEL_DIR for child in sorted(path.iterdir()) if child.is_dir()] if path.is_dir() else []
    for candidate in (
        path,
        path / PRETRAINED_MODEL_DIR,
        path / "checkpoints" / "last" / PRETRAINED_MODEL_DIR,
        path / TRAIN_SUBDIR / "checkpoints" / "last" / PRETRAINED_MODEL_DIR,
        *(below if len(below) == 1 else []),
    ):
        if (candidate / "config.json").is_file() and (candidate / MODEL_FILE).is_file():
            return LeRobotCheckpoint(candidate.resolve())
    raise ConfigError(
        f"ROBO_CHECKPOINT_URI: {path} holds no LeRobot checkpoint "
        f"(expected <step>/{PRETRAINED_MODEL_DIR}/config.json and {MODEL_FILE})"
    )


# Train-config keys LeRobot 0.4 wrote and 0.6 no longer reads (0.6 renamed eval_freq to env_eval_freq).
LEROBOT_04_KEYS = ("eval_freq",)


def check_resumable(checkpoint: LeRobotCheckpoint) -> None:
    """Resume needs the train config and the optimizer/step state, not only the weights, written by this
    LeRobot's train config format."""
    if not checkpoint.train_config.is_file():
        raise ConfigError(f"ROBO_CHECKPOINT_URI: {checkpoint.train_config} is missing; resume needs it")
    if written_by_lerobot_04(checkpoint):
        raise ConfigError(
            "ROBO_CHECKPOINT_URI: this checkpoint was written by LeRobot 0.4, whose train config LeRobot 0.6 "
            "cannot resume; start from it with checkpoint mode warm-start (its weights and normalisation "
            "load, the optimizer and step start fresh)"
        )
    if not checkpoint.training_state.is_dir():
        raise ConfigError(
            f"ROBO_CHECKPOINT_URI: {checkpoint.training_state} is missing; "
            "this checkpoint can warm-start a policy but not resume a run"
        )


def written_by_lerobot_04(checkpoint: LeRobotCheckpoint) -> bool:
    """Whether the checkpoint's train_config.json is in LeRobot 0.4's format (it has 0.4-only keys)."""
    import json  # lazy: only resumes read it

    try:
        saved = json.loads(checkpoint.train_config.read_text())
    except (OSError, ValueError):
        return False  # LeRobot's own loader says what is wrong with it
    return isinstance(saved, dict) and any(key in saved for key in LEROBOT_04_KEYS)

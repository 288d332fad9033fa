"""Every job setting, declared once: its field in the settings model, its flags, its environment
fallback and the trainer variable it reaches.

Plain data (no pydantic): `submit.flags` makes the Click options from these declarations, the
settings models take their field descriptions from them (`models.base.declared`), the flag-to-field
map of error messages and profiles is derived from them, and `submit.trainer_contract` maps each
`trainer` name to the trainer's ROBO_* variable. A backend declares its own target settings the same
way (`backends/<name>/flags.py`). A new setting is one declaration here, its model field, and its test.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import click

from submit.params import AliasedChoice, Decorator, FlagValues
from training.config import EXPORT_FORMATS, MIXED_PRECISION_MODES, RL_LIBRARIES, RL_LIBRARY_ALIASES


@dataclass(frozen=True)
class Setting:
    """One setting. `name` is the Click parameter and the submit.toml profile key; `path` the dotted field of the
    submission model (None: a local run's setting that goes straight to the trainer)."""

    name: str
    path: str | None
    flags: tuple[str, ...]
    help: str
    envvar: str | tuple[str, ...] | None = None
    type: Any = None
    multiple: bool = False
    is_flag: bool = False
    default: Any = None
    show_default: bool = False
    callback: Any = None
    metavar: str | None = None
    hidden: bool = False
    trainer: str | None = None  # the trainer's config field (ROBO_<NAME>) the value reaches
    job_env: str | None = None  # or: another library's own variable in the job (MLflow's client knobs)
    note: str | None = None  # the model field's description, when the flag's help does not fit it
    cls: Any = None  # the Click option class (params.FlagValues: values that are flags, given as --opt=VALUE)

    def option(self, **changes: Any) -> Decorator:
        """The Click option, with per-command changes (another help text, an alias, an environment variable)."""
        setting = dataclasses.replace(self, **changes) if changes else self
        extra: dict[str, Any] = {"help": setting.help}
        for key in ("envvar", "type", "metavar", "callback", "cls"):
            if getattr(setting, key) is not None:
                extra[key] = list(setting.envvar) if key == "envvar" and isinstance(setting.envvar, tuple) else getattr(setting, key)
        if setting.multiple:
            extra["multiple"] = True
        if setting.is_flag:
            extra["is_flag"] = True
        if setting.default is not None or setting.is_flag or any("/" in flag for flag in setting.flags):
            extra["default"] = setting.default
        if setting.show_default:
            extra["show_default"] = True
        if setting.hidden:
            extra["hidden"] = True
        return click.option(*setting.flags, setting.name, **extra)

    def schema_extra(self) -> dict[str, Any]:
        """The declaration as the model field keeps it (JSON data: also what a generated schema shows)."""
        extra = {"flags": list(self.flags), "envvar": self.envvar, "trainer": self.trainer, "job_env": self.job_env}
        if isinstance(self.envvar, tuple):
            extra["envvar"] = list(self.envvar)
        return {key: value for key, value in extra.items() if value is not None}

    @property
    def description(self) -> str:
        """The model field's description: the help text without its `[env ...; default ...]` note."""
        return self.note or _NOTE.sub("", self.help).strip().rstrip(".")


_NOTE = re.compile(r"\s*\[[^\]]*\]")


def by_name(settings: Iterable[Setting]) -> dict[str, Setting]:
    return {setting.name: setting for setting in settings}


# ---- the RL job (Isaac Lab / gymnasium with skrl) -------------------------------------------------

TASK = Setting("task", "job.task", ("-t", "--task"), "Isaac Lab task or gymnasium id. [env TASK; default {default}]", envvar="TASK", trainer="task")
NUM_ENVS = Setting("num_envs", "job.num_envs", ("-n", "--num-envs"), "Parallel environments. [env NUM_ENVS; default {default}]", envvar="NUM_ENVS", type=int, trainer="num_envs")
MAX_ITERATIONS = Setting(
    "max_iterations", "job.max_iterations", ("-m", "--max-iterations"), "Training iterations. [env MAX_ITERATIONS; default: the agent config's]",
    envvar="MAX_ITERATIONS", type=int, trainer="max_iterations", note="training iterations (timesteps = iterations x rollouts)",
)
SEED = Setting("seed", "job.seed", ("--seed",), "Random seed. [default 42]", type=int, trainer="seed")
ALGORITHM = Setting("algorithm", "job.algorithm", ("--algorithm",), "Algorithm: ppo, or sac (skrl only). [default ppo]", type=click.Choice(["ppo", "sac"], case_sensitive=False), trainer="algorithm")
# -b/--backend and TRAINING_BACKEND are the reference scripts' names for the same choice.
RL_LIBRARY = Setting(
    "rl_library", "job.rl_library", ("--rl-library", "-b", "--backend"),
    "RL library: skrl or rsl_rl (RSL-RL's OnPolicyRunner, PPO). [env TRAINING_BACKEND; default skrl]",
    envvar="TRAINING_BACKEND", type=AliasedChoice(RL_LIBRARIES, RL_LIBRARY_ALIASES), trainer="rl_library",
)
HEADLESS = Setting("headless", "job.headless", ("--headless/--gui",), "Run the simulator without a window (default) or with one.", trainer="headless")
MODE = Setting(
    "mode", "job.mode", ("--mode",), "train (default), or smoke-test: check tracking and storage, then exit.",
    type=click.Choice(["train", "smoke-test"]), trainer="mode",
)
PHYSICS = Setting(
    "physics", "job.physics", ("--physics",), "Isaac Lab 3 preset(s), comma-separated, e.g. newton_mjwarp. [default: the task's own]",
    trainer="physics", note="Isaac Lab 3 presets (physics backend...); the trainer checks them against the task",
)
IMAGE = Setting("image", "job.image", ("-i", "--image"), "Container image (default: the backend's trainer image).")

# ---- the LeRobot job -------------------------------------------------------------------------------

DATASET_REPO_ID = Setting(
    "dataset_repo_id", "job.dataset_repo_id", ("-d", "--dataset-repo-id", "--dataset"),
    "Dataset repo id on the Hub, e.g. lerobot/aloha_sim_insertion_human. [env DATASET_REPO_ID]", envvar="DATASET_REPO_ID", trainer="dataset_repo_id",
)
POLICY_TYPE = Setting(
    "policy_type", "job.policy_type", ("-p", "--policy-type", "--policy"), "Policy. [env POLICY_TYPE; default act]",
    type=click.Choice(["act", "diffusion"], case_sensitive=False), envvar="POLICY_TYPE", trainer="policy_type",
)
STEPS = Setting("steps", "job.steps", ("--steps", "--training-steps"), "Training steps. [env TRAINING_STEPS; default 100000]", type=int, envvar="TRAINING_STEPS", trainer="steps")
BATCH_SIZE = Setting("batch_size", "job.batch_size", ("--batch-size",), "Batch size. [env BATCH_SIZE; default 8]", type=int, envvar="BATCH_SIZE", trainer="batch_size")
LEARNING_RATE = Setting("learning_rate", "job.learning_rate", ("--learning-rate",), "Learning rate. [env LEARNING_RATE; default: the policy's]", type=float, envvar="LEARNING_RATE", trainer="learning_rate")
SAVE_FREQ = Setting("save_freq", "job.save_freq", ("--save-freq",), "Steps between checkpoints. [env SAVE_FREQ; default 5000]", type=int, envvar="SAVE_FREQ", trainer="save_freq")
EVAL_FREQ = Setting("eval_freq", "job.eval_freq", ("--eval-freq",), "Steps between evaluations, 0 for none. [env EVAL_FREQ; default 0]", type=int, envvar="EVAL_FREQ", trainer="eval_freq")
PRETRAINED_PATH = Setting(
    "pretrained_path", "job.pretrained_path", ("--pretrained-path",), "Pretrained policy to start from (a real warm start: weights, fresh optimizer).", trainer="pretrained_path",
)
PUSH_TO_HUB = Setting("push_to_hub", "job.push_to_hub", ("--push-to-hub/--no-push-to-hub",), "Push the trained policy to the Hugging Face Hub. [default off]", trainer="push_to_hub")
POLICY_REPO_ID = Setting(
    "policy_repo_id", "job.policy_repo_id", ("--policy-repo-id",), "Hub repo the policy is pushed to; needs --push-to-hub (never pushes on its own).", trainer="policy_repo_id",
)
LEROBOT_ARG = Setting(
    "lerobot_arg", "job.extra_args", ("--lerobot-arg",), "Extra lerobot-train argument, given with '=': --lerobot-arg=--policy.dim_model=64 (repeatable).",
    multiple=True, trainer="lerobot_args", cls=FlagValues, metavar="=--NAME=VALUE",
)
DATASET_REVISION = Setting(
    "dataset_revision", "job.dataset_revision", ("--dataset-revision",), "Hub dataset commit (40 hex characters) to train on. [default: the newest]",
    trainer="dataset_revision", note="Hub dataset commit to train on (pins --dataset-repo-id)",
)
MIXED_PRECISION = Setting(
    "mixed_precision", "job.mixed_precision", ("--mixed-precision",), "accelerate's mixed precision: no, fp16 or bf16. [env MIXED_PRECISION; default no]",
    type=click.Choice(MIXED_PRECISION_MODES), envvar="MIXED_PRECISION", trainer="mixed_precision",
)
BLOB_URLS = Setting(
    "blob_urls", "job.blob_urls", ("--blob-url",), "https:// URL of a dataset file or folder to download before training (repeatable).", multiple=True, trainer="blob_urls",
)

# ---- the evaluation job: a trained model on its task, metrics to MLflow, a promotion behind gates -----

MODEL = Setting(
    "model", "job.model", ("--model", "--model-uri"),
    "Model to evaluate: models:/<name>/<version>, models:/<name>@<alias>, runs:/<run id>/<path>, or a path "
    "(Azure ML also azureml:<name>:<version>, a job input).", trainer="model_uri", metavar="URI",
)
EPISODES = Setting("episodes", "job.episodes", ("--episodes",), "Episodes to evaluate, over all environments. [default 10]", type=int, trainer="episodes")
PROMOTE = Setting(
    "promote", "job.promote", ("--promote",), "Set this MLflow alias (e.g. champion) on the version when every --gate holds.",
    trainer="promote", metavar="ALIAS",
)
GATE = Setting(
    "gate", "job.gates", ("--gate",),
    "METRIC>=VALUE (or <=, >, <), or METRIC>=@ALIAS against the version holding ALIAS; all must hold (repeatable).",
    multiple=True, trainer="gate", metavar="GATE",
)
EXPORT = Setting("export", "job.export", ("--export",), "Also export the policy, with a .sha256 file: onnx or torchscript.", type=click.Choice(EXPORT_FORMATS), trainer="export")
VIDEO_EPISODES = Setting("video_episodes", "job.video_episodes", ("--video-episodes",), "Episodes recorded as video and logged. [default 0]", type=int, trainer="video_episodes")


def _episode_indices(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,9}(,[0-9]{1,9})*", value):
        raise click.BadParameter("must be episode indices, comma-separated, such as 40,41,42")
    return tuple(int(item) for item in value.split(","))


HELDOUT_EPISODES = Setting(
    "heldout_episodes", "job.heldout_episodes", ("--heldout-episodes",),
    "LeRobot: dataset episodes to evaluate on, e.g. 40,41. [default: those training did not use]", trainer="heldout_episodes",
    metavar="N,M", callback=_episode_indices,
)
LEROBOT_ENV = Setting(
    "lerobot_env", "job.lerobot_env", ("--lerobot-env",), "LeRobot: roll the policy out in this LeRobot environment type (the LeRobot image has pusht) instead of held-out episodes.",
    trainer="lerobot_env",
)

# ---- shared parts: checkpoint, registration, tracking, resources, naming -----------------------------

CHECKPOINT_MODE_CHOICES = ("from-scratch", "warm-start", "resume", "fresh")

CHECKPOINT_URI = Setting(
    "checkpoint_uri", "job.checkpoint.uri", ("-c", "--checkpoint-uri"),
    "runs:/<run-id>/<path>, models:/<name>/<version>, models:/<name>@<alias>, or a path. [env CHECKPOINT_URI]", envvar="CHECKPOINT_URI", trainer="checkpoint_uri",
)
CHECKPOINT_MODE = Setting(
    "checkpoint_mode", "job.checkpoint.mode", ("-M", "--checkpoint-mode"),
    "from-scratch (default) and fresh load nothing; warm-start loads weights; resume continues optimizer and timestep. [env CHECKPOINT_MODE]",
    envvar="CHECKPOINT_MODE", type=click.Choice(CHECKPOINT_MODE_CHOICES, case_sensitive=False), trainer="checkpoint_mode",
)
REGISTER_CHECKPOINT = Setting(
    "register_checkpoint", "job.registration.name", ("-r", "--register-checkpoint", "--register-model"),
    "Registered model name for the final checkpoint. [env REGISTER_CHECKPOINT; default: derived from the task]", envvar="REGISTER_CHECKPOINT",
)
SKIP_REGISTER_CHECKPOINT = Setting(
    "skip_register_checkpoint", "job.registration.skip", ("--skip-register-checkpoint",), "Do not register the trained checkpoint.", is_flag=True,
)

WANDB_KEY = "the key: the job's secret store, or WANDB_API_KEY / `wandb login` for a local run"

MLFLOW = Setting("mlflow", "job.tracking.mlflow", ("--mlflow/--no-mlflow", "--mlflow-enable/--mlflow-disable"), "Log to MLflow (default on).", trainer="mlflow")
WANDB = Setting("wandb", "job.tracking.wandb", ("--wandb/--no-wandb", "--wandb-enable/--wandb-disable"), f"Also log to Weights & Biases (default off; {WANDB_KEY}).", trainer="wandb")
WANDB_PROJECT = Setting("wandb_project", "job.tracking.wandb_project", ("--wandb-project",), "Weights & Biases project (needs --wandb).", trainer="wandb_project")
WANDB_ENTITY = Setting("wandb_entity", "job.tracking.wandb_entity", ("--wandb-entity",), "Weights & Biases entity (needs --wandb).", trainer="wandb_entity")
MLFLOW_LOG_INTERVAL = Setting(
    "mlflow_log_interval", "job.tracking.log_interval", ("--mlflow-log-interval",), "step | balanced | rollout | N updates. [default balanced]", trainer="log_interval",
)
METRIC_FILTER = Setting(
    "metric_filter", "job.tracking.metric_filter", ("--metric-filter",), "Only log metrics whose name contains this text (repeatable).", multiple=True, trainer="metric_filter",
)
MLFLOW_TOKEN_RETRIES = Setting(
    "mlflow_token_retries", "job.tracking.token_retries", ("--mlflow-token-retries",),
    "MLflow token refresh retries. [env MLFLOW_TRACKING_TOKEN_REFRESH_RETRIES; default 3]", type=int, envvar="MLFLOW_TRACKING_TOKEN_REFRESH_RETRIES",
    job_env="MLFLOW_HTTP_REQUEST_MAX_RETRIES",
)
MLFLOW_HTTP_TIMEOUT = Setting(
    "mlflow_http_timeout", "job.tracking.http_timeout", ("--mlflow-http-timeout",),
    "MLflow HTTP timeout in seconds. [env MLFLOW_HTTP_REQUEST_TIMEOUT; default 60]", type=int, envvar="MLFLOW_HTTP_REQUEST_TIMEOUT",
    job_env="MLFLOW_HTTP_REQUEST_TIMEOUT",
)

NUM_NODES = Setting("num_nodes", "job.resources.num_nodes", ("--num-nodes",), "Nodes. [default 1]", type=int)
GPUS_PER_NODE = Setting("gpus_per_node", "job.resources.gpus_per_node", ("--gpus-per-node",), "GPUs (training processes) per node. [default 1]", type=int, trainer="gpus")
# A LeRobot job runs on one node: its GPU count, under the names the successor and the reference used too.
LEROBOT_GPU_FLAGS = ("--gpus", "--num-gpus", "--gpus-per-node")
LEROBOT_GPUS_HELP = "GPUs on the node, one LeRobot training process each (more than 1: accelerate launch). [default 1]"

EXPERIMENT_NAME = Setting("experiment_name", "job.naming.experiment_name", ("--experiment-name",), "Experiment name.", trainer="experiment_name")
JOB_NAME = Setting("job_name", "job.naming.job_name", ("-j", "--job-name"), "Job name (unique in the workspace).", trainer="job_name")
DISPLAY_NAME = Setting("display_name", "job.naming.display_name", ("--display-name",), "Display name.")
CORRELATION_ID = Setting(
    "correlation_id", "job.naming.correlation_id", ("--correlation-id",),
    "Id tying the job to what started it (a CI run id): an MLflow tag of its run and model version, and an Azure ML job tag.",
    trainer="correlation_id", note="what ties the job to what started it (a CI run id): 1 to 128 letters, digits or ._:/@+=-",
)

# ---- a local run's own settings: straight to the trainer, no settings field ---------------------------

AGENT_CONFIG = Setting("agent_config", None, ("--agent-config",), "Isaac Lab-format skrl agent YAML.", type=click.Path(dir_okay=False, exists=True), trainer="agent_config")
TIMESTEPS = Setting("timesteps", None, ("--timesteps",), "Total trainer timesteps (overrides --max-iterations).", type=click.IntRange(min=1), trainer="timesteps")
DATASET_ROOT = Setting("dataset_root", None, ("--dataset-root",), "Local dataset folder.", type=click.Path(file_okay=False, exists=True), trainer="dataset_root")
DEVICE = Setting("device", None, ("--device",), "torch device for the trainer (cpu, cuda, cuda:N, mps, auto).", default="cpu", show_default=True, trainer="device")

JOB_SETTINGS: dict[str, Setting] = by_name(
    value for value in list(globals().values()) if isinstance(value, Setting)
)

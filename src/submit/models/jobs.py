"""The job kinds: one strict model each, built from the shared parts, told apart by `kind`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from submit.models import fields as f
from submit.models.base import DEFAULTS, FreeText, ImageRef, Strict, TaskId, declared, pattern
from submit.models.parts import Checkpoint, Naming, Registration, Resources, RLTracking, Tracking
from training.config import (
    ISAACLAB_TASK_PREFIXES,
    MAX_NUM_ENVS,
    MIXED_PRECISION_MODES,
    POLICY_TYPES,
    RL_LIBRARIES,
    derive_model_name,
    is_isaaclab_task,
    lerobot_model_name,
    rl_library_problem,
)

# The reference documented --policy-repo-id as the policy to fine-tune from; here it is only where to push.
POLICY_REPO_ALONE = (
    "policy_repo_id: only names the Hub repo the trained policy is pushed to: add --push-to-hub to push there; "
    "to fine-tune from a pretrained policy, use --pretrained-path"
)

RepoId = Annotated[str, pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*", "must be <owner>/<name>")]


class IsaacLabSkrlJob(Strict):
    """Reinforcement learning with skrl on an Isaac Lab (or gymnasium) task."""

    kind: Literal["isaaclab-skrl"] = "isaaclab-skrl"
    task: TaskId = declared(f.TASK, "Isaac-Velocity-Rough-Anymal-C-v0")
    num_envs: int = declared(f.NUM_ENVS, 2048, ge=1, le=MAX_NUM_ENVS)
    max_iterations: int | None = declared(f.MAX_ITERATIONS, None, ge=1, le=100_000_000)
    seed: int = declared(f.SEED, 42, ge=0, le=2**31 - 1)
    algorithm: Literal["ppo", "sac"] = declared(f.ALGORITHM, "ppo")
    rl_library: Literal[RL_LIBRARIES] = declared(f.RL_LIBRARY, "skrl")  # type: ignore[valid-type]
    headless: bool = declared(f.HEADLESS, True)
    mode: Literal["train", "smoke-test"] = declared(f.MODE, "train")
    physics: Annotated[str, pattern(r"[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*", "must be Isaac Lab preset names, comma-separated, such as newton_mjwarp")] | None = declared(f.PHYSICS)
    image: ImageRef | None = declared(f.IMAGE)
    checkpoint: Checkpoint = DEFAULTS
    registration: Registration = DEFAULTS
    tracking: RLTracking = DEFAULTS
    resources: Resources = DEFAULTS
    naming: Naming = DEFAULTS

    @model_validator(mode="after")
    def _registration(self) -> IsaacLabSkrlJob:
        _registration_rules(self)
        if self.physics and not is_isaaclab_task(self.task):
            raise ValueError(f"physics: presets are for Isaac Lab tasks ({', '.join(ISAACLAB_TASK_PREFIXES)}...); {self.task} has none")
        if not self.headless and not is_isaaclab_task(self.task):  # the trainer refuses it too (training.config)
            raise ValueError(f"headless: a window (--gui) is for Isaac Lab tasks; {self.task} trains without one; drop --gui")
        problem = rl_library_problem(self.rl_library, self.algorithm, self.tracking.wandb)
        if problem:
            field, reason = problem
            raise ValueError(f"{'tracking.' if field == 'wandb' else ''}{field}: {reason}")
        return self

    @property
    def model_name(self) -> str | None:
        """The model the trained checkpoint is registered as; None when nothing is registered."""
        if not registers(self):
            return None
        return self.registration.name or derive_model_name(self.task)


class LeRobotJob(Strict):
    """Behavioural cloning with LeRobot."""

    kind: Literal["lerobot"] = "lerobot"
    dataset_repo_id: RepoId | None = declared(f.DATASET_REPO_ID)
    blob_urls: tuple[Annotated[str, pattern(r"https://[^\s{}]+", "must be an https:// URL")], ...] = declared(f.BLOB_URLS, ())
    policy_type: Literal[POLICY_TYPES] = declared(f.POLICY_TYPE, "act")  # type: ignore[valid-type]
    pretrained_path: FreeText | None = declared(f.PRETRAINED_PATH)
    steps: int = declared(f.STEPS, 100_000, ge=1, le=100_000_000)
    batch_size: int = declared(f.BATCH_SIZE, 8, ge=1, le=65_536)
    learning_rate: float | None = declared(f.LEARNING_RATE, None, gt=0, le=1, allow_inf_nan=False)
    save_freq: int = declared(f.SAVE_FREQ, 5_000, ge=1)
    eval_freq: int = declared(f.EVAL_FREQ, 0, ge=0)
    seed: int = declared(f.SEED, 42, ge=0, le=2**31 - 1)
    push_to_hub: bool = declared(f.PUSH_TO_HUB, False)
    policy_repo_id: RepoId | None = declared(f.POLICY_REPO_ID)
    extra_args: tuple[Annotated[str, pattern(r"--[a-z_][a-z0-9_.]*=[^\s{}]*", "must look like --name.path=value")], ...] = declared(f.LEROBOT_ARG, ())
    mixed_precision: Literal[MIXED_PRECISION_MODES] = declared(f.MIXED_PRECISION, "no")  # type: ignore[valid-type]
    dataset_revision: Annotated[str, pattern(r"[0-9a-f]{40}", "must be a commit hash: 40 lower-case hex characters")] | None = declared(f.DATASET_REVISION)
    image: ImageRef | None = declared(f.IMAGE)
    checkpoint: Checkpoint = DEFAULTS
    registration: Registration = DEFAULTS
    tracking: Tracking = DEFAULTS
    resources: Resources = DEFAULTS
    naming: Naming = DEFAULTS

    @model_validator(mode="after")
    def _dataset_and_hub(self) -> LeRobotJob:
        _registration_rules(self)
        if not self.dataset_repo_id and self.checkpoint.mode != "resume":
            # The trainer needs the id LeRobot knows the dataset by, blob downloads included (resume reads it
            # from the checkpoint).
            raise ValueError("dataset_repo_id: needed, with --blob-url too (it is the id LeRobot knows the data by)")
        if self.policy_repo_id and not self.push_to_hub:
            raise ValueError(POLICY_REPO_ALONE)
        if self.push_to_hub and not self.policy_repo_id:
            raise ValueError("policy_repo_id: --push-to-hub needs --policy-repo-id")
        if self.pretrained_path and self.checkpoint.mode != "from-scratch":
            raise ValueError(
                f"pretrained_path: a pretrained policy starts a new training; it cannot be combined with "
                f"--checkpoint-mode {self.checkpoint.mode}"
            )
        _extra_args_rules(self.extra_args)
        if self.dataset_revision and self.blob_urls:
            raise ValueError("dataset_revision: pins a Hub dataset; drop it with --blob-url")
        if self.resources.num_nodes > 1:
            raise ValueError("resources.num_nodes: LeRobot trains on one node, one process per GPU (--gpus)")
        if self.resources.gpus_per_node < 1:
            raise ValueError("resources.gpus_per_node: LeRobot needs at least 1 GPU (training process)")
        return self

    @property
    def model_name(self) -> str | None:
        """The model the trained checkpoint is registered as; None when nothing is registered, or when the
        trainer derives it from the checkpoint (a resume that names no dataset)."""
        if not registers(self):
            return None
        if self.registration.name or not self.dataset_repo_id:
            return self.registration.name
        return lerobot_model_name(self.policy_type, self.dataset_repo_id)


Job = Annotated[IsaacLabSkrlJob | LeRobotJob, Field(discriminator="kind")]
# The trainer kind (`python -m training <kind>`) of each job kind.
TRAINER_KINDS = {"isaaclab-skrl": "rl", "lerobot": "lerobot"}


def registers(job: IsaacLabSkrlJob | LeRobotJob) -> bool:
    """Whether the trained checkpoint is registered: unless skipped, and only through MLflow's registry."""
    return not job.registration.skip and job.tracking.mlflow


def _registration_rules(job: IsaacLabSkrlJob | LeRobotJob) -> None:
    """A model name that would not be registered is a contradiction, not a default to drop silently."""
    if job.registration.name and job.registration.skip:
        raise ValueError("registration.name: names a model to register, but --skip-register-checkpoint is set; drop one")
    if job.registration.name and not job.tracking.mlflow:
        raise ValueError("registration.name: registering needs MLflow (its model registry), but --no-mlflow is set; drop one")


def _extra_args_rules(extra_args: tuple[str, ...]) -> None:
    """The trainer's own rule for lerobot-train arguments (training/lerobot/plan.owned_arg), said in flags."""
    from training.lerobot.plan import owned_arg  # lazy: only LeRobot jobs

    owned = owned_arg(extra_args)
    if owned is None:
        return
    name, setting = owned
    if setting is None:
        raise ValueError(
            f"extra_args: {name} is set by the trainer; use --checkpoint-mode/--checkpoint-uri "
            "(resume, warm-start) or --pretrained-path"
        )
    if setting == "dataset_root":  # a flag of local runs only
        raise ValueError(f"extra_args: {name} is set by the trainer (locally: --dataset-root)")
    raise ValueError(f"extra_args: {name} has its own flag; use --{setting.replace('_', '-')}")

"""The job kinds: one strict model each, built from the shared parts, told apart by `kind`."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from submit.models import fields as f
from submit.models.base import DEFAULTS, FreeText, ImageRef, Strict, TaskId, declared, pattern, trainer_rule
from submit.models.parts import (
    Checkpoint,
    EvaluationTracking,
    Naming,
    Registration,
    Resources,
    RLTracking,
    Tracking,
)
from training.config import (
    EXPORT_FORMATS,
    ISAACLAB_TASK_PREFIXES,
    MAX_EPISODES,
    MAX_NUM_ENVS,
    MIXED_PRECISION_MODES,
    POLICY_TYPES,
    RL_LIBRARIES,
    checkpoint_uri_problem,
    derive_model_name,
    is_isaaclab_task,
    lerobot_model_name,
    rl_library_problem,
)
from training.gate import OFFLINE_METRICS, RL_METRICS, parse_gate

# The reference documented --policy-repo-id as the policy to fine-tune from; here it is only where to push.
POLICY_REPO_ALONE = (
    "policy_repo_id: only names the Hub repo the trained policy is pushed to: add --push-to-hub to push there; "
    "to fine-tune from a pretrained policy, use --pretrained-path"
)

RepoId = Annotated[str, pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*", "must be <owner>/<name>")]
Physics = Annotated[str, pattern(r"[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*", "must be Isaac Lab preset names, comma-separated, such as newton_mjwarp")]


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
    physics: Physics | None = declared(f.PHYSICS)
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


# An Azure ML model asset, given to the job as an input: azureml:<name>:<version> or azureml:<name>@latest.
AZUREML_MODEL = r"azureml:[A-Za-z0-9][A-Za-z0-9._-]{0,254}(:[0-9]{1,9}|@latest)"


def _model_uri(value: str) -> str:
    if re.fullmatch(AZUREML_MODEL, value):
        return value
    problem = checkpoint_uri_problem(value)  # the trainer's rule for ROBO_MODEL_URI (the checkpoint URI forms)
    if problem:
        raise ValueError(problem.replace("checkpoint URI", "model URI").replace(" or a path", ", a path, or azureml:<name>:<version> on Azure ML"))
    return value


def _gate(value: str) -> str:
    parse_gate(value)  # the trainer's own rule  # ValueError naming what is wrong
    return value


Gate = Annotated[str, AfterValidator(_gate)]
Alias = Annotated[str, trainer_rule("evaluate", "promote")]
EnvType = Annotated[str, trainer_rule("evaluate", "lerobot_env")]


class EvaluationJob(Strict):
    """Evaluation of a trained model on its task (RL; or LeRobot on held-out episodes or in a gym environment):
    metrics to an MLflow run linked to the version, and an alias set only when every gate holds."""

    kind: Literal["evaluation"] = "evaluation"
    model: Annotated[str, AfterValidator(_model_uri)] = declared(f.MODEL, ...)
    task: TaskId | None = declared(f.TASK)
    rl_library: Literal[RL_LIBRARIES] | None = declared(f.RL_LIBRARY)  # type: ignore[valid-type]
    algorithm: Literal["ppo", "sac"] | None = declared(f.ALGORITHM)
    episodes: int = declared(f.EPISODES, 10, ge=1, le=MAX_EPISODES)
    num_envs: int = declared(f.NUM_ENVS, 1, ge=1, le=MAX_NUM_ENVS)
    seed: int = declared(f.SEED, 42, ge=0, le=2**31 - 1)
    headless: bool = declared(f.HEADLESS, True)
    physics: Physics | None = declared(f.PHYSICS)
    promote: Alias | None = declared(f.PROMOTE)
    gates: tuple[Gate, ...] = declared(f.GATE, ())
    export: Literal[EXPORT_FORMATS] | None = declared(f.EXPORT)  # type: ignore[valid-type]
    video_episodes: int = declared(f.VIDEO_EPISODES, 0, ge=0, le=MAX_EPISODES)
    dataset_repo_id: RepoId | None = declared(f.DATASET_REPO_ID)
    heldout_episodes: tuple[Annotated[int, Field(ge=0)], ...] = declared(f.HELDOUT_EPISODES, ())
    lerobot_env: EnvType | None = declared(f.LEROBOT_ENV)
    image: ImageRef | None = declared(f.IMAGE)
    tracking: EvaluationTracking = DEFAULTS
    resources: Resources = DEFAULTS
    naming: Naming = DEFAULTS

    @property
    def lerobot(self) -> bool:
        """A LeRobot policy's evaluation (the trainer's rule: any LeRobot setting given), run in the LeRobot image."""
        return bool(self.dataset_repo_id or self.heldout_episodes or self.lerobot_env)

    @property
    def metrics(self) -> tuple[str, ...]:
        """What this evaluation produces: returns in an environment, action errors on held-out dataset episodes."""
        return OFFLINE_METRICS if self.lerobot and not self.lerobot_env else RL_METRICS

    @model_validator(mode="after")
    def _evaluation_rules(self) -> EvaluationJob:
        _evaluation_rules(self)
        return self


Job = Annotated[IsaacLabSkrlJob | LeRobotJob | EvaluationJob, Field(discriminator="kind")]
AnyJob = IsaacLabSkrlJob | LeRobotJob | EvaluationJob
# The trainer kind (`python -m training <kind>`) of each job kind.
TRAINER_KINDS = {"isaaclab-skrl": "rl", "lerobot": "lerobot", "evaluation": "evaluate"}


def image_kind(job: AnyJob) -> str:
    """`rl` or `lerobot`: whose image the job runs in (workflows/images/images.yaml); an evaluation runs in the
    image its model was trained in."""
    if isinstance(job, EvaluationJob):
        return "lerobot" if job.lerobot else "rl"
    return TRAINER_KINDS[job.kind]


def registers(job: AnyJob) -> bool:
    """Whether the trained checkpoint is registered: unless skipped, and only through MLflow's registry."""
    if isinstance(job, EvaluationJob):
        return False
    return not job.registration.skip and job.tracking.mlflow


def _evaluation_rules(job: EvaluationJob) -> None:
    """What the trainer would refuse once the job has a machine, refused here (training/config.py, training/gate.py)."""
    _family_rules(job)
    if job.video_episodes > job.episodes:
        raise ValueError(f"video_episodes: {job.video_episodes} is more than the {job.episodes} episodes evaluated")
    for gate in job.gates:
        metric = parse_gate(gate).metric
        if metric not in job.metrics:
            what = "a LeRobot evaluation on held-out episodes" if job.metrics == OFFLINE_METRICS else "an evaluation in an environment"
            raise ValueError(f"gates: {metric!r} is not a metric {what} produces; accepted: {', '.join(job.metrics)}")
    if not job.tracking.mlflow and (job.promote or any("@" in gate for gate in job.gates)):
        raise ValueError("promote: needs MLflow (the alias lives in its model registry), but --no-mlflow is set; drop one")
    if job.resources.gpus_per_node > 1:
        raise ValueError("resources.gpus_per_node: an evaluation is one process: 0 or 1 GPU")
    if job.resources.num_nodes != 1:
        raise ValueError("resources.num_nodes: an evaluation is one process on one node")


def _family_rules(job: EvaluationJob) -> None:
    """An RL model's settings and a LeRobot policy's do not mix."""
    if job.lerobot:
        rl_only = [name for name in ("rl_library", "algorithm", "physics") if getattr(job, name)]
        if rl_only or not job.headless:
            name = rl_only[0] if rl_only else "headless"
            raise ValueError(f"{name}: is for an RL model; a LeRobot evaluation (--dataset-repo-id, --heldout-episodes, --lerobot-env) takes none")
    if job.lerobot_env and (job.heldout_episodes or job.dataset_repo_id):
        name = "heldout_episodes" if job.heldout_episodes else "dataset_repo_id"
        raise ValueError(f"{name}: is for held-out dataset episodes, and --lerobot-env rolls the policy out in a gym environment; drop one")
    if job.physics and job.task and not is_isaaclab_task(job.task):
        raise ValueError(f"physics: presets are for Isaac Lab tasks ({', '.join(ISAACLAB_TASK_PREFIXES)}...); {job.task} has none")


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

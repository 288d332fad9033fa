"""Typed job settings: one strict, frozen model per job kind, small shared parts.

Flags, environment, profile and settings files are merged into plain data first and
validated here once (STYLE.md 1-2). Every rule about what a value may be lives in this
module, never in the command functions.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from submit.secret_rules import url_secret_problem
from training.config import (
    CHECKPOINT_MODES,
    ISAACLAB_TASK_PREFIXES,
    POLICY_TYPES,
    derive_model_name,
    lerobot_model_name,
    log_interval,
)

CheckpointMode = Literal["from-scratch", "warm-start", "resume", "fresh"]
assert set(CHECKPOINT_MODES) == set(CheckpointMode.__args__)  # one list of modes for CLI and trainer


def _pattern(regex: str, what: str):
    # Compiled on first use (re caches it): a dry run checks a few of these, and start-up time counts.
    def check(value: str) -> str:
        if not re.fullmatch(regex, value):
            raise ValueError(what)
        return value

    return AfterValidator(check)


def _free_text(value: str) -> str:
    """Free text reaches the job as data, but must not look like a binding or contain control characters."""
    if not value.isprintable():
        raise ValueError("must be printable text without control characters or line breaks")
    if "{{" in value or "}}" in value:
        raise ValueError("must not contain '{{' or '}}' (job systems read them as bindings)")
    if "{%" in value or "{#" in value:
        raise ValueError("must not contain '{%' or '{#' (OSMO renders the spec with Jinja at submit)")
    return value


FreeText = Annotated[str, Field(min_length=1, max_length=512), AfterValidator(_free_text)]

# Azure ML naming rules (the service refuses what these refuse; load_job does not check them).
AzureName = Annotated[
    str, _pattern(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}", "must start with a letter or digit and use only letters, digits, '-' and '_' (at most 255)")
]
AssetName = Annotated[
    str, _pattern(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}", "must start with a letter or digit and use only letters, digits, '.', '-' and '_' (at most 255)")
]
ComputeName = Annotated[
    str, _pattern(r"[A-Za-z][A-Za-z0-9-]{1,31}", "must be 2-32 characters: a letter, then letters, digits or '-'")
]
InstanceType = Annotated[
    str, _pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", "must use only letters, digits, '.', '-' and '_'")
]
ImageRef = Annotated[
    str,
    _pattern(
        r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\.[a-z0-9-]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
        r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?",
        "must be an image reference such as registry.example.com/team/image:tag",
    ),
]
TaskId = Annotated[
    str,
    _pattern(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}", "must be a task id such as Isaac-Cartpole-Direct or CartPole-v1"),
]
SubscriptionId = Annotated[
    str, _pattern(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "must be a GUID")
]
ResourceGroup = Annotated[
    str, _pattern(r"[-\w.()]{0,89}[-\w()]", "must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'")
]
WorkspaceName = Annotated[
    str, _pattern(r"[A-Za-z0-9][A-Za-z0-9_-]{2,32}", "must be 3-33 letters, digits, '-' or '_', starting with a letter or digit")
]
ModelName = Annotated[
    str, _pattern(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}", "must start with a letter or digit and use only letters, digits, '.', '-' and '_'")
]
def _canonical_log_interval(value: str) -> str:
    if log_interval(value) != value:
        raise ValueError("accepted values: step, balanced, rollout, or a whole number >= 1")
    return value


LogInterval = Annotated[str, AfterValidator(_canonical_log_interval)]

_CHECKPOINT_URI = re.compile(
    r"runs:/[0-9a-f]{32}/[^\s{}]+"
    r"|models:/[A-Za-z0-9._-]+(?:/[0-9]+|@[A-Za-z0-9_-]+|/latest)"
    r"|(?:azureml|mlflow-artifacts|s3|gs|wasbs|abfss|https|file)://?[^\s{}]+"
    r"|\.{0,2}/[^\s{}]+"
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# A nested part left out is its defaults, validated by the parent's validator: a default_factory of the
# model itself would build that model's own validator too (start-up time).
DEFAULTS = Field(default_factory=dict, validate_default=True)


class Resources(Strict):
    """How much hardware the job asks for."""

    num_nodes: int = Field(1, ge=1, le=512, description="number of nodes")
    gpus_per_node: int = Field(1, ge=0, le=16, description="GPUs (and training processes) per node")

    @property
    def processes_per_node(self) -> int:
        return max(self.gpus_per_node, 1)


class Checkpoint(Strict):
    """Where training starts from."""

    uri: str | None = Field(
        None, description="checkpoint URI: runs:/<run-id>/<path>, models:/<name>/<version>, models:/<name>@<alias>, or a path"
    )
    mode: CheckpointMode = Field("from-scratch", description="from-scratch | warm-start | resume | fresh")

    @model_validator(mode="after")
    def _mode_matches_uri(self) -> Checkpoint:
        if self.uri is not None and not _CHECKPOINT_URI.fullmatch(self.uri):
            raise ValueError(
                "uri: not a checkpoint URI; use runs:/<32-hex run id>/<path>, models:/<name>/<version>, models:/<name>@<alias> or a path"
            )
        if self.uri is not None and self.uri.startswith("https:"):
            from training.checkpoints import unfetchable  # the trainer's own rule

            problem = unfetchable(self.uri)
            if problem:
                raise ValueError(f"uri: {problem}")
        if self.mode in ("resume", "warm-start") and not self.uri:
            raise ValueError(f"uri: checkpoint mode {self.mode} needs --checkpoint-uri")
        if self.mode in ("from-scratch", "fresh") and self.uri:
            raise ValueError(f"uri: a checkpoint URI was given with mode {self.mode}; use warm-start or resume, or drop the URI")
        return self


class Registration(Strict):
    """Model registration of the final checkpoint."""

    name: ModelName | None = Field(None, description="registered model name (default: derived from the task)")
    skip: bool = Field(False, description="do not register the trained checkpoint")


class Tracking(Strict):
    """Experiment tracking."""

    mlflow: bool = Field(True, description="log to MLflow")
    wandb: bool = Field(False, description="also log to Weights & Biases (key from the secret store, never the spec)")
    wandb_project: FreeText | None = Field(None, description="Weights & Biases project")
    wandb_entity: FreeText | None = Field(None, description="Weights & Biases entity")
    log_interval: LogInterval = Field("balanced", description="step | balanced | rollout | N updates")
    metric_filter: tuple[FreeText, ...] = Field((), description="only log metrics whose name contains one of these")
    token_retries: int = Field(3, ge=0, le=100, description="MLflow token refresh retries")
    http_timeout: int = Field(60, ge=1, le=3600, description="MLflow HTTP request timeout in seconds")

    @model_validator(mode="after")
    def _wandb_options_need_wandb(self) -> Tracking:
        if not self.wandb and (self.wandb_project or self.wandb_entity):
            raise ValueError("wandb: --wandb-project/--wandb-entity need --wandb")
        if any("," in item for item in self.metric_filter):
            raise ValueError("metric_filter: a filter entry must not contain ','")
        return self


class Naming(Strict):
    """How the job is named where it runs."""

    experiment_name: AzureName | None = Field(None, description="experiment name")
    job_name: AzureName | None = Field(None, description="job name (unique in the workspace)")
    display_name: FreeText | None = Field(None, description="display name")


def registers(job: IsaacLabSkrlJob | LeRobotJob) -> bool:
    """Whether the trained checkpoint is registered: unless skipped, and only through MLflow's registry."""
    return not job.registration.skip and job.tracking.mlflow


def _registration_rules(job: IsaacLabSkrlJob | LeRobotJob) -> None:
    """A model name that would not be registered is a contradiction, not a default to drop silently."""
    if job.registration.name and job.registration.skip:
        raise ValueError("registration.name: names a model to register, but --skip-register-checkpoint is set; drop one")
    if job.registration.name and not job.tracking.mlflow:
        raise ValueError("registration.name: registering needs MLflow (its model registry), but --no-mlflow is set; drop one")


def _spec_url_rules(job: IsaacLabSkrlJob | LeRobotJob) -> None:
    """URLs a job spec carries hold no secret (a local run writes no spec, so it may use a SAS URL)."""
    urls = [("checkpoint.uri", job.checkpoint.uri)]
    if isinstance(job, LeRobotJob):
        urls += [("pretrained_path", job.pretrained_path), *(("blob_urls", url) for url in job.blob_urls)]
    for path, url in urls:
        problem = url and url_secret_problem(url)
        if problem:
            raise ValueError(f"job.{path}: {problem}")


class IsaacLabSkrlJob(Strict):
    """Reinforcement learning with skrl on an Isaac Lab (or gymnasium) task."""

    kind: Literal["isaaclab-skrl"] = "isaaclab-skrl"
    task: TaskId = Field("Isaac-Velocity-Rough-Anymal-C-v0", description="Isaac Lab task or gymnasium id")
    num_envs: int = Field(2048, ge=1, le=1_000_000, description="parallel environments")
    max_iterations: int | None = Field(None, ge=1, le=100_000_000, description="training iterations (timesteps = iterations x rollouts)")
    seed: int = Field(42, ge=0, le=2**31 - 1, description="random seed")
    algorithm: Literal["ppo", "sac"] = Field("ppo", description="skrl algorithm")
    headless: bool = Field(True, description="run the simulator without a window")
    mode: Literal["train", "smoke-test"] = Field("train", description="train, or smoke-test (check tracking and storage, then exit)")
    physics: Annotated[str, _pattern(r"[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*", "must be Isaac Lab preset names, comma-separated, such as newton_mjwarp")] | None = Field(
        None, description="Isaac Lab 3 presets (physics backend...); the trainer checks them against the task"
    )
    image: ImageRef | None = Field(None, description="container image (default: the backend's trainer image)")
    checkpoint: Checkpoint = DEFAULTS
    registration: Registration = DEFAULTS
    tracking: Tracking = DEFAULTS
    resources: Resources = DEFAULTS
    naming: Naming = DEFAULTS

    @model_validator(mode="after")
    def _registration(self) -> IsaacLabSkrlJob:
        _registration_rules(self)
        if self.physics and not self.task.startswith(ISAACLAB_TASK_PREFIXES):
            raise ValueError(f"physics: presets are for Isaac Lab tasks ({', '.join(ISAACLAB_TASK_PREFIXES)}...); {self.task} has none")
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
    dataset_repo_id: Annotated[str, _pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*", "must be <owner>/<name>")] | None = Field(
        None, description="dataset repo id, e.g. lerobot/aloha_sim_insertion_human"
    )
    blob_urls: tuple[Annotated[str, _pattern(r"https://[^\s{}]+", "must be an https:// URL")], ...] = Field(
        (), description="dataset files or folders to download before training"
    )
    policy_type: Literal[POLICY_TYPES] = Field("act", description="act | diffusion")  # type: ignore[valid-type]
    pretrained_path: FreeText | None = Field(None, description="pretrained policy for a real warm start")
    steps: int = Field(100_000, ge=1, le=100_000_000, description="training steps")
    batch_size: int = Field(8, ge=1, le=65_536, description="batch size")
    learning_rate: float | None = Field(None, gt=0, le=1, allow_inf_nan=False, description="learning rate")
    save_freq: int = Field(5_000, ge=1, description="steps between checkpoints (the reference scripts' 5000)")
    eval_freq: int = Field(0, ge=0, description="steps between evaluations (0: none)")
    seed: int = Field(42, ge=0, le=2**31 - 1, description="random seed")
    push_to_hub: bool = Field(False, description="push the trained policy to the Hugging Face Hub")
    policy_repo_id: Annotated[str, _pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*", "must be <owner>/<name>")] | None = Field(
        None, description="Hub repo to push to (needs --push-to-hub)"
    )
    extra_args: tuple[Annotated[str, _pattern(r"--[a-z_][a-z0-9_.]*=[^\s{}]*", "must look like --name.path=value")], ...] = Field(
        (), description="extra lerobot-train arguments"
    )
    image: ImageRef | None = Field(None, description="container image (default: the LeRobot trainer image)")
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
            raise ValueError("policy_repo_id: --policy-repo-id is where to push; add --push-to-hub to push, or drop it")
        if self.push_to_hub and not self.policy_repo_id:
            raise ValueError("policy_repo_id: --push-to-hub needs --policy-repo-id")
        if self.pretrained_path and self.checkpoint.mode != "from-scratch":
            raise ValueError(
                f"pretrained_path: a pretrained policy starts a new training; it cannot be combined with "
                f"--checkpoint-mode {self.checkpoint.mode}"
            )
        _extra_args_rules(self.extra_args)
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


# Key Vault's DNS suffix in the public, China and US Government clouds.
KEY_VAULT_URI = r"https://[A-Za-z0-9-]{3,24}\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net)/?"


class AzureMLTarget(Strict):
    """Where an Azure ML job runs. Only submission needs the workspace coordinates."""

    subscription_id: SubscriptionId | None = Field(None, description="Azure subscription id")
    resource_group: ResourceGroup | None = Field(None, description="resource group of the workspace")
    workspace_name: WorkspaceName | None = Field(None, description="Azure ML workspace")
    compute: ComputeName | None = Field(None, description="compute target name")
    instance_type: InstanceType | None = Field(None, description="instance type (Kubernetes compute; default gpuspot there)")
    environment_name: AssetName | None = Field(None, description="registered environment name")
    environment_version: AssetName | None = Field(None, description="registered environment version")
    key_vault_uri: Annotated[str, _pattern(KEY_VAULT_URI, "must be https://<vault>.vault.azure.net (.azure.cn, .usgovcloudapi.net in other clouds)")] | None = Field(
        None, description="Key Vault the job reads secrets from with its managed identity"
    )

    @model_validator(mode="after")
    def _environment_pair(self) -> AzureMLTarget:
        if self.environment_version and not self.environment_name:
            raise ValueError("environment_name: --environment-version needs --environment-name")
        return self


def _azureml_secret_rules(job: IsaacLabSkrlJob | LeRobotJob, target: AzureMLTarget) -> None:
    """On Azure ML the trainer reads secrets from Key Vault (training/secrets.py): a job that needs one
    and names no vault would fail only once it has a machine, so it is refused here."""
    if target.key_vault_uri:
        return
    if job.tracking.wandb:
        raise ValueError(
            "target.key_vault_uri: needed by --wandb on Azure ML "
            "(the job reads its W&B key from the vault's secret wandb-api-key)"
        )
    if isinstance(job, LeRobotJob) and job.push_to_hub:
        raise ValueError(
            "target.key_vault_uri: needed by --push-to-hub on Azure ML "
            "(the job reads its Hugging Face token from the vault's secret hf-token)"
        )


class AzureMLTrainingSettings(Strict):
    """An Isaac Lab SKRL job on Azure ML."""

    job: IsaacLabSkrlJob
    target: AzureMLTarget = DEFAULTS

    @model_validator(mode="after")
    def _secrets_have_a_source(self) -> AzureMLTrainingSettings:
        _azureml_secret_rules(self.job, self.target)
        _spec_url_rules(self.job)
        return self


class AzureMLLeRobotSettings(Strict):
    """A LeRobot job on Azure ML."""

    job: LeRobotJob
    target: AzureMLTarget = DEFAULTS

    @model_validator(mode="after")
    def _secrets_have_a_source(self) -> AzureMLLeRobotSettings:
        _azureml_secret_rules(self.job, self.target)
        _spec_url_rules(self.job)
        resources = self.job.resources
        if self.job.blob_urls and resources.num_nodes * resources.processes_per_node > 1:
            # Every process would download into the same folder at once (docs/lerobot.md).
            raise ValueError(
                "job.blob_urls: a blob dataset is downloaded by each training process, so it needs one process "
                "(--num-nodes 1 --gpus-per-node 1); use a Hub dataset for multi-GPU LeRobot jobs"
            )
        return self


# ---- OSMO ---------------------------------------------------------------------------------

OSMO_NAME = r"[a-zA-Z]([a-zA-Z0-9_-]*[a-zA-Z0-9])?"
OSMO_NAME_RULE = "OSMO names start with a letter, use letters, digits, '-' or '_', and end with a letter or digit"


def _osmo_check(problem_of):
    def check(value: str) -> str:
        problem = problem_of(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _code_source_problem(value: str) -> str | None:
    from submit import osmo_rules

    if value in ("image", "local"):
        return None
    if value.startswith("url:"):
        return osmo_rules.storage_url_problem(value[4:])
    return "accepted values: image, local, url:<storage URL>"


def _duration_problem(value: str) -> str | None:
    from submit import osmo_rules

    if not osmo_rules.is_duration(value):
        return osmo_rules.DURATION_HINT
    return _zero(value)


def _quantity_problem(value: str) -> str | None:
    from submit import osmo_rules

    return osmo_rules.quantity_problem(value) or _zero(value)


def _zero(value: str) -> str | None:
    """OSMO's spec allows a zero size or timeout; as a flag it is always a mistake (a job that cannot run)."""
    return None if any(digit in "123456789" for digit in value) else "must be above 0"


def _storage_url_problem(value: str) -> str | None:
    from submit import osmo_rules

    return osmo_rules.storage_url_problem(value)


OsmoQuantity = Annotated[str, _osmo_check(_quantity_problem)]
OsmoDuration = Annotated[str, _osmo_check(_duration_problem)]
OsmoStorageUrl = Annotated[str, _osmo_check(_storage_url_problem)]
CredentialRef = Annotated[
    str,
    _pattern(
        r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(:[A-Za-z0-9_.-]{1,128})?",
        "must be a stored OSMO credential: NAME or NAME:KEY (letters, digits, '.', '-', '_')",
    ),
]
TrackingUri = Annotated[
    str,
    _pattern(
        r"(https?|azureml)://[^\s{}@]+|databricks(://[^\s{}@]+)?",
        "must be an http(s)://, azureml:// or databricks URI without credentials (use --mlflow-credential)",
    ),
]


class OsmoTarget(Strict):
    """Where and how an OSMO workflow runs. Unset values take the job kind's defaults."""

    pool: Annotated[str, _pattern(OSMO_NAME, OSMO_NAME_RULE)] | None = Field(None, description="OSMO pool")
    priority: Literal["HIGH", "NORMAL", "LOW"] = Field("NORMAL", description="HIGH | NORMAL | LOW (LOW can be preempted)")
    cpu: int | None = Field(None, ge=1, le=4096, description="CPUs per node")
    memory: OsmoQuantity | None = Field(None, description="memory per node, binary units (e.g. 400Gi)")
    storage: OsmoQuantity | None = Field(None, description="disk per node, binary units (e.g. 200Gi)")
    exec_timeout: OsmoDuration | None = Field(None, description="longest run time, e.g. 23h")
    queue_timeout: OsmoDuration | None = Field(None, description="longest wait in the queue, e.g. 6h")
    output_url: OsmoStorageUrl | None = Field(None, description="object storage the lead task's output folder is uploaded to")
    mlflow_tracking_uri: TrackingUri | None = Field(None, description="MLflow tracking server the job logs to")
    mlflow_credential: CredentialRef | None = Field(None, description="credential holding the MLflow token")
    wandb_credential: CredentialRef | None = Field(None, description="credential holding the Weights & Biases key (default wandb)")
    hf_credential: CredentialRef | None = Field(None, description="credential holding the Hugging Face token")
    code_source: Annotated[str, _osmo_check(_code_source_problem)] = Field(
        "image", description="image (the trainer in the image), local (ship training/ in the spec), or url:<storage URL>"
    )


def _osmo_job_rules(job: IsaacLabSkrlJob | LeRobotJob, target: OsmoTarget) -> None:
    if job.naming.job_name and not re.fullmatch(OSMO_NAME, job.naming.job_name):
        raise ValueError(f"job.naming.job_name: {OSMO_NAME_RULE}")
    if target.wandb_credential and not job.tracking.wandb:
        raise ValueError("target.wandb_credential: the Weights & Biases credential needs --wandb")
    _spec_url_rules(job)
    for name in ("output_url", "mlflow_tracking_uri"):
        problem = getattr(target, name) and url_secret_problem(getattr(target, name))
        if problem:
            raise ValueError(f"target.{name}: {problem}")


class OsmoTrainingSettings(Strict):
    """An Isaac Lab SKRL workflow on OSMO."""

    job: IsaacLabSkrlJob
    target: OsmoTarget = DEFAULTS

    @model_validator(mode="after")
    def _osmo_rules(self) -> OsmoTrainingSettings:
        _osmo_job_rules(self.job, self.target)
        return self


class OsmoLeRobotSettings(Strict):
    """A LeRobot workflow on OSMO."""

    job: LeRobotJob
    target: OsmoTarget = DEFAULTS

    @model_validator(mode="after")
    def _osmo_rules(self) -> OsmoLeRobotSettings:
        _osmo_job_rules(self.job, self.target)
        if self.job.push_to_hub and not self.target.hf_credential:
            raise ValueError("target.hf_credential: --push-to-hub needs the Hugging Face token: add --hf-credential NAME")
        if self.job.resources.num_nodes > 1:
            raise ValueError("job.resources.num_nodes: LeRobot training on OSMO runs on one node (multi-node LeRobot: Azure ML)")
        return self


class LocalTrainingSettings(Strict):
    """An Isaac Lab / gymnasium SKRL job run on this machine."""

    job: IsaacLabSkrlJob


class LocalLeRobotSettings(Strict):
    """A LeRobot job run on this machine."""

    job: LeRobotJob

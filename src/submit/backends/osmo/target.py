"""Where and how an OSMO workflow runs, and OSMO's rules for a job (what its server would refuse)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator

from submit.backends.osmo import fields as o
from submit.backends.osmo import rules as osmo_rules
from submit.models.base import ResourceGroup, SubscriptionId, WorkspaceName, declared, pattern
from submit.models.jobs import AZUREML_MODEL, AnyJob, EvaluationJob, LeRobotJob
from submit.models.submission import Submission, Target, spec_url_rules

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
    if value in ("image", "local"):
        return None
    if value.startswith("url:"):
        return osmo_rules.storage_url_problem(value[4:])
    return "accepted values: image, local, url:<storage URL>"


def _duration_problem(value: str) -> str | None:
    if not osmo_rules.is_duration(value):
        return osmo_rules.DURATION_HINT
    return _zero(value)


def _quantity_problem(value: str) -> str | None:
    bare = osmo_rules.unit_problem(value)  # a flag's size always names its unit; zero is said first
    return (None if bare else osmo_rules.quantity_problem(value)) or _zero(value) or bare


def _zero(value: str) -> str | None:
    """OSMO's spec allows a zero size or timeout; as a flag it is always a mistake (a job that cannot run)."""
    return None if any(digit in "123456789" for digit in value) else "must be above 0"


def _storage_url_problem(value: str) -> str | None:
    return osmo_rules.storage_url_problem(value)


OsmoQuantity = Annotated[str, _osmo_check(_quantity_problem)]
OsmoDuration = Annotated[str, _osmo_check(_duration_problem)]
OsmoStorageUrl = Annotated[str, _osmo_check(_storage_url_problem)]
CredentialRef = Annotated[
    str,
    pattern(
        r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(:[A-Za-z0-9_.-]{1,128})?",
        "must be a stored OSMO credential: NAME or NAME:KEY (letters, digits, '.', '-', '_')",
    ),
]
TrackingUri = Annotated[
    str,
    pattern(
        r"(https?|azureml)://[^\s{}@]+|databricks(://[^\s{}@]+)?",
        "must be an http(s)://, azureml:// or databricks URI without credentials (use --mlflow-credential)",
    ),
]


class OsmoTarget(Target):
    """Where and how an OSMO workflow runs. Unset values take the job kind's defaults."""

    pool: Annotated[str, pattern(OSMO_NAME, OSMO_NAME_RULE)] | None = declared(o.POOL)
    priority: Literal["HIGH", "NORMAL", "LOW"] = declared(o.PRIORITY, "NORMAL")
    cpu: int | None = declared(o.CPU, None, ge=1, le=4096)
    memory: OsmoQuantity | None = declared(o.MEMORY)
    storage: OsmoQuantity | None = declared(o.STORAGE)
    exec_timeout: OsmoDuration | None = declared(o.EXEC_TIMEOUT)
    queue_timeout: OsmoDuration | None = declared(o.QUEUE_TIMEOUT)
    output_url: OsmoStorageUrl | None = declared(o.OUTPUT_URL)
    mlflow_tracking_uri: TrackingUri | None = declared(o.MLFLOW_TRACKING_URI)
    azure_subscription_id: SubscriptionId | None = declared(o.AZURE_SUBSCRIPTION_ID)
    azure_resource_group: ResourceGroup | None = declared(o.AZURE_RESOURCE_GROUP)
    azure_workspace_name: WorkspaceName | None = declared(o.AZURE_WORKSPACE_NAME)
    mlflow_credential: CredentialRef | None = declared(o.MLFLOW_CREDENTIAL)
    wandb_credential: CredentialRef | None = declared(o.WANDB_CREDENTIAL)
    hf_credential: CredentialRef | None = declared(o.HF_CREDENTIAL)
    code_source: Annotated[str, _osmo_check(_code_source_problem)] = declared(o.CODE_SOURCE, "image")

    @property
    def workspace(self) -> dict[str, str] | None:
        """The Azure ML workspace the job finds MLflow through, as the job's environment (AZURE_SUBSCRIPTION_ID,
        AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE_NAME): only with all three and no --mlflow-tracking-uri."""
        values = [getattr(self, setting.name) for setting in o.WORKSPACE]
        if self.mlflow_tracking_uri or not all(values):
            return None
        return {str(setting.envvar): value for setting, value in zip(o.WORKSPACE, values, strict=True)}

    def check_job(self, job: AnyJob) -> None:
        _job_rules(job, self)
        if isinstance(job, EvaluationJob) and re.fullmatch(AZUREML_MODEL, job.model):
            raise ValueError("job.model: an azureml: model is an Azure ML job input; on OSMO use models:/<name>/<version>")
        if isinstance(job, LeRobotJob) and job.push_to_hub and not self.hf_credential:
            raise ValueError("target.hf_credential: --push-to-hub needs the Hugging Face token: add --hf-credential NAME")


def _job_rules(job: AnyJob, target: OsmoTarget) -> None:
    if job.naming.job_name and not re.fullmatch(OSMO_NAME, job.naming.job_name):
        raise ValueError(f"job.naming.job_name: {OSMO_NAME_RULE}")
    too_long = osmo_rules.name_length_problem(job.naming.job_name)  # the workflow's name
    if too_long:
        raise ValueError(f"job.naming.job_name: {too_long}")
    if job.resources.num_nodes > osmo_rules.MAX_TASKS:  # one task per node
        raise ValueError(
            f"job.resources.num_nodes: one OSMO task per node, and a pool allows at most {osmo_rules.MAX_TASKS} "
            "tasks per workflow (max_num_tasks)"
        )
    if target.wandb_credential and not job.tracking.wandb:
        raise ValueError("target.wandb_credential: the Weights & Biases credential needs --wandb")
    spec_url_rules(job, target)


OsmoSubmission = Submission[OsmoTarget]

"""Where an Azure ML job runs, and Azure ML's rules for a job (the service refuses what these refuse)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import model_validator

from submit.backends.azureml import fields as a
from submit.backends.azureml.workspace import workspace
from submit.models.base import ResourceGroup, Strict, SubscriptionId, WorkspaceName, declared, pattern
from submit.models.jobs import AZUREML_MODEL, AnyJob, EvaluationJob, LeRobotJob
from submit.models.submission import Submission, Target, spec_url_rules

AssetName = Annotated[
    str, pattern(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}", "must start with a letter or digit and use only letters, digits, '.', '-' and '_' (at most 255)")
]
ComputeName = Annotated[
    str, pattern(r"[A-Za-z][A-Za-z0-9-]{1,31}", "must be 2-32 characters: a letter, then letters, digits or '-'")
]
InstanceType = Annotated[
    str, pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", "must use only letters, digits, '.', '-' and '_'")
]
# Key Vault's DNS suffix in the public, China and US Government clouds.
KEY_VAULT_URI = r"https://[A-Za-z0-9-]{3,24}\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net)/?"
KeyVaultUri = Annotated[str, pattern(KEY_VAULT_URI, "must be https://<vault>.vault.azure.net (.azure.cn, .usgovcloudapi.net in other clouds)")]


class AzureMLTarget(Target):
    """Where an Azure ML job runs. Only submission needs the workspace coordinates."""

    subscription_id: SubscriptionId | None = declared(a.SUBSCRIPTION_ID)
    resource_group: ResourceGroup | None = declared(a.RESOURCE_GROUP)
    workspace_name: WorkspaceName | None = declared(a.WORKSPACE_NAME)
    compute: ComputeName | None = declared(a.COMPUTE)
    instance_type: InstanceType | None = declared(a.INSTANCE_TYPE)
    environment_name: AssetName | None = declared(a.ENVIRONMENT_NAME)
    environment_version: AssetName | None = declared(a.ENVIRONMENT_VERSION)
    key_vault_uri: KeyVaultUri | None = declared(a.KEY_VAULT_URI)
    model_input_type: Literal["mlflow_model", "custom_model"] | None = declared(a.MODEL_INPUT_TYPE)
    dataset_assets: tuple[str, ...] = declared(a.DATASET_ASSETS, ())
    init_from_policy_model: str | None = declared(a.INIT_FROM_POLICY_MODEL)

    @model_validator(mode="after")
    def _environment_pair(self) -> AzureMLTarget:
        if self.environment_version and not self.environment_name:
            raise ValueError("environment_name: --environment-version needs --environment-name")
        if len(self.dataset_assets) > MAX_DATASET_ASSETS:
            raise ValueError(f"dataset_assets: at most {MAX_DATASET_ASSETS} data assets (got {len(self.dataset_assets)})")
        for asset in self.dataset_assets:
            problem = asset_problem(asset, "data")
            if problem:
                raise ValueError(f"dataset_assets: {problem}")
        problem = self.init_from_policy_model and asset_problem(self.init_from_policy_model, "models")
        if problem:
            raise ValueError(f"init_from_policy_model: {problem}")
        return self

    def check_job(self, job: AnyJob) -> None:
        _secret_rules(job, self)
        spec_url_rules(job, self)
        model_input = isinstance(job, EvaluationJob) and re.fullmatch(AZUREML_MODEL, job.model)
        if model_input and not job.task and not job.lerobot:
            raise ValueError("job.task: needed with an azureml: model, a job input that carries no MLflow version tags")
        if self.model_input_type and not model_input:
            raise ValueError("target.model_input_type: only for an azureml:<name>:<version> model; drop it")
        if isinstance(job, EvaluationJob):
            if self.dataset_assets or self.init_from_policy_model:
                raise ValueError("target.dataset_assets: --dataset-asset and --init-from-policy-model are for training jobs")
            return
        if self.init_from_policy_model and (job.checkpoint.uri or job.checkpoint.mode != "from-scratch"):
            raise ValueError("target.init_from_policy_model: is a warm start of its own; drop -M/--checkpoint-uri")
        if self.init_from_policy_model and isinstance(job, LeRobotJob) and job.pretrained_path:
            raise ValueError("target.init_from_policy_model: and --pretrained-path both name the starting policy; keep one")
        if self.dataset_assets and isinstance(job, LeRobotJob) and job.dataset_revision:
            raise ValueError("job.dataset_revision: pins a Hub dataset; drop it with --dataset-asset")


MAX_DATASET_ASSETS = 64  # the successor's limit on dataset inputs of one job
_ASSET_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}"


def asset_problem(reference: str, kind: str) -> str | None:
    """Why `reference` is not a pinned Azure ML asset (azureml:NAME:VERSION or azureml://.../<kind>/NAME/versions/N),
    else None. A version is required: `azureml:NAME` and `@latest` would train on whatever is newest."""
    if re.fullmatch(rf"azureml:{_ASSET_NAME}:[0-9]+", reference):
        return None
    if re.fullmatch(rf"azureml://[^\s{{}}]+/{kind}/{_ASSET_NAME}/versions/[0-9]+", reference):
        return None
    if "@" in reference or re.fullmatch(rf"azureml:{_ASSET_NAME}", reference) or reference.endswith(":latest"):
        return f"{reference} has no version; pin one (azureml:NAME:VERSION): latest would change what a rerun uses"
    return f"{reference} is not azureml:NAME:VERSION or azureml://.../{kind}/NAME/versions/N"


AzureMLSubmission = Submission[AzureMLTarget]


class Workspace(Strict):
    """status, logs and cancel: the workspace coordinates alone; a missing one is bad input naming its flag."""

    target: AzureMLTarget | None = None  # None: none of them given

    @model_validator(mode="after")
    def _reachable(self) -> Workspace:
        workspace(self.target)  # BadInput, not ValueError: pydantic passes it through as it is
        return self


def _secret_rules(job: AnyJob, target: AzureMLTarget) -> None:
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

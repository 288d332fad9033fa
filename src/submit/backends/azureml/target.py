"""Where an Azure ML job runs, and Azure ML's rules for a job (the service refuses what these refuse)."""

from __future__ import annotations

from typing import Annotated

from pydantic import model_validator

from submit.backends.azureml import fields as a
from submit.backends.azureml.workspace import workspace
from submit.models.base import ResourceGroup, Strict, SubscriptionId, WorkspaceName, declared, pattern
from submit.models.jobs import IsaacLabSkrlJob, LeRobotJob
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

    @model_validator(mode="after")
    def _environment_pair(self) -> AzureMLTarget:
        if self.environment_version and not self.environment_name:
            raise ValueError("environment_name: --environment-version needs --environment-name")
        return self

    def check_job(self, job: IsaacLabSkrlJob | LeRobotJob) -> None:
        _secret_rules(job, self)
        spec_url_rules(job, self)


AzureMLSubmission = Submission[AzureMLTarget]


class Workspace(Strict):
    """status, logs and cancel: the workspace coordinates alone; a missing one is bad input naming its flag."""

    target: AzureMLTarget | None = None  # None: none of them given

    @model_validator(mode="after")
    def _reachable(self) -> Workspace:
        workspace(self.target)  # BadInput, not ValueError: pydantic passes it through as it is
        return self


def _secret_rules(job: IsaacLabSkrlJob | LeRobotJob, target: AzureMLTarget) -> None:
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

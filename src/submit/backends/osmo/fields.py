"""OSMO's own settings (its target), declared once like the job's (submit.models.fields)."""

from __future__ import annotations

import click

from submit.models.fields import Setting, by_name

POOL = Setting("pool", "target.pool", ("--pool",), "OSMO pool. [env OSMO_POOL; default: the osmo profile's pool]", envvar="OSMO_POOL")
PRIORITY = Setting(
    "priority", "target.priority", ("--priority",), "Workflow priority; LOW can be preempted. [default NORMAL]",
    type=click.Choice(["HIGH", "NORMAL", "LOW"], case_sensitive=False), callback=lambda _c, _p, v: v.upper() if v else v,
    note="HIGH | NORMAL | LOW (LOW can be preempted)",
)
CPU = Setting("cpu", "target.cpu", ("--cpu",), "CPUs per node. [env OSMO_CPU; default 30 (RL) / 8 (LeRobot)]", type=int, envvar="OSMO_CPU")
MEMORY = Setting("memory", "target.memory", ("--memory",), "Memory per node, binary units such as 400Gi. [env OSMO_MEMORY; default 400Gi / 48Gi]", envvar="OSMO_MEMORY")
STORAGE = Setting("storage", "target.storage", ("--storage",), "Disk per node, binary units such as 200Gi. [env OSMO_STORAGE; default 200Gi / 80Gi]", envvar="OSMO_STORAGE")
EXEC_TIMEOUT = Setting("exec_timeout", "target.exec_timeout", ("--exec-timeout",), "Longest run time, one unit: 30m, 23h, 2d. [default 23h / 12h]")
QUEUE_TIMEOUT = Setting("queue_timeout", "target.queue_timeout", ("--queue-timeout",), "Longest wait in the queue, e.g. 6h. [default: the pool's]")
OUTPUT_URL = Setting(
    "output_url", "target.output_url", ("--output-url",),
    "Upload the lead's output folder (checkpoints) here: s3://, gs://, azure://account/container/... .",
    note="object storage the lead task's output folder is uploaded to",
)
MLFLOW_TRACKING_URI = Setting("mlflow_tracking_uri", "target.mlflow_tracking_uri", ("--mlflow-tracking-uri",), "MLflow tracking server the job logs to (https://, azureml://, databricks).")
MLFLOW_CREDENTIAL = Setting(
    "mlflow_credential", "target.mlflow_credential", ("--mlflow-credential",),
    "Stored OSMO credential with the MLflow token: NAME or NAME:KEY (key mlflow_tracking_token).", note="credential holding the MLflow token",
)
WANDB_CREDENTIAL = Setting(
    "wandb_credential", "target.wandb_credential", ("--wandb-credential",),
    "Stored OSMO credential with the W&B key: NAME or NAME:KEY. [default wandb:wandb_api_key with --wandb]",
    note="credential holding the Weights & Biases key (default wandb)",
)
HF_CREDENTIAL = Setting(
    "hf_credential", "target.hf_credential", ("--hf-credential",),
    "Stored OSMO credential with the Hugging Face token: NAME or NAME:KEY (key hf_token).", note="credential holding the Hugging Face token",
)
CODE_SOURCE = Setting(
    "code_source", "target.code_source", ("--code-source",),
    "image (default): the trainer in the image; local: ship training/ inside the spec (256 KiB per file, "
    "768 KiB in all); url:<storage URL>: a folder holding training/, downloaded as an input.",
    note="image (the trainer in the image), local (ship training/ in the spec), or url:<storage URL>",
)

# The reference's way to MLflow on OSMO: an Azure ML workspace, whose tracking URI the job looks up with its identity.
WORKSPACE_WHY = "the job looks up the workspace's MLflow tracking URI with its Azure identity (all three, no --mlflow-tracking-uri)"
AZURE_SUBSCRIPTION_ID = Setting(
    "azure_subscription_id", "target.azure_subscription_id", ("--azure-subscription-id",),
    "Azure ML workspace for MLflow: its subscription. [env AZURE_SUBSCRIPTION_ID]", envvar="AZURE_SUBSCRIPTION_ID",
    note=f"subscription of the Azure ML workspace whose MLflow the job logs to; {WORKSPACE_WHY}",
)
AZURE_RESOURCE_GROUP = Setting(
    "azure_resource_group", "target.azure_resource_group", ("--azure-resource-group",),
    "Azure ML workspace for MLflow: its resource group. [env AZURE_RESOURCE_GROUP]", envvar="AZURE_RESOURCE_GROUP",
    note=f"resource group of the Azure ML workspace whose MLflow the job logs to; {WORKSPACE_WHY}",
)
AZURE_WORKSPACE_NAME = Setting(
    "azure_workspace_name", "target.azure_workspace_name", ("--azure-workspace-name",),
    "Azure ML workspace for MLflow: the job finds its tracking URI with its Azure identity. [env AZUREML_WORKSPACE_NAME]",
    envvar="AZUREML_WORKSPACE_NAME", note=f"the Azure ML workspace whose MLflow the job logs to; {WORKSPACE_WHY}",
)
WORKSPACE = (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZURE_WORKSPACE_NAME)

SETTINGS = by_name(
    [*WORKSPACE, POOL, PRIORITY, CPU, MEMORY, STORAGE, EXEC_TIMEOUT, QUEUE_TIMEOUT, OUTPUT_URL, MLFLOW_TRACKING_URI, MLFLOW_CREDENTIAL, WANDB_CREDENTIAL, HF_CREDENTIAL, CODE_SOURCE]
)

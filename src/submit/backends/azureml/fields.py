"""Azure ML's own settings (its target), declared once like the job's (submit.models.fields)."""

from __future__ import annotations

import click

from submit.models.fields import Setting, by_name

SUBSCRIPTION_ID = Setting("subscription_id", "target.subscription_id", ("--subscription-id",), "Azure subscription. [env AZURE_SUBSCRIPTION_ID]", envvar="AZURE_SUBSCRIPTION_ID", note="Azure subscription id")
RESOURCE_GROUP = Setting("resource_group", "target.resource_group", ("--resource-group",), "Resource group. [env AZURE_RESOURCE_GROUP]", envvar="AZURE_RESOURCE_GROUP", note="resource group of the workspace")
WORKSPACE_NAME = Setting("workspace_name", "target.workspace_name", ("--workspace-name",), "Azure ML workspace. [env AZUREML_WORKSPACE_NAME]", envvar="AZUREML_WORKSPACE_NAME")
COMPUTE = Setting("compute", "target.compute", ("--compute",), "Compute target. [env AZUREML_COMPUTE]", envvar="AZUREML_COMPUTE")
INSTANCE_TYPE = Setting(
    "instance_type", "target.instance_type", ("--instance-type",),
    "Instance type on Kubernetes compute, or a VM size without --compute (serverless). [default gpuspot with --compute]",
)
ENVIRONMENT_NAME = Setting(
    "environment_name", "target.environment_name", ("--environment-name",),
    "Registered Azure ML environment to run in (default: none; the job runs --image, else Azure ML builds the job's image from our Dockerfile in the code snapshot).",
    note="registered environment name",
)
ENVIRONMENT_VERSION = Setting(
    "environment_version", "target.environment_version", ("--environment-version",),
    "Version of --environment-name (needs it). [default 1]",
    note="registered environment version",
)
KEY_VAULT_URI = Setting(
    "key_vault_uri", "target.key_vault_uri", ("--key-vault-uri",),
    "Key Vault the job reads secrets from with its managed identity. [env AZUREML_KEY_VAULT_URI]", envvar="AZUREML_KEY_VAULT_URI", trainer="key_vault_uri",
)

MODEL_INPUT_TYPE = Setting(
    "model_input_type", "target.model_input_type", ("--model-input-type",),
    "Evaluation of an azureml:<name>:<version> model: its input type, mlflow_model or custom_model. [default mlflow_model]",
    type=click.Choice(["mlflow_model", "custom_model"]), note="Azure ML input type of an azureml: model (mlflow_model, custom_model)",
)

# LeRobot on Azure ML: workspace assets as job inputs (the successor's options).
DATASET_ASSETS = Setting(
    "dataset_assets", "target.dataset_assets", ("--dataset-asset",),
    "Azure ML data asset azureml:NAME:VERSION (or azureml://.../data/NAME/versions/N), mounted read-only; repeatable, at most 64, merged.",
    multiple=True, trainer="dataset_assets", note="Azure ML data assets (versioned) mounted read-only as dataset inputs",
)
INIT_FROM_POLICY_MODEL = Setting(
    "init_from_policy_model", "target.init_from_policy_model", ("--init-from-policy-model",),
    "Warm start from a registered Azure ML model azureml:NAME:VERSION: its weights, a fresh optimizer, step 0 (-M warm-start).",
    note="registered Azure ML model (versioned) to warm-start from",
)

SETTINGS = by_name([
    SUBSCRIPTION_ID, RESOURCE_GROUP, WORKSPACE_NAME, COMPUTE, INSTANCE_TYPE, ENVIRONMENT_NAME, ENVIRONMENT_VERSION, KEY_VAULT_URI,
    MODEL_INPUT_TYPE, DATASET_ASSETS, INIT_FROM_POLICY_MODEL,
])

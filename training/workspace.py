"""The MLflow tracking URI of an Azure ML workspace, looked up by the job itself (OSMO jobs that name a workspace).

The reference's OSMO scripts took `--azure-subscription-id/--azure-resource-group/--azure-workspace-name` to find the
workspace's MLflow. The spec carries only those coordinates (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP,
AZUREML_WORKSPACE_NAME); the job asks Azure Resource Manager for the workspace's `mlFlowTrackingUri` with its own
identity and sets MLFLOW_TRACKING_URI before MLflow is touched. So a dry run and a submission render the same spec,
and submitting needs none of the user's Azure credentials (docs/osmo.md says why this side was chosen).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

from training.exits import RunError, first_line

WORKSPACE_VARS = ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME")
ARM = "https://management.azure.com"
ARM_SCOPE = "https://management.azure.com/.default"
API_VERSION = "2024-10-01"


class WorkspaceError(RunError):
    """The workspace's tracking URI could not be found: exit 1 before anything is trained."""


def resolve_tracking_uri(mlflow: bool, environ: MutableMapping[str, str] | None = None) -> str | None:
    """Set MLFLOW_TRACKING_URI from the workspace the environment names, when MLflow is on and no URI is set;
    returns the URI set, else None. A URI already set (Azure ML's own jobs, --mlflow-tracking-uri) wins."""
    environ = os.environ if environ is None else environ
    values = [environ.get(name, "").strip() for name in WORKSPACE_VARS]
    if not mlflow or environ.get("MLFLOW_TRACKING_URI") or not all(values):
        return None
    uri = tracking_uri_of(*values)
    environ["MLFLOW_TRACKING_URI"] = uri
    return uri


def tracking_uri_of(subscription: str, resource_group: str, workspace: str) -> str:
    """GET the workspace from Azure Resource Manager; its properties.mlFlowTrackingUri (azureml://...)."""
    # lazy: only jobs that name a workspace need azure-core (in the trainer images)
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RetryPolicy
    from azure.core.rest import HttpRequest

    credential, transport = connection()
    path = (
        f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
    )
    where = f"Azure ML workspace {workspace} (resource group {resource_group})"
    policies = [RetryPolicy(retry_total=3), BearerTokenCredentialPolicy(credential, ARM_SCOPE)]
    extra = {"transport": transport} if transport is not None else {}
    try:
        with PipelineClient(ARM, policies=policies, **extra) as client:
            response = client.send_request(HttpRequest("GET", f"{ARM}{path}?api-version={API_VERSION}"))
    except Exception as exc:  # credentials, network: one line
        raise WorkspaceError(f"could not look up the MLflow tracking URI of {where}: {first_line(exc)}") from None
    if response.status_code != 200:
        raise WorkspaceError(
            f"could not look up the MLflow tracking URI of {where}: HTTP {response.status_code} "
            "(the job's identity needs read access to the workspace)"
        )
    uri = (response.json().get("properties") or {}).get("mlFlowTrackingUri")
    if not isinstance(uri, str) or not uri:
        raise WorkspaceError(f"{where} has no MLflow tracking URI")
    return uri


def connection() -> tuple[Any, Any]:
    """The one place the trainer reaches Azure Resource Manager: (the job's identity, the transport; None is
    azure-core's own). DefaultAzureCredential covers AKS workload identity, a user-assigned managed identity
    (AZURE_CLIENT_ID) and a service principal's AZURE_CLIENT_* variables. Tests replace this function."""
    from azure.identity import DefaultAzureCredential  # lazy: slow to import

    client_id = os.environ.get("AZURE_CLIENT_ID") or os.environ.get("DEFAULT_IDENTITY_CLIENT_ID")
    credential = DefaultAzureCredential(managed_identity_client_id=client_id or None, exclude_interactive_browser_credential=True)
    return credential, None

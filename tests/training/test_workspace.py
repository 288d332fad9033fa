"""An OSMO job that names an Azure ML workspace finds its MLflow tracking URI itself (issue 15, item 7).

Azure Resource Manager cannot be reached from here: `training.workspace.connection` (the trainer's one seam to it)
is replaced by the Azure ML tests' stand-in transport (tests/submit/fake_azure.py, a real azure-core transport that
answers in-process) and a credential that hands out a token. Everything above it is real azure-core.
"""

from __future__ import annotations

import pytest

from tests.submit.fake_azure import (
    RESOURCE_GROUP,
    SUBSCRIPTION,
    WORKSPACE,
    WS_ID,
    FakeAzureML,
    FakeCredential,
)
from training import workspace

COORDINATES = {"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION, "AZURE_RESOURCE_GROUP": RESOURCE_GROUP, "AZUREML_WORKSPACE_NAME": WORKSPACE}
URI = f"azureml://westeurope.api.azureml.ms/mlflow/v1.0{WS_ID}"


@pytest.fixture
def arm(monkeypatch) -> FakeAzureML:
    fake = FakeAzureML()
    monkeypatch.setattr(workspace, "connection", lambda: (FakeCredential(), fake))
    return fake


def test_the_workspace_tracking_uri_is_looked_up_and_set(arm):
    environ = dict(COORDINATES)
    assert workspace.resolve_tracking_uri(True, environ) == URI
    assert environ["MLFLOW_TRACKING_URI"] == URI
    assert [call.path for call in arm.requests if call.method == "GET"] == [WS_ID]


@pytest.mark.parametrize(
    ("mlflow", "environ"),
    [
        (False, COORDINATES),  # --no-mlflow
        (True, {**COORDINATES, "MLFLOW_TRACKING_URI": "https://mlflow.example.com"}),  # a URI given wins
        (True, {"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION}),  # not all three
    ],
)
def test_nothing_is_looked_up_without_need(arm, mlflow, environ):
    environ = dict(environ)
    assert workspace.resolve_tracking_uri(mlflow, environ) is None
    assert arm.requests == []


def test_an_unknown_workspace_is_one_line_before_training(arm):
    with pytest.raises(workspace.WorkspaceError) as caught:
        workspace.resolve_tracking_uri(True, {**COORDINATES, "AZUREML_WORKSPACE_NAME": "nope"})
    assert caught.value.line() == (
        f"error: could not look up the MLflow tracking URI of Azure ML workspace nope (resource group {RESOURCE_GROUP}): "
        "HTTP 404 (the job's identity needs read access to the workspace)"
    )

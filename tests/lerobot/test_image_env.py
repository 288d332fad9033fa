"""The LeRobot job image's packages (workflows/images/requirements-lerobot.txt, the lock .venv-lerobot installs)
can track and register where an Azure ML job points MLflow: an azureml:// URI, which needs azureml-mlflow's
store plugins. Only the stores are built here; the workspace itself cannot be reached from this machine."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.lerobot

WORKSPACE = (
    "azureml://eastus.api.azureml.ms/mlflow/v1.0/subscriptions/00000000-0000-0000-0000-000000000000"
    "/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
)


def test_an_azure_ml_tracking_uri_has_a_tracking_and_a_model_registry_store():
    from mlflow.tracking._model_registry.utils import _get_store as registry_store
    from mlflow.tracking._tracking_service.utils import _get_store as tracking_store

    assert type(tracking_store(WORKSPACE)).__module__.startswith("azureml.mlflow.")
    assert type(registry_store(WORKSPACE)).__module__.startswith("azureml.mlflow.")


def test_mlflow_stays_at_azureml_mlflows_cap():
    from importlib.metadata import requires, version

    assert version("mlflow") == version("mlflow-skinny") == "3.15.0"
    assert "mlflow-skinny<=3.15.0" in [req.replace(" ", "") for req in requires("azureml-mlflow") or []]


def test_lerobot_06_on_python_312_with_a_torchvision_whose_operators_load_on_this_cpu():
    import sys
    from importlib.metadata import version

    import torch
    import torchvision

    assert sys.version_info[:2] == (3, 12)
    assert (version("lerobot"), version("accelerate")) == ("0.6.1", "1.16.0")
    assert (torch.__version__.split("+")[0], torchvision.__version__.split("+")[0]) == ("2.11.0", "0.26.0")
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.1], [5.0, 5.0, 6.0, 6.0]])
    kept = torchvision.ops.nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)  # a compiled torchvision operator
    assert kept.tolist() == [0, 2]

"""The Kit image (Dockerfile.isaaclab) cannot be built here: its base, NVIDIA's Isaac Lab 2.3.2 on Isaac
Sim, has no stand-in. Its own layer is checked the way its Dockerfile runs it: requirements-trainer.txt
installed into a Python 3.11 (Isaac Sim's version) stand-in, then the trainer's `--help`."""

from __future__ import annotations

import re

import pytest

from tests.images.conftest import REPO, run

pytestmark = [pytest.mark.images, pytest.mark.slow]


def test_the_kit_images_requirement_layer_installs_and_starts_the_trainer(engine, bases):
    dockerfile = (REPO / "workflows" / "images" / "Dockerfile.isaaclab").read_text()
    assert "COPY workflows/images/requirements-trainer.txt" in dockerfile
    assert re.search(r"^RUN python -m training rl --help", dockerfile, re.M)
    script = (
        "python -m pip install -q pip==26.0.1 && python -m pip install -q -r /src/workflows/images/requirements-trainer.txt"
        " && python -c 'import skrl, mlflow, mlflow.pyfunc, pandas, onnx, onnxscript, onnxruntime, wandb, azure.identity,"
        " azure.keyvault.secrets, azureml.mlflow'"
        " && cd / && PYTHONPATH=/src python -m training rl --help"
    )
    done = run([engine, "run", "--rm", "--network", "host", "--mount", f"type=bind,source={REPO},target=/src,readonly",
                bases["kit"], "sh", "-c", script])  # fmt: skip
    assert "ROBO_TASK" in done.stdout  # the trainer's settings table: it started

"""The Kit image (Dockerfile.isaaclab) cannot be built here: its base, NVIDIA's Isaac Lab 2.3.2 on Isaac
Sim, has no stand-in. Its own layer is checked the way its Dockerfile runs it: requirements-trainer.txt
installed into a Python 3.11 (Isaac Sim's version) stand-in that already has a torch, as NVIDIA's image
does (the one this machine's pip resolves for the test environment's version: here the CPU build), then
the trainer's `--help`; the torch it started with must still be the one installed."""

from __future__ import annotations

import re
import sys

import pytest

from tests.images.conftest import REPO, run

pytestmark = [pytest.mark.images, pytest.mark.slow]


def test_the_kit_images_requirement_layer_installs_and_starts_the_trainer(engine, bases, kit_room, tmp_path):
    import torch

    dockerfile = (REPO / "workflows" / "images" / "Dockerfile.isaaclab").read_text()
    assert "COPY workflows/images/requirements-trainer.txt" in dockerfile
    assert re.search(r"^RUN python -m training rl --help", dockerfile, re.M)
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:", "--python-version",
         "3.11", "-d", str(wheels), f"torch=={torch.__version__}"])  # fmt: skip
    script = (
        "python -m pip install -q --no-cache-dir pip==26.0.1 && python -m pip install -q --no-cache-dir /wheels/torch-*.whl"
        " && python -m pip install -q --no-cache-dir -r /src/workflows/images/requirements-trainer.txt"
        " && python -c 'import skrl, mlflow, mlflow.pyfunc, pandas, onnx, onnxscript, onnxruntime, wandb, azure.identity,"
        " azure.keyvault.secrets, azureml.mlflow, torch; print(\"torch\", torch.__version__)'"
        " && cd / && PYTHONPATH=/src python -m training rl --help"
    )
    done = run([engine, "run", "--rm", "--network", "host",
                "--mount", f"type=bind,source={REPO},target=/src,readonly",
                "--mount", f"type=bind,source={wheels},target=/wheels,readonly",
                bases["kit"], "sh", "-c", script])  # fmt: skip
    assert f"torch {torch.__version__}\n" in done.stdout  # the image's own torch stayed (pip's only-if-needed)
    assert "ROBO_TASK" in done.stdout  # the trainer's settings table: it started

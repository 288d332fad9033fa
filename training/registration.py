"""Register a trained checkpoint as an MLflow model version, once, after success.

Shared by the RL and LeRobot trainers. `mlflow.register_model` refuses a plain folder
that has no MLmodel file (research/azure-mlflow-probe.md §4), so this goes through
`MlflowClient.create_registered_model` + `create_model_version` with a `runs:/` source,
which every backend (HTTP server, sqlite, Azure ML) accepts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def register_checkpoint(
    client: Any,
    *,
    run_id: str,
    artifact_path: str,
    name: str,
    checkpoint_file: str | Path,
    tags: Mapping[str, object] | None = None,
    description: str | None = None,
) -> tuple[str, str]:
    """Create version N of registered model `name` from `runs:/<run_id>/<artifact_path>`.

    `checkpoint_file` is the local copy of the file the version is about; its sha256 and
    file name are added to the version's tags, so a consumer can check what it downloaded.
    The caller uploads the artifacts first and calls this only on rank 0 after success.
    Returns (name, version).
    """
    checkpoint = Path(checkpoint_file)
    version_tags = {key: str(value) for key, value in (tags or {}).items()}
    version_tags["sha256"] = sha256_file(checkpoint)
    version_tags["checkpoint_file"] = checkpoint.name
    version_tags.setdefault("source_run_id", run_id)
    ensure_registered_model(client, name)
    version = client.create_model_version(
        name=name,
        source=f"runs:/{run_id}/{artifact_path.strip('/')}",
        run_id=run_id,
        tags=version_tags,
        description=description,
    )
    return name, str(version.version)


def ensure_registered_model(client: Any, name: str) -> None:
    """Create the registered model unless it exists (two jobs may race to create it)."""
    try:
        client.create_registered_model(name)
    except Exception as exc:  # MlflowException, or a store process's StoreError: both carry MLflow's error code
        if getattr(exc, "error_code", None) != "RESOURCE_ALREADY_EXISTS":
            raise


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (checkpoints can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()

"""The MLflow run of a training job: open, describe, upload, close.

Uses `MlflowClient` only (no fluent global state), so the metric sender thread, the
uploads and the registration share one explicit run id. Inside an Azure ML job the
runtime sets ``MLFLOW_RUN_ID`` and the trainer logs into that run instead of creating one
(and leaves ending it to Azure ML).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_EXPERIMENT = "robo-submit"
_PARAM_BATCH = 100  # MLflow's limit of params per log_batch request
_PARAM_LENGTH = 6000  # MLflow's limit of a param value


# The artifact folder each trainer kind uploads its checkpoints to (RL: agent_<timestep>.pt files; LeRobot: its
# pretrained_model/ and training_state/).
CHECKPOINT_ARTIFACTS = {"rl": "checkpoints", "lerobot": "checkpoint"}


def resume_uri(run_id: str | None, kind: str) -> str | None:
    """`runs:/<run id>/<checkpoint folder>`, the checkpoint URI that resumes a run of `kind` (`-M resume -c ...`);
    on Azure ML the run id is the job name, so the CLI can name it from the job alone."""
    return f"runs:/{run_id}/{CHECKPOINT_ARTIFACTS[kind]}" if run_id else None


@dataclass
class TrackingRun:
    """An open MLflow run."""

    client: Any
    run_id: str
    owns_run: bool
    tracking_uri: str


def start_run(
    *, experiment: str | None, run_name: str | None, tags: Mapping[str, str], params: Mapping[str, Any]
) -> TrackingRun:
    """Attach to the job's run (MLFLOW_RUN_ID) or create one in `experiment`."""
    from mlflow import MlflowClient  # lazy: start-up time
    from mlflow.tracking import get_tracking_uri

    uri = get_tracking_uri()
    client = MlflowClient(uri)
    run_id = os.environ.get("MLFLOW_RUN_ID")
    if run_id:
        client.get_run(run_id)  # fails here, before training, if the id is wrong
        for key, value in tags.items():
            client.set_tag(run_id, key, value)
        run = TrackingRun(client, run_id, owns_run=False, tracking_uri=uri)
    else:
        experiment_id = _experiment_id(client, experiment_name(experiment), uri)
        created = client.create_run(experiment_id, run_name=run_name, tags=dict(tags))
        run = TrackingRun(client, created.info.run_id, owns_run=True, tracking_uri=uri)
    log_params(run, params)
    return run


def experiment_name(configured: str | None) -> str:
    """The setting, else MLFLOW_EXPERIMENT_NAME, else the project default."""
    return configured or os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT


def log_params(run: TrackingRun, params: Mapping[str, Any]) -> None:
    from mlflow.entities import Param  # lazy: start-up time

    items = [Param(key, str(value)[:_PARAM_LENGTH]) for key, value in params.items() if value is not None]
    for start in range(0, len(items), _PARAM_BATCH):
        run.client.log_batch(run.run_id, params=items[start : start + _PARAM_BATCH], synchronous=True)


def upload(run: TrackingRun, local_path: Path, artifact_path: str) -> None:
    """Upload a file or a folder's contents under `artifact_path`."""
    if local_path.is_dir():
        run.client.log_artifacts(run.run_id, str(local_path), artifact_path)
    else:
        run.client.log_artifact(run.run_id, str(local_path), artifact_path)


def finish_run(run: TrackingRun, outcome: str) -> None:
    """Tag the outcome (succeeded|failed|interrupted) and end a run this trainer created."""
    status = {"succeeded": "FINISHED", "interrupted": "KILLED"}.get(outcome, "FAILED")
    run.client.set_tag(run.run_id, "training_outcome", outcome)
    if run.owns_run:
        run.client.set_terminated(run.run_id, status)


def flatten(prefix: str, data: Mapping[str, Any], depth: int = 2) -> dict[str, Any]:
    """`{"agent": {"rollouts": 64}}` -> `{"agent.rollouts": 64}` down to `depth` levels, for params."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and depth > 1:
            flat.update(flatten(name, value, depth - 1))
        else:
            flat[name] = value
    return flat


def _experiment_id(client: Any, name: str, uri: str) -> str:
    from mlflow.exceptions import MlflowException  # lazy: start-up time

    existing = client.get_experiment_by_name(name)
    if existing is not None:
        return existing.experiment_id
    try:
        return client.create_experiment(name, artifact_location=_artifact_location(uri, name))
    except MlflowException as exc:  # another job created it meanwhile
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        return client.get_experiment_by_name(name).experiment_id


def _artifact_location(uri: str, name: str) -> str | None:
    """Next to a direct sqlite store, not in ./mlruns of whatever folder the job ran in."""
    if not uri.startswith("sqlite:///"):
        return None
    database = Path(uri.removeprefix("sqlite:///")).resolve()
    folder = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "experiment"
    return (database.parent / "mlartifacts" / folder).as_uri()

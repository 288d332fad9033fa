"""Before a local evaluation starts: the model URI resolves in the tracking store the run will use, and the
version says what it was trained on (or --task does). One `--flag: problem` line, nothing written: a missing
sqlite store is not created by asking it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_MODELS = re.compile(r"models:/(?P<name>[^/@]+)(?:/(?P<version>[0-9]+|latest)|@(?P<alias>.+))")
_RUNS = re.compile(r"runs:/(?P<run>[^/]+)/.+")


def model_problem(job: Any, tracking_uri: str, *, task_given: bool, lerobot_given: bool) -> str | None:
    """Why the job's model cannot be evaluated here, as `--flag: problem`; None when it can (or cannot be told)."""
    uri = job.model
    models, runs = _MODELS.fullmatch(uri), _RUNS.fullmatch(uri)
    if not models and not runs:
        if "://" not in uri and not Path(uri).exists():
            return f"--model: {uri} does not exist"
        return None  # a path, or a storage URL the trainer downloads
    if tracking_uri.startswith("sqlite:///") and not Path(tracking_uri.removeprefix("sqlite:///")).exists():
        return f"--model: {uri} does not resolve: no MLflow store at {tracking_uri} (nothing is registered here yet)"
    try:
        from mlflow import MlflowClient  # lazy: ~1 s import, and only local evaluation asks
        from mlflow.exceptions import MlflowException
    except ImportError:  # the trainer's interpreter checks it instead
        return None
    client = MlflowClient(tracking_uri=tracking_uri)
    try:
        if runs:
            client.get_run(runs["run"])
            return None
        version = _version(client, models)
    except MlflowException:
        what = "no such run" if runs else "no such model version or alias"
        return f"--model: {uri} does not resolve in {tracking_uri} ({what})"
    return _tags_problem(uri, version.tags or {}, task_given=task_given, lerobot_given=lerobot_given)


def _version(client: Any, models: re.Match) -> Any:
    name = models["name"]
    if models["alias"]:
        return client.get_model_version_by_alias(name, models["alias"])
    if models["version"] == "latest":
        from mlflow.exceptions import MlflowException

        versions = client.search_model_versions(f"name = '{name}'", order_by=["version_number DESC"], max_results=1)
        if not versions:
            raise MlflowException(f"no versions of {name}")
        return versions[0]
    return client.get_model_version(name, models["version"])


def _tags_problem(uri: str, tags: dict[str, str], *, task_given: bool, lerobot_given: bool) -> str | None:
    if tags.get("framework") == "lerobot":
        if not lerobot_given:
            return (
                f"--model: {uri} is a LeRobot policy: evaluate it on held-out episodes (--dataset-repo-id, "
                "--dataset-root) or in a gym environment (--lerobot-env)"
            )
        return None
    if not task_given and not tags.get("task"):
        return f"--task: {uri} has no task tag saying what it was trained on; give --task"
    return None

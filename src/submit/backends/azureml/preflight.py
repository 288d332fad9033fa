"""Azure ML's checks before a submission (skipped with --no-preflight): what would make the job fail late,
found early. The workspace is reachable, the compute exists, the checkpoint URI points at something that
exists, the registered model name is one Azure ML accepts. Each check raises SubmitError (exit 1) with one
line that names the fix.
"""

from __future__ import annotations

import re
from typing import Any

from submit.errors import SubmitError
from submit.output import say

# Azure ML asset names (models): what the service accepts.
AZUREML_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
_RUNS_URI = re.compile(r"runs:/(?P<run>[^/]+)/.+")
_MODELS_URI = re.compile(r"models:/(?P<name>[^/@]+)(?:/(?P<version>[^/]+)|@(?P<alias>.+))")


def check(ml: Any, settings: Any) -> None:
    """Workspace, compute, checkpoint and model name against the live workspace."""
    target, job = settings.target, settings.job
    _azureml_workspace(ml, target)
    checked = [f"workspace {target.workspace_name}"]
    if target.compute:
        _azureml_compute(ml, target.compute)
        checked.append(f"compute {target.compute}")
    if job.kind == "evaluation":
        if _azureml_checkpoint(ml, _as_models_uri(job.model), flag="--model", shown=job.model):
            checked.append(f"model {job.model}")
    elif job.checkpoint.uri and _azureml_checkpoint(ml, job.checkpoint.uri):
        checked.append(f"checkpoint {job.checkpoint.uri}")
    if job.kind != "evaluation" and job.model_name:
        _model_name(job.model_name)
        checked.append(f"model name {job.model_name}")
    say("preflight: " + ", ".join(checked) + " ok")


def _azureml_workspace(ml: Any, target: Any) -> None:
    from azure.core.exceptions import ResourceNotFoundError  # lazy: start-up time

    try:
        ml.workspaces.get(target.workspace_name)
    except ResourceNotFoundError:
        raise SubmitError(
            f"--workspace-name: {target.workspace_name} not found in resource group {target.resource_group} "
            f"of subscription {target.subscription_id}"
        ) from None


def _azureml_compute(ml: Any, name: str) -> None:
    from azure.core.exceptions import ResourceNotFoundError  # lazy: start-up time

    try:
        ml.compute.get(name)
    except ResourceNotFoundError:
        known = sorted(compute.name for compute in ml.compute.list())
        raise SubmitError(
            f"--compute: {name} does not exist in the workspace (computes: {', '.join(known) or 'none'})"
        ) from None


def _as_models_uri(uri: str) -> str:
    """A workspace model asset (azureml:NAME:VERSION, azureml:NAME@latest) in the models:/ form checked below."""
    if not uri.startswith("azureml:") or uri.startswith("azureml:/"):
        return uri
    name, _, version = uri.removeprefix("azureml:").replace("@", ":").partition(":")
    return f"models:/{name}/{version}"


def _azureml_checkpoint(ml: Any, uri: str, flag: str = "--checkpoint-uri", shown: str | None = None) -> bool:
    """True when the URI was checked; paths and storage URLs are resolved inside the job."""
    from azure.core.exceptions import ResourceNotFoundError  # lazy: start-up time

    runs, models = _RUNS_URI.fullmatch(uri), _MODELS_URI.fullmatch(uri)
    try:
        if runs:
            ml.jobs.get(runs["run"])
        elif models and models["version"] and models["version"] != "latest":
            ml.models.get(name=models["name"], version=models["version"])
        elif models and models["version"] == "latest":
            ml.models.get(name=models["name"], label="latest")
        elif models:
            # An alias is an MLflow notion the workspace API cannot look up; the model must exist at least.
            if not any(True for _ in ml.models.list(name=models["name"])):
                raise ResourceNotFoundError(f"model {models['name']}")
        else:
            return False
    except ResourceNotFoundError:
        raise SubmitError(f"{flag}: {shown or uri} does not resolve in the workspace (no such run or model version)") from None
    return True


def _model_name(name: str) -> None:
    if not AZUREML_MODEL_NAME.fullmatch(name):
        raise SubmitError(f"--register-checkpoint: {name!r} is not a valid Azure ML model name")

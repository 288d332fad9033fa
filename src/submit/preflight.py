"""Checks before a submission (skipped with --no-preflight): what would make the job fail late, found early.

Azure ML: the workspace is reachable, the compute exists, the checkpoint URI points at something
that exists, the registered model name is one Azure ML accepts.
OSMO: every credential the spec names exists (`osmo credential list`), and the pool exists and can
hold the job's GPUs when `osmo pool list` says how many it has.
Each check raises SubmitError (exit 1) with one line that names the fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from submit.errors import SubmitError
from submit.output import say

# Azure ML asset names (models): what the service accepts.
AZUREML_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
_RUNS_URI = re.compile(r"runs:/(?P<run>[^/]+)/.+")
_MODELS_URI = re.compile(r"models:/(?P<name>[^/@]+)(?:/(?P<version>[^/]+)|@(?P<alias>.+))")


def azureml(ml: Any, settings: Any) -> None:
    """Workspace, compute, checkpoint and model name against the live workspace."""
    target, job = settings.target, settings.job
    _azureml_workspace(ml, target)
    checked = [f"workspace {target.workspace_name}"]
    if target.compute:
        _azureml_compute(ml, target.compute)
        checked.append(f"compute {target.compute}")
    if job.checkpoint.uri and _azureml_checkpoint(ml, job.checkpoint.uri):
        checked.append(f"checkpoint {job.checkpoint.uri}")
    if job.model_name:
        _model_name(job.model_name)
        checked.append(f"model name {job.model_name}")
    say("preflight: " + ", ".join(checked) + " ok")


def osmo(run: Callable[[list[str]], Any], spec: dict[str, Any], settings: Any) -> None:
    """Credentials named in the spec, and the pool's GPUs, through the osmo CLI's JSON output."""
    checked = []
    names = credential_names(spec)
    if names:
        _osmo_credentials(run, names)
        checked.append("credentials " + ", ".join(names))
    pool = settings.target.pool
    if pool:
        gpus = settings.job.resources.num_nodes * settings.job.resources.gpus_per_node
        if _osmo_pool(run, pool, gpus, settings.target.priority):
            checked.append(f"pool {pool} ({gpus} GPU)")
    say("preflight: " + (", ".join(checked) if checked else "nothing to check") + " ok")


def credential_names(spec: dict[str, Any]) -> list[str]:
    """Every stored credential the workflow's tasks name under `credentials:`, in first-seen order."""
    workflow = spec.get("workflow", {})
    tasks = list(workflow.get("tasks") or [])
    for group in workflow.get("groups") or []:
        tasks.extend(group.get("tasks") or [])
    names: list[str] = []
    for task in tasks:
        for name in task.get("credentials") or {}:
            if name not in names:
                names.append(name)
    return names


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


def _azureml_checkpoint(ml: Any, uri: str) -> bool:
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
        raise SubmitError(
            f"--checkpoint-uri: {uri} does not resolve in the workspace (no such run or model version)"
        ) from None
    return True


def _model_name(name: str) -> None:
    if not AZUREML_MODEL_NAME.fullmatch(name):
        raise SubmitError(f"--register-checkpoint: {name!r} is not a valid Azure ML model name")


def _osmo_credentials(run: Callable[[list[str]], Any], names: list[str]) -> None:
    # `--format-type` belongs to `osmo credential`, before the subcommand.
    answer = run(["credential", "--format-type", "json", "list"])
    stored = answer.get("credentials") if isinstance(answer, dict) else None
    if not isinstance(stored, list):
        raise SubmitError(
            "osmo credential list: unexpected answer (no 'credentials' list); cannot check credentials"
        )
    have = {entry.get("cred_name") for entry in stored if isinstance(entry, dict)}
    missing = [name for name in names if name not in have]
    if missing:
        raise SubmitError(
            f"OSMO credential(s) {', '.join(missing)} named in the spec do not exist; "
            f"create them with `osmo credential set {missing[0]} --type GENERIC --payload KEY=VALUE`"
        )


def _osmo_pool(run: Callable[[list[str]], Any], pool: str, gpus: int, priority: str) -> bool:
    """Refuse a pool that does not exist or is too small; True when the numbers were there to check."""
    answer = run(["pool", "list", "--format-type", "json"])
    pools = {
        entry.get("name"): entry
        for node_set in (answer.get("node_sets") or [] if isinstance(answer, dict) else [])
        for entry in node_set.get("pools") or []
        if isinstance(entry, dict)
    }
    if pool not in pools:
        raise SubmitError(
            f"--pool: {pool} is not an OSMO pool you can use "
            f"(pools: {', '.join(sorted(map(str, pools))) or 'none'})"
        )
    usage = pools[pool].get("resource_usage") or {}
    capacity, free = (
        _count(usage.get("total_capacity")),
        _count(usage.get("quota_free" if priority != "LOW" else "total_free")),
    )
    if capacity is None:
        return False
    if gpus > capacity:
        raise SubmitError(f"--gpus-per-node: the job asks for {gpus} GPUs; pool {pool} has {capacity} in all")
    if free is not None and gpus > free:
        say(
            f"note: pool {pool} has {free} GPUs free for {priority} priority now; "
            f"the job ({gpus}) waits in the queue"
        )
    return True


def _count(value: Any) -> int | None:
    """OSMO prints GPU counts as numbers or numeric strings; anything else means unknown."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

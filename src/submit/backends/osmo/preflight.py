"""OSMO's checks before a submission (skipped with --no-preflight): every credential the spec names exists
(`osmo credential list`), and the pool exists and can hold the job's GPUs when `osmo pool list` says how
many it has. Each check raises SubmitError (exit 1) with one line that names the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from submit.errors import SubmitError
from submit.output import say


def check(run: Callable[[list[str]], Any], spec: dict[str, Any], settings: Any) -> None:
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

"""Terraform outputs as values (layer 5 of submit.sources).

`terraform output -json` prints every output, sensitive ones in clear text. This module drops
the sensitive ones while parsing, before anything else sees them; they are never stored,
logged, returned or put into the environment of a child process. The output names and
shapes are the reference deployment's (deploy/001-iac): `resource_group.value.{name,id}`,
`azureml_workspace.value.name`, `aks_cluster.value.name`, `key_vault_name.value`,
`storage_account.value.name`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from submit.errors import SubmitError

KEYS = ("subscription_id", "resource_group", "workspace_name", "compute", "key_vault_uri", "storage_account")
TIMEOUT_S = 120
_SUBSCRIPTION = re.compile(r"^/subscriptions/([0-9a-fA-F-]{36})/", re.IGNORECASE)


def values(directory: Path) -> dict[str, Any]:
    """Our settings from the non-sensitive outputs in `directory`, each a sources Value."""
    from submit.sources.value import Value

    outputs = read_outputs(directory)
    source = f"terraform output ({directory})"
    found = {
        "resource_group": _field(outputs, "resource_group", "name"),
        "subscription_id": _subscription(_field(outputs, "resource_group", "id")),
        "workspace_name": _field(outputs, "azureml_workspace", "name"),
        "compute": _compute(_field(outputs, "aks_cluster", "name")),
        "key_vault_uri": _key_vault(_field(outputs, "key_vault_name", None)),
        "storage_account": _field(outputs, "storage_account", "name"),
    }
    return {name: Value(value, source) for name, value in found.items() if value}


def read_outputs(directory: Path) -> dict[str, Any]:
    """Non-sensitive outputs, name -> value. Runs `terraform output -json` once, in `directory`."""
    binary = shutil.which("terraform")
    if binary is None:
        raise SubmitError(
            "--terraform-dir: terraform is not on PATH; install it, "
            f"or give the missing values as flags instead of {directory}"
        )
    try:
        done = subprocess.run(
            [binary, "output", "-json"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SubmitError(
            f"--terraform-dir: terraform output in {directory} failed: {type(exc).__name__}"
        ) from None
    if done.returncode != 0:
        raise SubmitError(
            f"--terraform-dir: terraform output in {directory} failed (exit {done.returncode}): "
            f"{_error_line(done.stderr)}"
        )
    return _non_sensitive(done.stdout, directory)


def _non_sensitive(text: str, directory: Path) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError:
        raise SubmitError(f"--terraform-dir: terraform output in {directory} did not print JSON") from None
    if not isinstance(data, dict):
        raise SubmitError(f"--terraform-dir: terraform output in {directory} printed no JSON object")
    # An output is kept only when Terraform says it is not sensitive; a missing flag counts as sensitive.
    return {
        name: entry["value"]
        for name, entry in data.items()
        if isinstance(entry, dict) and entry.get("sensitive") is False and "value" in entry
    }


def _field(outputs: dict[str, Any], name: str, key: str | None) -> str | None:
    value = outputs.get(name)
    if isinstance(value, dict) and key:
        value = value.get(key)
    return value if isinstance(value, str) and value else None


def _subscription(resource_id: str | None) -> str | None:
    match = _SUBSCRIPTION.match(resource_id or "")
    return match.group(1) if match else None


def _compute(aks_name: str | None) -> str | None:
    """The reference's attached Kubernetes compute: k8s-<first 12 characters after 'aks-'>."""
    if not aks_name:
        return None
    return "k8s-" + aks_name.removeprefix("aks-")[:12]


def _key_vault(name: str | None) -> str | None:
    return f"https://{name}.vault.azure.net/" if name else None


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _error_line(text: str) -> str:
    """Terraform's first `Error:` and the line that explains it, without colours and box drawing;
    warnings before it (a missing CLI configuration, say) are passed over."""
    lines = [line.strip("│╷╵ \t") for line in _ANSI.sub("", text or "").splitlines()]
    lines = [line for line in lines if line]
    for index, line in enumerate(lines):
        if line.startswith("Error: "):
            detail = lines[index + 1] if index + 1 < len(lines) and not lines[index + 1].startswith("Error: ") else ""
            return (line.removeprefix("Error: ") + (f" ({detail})" if detail else ""))[:300]
    return lines[0][:300] if lines else "no message"

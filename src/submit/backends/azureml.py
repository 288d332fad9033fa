"""Azure ML: offline check with azure-ai-ml, submission through MLClient (never the az CLI)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from submit import yamlio
from submit.errors import SpecError, SubmitError


@dataclass(frozen=True)
class Submitted:
    job_id: str
    url: str | None


def load(spec: dict[str, Any], spec_dir: Path):
    """The spec as azure-ai-ml's job object, loaded exactly as `az ml job create -f` would load it."""
    import tempfile

    from azure.ai.ml import load_job  # lazy: ~2.5 s import

    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)
    spec_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=spec_dir, delete=True, encoding="utf-8") as handle:
        handle.write(yamlio.dump(spec))
        handle.flush()
        return load_job(handle.name)


def check(spec: dict[str, Any], spec_dir: Path) -> list[str]:
    """Every problem azure-ai-ml finds offline, including bindings load_job alone lets through."""
    from azure.core.exceptions import AzureError  # lazy: part of azure-ai-ml
    from marshmallow.exceptions import ValidationError as SchemaError

    try:
        job = load(spec, spec_dir)
    except (SchemaError, AzureError, ValueError, OSError) as exc:  # schema errors, MlException, bad paths
        return [f"azureml: {type(exc).__name__}: {_short(exc)}"]
    problems = [f"{path}: {message}" for path, message in job._validate().error_messages.items()]
    # The component check is the one that catches unknown ${{inputs.x}} bindings; its naming rules are
    # for components, not jobs (it refuses '-' in a job name the service accepts), so only bindings count.
    bindings = job.component._validate().error_messages
    problems.extend(f"{path}: {message}" for path, message in bindings.items() if path in ("command", "inputs", "outputs"))
    return problems


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:2000]


def submit(spec: dict[str, Any], settings: Any, *, spec_dir: Path, stream: bool) -> Submitted:
    raise SubmitError("submission to Azure ML is not available yet; use --dry-run and `az ml job create -f`")


def fail_if_invalid(spec: dict[str, Any], spec_dir: Path) -> None:
    problems = check(spec, spec_dir)
    if problems:
        raise SpecError("the rendered Azure ML spec does not validate: " + "; ".join(problems))

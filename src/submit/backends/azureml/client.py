"""Azure ML's client: offline check with azure-ai-ml, submission and tracking through MLClient (never the az CLI).

The network boundary is one seam, `connection`: it returns the credential and the azure-core
HTTP transport every MLClient is built with (DefaultAzureCredential and the SDK's own transport
in production). Tests replace `connection` and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from submit import yamlio
from submit.backends.azureml.workspace import workspace
from submit.backends.base import Submitted
from submit.errors import AuthError, BadInput, SpecError, SubmitError
from submit.output import unwritable_reason
from submit.secret_rules import secret_names, secret_urls, url_secret_problem

# The temporary copy of a spec that `load` hands to load_job; SDK messages name it.
_SPEC_COPY = ".robo-submit-spec-"
_SPEC_COPY_PATH = re.compile(r"\S*" + re.escape(_SPEC_COPY) + r"\w+\.yaml")
_NOT_IN_SET = re.compile(r"Value (.+) passed is not in set \[(.*)\]")

SIGN_IN_FIX = (
    "sign in with `az login`, set AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET "
    "for a service principal, "
    "or run where a managed identity is available"
)


@dataclass(frozen=True)
class Connection:
    """What an MLClient talks through: a TokenCredential and an azure-core HttpTransport (None: the SDK's)."""

    credential: Any
    transport: Any | None = None


def default_connection() -> Connection:
    from azure.identity import DefaultAzureCredential  # lazy: start-up time

    return Connection(DefaultAzureCredential())


# The one network seam (see the module docstring).
connection: Callable[[], Connection] = default_connection


def load(spec: dict[str, Any], spec_dir: Path):
    """The spec as azure-ai-ml's job object, loaded exactly as `az ml job create -f` would load it."""
    from azure.ai.ml import load_job  # lazy: ~2.5 s import

    _quiet_sdk()
    spec_dir.mkdir(parents=True, exist_ok=True)
    # In spec_dir so that relative paths (code:) resolve as they would next to the written spec.
    with tempfile.NamedTemporaryFile(
        "w", prefix=_SPEC_COPY, suffix=".yaml", dir=spec_dir, delete=True, encoding="utf-8"
    ) as handle:
        handle.write(yamlio.dump(spec))
        handle.flush()
        return load_job(handle.name)


def check(spec: dict[str, Any], spec_dir: Path) -> list[str]:
    """Every problem azure-ai-ml finds offline, one `path: message` line each, and secret-looking variables."""
    environment = spec.get("environment_variables")
    vault = "keep it in Key Vault and pass --key-vault-uri (the job reads it with its managed identity)"
    identity = "the spec is stored and shown by Azure ML; give the job access through its identity or a datastore"
    return (
        _sdk_problems(spec, spec_dir)
        + [f"environment_variables.{name}: looks like a secret; {vault}" for name in secret_names(environment)]
        + [f"environment_variables.{name}: a URL carrying credentials; {vault}" for name in secret_urls(environment)]
        + [f"{path}: a URL carrying credentials; {identity}" for path in _credential_urls(spec)]
    )


def _credential_urls(spec: dict[str, Any]) -> list[str]:
    """Where the job's code, inputs and outputs point at a URL that carries a credential (a SAS, user:password@)."""
    places: list[tuple[str, Any]] = [("code", spec.get("code"))]
    for section in ("inputs", "outputs"):
        entries = spec.get(section)
        for name, entry in entries.items() if isinstance(entries, dict) else ():
            places.append((f"{section}.{name}.path", entry.get("path")) if isinstance(entry, dict) else (f"{section}.{name}", entry))
    return [path for path, value in places if isinstance(value, str) and "://" in value and url_secret_problem(value)]


def _sdk_problems(spec: dict[str, Any], spec_dir: Path) -> list[str]:
    """What azure-ai-ml finds, including bindings load_job alone lets through."""
    from azure.core.exceptions import AzureError  # lazy: part of azure-ai-ml
    from marshmallow.exceptions import ValidationError as SchemaError

    try:
        job = load(spec, spec_dir)
    except SchemaError as exc:
        return schema_problems(exc.messages)
    except (AzureError, ValueError, OSError) as exc:  # MlException (e.g. an unknown job type), bad paths
        return [f"azureml: {type(exc).__name__}: {_without_spec_copy(_first_line(exc))}"]
    problems = [f"{path}: {message}" for path, message in job._validate().error_messages.items()]
    # The component check is the one that catches unknown ${{inputs.x}} bindings; its naming rules are
    # for components, not jobs (it refuses '-' in a job name the service accepts), so only bindings count.
    bindings = job.component._validate().error_messages
    problems.extend(
        f"{path}: {message}" for path, message in bindings.items() if path in ("command", "inputs", "outputs")
    )
    return problems


def schema_problems(messages: Any) -> list[str]:
    """azure-ai-ml's schema errors as `field.path: message` lines.

    The SDK puts marshmallow's error dict, as JSON, inside its message text, once more wrapped for
    command jobs; a field that accepts several forms lists one error set per form.
    """
    problems = [
        f"{path or 'azureml'}: {message}" for path, message in _alternatives(_schema_errors(messages, ""))
    ]
    return list(dict.fromkeys(problems)) or ["azureml: the spec does not match the Azure ML job schema"]


def _schema_errors(errors: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(errors, str):
        embedded = _embedded_json(errors)
        found = list(_schema_errors(embedded, path)) if embedded else []
        yield from found or [(path, _without_spec_copy(" ".join(_first_line(errors).split()).rstrip(":")))]
    elif isinstance(errors, dict) and "result" in errors and isinstance(errors.get("errors"), list):
        # The SDK's wrapper: {"result": "Failed", "errors": [{"message": ..., "path": "*", "location": ...}]}
        for error in errors["errors"]:
            wrapped = error if isinstance(error, dict) else {"message": error}
            yield from _schema_errors(wrapped.get("message"), str(wrapped.get("path", "")).strip("*"))
    elif isinstance(errors, dict):
        for key, value in errors.items():
            yield from _schema_errors(value, path if key == "_schema" else f"{path}.{key}".lstrip("."))
    elif isinstance(errors, list):
        for item in errors:
            yield from _schema_errors(item, path)
    elif errors is not None:
        yield path, _first_line(str(errors))


def _alternatives(pairs: Iterator[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """One line per field: the forms it was refused as, joined; `not in set` choices merged into one set."""
    by_path: dict[str, list[str]] = {}
    for path, message in pairs:
        if message not in by_path.setdefault(path, []):
            by_path[path].append(message)
    for path, messages in by_path.items():
        yield path, " or ".join(_merge_choices(messages))


def _merge_choices(messages: list[str]) -> list[str]:
    matches = [_NOT_IN_SET.fullmatch(message) for message in messages]
    choices = [match for match in matches if match]
    if len(choices) < 2 or len({match[1] for match in choices}) > 1:
        return messages
    merged = f"Value {choices[0][1]} passed is not in set [{', '.join(match[2] for match in choices)}]"
    return [merged, *(message for message, match in zip(messages, matches, strict=True) if not match)]


def _embedded_json(text: str) -> dict | None:
    """The JSON object in an SDK message such as `Validation for X failed: {...} If you are trying ...`."""
    start = text.find("{")
    try:
        found = json.JSONDecoder().raw_decode(text, start)[0] if start >= 0 else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _without_spec_copy(text: str) -> str:
    """Messages name the temporary copy `load` writes; the user knows the spec by another name."""
    return _SPEC_COPY_PATH.sub("the spec", text)


def submit(spec: dict[str, Any], settings: Any, *, spec_dir: Path, preflight: bool = True) -> Submitted:
    """Create the job the spec describes; the job object sent is the one `load` gives for the spec.

    Order: preflight checks, the environment (registered only if missing or changed), then the job.
    Streaming is the caller's (`logs`), after the result is printed.
    """
    from submit.backends.azureml import environment
    from submit.backends.azureml import preflight as checks

    ml = client(settings.target)
    with staged_code(spec, spec_dir) as (staged, folder), azure_errors(settings.target):
        job = _load_to_submit(staged, folder)
        if preflight:
            checks.check(ml, settings)
        environment.ensure(ml, job, settings)
        created = ml.jobs.create_or_update(job)
    return Submitted(job_id=created.name, url=created.studio_url)


def _load_to_submit(spec: dict[str, Any], spec_dir: Path):
    try:
        return load(spec, spec_dir)
    except OSError as exc:  # the copy load_job reads goes in the -o folder, else the current one
        raise BadInput(
            f"--output: cannot write in {spec_dir} ({unwritable_reason(exc)}); "
            "azure-ai-ml loads the spec from a file there: give -o a path in a writable folder"
        ) from None


def status(job_id: str, target: Any) -> dict[str, Any]:
    ml = client(target)
    with azure_errors(target, job_id=job_id):
        job = ml.jobs.get(job_id)
    return {
        "backend": "azureml",
        "job_id": job.name,
        "status": getattr(job.status, "value", job.status),
        "url": job.studio_url,
        "display_name": job.display_name,
        "experiment_name": job.experiment_name,
        "compute": job.compute,
        "resume": _resume_uri(job),
        **({"gate_passed": tags["gate_passed"]} if "gate_passed" in (tags := job.tags or {}) else {}),
    }


def _resume_uri(job: Any) -> str | None:
    """The checkpoint URI that resumes the job (`-M resume -c ...`): on Azure ML a job's MLflow run id is its name.
    The trainer kind is read from the job's constant command (`python -m training <kind>`, torchrun's `-m training`)."""
    from training.mlflow_run import CHECKPOINT_ARTIFACTS, resume_uri  # plain data: no mlflow import

    words = str(getattr(job, "command", "") or "").split()
    kinds = [words[i + 1] for i in range(len(words) - 1) if words[i] == "training" and i and words[i - 1] == "-m"]
    return resume_uri(job.name, kinds[0]) if kinds and kinds[0] in CHECKPOINT_ARTIFACTS else None


def logs(job_id: str, target: Any, *, to_stderr: bool = False) -> None:
    """Stream the job's logs until it ends; a failed job is an error (exit 1). The SDK prints to stdout."""
    ml = client(target)
    redirect = contextlib.redirect_stdout(sys.stderr) if to_stderr else contextlib.nullcontext()
    with azure_errors(target, job_id=job_id), redirect:
        ml.jobs.stream(job_id)


def cancel(job_id: str, target: Any) -> dict[str, Any]:
    ml = client(target)
    with azure_errors(target, job_id=job_id):
        ml.jobs.begin_cancel(job_id).result()
    return status(job_id, target)


def client(target: Any):
    """An MLClient for the target's workspace, through the `connection` seam."""
    from azure.ai.ml import MLClient  # lazy: ~2.5 s import

    coordinates = workspace(target)
    seam = connection()
    extra = {"transport": seam.transport} if seam.transport is not None else {}
    _quiet_sdk()
    return MLClient(seam.credential, *coordinates, show_progress=False, enable_telemetry=False, **extra)


@contextlib.contextmanager
def azure_errors(target: Any, *, job_id: str | None = None) -> Iterator[None]:
    """Azure SDK exceptions -> our errors, one line each, the fix named where we know it."""
    from azure.ai.ml.exceptions import JobException, MlException  # lazy: start-up time
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
    )

    where = f"workspace {target.workspace_name} (resource group {target.resource_group})"
    try:
        yield
    except ClientAuthenticationError as exc:
        raise AuthError(f"Azure sign-in failed ({_first_line(exc)}); {SIGN_IN_FIX}") from None
    except ResourceNotFoundError as exc:
        what = f"job {job_id}" if job_id else "a resource the job needs"
        raise SubmitError(f"{what} not found in {where}: {_first_line(exc)}") from None
    except HttpResponseError as exc:
        if exc.status_code in (401, 403):
            raise AuthError(
                f"Azure ML refused the request ({exc.status_code}): {_first_line(exc)}; "
                f"check your role on {where}"
            ) from None
        raise SubmitError(f"Azure ML answered {exc.status_code}: {_first_line(exc)}") from None
    except ServiceRequestError as exc:
        raise SubmitError(f"cannot reach Azure ML: {_first_line(exc)}") from None
    except JobException as exc:
        raise SubmitError(f"job {job_id} failed: {_job_error(exc)}") from None
    except MlException as exc:
        raise SpecError(f"azure-ai-ml refused the job: {_first_line(exc)}") from None


@contextlib.contextmanager
def staged_code(spec: dict[str, Any], spec_dir: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    """The spec with its code folder staged, when that folder is the source checkout.

    azure-ai-ml walks every file under `code:` to hash it, ignored or not; in a checkout with virtual
    environments that is 100k+ files. The staged copy holds exactly the files .amlignore keeps, under
    the same relative paths, so the content hash (and the code asset) is the same.
    """
    from submit import snapshot

    root = snapshot.snapshot_root()
    code = spec.get("code")
    if not isinstance(code, str) or (spec_dir / code).resolve() != root.resolve():
        yield spec, spec_dir
        return
    with tempfile.TemporaryDirectory(prefix="robo-submit-code-") as tmp:
        staged = Path(tmp)
        for path in snapshot.build_files(root):
            target = staged / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        (staged / ".amlignore").write_text(snapshot.AMLIGNORE, encoding="utf-8")
        yield {**spec, "code": str(staged), **_staged_build(spec, spec_dir, root, staged)}, spec_dir


def _staged_build(spec: dict[str, Any], spec_dir: Path, root: Path, staged: Path) -> dict[str, Any]:
    """The environment, its build context pointed at the staged copy when it is the checkout (the same folder
    as the code snapshot)."""
    environment = spec.get("environment")
    build = environment.get("build") if isinstance(environment, dict) else None
    if not isinstance(build, dict) or (spec_dir / str(build.get("path", ""))).resolve() != root.resolve():
        return {}
    return {"environment": {**environment, "build": {**build, "path": str(staged)}}}


def _quiet_sdk() -> None:
    # Experimental-class notices and INFO lines are noise on stderr; warnings and errors still show.
    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)
    logging.getLogger("azure.ai.ml._schema.core.fields").setLevel(logging.ERROR)  # experimental fields
    logging.getLogger("azure.ai.ml").setLevel(logging.WARNING)
    logging.getLogger("azure.identity").setLevel(logging.ERROR)  # a failed sign-in becomes our one line


def _first_line(exc: object) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:400] if lines else type(exc).__name__


def _job_error(exc: Exception) -> str:
    """The service's error message out of the SDK's 'Exception : {json}' text, else the text on one line."""
    text = str(exc)
    try:
        error = json.loads(text.partition(":")[2])
    except ValueError:
        return _short(exc)[:400]
    while isinstance(error, dict) and isinstance(error.get("error"), dict):
        error = error["error"]
    message = error.get("message") if isinstance(error, dict) else None
    return f"{error.get('code', 'error')}: {message}" if message else _short(exc)[:400]


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:2000]

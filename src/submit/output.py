"""What reaches stdout: only the spec or the JSON result. Human messages go to stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from submit import yamlio
from submit.errors import BadInput, SubmitError


def say(message: str) -> None:
    """A human message, on stderr."""
    click.echo(message, err=True)


def write_spec(text: str, path: Path) -> None:
    """The spec to -o FILE; OSError when it cannot be written (emit turns that into one line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    say(f"wrote {path}")


def emit(backend: str, spec: dict[str, Any], *, output_format: str, output_file: str | None, job_id: str | None = None, url: str | None = None) -> None:
    """Write the spec to -o FILE if asked, then print the spec (dry run) or the JSON result."""
    text = yamlio.dump(spec)
    if output_file:
        try:
            write_spec(text, Path(output_file))
        except OSError as exc:
            raise _unwritable(output_file, exc, backend, job_id) from None
    if output_format == "json":
        print_json_result(backend, spec, job_id=job_id, url=url)
    elif not output_file and job_id is None:
        click.echo(text, nl=False)


def print_json_result(backend: str, spec: dict[str, Any], *, job_id: str | None, url: str | None, **more: Any) -> None:
    """The one JSON object of a job command: backend, job id, URL, the spec, and what `more` adds (the final status)."""
    click.echo(json.dumps({"backend": backend, "job_id": job_id, "url": url, **more, "spec": spec}, sort_keys=False))


def unwritable_reason(exc: OSError) -> str:
    """Why a path cannot be written, in words (mkdir says 'File exists' when a file is in the way)."""
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return "part of the path is a file, not a folder"
    return exc.strerror or type(exc).__name__


def _unwritable(output_file: str, exc: OSError, backend: str, job_id: str | None) -> SubmitError:
    """Bad input before anything was submitted; after a submission, a failure that still names the job."""
    message = f"--output: cannot write {output_file} ({unwritable_reason(exc)})"
    if job_id is None:
        return BadInput(message)
    return SubmitError(f"{message}; the {backend} job {job_id} was submitted")

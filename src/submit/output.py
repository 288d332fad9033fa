"""What reaches stdout: only the spec or the JSON result. Human messages go to stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from submit import yamlio


def say(message: str) -> None:
    """A human message, on stderr."""
    click.echo(message, err=True)


def write_spec(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    say(f"wrote {path}")


def emit(backend: str, spec: dict[str, Any], *, output_format: str, output_file: str | None, job_id: str | None = None, url: str | None = None) -> None:
    """Write the spec to -o FILE if asked, then print the spec (dry run) or the JSON result."""
    text = yamlio.dump(spec)
    if output_file:
        write_spec(text, Path(output_file))
    if output_format == "json":
        click.echo(json.dumps({"backend": backend, "job_id": job_id, "url": url, "spec": spec}, sort_keys=False))
    elif not output_file and job_id is None:
        click.echo(text, nl=False)

"""`submit validate FILE`: check an OSMO workflow or an Azure ML job spec offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from submit.output import say

EXAMPLE = """
\b
Examples:
  submit validate workflow.yaml
  submit validate train.yaml --set num_envs=512      (an OSMO Jinja template)
  submit validate job.yaml --backend azureml
"""


@click.command("validate", epilog=EXAMPLE)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--backend",
    type=click.Choice(["auto", "osmo", "azureml"]),
    default="auto",
    show_default=True,
    help="Which kind of spec FILE is; auto looks at its top-level keys.",
)
@click.option(
    "--set",
    "values",
    multiple=True,
    metavar="KEY=VALUE",
    help="OSMO templates: a value for a template variable, as `osmo workflow submit --set` (repeatable).",
)
def validate(file: Path, backend: str, values: tuple[str, ...]) -> None:
    """Check FILE offline; exit 1 listing every problem with its path."""
    from submit.errors import SpecError

    kind, problems = _check(file, backend, values)
    if problems:
        for line in problems:
            say(line)
        raise SpecError(f"{file}: {len(problems)} problem(s); not a valid {kind} spec")
    say(f"{file}: valid {kind} spec")


def _check(file: Path, backend: str, values: tuple[str, ...]) -> tuple[str, list[str]]:
    from submit import osmo_template, yamlio

    text = _read(file)
    if backend == "osmo" or (backend == "auto" and osmo_template.looks_like_osmo(text)):
        return "OSMO", _check_osmo(text, values, file)
    spec = _load_azureml(text, file) if backend == "azureml" else yamlio.load(text, str(file))
    if backend == "auto" and isinstance(spec, dict) and "workflow" in spec:  # JSON or flow style: {"workflow": ...}
        return "OSMO", _check_osmo(text, values, file)
    if backend == "auto" and not _looks_like_azureml(spec):
        raise _bad_input(
            f"{file}: neither an OSMO workflow (workflow:) nor an Azure ML job (command:); use --backend"
        )
    if values:
        raise _bad_input("--set: only OSMO templates take values")
    from submit.backends import azureml

    return "Azure ML", azureml.check(spec if isinstance(spec, dict) else {}, file.parent)


def _check_osmo(text: str, values: tuple[str, ...], file: Path) -> list[str]:
    from submit import osmo_template
    from submit.osmo_spec import check_osmo  # lazy: pydantic models

    return check_osmo(osmo_template.render(text, values, source=str(file)))


def _load_azureml(text: str, file: Path) -> Any:
    """The YAML of a file given as Azure ML; one that cannot be read says so, with a hint for OSMO templates."""
    from submit import osmo_template, yamlio
    from submit.errors import SpecError

    try:
        return yamlio.load(text, str(file))
    except SpecError as exc:
        reason = str(exc).removeprefix(f"{file}: ")
        if osmo_template.looks_like_osmo(text):
            reason += "; it looks like an OSMO workflow: try --backend osmo"
        raise SpecError(f"{file}: not a valid Azure ML spec: {reason}") from None


def _read(file: Path) -> str:
    from submit.errors import SpecError

    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{file}: not UTF-8 text") from None
    except OSError as exc:
        raise SpecError(f"{file}: cannot read ({exc.strerror})") from None


def _looks_like_azureml(spec: Any) -> bool:
    return isinstance(spec, dict) and ("command" in spec or "azureml" in str(spec.get("$schema", "")))


def _bad_input(message: str) -> Exception:
    from submit.errors import BadInput

    return BadInput(message)

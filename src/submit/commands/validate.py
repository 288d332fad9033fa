"""`submit validate FILE`: check a spec of any backend offline (an OSMO workflow, an Azure ML job, ...)."""

from __future__ import annotations

from pathlib import Path

import click

from submit.backends import registry
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
    type=click.Choice(["auto", *(backend.name for backend in registry.in_recognition_order())]),
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
    from submit import yamlio
    from submit.backends.base import Advice
    from submit.errors import SpecError, UnreadableSpec

    text = yamlio.read_spec(file)
    chosen = registry.recognise(text, file) if backend == "auto" else registry.get(backend)
    try:
        lines = chosen.check(text, file, values)
    except UnreadableSpec as exc:
        raise SpecError(f"{exc}{_hint(chosen, text, file)}") from None
    for line in lines:
        if isinstance(line, Advice):
            say(f"warning: {line}")
    problems = [line for line in lines if not isinstance(line, Advice)]
    kind = chosen.texts.spec_kind
    if problems:
        for line in problems:
            say(line)
        raise SpecError(f"{file}: {len(problems)} problem(s); not a valid {kind} spec")
    say(f"{file}: valid {kind} spec")


def _hint(chosen, text: str, file: Path) -> str:
    """For a file given as one backend's that another backend recognises: which --backend to try."""
    from submit.errors import SpecError

    for other in registry.in_recognition_order():
        if other is chosen:
            continue
        try:
            if other.recognises(text, file):
                return f"; it looks like {other.texts.spec_name}: try --backend {other.name}"
        except SpecError:
            continue
    return ""

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


def _backends() -> list:
    """Every backend, in the order `--backend auto` asks them (OSMO first: its templates are not YAML yet)."""
    return sorted((registry.get(name) for name in registry.names()), key=lambda backend: backend.recognition_order)


@click.command("validate", epilog=EXAMPLE)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--backend",
    type=click.Choice(["auto", *(backend.name for backend in _backends())]),
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
    from submit.backends.base import Advice
    from submit.errors import SpecError, UnreadableSpec

    text = _read(file)
    chosen = _recognised(text, file) if backend == "auto" else registry.get(backend)
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


def _recognised(text: str, file: Path):
    """The first backend that knows the file by its top-level keys."""
    from submit.errors import BadInput

    backends = _backends()
    for backend in backends:
        if backend.recognises(text, file):
            return backend
    shapes = " nor ".join(f"{b.texts.spec_name} ({b.texts.spec_marker})" for b in backends)
    raise BadInput(f"{file}: neither {shapes}; use --backend")


def _hint(chosen, text: str, file: Path) -> str:
    """For a file given as one backend's that another backend recognises: which --backend to try."""
    from submit.errors import SpecError

    for other in _backends():
        if other is chosen:
            continue
        try:
            if other.recognises(text, file):
                return f"; it looks like {other.texts.spec_name}: try --backend {other.name}"
        except SpecError:
            continue
    return ""


# The largest spec we render is an OSMO workflow shipping the trainer (768 KiB of code, base64); a file many times
# that size is no spec, and parsing one takes minutes and hundreds of MB.
MAX_SPEC_BYTES = 4 * 1024 * 1024


def _read(file: Path) -> str:
    """The file's text; a file that is no spec at all (too big, binary, empty) is bad input (exit 2) at once."""
    from submit.errors import BadInput, SpecError

    try:
        size = file.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise BadInput(f"{file}: {size:,} bytes; a job spec is at most {MAX_SPEC_BYTES // 1024 // 1024} MiB, so this is not one")
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{file}: not UTF-8 text, so not a job spec") from None
    except OSError as exc:
        raise SpecError(f"{file}: cannot read ({exc.strerror})") from None
    if "\x00" in text:
        raise BadInput(f"{file}: binary data (NUL bytes), so not a job spec")
    if not text.strip():
        raise BadInput(f"{file}: empty, so not a job spec")
    return text

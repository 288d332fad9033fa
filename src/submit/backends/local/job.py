"""A spec's job in this machine's terms: what `submit local run SPEC` starts, read from an Azure ML or OSMO spec.

Pure data, made by azureml_job.py and osmo_job.py from a spec that passed its backend's offline check;
engine.py turns it into the container engine's argv. Container paths are fixed here, never user text:
the output binding (`${{outputs.NAME}}`, `{{output}}`) becomes a path under OUTPUTS, the code snapshot
is mounted at CODE, a local input at INPUTS/NAME.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from submit.errors import BadInput

OUTPUTS = "/job/outputs"
CODE = "/job/code"
INPUTS = "/job/inputs"
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Refused(BadInput):
    """A spec field this machine cannot honour: exit 2, one line naming the field and what to do."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path


@dataclass(frozen=True)
class SpecFile:
    """A file the spec puts into the container (OSMO `files:`): its absolute path there and its bytes."""

    path: str
    data: bytes


@dataclass(frozen=True)
class Mount:
    source: Path
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class ImageBuild:
    """An image the spec has built from a Dockerfile (Azure ML `environment.build`), built here the same way."""

    context: Path
    dockerfile: Path


@dataclass(frozen=True)
class ContainerJob:
    """One container: the spec's image, argv, environment, code and outputs, with the bindings resolved."""

    backend: str  # "azureml" or "osmo": whose spec it came from
    name: str | None  # the spec's job name (Azure ML `name`, OSMO `workflow.name`)
    image: str  # the image the container runs (for a build: the tag it is built as)
    argv: tuple[str, ...]  # the container's whole command line, its entrypoint first
    env: dict[str, str]  # the spec's environment (plain values)
    from_host: tuple[str, ...] = ()  # variables whose values this machine gives (mapped credentials)
    output: str | None = None  # where outputs/<job>/ is mounted in the container (None: the spec has no output)
    code: Path | None = None  # Azure ML `code:` folder on this machine, copied through its ignore file to CODE
    workdir: str | None = None  # the command's working directory (None: the image's)
    files: tuple[SpecFile, ...] = ()
    inputs: tuple[Mount, ...] = ()  # local inputs, read-only
    gpus: int = 0  # GPUs the spec asks for per node
    shm_size: str | None = None  # /dev/shm of the container (None: the engine's default)
    tracking_uri: str | None = None  # the MLflow tracking URI the spec names, if any
    build: ImageBuild | None = None  # build `image` from this first
    notes: tuple[str, ...] = field(default_factory=tuple)  # what runs differently here, one line each


def check_env_names(path: str, env: dict[str, str]) -> None:
    """Variable names the engine can pass (`-e NAME=VALUE` splits at the first '=')."""
    for name in env:
        if not ENV_NAME.fullmatch(name):
            raise Refused(f"{path}.{name}", "not an environment variable name (letters, digits, '_')")

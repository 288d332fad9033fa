"""The contract every backend implements, and what its calls return.

A backend is one package under submit/backends/ with `BACKEND` (an instance of `Backend`) in its
__init__ and its target's setting declarations in `fields.SETTINGS`; backends/registry.py names it.
Its __init__ imports nothing heavy: SDKs, pydantic models and child processes are imported inside
the methods that need them (start-up time of --help and of a dry run).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from submit.params import Decorator


@dataclass(frozen=True)
class Submitted:
    """A job the backend accepted: its id, and where to see it (None when the backend gives no URL)."""

    job_id: str
    url: str | None


@dataclass(frozen=True)
class Rendered:
    """A rendered spec, the lines to say about it (size, notes) and the folder its relative paths start in."""

    spec: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    spec_dir: Path | None = None


class Advice(str):
    """A line of `Backend.check`'s answer that is a warning, not a problem: `submit validate` prints it and passes.
    `submission_only`: it concerns what the cluster's server does with the file (the pool OSMO ignores), so a
    local run of the spec does not say it."""

    submission_only: bool = False

    def __new__(cls, text: str, *, submission_only: bool = False) -> Advice:
        line = super().__new__(cls, text)
        line.submission_only = submission_only
        return line


@dataclass(frozen=True)
class Texts:
    """What --help says of the backend's group and commands (each example names a `submit` command line)."""

    group: str
    group_epilog: str
    commands: dict[str, str]  # command name -> its one-line help
    examples: dict[str, str]  # command name -> its epilog
    job_word: str  # metavar of status/logs/cancel: JOB, WORKFLOW_ID
    spec_kind: str  # how `submit validate` names a spec of this backend: "Azure ML", "OSMO"
    spec_name: str  # and one such spec: "an Azure ML job"
    spec_marker: str  # the key that marks one: "command:"
    preflight: str = "workspace, compute, checkpoint and Key Vault"  # what --preflight checks before submitting
    terraform: str = "workspace, compute, Key Vault"  # the values --terraform-dir can fill


class Backend(ABC):
    """One place jobs run. Job commands and status/logs/cancel are built from this (submit.commands.jobs).

    Its flags are in its package's `flags` module, imported on first use: JOB_FLAGS and GONE (by job
    command), TRACK_FLAGS and CONFIG_FLAGS.
    """

    name: str
    texts: Texts
    # The job commands it offers (submit.commands.jobs.JOB_KINDS names the job kind of each).
    job_commands: tuple[str, ...] = ("training", "lerobot-training", "evaluation")
    # The reference-script variables each job command reads no more: a note when one is set (submit.reference).
    unread_env: dict[str, tuple[str, ...]] = {}  # noqa: RUF012 - read only
    # Parameters of its commands that fill no settings field.
    command_only: frozenset[str] = frozenset()
    # `submit validate --backend auto` asks the backends in this order (lower first).
    recognition_order: int = 0

    def job_flags(self, command: str) -> Decorator:
        """The job command's flags before the shared output group, in --help order."""
        return self._flags().JOB_FLAGS[command]

    def gone_flags(self, command: str) -> Decorator:
        """The reference flags the job command refuses by name (hidden)."""
        return self._flags().GONE[command]

    @abstractmethod
    def settings_model(self, command: str) -> type:
        """The submission model the command's flags are validated into."""

    def after_build(self, command: str, ctx: click.Context, settings: Any) -> None:
        """Notes about validated settings, before anything is rendered (none by default)."""
        return None

    @abstractmethod
    def render(self, settings: Any, params: dict[str, Any]) -> Rendered:
        """The spec as a dict: pure in the settings (and the files of a code snapshot), checked as far as the
        backend can check without its SDK; `params` are the command's own (output file, code folder)."""

    @abstractmethod
    def check(self, text: str, file: Path, values: tuple[str, ...]) -> list[str]:
        """Every problem the backend's server would find in a spec file, offline, one `path: message` each; an
        `Advice` line warns of what the server accepts but may not do as written, and fails nothing."""

    @abstractmethod
    def recognises(self, text: str, file: Path) -> bool:
        """Whether a spec file's text is this backend's (for `submit validate --backend auto`); a file that is
        not YAML raises SpecError."""

    @abstractmethod
    def submit(self, rendered: Rendered, settings: Any, *, preflight: bool) -> Submitted:
        """Submit the rendered spec; preflight checks first unless turned off."""

    def track_flags(self) -> Decorator:
        """The flags of status, logs and cancel, besides the job id and --output-format."""
        return self._flags().TRACK_FLAGS

    # Values status, logs and cancel may still read from `terraform output` (submit.sources.complete).
    tracking_keys: tuple[str, ...] = ()

    def tracking_model(self) -> type | None:
        """The model status, logs and cancel validate their flags into (its `target`: a workspace), or None
        when they need nothing but the job id."""
        return None

    def _flags(self) -> Any:
        return importlib.import_module(f"{type(self).__module__}.flags")

    @abstractmethod
    def status(self, job_id: str, target: Any) -> dict[str, Any]: ...

    def outcome(self, status: str) -> str | None:
        """What a job status means for `--wait`: "succeeded", "failed" (failed or cancelled), or None while the
        job may still change."""
        return None

    def gate_not_met(self, result: dict[str, Any]) -> bool:
        """Whether a failed evaluation job's final status result says it failed because a --gate did not hold
        (the trainer's exit 3), not because it broke: `--wait` then exits 3 as a local evaluation does."""
        return False

    @abstractmethod
    def logs(self, job_id: str, target: Any, *, to_stderr: bool = False) -> None: ...

    @abstractmethod
    def cancel(self, job_id: str, target: Any) -> dict[str, Any]: ...

    def config_flags(self) -> Decorator:
        """The flags `submit config show` shows values for (where they come from)."""
        return self._flags().CONFIG_FLAGS

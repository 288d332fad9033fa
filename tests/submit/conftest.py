"""CLI fixtures: an in-process runner with stdout and stderr apart, run in a fresh temporary folder.

Nothing of the developer's machine reaches a result: the working directory (./submit.toml,
.azureml/config.json), HOME and the XDG folders (~/.config/robo-submit, ~/.azure, the snapshot
cache) are temporary, and every environment variable the CLI reads is unset for each call.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from submit.cli import cli
from submit.reference import UNREAD_ENV

REPO = Path(__file__).resolve().parents[2]

# Read with os.environ rather than through a Click option, so the option tree cannot name them:
# the debug switch (submit.cli), the local runner's tracking store and trainer interpreters (submit.backends.local.runner),
# the container engine of `local run SPEC` and what it passes on from this machine (backends/local/engine.py,
# tracking.py, azureml_job.py).
DIRECT_VARS = (
    "SUBMIT_DEBUG", "MLFLOW_TRACKING_URI", "ROBO_LEROBOT_PYTHON", "ROBO_ISAACLAB_PYTHON", "SUBMIT_CONTAINER_ENGINE",
    "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_INSECURE_TLS",
    "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "WANDB_API_KEY", "HF_TOKEN",
)  # fmt: skip


def option_envvars(command: click.Command, ctx: click.Context) -> Iterator[str]:
    """Every `envvar` of every parameter in the command tree under `command`."""
    for param in command.params:
        if param.envvar:
            yield from [param.envvar] if isinstance(param.envvar, str) else param.envvar
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from option_envvars(sub, click.Context(sub, parent=ctx, info_name=name))


# Every variable the CLI reads: option fallbacks, the reference's variables it only notes, the direct reads.
CLI_ENV = tuple(sorted({*option_envvars(cli, click.Context(cli, info_name="submit")), *UNREAD_ENV, *DIRECT_VARS}))
FALLBACK_VARS = CLI_ENV  # the name scripts/regen-golden imports


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


class Cli:
    """`submit ARGS...` in-process from the working directory; returns exit code, stdout, stderr.

    `cwd` is the fresh temporary folder run_cli made the working directory (a spec's relative `code:` is
    relative to it) unless the test moved elsewhere. `cwd=` runs one call from another folder (the golden
    files are rendered from the repository root, as scripts/regen-golden does). The variables in CLI_ENV
    are unset for every call, even ones a test set in os.environ: what a test means the CLI to see goes
    in `env=`.
    """

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self._runner = CliRunner()

    def __call__(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
        cleared: dict[str, str | None] = dict.fromkeys(CLI_ENV)
        before = os.getcwd()
        if cwd is not None:
            os.chdir(cwd)
        try:
            result = self._runner.invoke(cli, list(args), env=cleared | (env or {}), catch_exceptions=False)
        finally:
            os.chdir(before)
        return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def run_cli(monkeypatch, tmp_path_factory) -> Cli:
    """A Cli in a fresh temporary folder, with HOME and the XDG folders beside it; also the working
    directory for the rest of the test."""
    root = tmp_path_factory.mktemp("cli")
    home = root / "home"
    for variable, folder in {
        "HOME": home, "XDG_CONFIG_HOME": home / ".config", "XDG_CACHE_HOME": home / ".cache",
        "XDG_DATA_HOME": home / ".local" / "share", "XDG_STATE_HOME": home / ".local" / "state",
    }.items():  # fmt: skip
        folder.mkdir(parents=True)
        monkeypatch.setenv(variable, str(folder))
    (root / "work").mkdir()
    monkeypatch.chdir(root / "work")
    return Cli(root / "work")

"""The embedded default: run the job's own trainer on this machine, tracked in a local MLflow store.

The trainer runs as a subprocess with the same constant command and the same ROBO_* variables
the job specs carry, so a local run is the job, minus the cluster.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from submit.errors import SubmitError
from submit.models.base import child_environ
from submit.trainer_contract import trainer_command, trainer_env, trainer_kind
from training.config import RESULT_PREFIX, is_isaaclab_task

LOCAL_STORE = "mlruns.db"

# Trainer kinds whose dependencies cannot share the CLI's environment (scripts/setup-*-env.sh).
VENVS = {
    "lerobot": ("ROBO_LEROBOT_PYTHON", ".venv-lerobot", "./scripts/setup-lerobot-env.sh"),
    "isaaclab": ("ROBO_ISAACLAB_PYTHON", ".venv-isaaclab", "./scripts/setup-isaaclab-env.sh"),
}
# The module each kind's interpreter must find. Isaac Lab has none to ask: its 2.x interpreter is
# NVIDIA's isaaclab.sh, whose packages load only once Isaac Sim runs.
RUNTIME_MODULES = {"lerobot": ("lerobot", "LeRobot")}


@dataclass(frozen=True)
class LocalResult:
    exit_code: int
    result: dict[str, Any]
    tracking_uri: str
    output_dir: Path
    interrupted: bool = False  # Ctrl-C or SIGTERM arrived while the trainer ran


class Interrupted(SubmitError):
    """Ctrl-C or SIGTERM stopped a local run: the trainer's 128 + signal (130, 143), as a shell reports it."""

    def __init__(self, message: str, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def tracking_uri(workdir: Path, environ: dict[str, str]) -> str:
    """MLFLOW_TRACKING_URI when set, else a sqlite store in the working directory."""
    return environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{(workdir / LOCAL_STORE).resolve()}"


def trainer_python(job: Any, repo: Path, environ: dict[str, str], *, lerobot: bool = False) -> str:
    """The interpreter that can run this job's trainer; a clear error naming the set-up step when missing.
    `lerobot`: a LeRobot policy's evaluation (the LeRobot environment)."""
    runtime = "lerobot" if lerobot else _runtime(job)
    if runtime is None:
        return sys.executable
    variable, venv, setup = VENVS[runtime]
    candidate = environ.get(variable) or str(repo / venv / "bin" / "python")
    if not Path(candidate).is_file():
        raise SubmitError(
            f"the {runtime} environment is missing ({candidate}); create it with {setup} or set {variable}"
        )
    if runtime in RUNTIME_MODULES:
        module, shown = RUNTIME_MODULES[runtime]
        if not _finds(candidate, module):
            raise SubmitError(
                f"{shown} is not installed in {candidate}; create its environment with {setup} "
                f"or set {variable} to an interpreter that has it"
            )
    return candidate


def _finds(python: str, module: str) -> bool:
    """Whether `python` finds `module`; looked up, not imported (importing LeRobot takes seconds)."""
    probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _runtime(job: Any) -> str | None:
    if trainer_kind(job) == "lerobot":
        return "lerobot"
    if job.task and is_isaaclab_task(job.task):  # an evaluation without --task: the version's, an Isaac Lab one needs --task
        return "isaaclab"
    return None


def _local_asset_root() -> str | None:
    """The stand-in assets scripts/setup-isaaclab-env.sh writes, so a local Isaac run needs no asset server."""
    repo = Path(__file__).resolve().parents[4]
    assets = repo / ".cache" / "isaaclab-assets"
    return str(assets) if assets.is_dir() else None


def run(job: Any, *, python: str, workdir: Path, output_dir: Path, extra_env: dict[str, str]) -> LocalResult:
    """Run the trainer to completion; its stderr streams through, its ROBO_RESULT line is parsed."""
    environ = child_environ()
    uri = tracking_uri(workdir, environ)
    environ.update(trainer_env(job))
    environ.update(extra_env)
    environ["MLFLOW_TRACKING_URI"] = uri
    assets = _local_asset_root()
    if assets and "ISAACSIM_ASSET_ROOT" not in environ:
        environ["ISAACSIM_ASSET_ROOT"] = assets
    argv = [python, *trainer_command(trainer_kind(job), str(output_dir))[1:]]
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    # Its own process group: the trainer hears signals from the CLI only, so Ctrl-C, `kill -INT PID`
    # and SIGTERM to the CLI alone or to its group all reach it exactly once per signal.
    process = subprocess.Popen(
        argv, cwd=workdir, env=environ, stdout=subprocess.PIPE, text=True, process_group=0
    )
    result, interrupted = _follow(process)
    return LocalResult(process.returncode, result, uri, output_dir, interrupted)


def _follow(process: subprocess.Popen) -> tuple[dict[str, Any], bool]:
    """Relay the trainer's output until it exits; the result line, and whether Ctrl-C or SIGTERM arrived.

    Ctrl-C is passed on: the trainer stops at the next timestep, writes and uploads a last checkpoint,
    registers nothing and exits 130; a second Ctrl-C stops it at once, a third kills it. SIGTERM (and
    SIGHUP, a closed terminal) is passed on as SIGTERM: the same stop, exit 143.
    """
    interrupts = 0

    def forward(signum: int) -> None:
        nonlocal interrupts
        if signum == signal.SIGINT:
            interrupts += 1
        with contextlib.suppress(ProcessLookupError):
            if signum == signal.SIGINT and interrupts >= 3:  # the trainer did not stop on two: end it
                process.kill()
            else:
                process.send_signal(signum)

    return follow(process, forward)


def follow(process: subprocess.Popen, forward: Callable[[int], None]) -> tuple[dict[str, Any], bool]:
    """Relay a child's stdout to stderr until it exits, keeping its ROBO_RESULT line; whether a stop signal came.

    The child runs in its own process group, so every signal reaches it through here: `forward` gets
    SIGINT for Ctrl-C and SIGTERM for SIGTERM or SIGHUP (a closed terminal). The handlers never raise,
    so a read is never cut mid-line, and this reads until the child has ended: no child outlives the
    CLI and the result line never meets a closed pipe.
    """
    result: dict[str, Any] = {}
    stopped = False
    assert process.stdout is not None

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal stopped
        stopped = True
        forward(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    with (
        _handler(signal.SIGINT, on_signal),
        _handler(signal.SIGTERM, on_signal),
        _handler(signal.SIGHUP, on_signal),
    ):
        for line in process.stdout:
            if line.startswith(RESULT_PREFIX):
                result = _result(line[len(RESULT_PREFIX) :])
            else:
                sys.stderr.write(line)
        process.wait()
    return result, stopped


def _result(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@contextlib.contextmanager
def _handler(signum: int, handler: Any):
    """`handler` for `signum` while the block runs (main thread only: elsewhere Python allows none)."""
    try:
        previous = signal.signal(signum, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signum, previous)

"""The one exit-code boundary of `python -m training`: every kind's outcome becomes its exit code here.

| outcome                                              | exit       | stderr                              |
|------------------------------------------------------|------------|-------------------------------------|
| the body returns                                     | its value  | -                                   |
| `ConfigError` (bad settings, an unusable checkpoint) | 2          | `error: <message>`                  |
| `RunError` (tracking, secrets, a download)           | 1          | `RunError.line()`                   |
| a write the disk refused (full, read-only, denied)   | 1          | `error: <path>: <why>; ...`         |
| `StoppedBySignal`, KeyboardInterrupt                 | 128 + sig  | the kind's "stopped" line           |
| any other exception                                  | 1          | traceback, then the kind's line     |

A background thread's write the disk refused (TensorBoard's event writer, a metrics sender) is one
`warning: <thread>: <path>: <why>` line, never a thread traceback: the run's own outcome follows it.

The kinds differ only in their lines (`KINDS`). Imports nothing heavy, so bad settings exit fast.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from training.config import ConfigError


class RunError(RuntimeError):
    """A run that failed for a reason one line explains: exit 1, no traceback, nothing registered."""

    def line(self) -> str:
        return f"error: {self}"


# A folder the run writes to that cannot take the write: one line, exit 1, never a traceback.
_STORAGE_ERRORS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def storage_problem(exc: BaseException, folder: Path | None = None) -> str | None:
    """'<path>: no space left on the device' for a write the disk refused (the cause chain is searched,
    so an error a library wrapped is found too), else None. A write on an open file raises with no file
    name: then `folder`, the one the failed write went to, names the place when given."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _STORAGE_ERRORS:
            named = seen.filename or folder
            where = f"{named}: " if named else ""
            return f"{where}{_STORAGE_ERRORS[seen.errno]}"
        if "database or disk is full" in str(seen):  # sqlite's own wording (an MLflow sqlite store)
            return "the tracking store's disk is full (database or disk is full)"
        seen = seen.__cause__ or seen.__context__
    return None


_PROBE = ".robo-write-check-{}"


def check_writable(folder: Path, what: str) -> None:
    """Make `folder` and write (and sync) a small file in it, so a full or read-only disk is one line
    (RunError, exit 1) before any work rather than a traceback at the first checkpoint."""
    try:
        _write_probe(folder)
    except OSError as exc:
        where = exc.filename if exc.filename and Path(exc.filename) != folder / _PROBE.format(os.getpid()) else folder
        problem = f"{where}: {_STORAGE_ERRORS.get(exc.errno) or exc.strerror or exc}"
        raise RunError(f"{what} cannot be written: {problem}; nothing was trained") from None


def disk_problem(exc: BaseException, folder: Path) -> str | None:
    """`storage_problem(exc)`, or, for a failure a library worded its own way (torch.save on a full disk
    raises RuntimeError: 'file write failed'), what a probe write in `folder` finds now."""
    problem = storage_problem(exc, folder)
    if problem or not isinstance(exc, Exception):
        return problem
    try:
        _write_probe(folder)
    except OSError as probe:
        reason = _STORAGE_ERRORS.get(probe.errno)
        return f"{folder}: {reason}" if reason else None
    return None


def _write_probe(folder: Path) -> None:
    """Write a small file in `folder`; the file and any folder made for it are removed again (a run
    refused later leaves nothing behind)."""
    probe = folder / _PROBE.format(os.getpid())
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"\0" * 4096)
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
        for made in missing:  # innermost first
            with contextlib.suppress(OSError):
                made.rmdir()


class StoppedBySignal:
    """Mixed into the exceptions a stop signal raises; `signum` makes the exit code 128 + signum."""

    signum: int


@dataclass(frozen=True)
class Lines:
    """What one kind says when it is stopped or fails unexpectedly."""

    failed: str
    stopped: Callable[[BaseException, int], str]


def _rl_stopped(exc: BaseException, signum: int) -> str:
    if isinstance(exc, KeyboardInterrupt):  # a second Ctrl-C, or one before the stop handler was installed
        return "training stopped by an interrupt; nothing registered"
    return f"training {exc}; last checkpoint written, nothing registered"


def _lerobot_stopped(exc: BaseException, signum: int) -> str:
    return (
        f"training stopped by signal {signum}; LeRobot's saved checkpoints stay in the output folder, "
        "nothing was registered"
    )


def _evaluate_stopped(exc: BaseException, signum: int) -> str:
    return f"evaluation stopped by signal {signum}; no tag or alias was changed"


KINDS = {
    "rl": Lines("error: training failed; nothing was registered", _rl_stopped),
    "lerobot": Lines("error: LeRobot training failed; nothing was registered", _lerobot_stopped),
    "evaluate": Lines("error: evaluation failed; no tag or alias was changed", _evaluate_stopped),
}


def run(kind: str, body: Callable[[], int]) -> int:
    """Run one kind's body and return its exit code; whatever it raises is reported on stderr."""
    previous = threading.excepthook
    threading.excepthook = _thread_failed
    try:
        return body()
    except (Exception, KeyboardInterrupt) as exc:
        return exit_code(kind, exc)
    finally:
        threading.excepthook = previous


def _thread_failed(args: threading.ExceptHookArgs) -> None:
    """A background thread's refused write is one warning line; anything else gets Python's report."""
    problem = storage_problem(args.exc_value) if args.exc_value is not None else None
    if problem is None:
        threading.__excepthook__(args)
        return
    name = args.thread.name if args.thread is not None else "a background thread"
    _say(f"warning: {name}: {problem}")


def exit_code(kind: str, exc: BaseException) -> int:
    """Report `exc` on stderr (one line; a traceback first for an unexpected failure); its exit code."""
    if isinstance(exc, ConfigError):
        _say(f"error: {exc}")
        return 2
    if isinstance(exc, RunError):
        _say(exc.line())
        return 1
    problem = storage_problem(exc)
    if problem:
        _say(f"error: {problem}; {KINDS[kind].failed.removeprefix('error: ')}")
        return 1
    signum = _signal_number(exc)
    if signum is not None:
        _say(KINDS[kind].stopped(exc, signum))
        return 128 + signum
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    _say(KINDS[kind].failed)
    return 1


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message, cut to `limit`; its type name when the message is empty."""
    text = str(exc).strip()
    return text.splitlines()[0][:limit] if text else type(exc).__name__


def _signal_number(exc: BaseException) -> int | None:
    if isinstance(exc, StoppedBySignal):
        return exc.signum
    if isinstance(exc, KeyboardInterrupt):
        return int(signal.SIGINT)
    return None


def _say(line: str) -> None:
    print(line, file=sys.stderr)

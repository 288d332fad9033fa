"""The one exit-code boundary of `python -m training`: every kind's outcome becomes its exit code here.

| outcome                                              | exit       | stderr                              |
|------------------------------------------------------|------------|-------------------------------------|
| the body returns                                     | its value  | -                                   |
| `ConfigError` (bad settings, an unusable checkpoint) | 2          | `error: <message>`                  |
| `RunError` (tracking, secrets, a download)           | 1          | `RunError.line()`                   |
| `StoppedBySignal`, KeyboardInterrupt                 | 128 + sig  | the kind's "stopped" line           |
| any other exception                                  | 1          | traceback, then the kind's line     |

The kinds differ only in their lines (`KINDS`). Imports nothing heavy, so bad settings exit fast.
"""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from training.config import ConfigError


class RunError(RuntimeError):
    """A run that failed for a reason one line explains: exit 1, no traceback, nothing registered."""

    def line(self) -> str:
        return f"error: {self}"


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


KINDS = {
    "rl": Lines("error: training failed; nothing was registered", _rl_stopped),
    "lerobot": Lines("error: LeRobot training failed; nothing was registered", _lerobot_stopped),
}


def run(kind: str, body: Callable[[], int]) -> int:
    """Run one kind's body and return its exit code; whatever it raises is reported on stderr."""
    try:
        return body()
    except (Exception, KeyboardInterrupt) as exc:
        return exit_code(kind, exc)


def exit_code(kind: str, exc: BaseException) -> int:
    """Report `exc` on stderr (one line; a traceback first for an unexpected failure); its exit code."""
    if isinstance(exc, ConfigError):
        _say(f"error: {exc}")
        return 2
    if isinstance(exc, RunError):
        _say(exc.line())
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

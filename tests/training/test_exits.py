"""The one exit-code boundary (training/exits.py): each outcome's exit code and stderr line, for both kinds."""

from __future__ import annotations

import errno
import signal
import threading

import pytest

from training import exits
from training.checkpoints import CheckpointDownloadError, CheckpointError
from training.config import ConfigError
from training.lerobot.dataset import DownloadError
from training.lerobot.run import Stopped
from training.rl.loop import Interrupted
from training.rl.session import Result, TrackingError
from training.secrets import SecretError

BOTH = ("rl", "lerobot")


def _raise(exc: BaseException):
    def body() -> int:
        raise exc

    return body


def test_the_body_s_own_exit_code_is_returned_and_nothing_is_said(capsys: pytest.CaptureFixture) -> None:
    assert exits.run("rl", lambda: 0) == 0
    assert exits.run("lerobot", lambda: 1) == 1
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("kind", BOTH)
@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (
            ConfigError("ROBO_STEPS: must be a whole number of at least 1"),
            2,
            "error: ROBO_STEPS: must be a whole number of at least 1",
        ),
        (
            CheckpointError("ROBO_CHECKPOINT_URI: x: no such file or folder"),
            2,
            "error: ROBO_CHECKPOINT_URI: x: no such file or folder",
        ),
        (SecretError("HF_TOKEN: cannot read secret"), 1, "error: HF_TOKEN: cannot read secret"),
        (
            CheckpointDownloadError("ROBO_CHECKPOINT_URI: could not download x: y"),
            1,
            "error: ROBO_CHECKPOINT_URI: could not download x: y",
        ),
        (
            TrackingError("training finished, but ...", Result("failed", 0)),
            1,
            "error: training finished, but ...",
        ),
        (
            DownloadError("https://a/b: timed out"),
            1,
            "error: ROBO_BLOB_URLS: could not download https://a/b: timed out; nothing was trained or registered",
        ),
    ],
)
def test_bad_input_exits_2_and_a_run_error_exits_1_on_one_line(
    capsys: pytest.CaptureFixture, kind: str, exc: Exception, code: int, line: str
) -> None:
    assert exits.run(kind, _raise(exc)) == code
    assert capsys.readouterr().err == line + "\n"


@pytest.mark.parametrize(
    ("kind", "exc", "code", "line"),
    [
        (
            "rl",
            Interrupted(signal.SIGTERM, 12),
            143,
            "training stopped by SIGTERM after timestep 12; last checkpoint written, nothing registered",
        ),
        ("rl", KeyboardInterrupt(), 130, "training stopped by an interrupt; nothing registered"),
        (
            "lerobot",
            Stopped(signal.SIGTERM),
            143,
            "training stopped by signal 15; LeRobot's saved checkpoints stay in the output folder, "
            "nothing was registered",
        ),
        (
            "lerobot",
            KeyboardInterrupt(),
            130,
            "training stopped by signal 2; LeRobot's saved checkpoints stay in the output folder, "
            "nothing was registered",
        ),
    ],
)
def test_a_stop_exits_128_plus_the_signal(
    capsys: pytest.CaptureFixture, kind: str, exc: BaseException, code: int, line: str
) -> None:
    assert exits.run(kind, _raise(exc)) == code
    assert capsys.readouterr().err == line + "\n"


@pytest.mark.parametrize(
    ("kind", "line"),
    [
        ("rl", "error: training failed; nothing was registered"),
        ("lerobot", "error: LeRobot training failed; nothing was registered"),
    ],
)
def test_any_other_failure_exits_1_with_its_traceback_then_one_line(
    capsys: pytest.CaptureFixture, kind: str, line: str
) -> None:
    assert exits.run(kind, _raise(ValueError("inside the loop"))) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert err.splitlines()[-2:] == ["ValueError: inside the loop", line]


def _in_a_thread(exc: BaseException, name: str):
    def body() -> int:
        def fail() -> None:
            raise exc

        thread = threading.Thread(target=fail, name=name)
        thread.start()
        thread.join()
        return 0

    return body


def test_a_background_threads_refused_write_is_one_warning_line_never_a_thread_traceback(
    capsys: pytest.CaptureFixture,
) -> None:
    full = OSError(errno.ENOSPC, "No space left on device", "/out/events.out.tfevents")
    assert exits.run("rl", _in_a_thread(full, "tensorboard-writer")) == 0
    err = capsys.readouterr().err
    assert err == "warning: tensorboard-writer: /out/events.out.tfevents: no space left on the device\n"
    assert threading.excepthook is not exits._thread_failed  # put back after the run


def test_a_background_threads_other_failure_keeps_pythons_report(capsys: pytest.CaptureFixture) -> None:
    assert exits.run("rl", _in_a_thread(ValueError("a bug"), "worker")) == 0
    err = capsys.readouterr().err
    assert "Traceback (most recent call last):" in err and "ValueError: a bug" in err


def test_system_exit_is_not_turned_into_a_failure() -> None:
    with pytest.raises(SystemExit):
        exits.run("rl", _raise(SystemExit(3)))


@pytest.mark.parametrize(
    ("exc", "limit", "line"),
    [
        (RuntimeError(""), 200, "RuntimeError"),
        (KeyError(), 200, "KeyError"),
        (ValueError("  \n "), 200, "ValueError"),
        (ValueError("first\nsecond"), 200, "first"),
        (ValueError("x" * 400), 300, "x" * 300),
    ],
)
def test_the_first_line_of_an_exception_never_fails(exc: Exception, limit: int, line: str) -> None:
    assert exits.first_line(exc, limit) == line


# What a refused write says: the place it went to is always named (tests/training/test_full_disk.py fills a
# real disk; which write hits the full disk first varies, and a write on an open file carries no file name).
def test_a_refused_write_with_a_file_name_names_the_file(tmp_path) -> None:
    exc = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "agent_40.pt"))
    assert exits.disk_problem(exc, tmp_path) == f"{tmp_path / 'agent_40.pt'}: no space left on the device"


def test_a_refused_write_on_an_open_file_names_the_folder_it_went_to(tmp_path) -> None:
    try:
        raise RuntimeError("the writer failed") from OSError(errno.ENOSPC, "No space left on device")
    except RuntimeError as exc:
        assert exits.disk_problem(exc, tmp_path) == f"{tmp_path}: no space left on the device"
        assert exits.storage_problem(exc) == "no space left on the device"  # no folder known: no place to name

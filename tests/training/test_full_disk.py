"""Full or read-only disks (issue 15, item 12): one line, exit 1, the MLflow run ends FAILED, a resume hint.

Real file systems, not a patched `open`: a small tmpfs, filled for real mid-run, and a read-only tmpfs. Mounting
needs root (CAP_SYS_ADMIN); elsewhere an unwritable folder is made with chmod, and the mid-run test skips.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.training.conftest import finish, result_of, start_trainer

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def _tmpfs(path: Path, options: str) -> Iterator[bool]:
    """A tmpfs mounted at `path` (True), or False when this process may not mount."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, check=False
    ).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@contextlib.contextmanager
def _unwritable(path: Path) -> Iterator[str]:
    """A folder no write reaches; what the trainer says about it."""
    with _tmpfs(path, "ro,size=1m") as mounted:
        if mounted:
            yield "the file system is read-only"
            return
        path.chmod(0o500)
        try:
            yield "permission denied"
        finally:
            path.chmod(0o700)


def test_an_unwritable_output_folder_is_one_line_and_exit_1_before_anything_is_built(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    with _unwritable(folder) as why:
        code, out, err = finish(start_trainer(tmp_path, f"sqlite:///{tmp_path / 'mlruns.db'}", {"ROBO_OUTPUT_DIR": str(folder / "out")}))
    assert (code, out) == (1, "")
    assert err == f"error: ROBO_OUTPUT_DIR cannot be written: {folder / 'out'}: {why}; nothing was trained\n"
    assert not (tmp_path / "mlruns.db").exists()  # nothing tracked, no environment built


def test_an_unwritable_tracking_store_folder_is_one_line_and_exit_1_before_anything_is_built(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    with _unwritable(folder) as why:
        code, out, err = finish(start_trainer(tmp_path, f"sqlite:///{folder / 'mlruns.db'}"))
    assert (code, out) == (1, "")
    assert err == (
        f"error: the MLflow tracking store (MLFLOW_TRACKING_URI) cannot be written: {folder}: {why}; "
        "nothing was trained\n"
    )
    assert not (tmp_path / "out" / "skrl").exists()


def test_a_disk_that_fills_mid_run_fails_on_one_line_ends_the_run_failed_and_says_how_to_resume(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    with _tmpfs(disk, "size=4m") as mounted:
        if not mounted:
            pytest.skip("filling a real disk needs a tmpfs mount (root)")
        store = f"sqlite:///{tmp_path / 'mlruns.db'}"  # the store is on another disk, so the run can be ended
        process = start_trainer(tmp_path, store, {"ROBO_OUTPUT_DIR": str(disk / "out")}, timesteps=1_000_000,
                                checkpoint_interval=40, register_model="never")  # fmt: skip
        first = disk / "out" / "skrl" / "checkpoints" / "agent_40.pt"
        deadline = time.monotonic() + 240
        while not first.exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as filler:  # the disk fills, for real
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        code, out, err = finish(process)
    assert code == 1
    assert "Traceback" not in err
    last = err.rstrip().splitlines()[-1]
    match = re.fullmatch(
        r"error: (.+): no space left on the device; training failed, nothing was registered; last checkpoint "
        r"(\S+/agent_(\d+)\.pt) \(resume with --checkpoint-mode resume --checkpoint-uri runs:/(\w+)/checkpoints/agent_\3\.pt\)",
        last,
    )
    assert match, last
    result = result_of(out)
    client = MlflowClient(store)
    run = client.get_run(result["run_id"])
    assert match[4] == result["run_id"]
    assert (run.info.status, run.data.tags["training_outcome"]) == ("FAILED", "failed")  # not left RUNNING
    assert client.search_model_versions("name='never'") == []

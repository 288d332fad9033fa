"""What a refused write says: the place it went to is always named (tests/training/test_full_disk.py fills a
real disk; which write hits the full disk first varies, and a write on an open file carries no file name)."""

from __future__ import annotations

import errno
from pathlib import Path

from training.exits import disk_problem, storage_problem


def test_a_refused_write_with_a_file_name_names_the_file(tmp_path: Path) -> None:
    exc = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "agent_40.pt"))
    assert disk_problem(exc, tmp_path) == f"{tmp_path / 'agent_40.pt'}: no space left on the device"


def test_a_refused_write_on_an_open_file_names_the_folder_it_went_to(tmp_path: Path) -> None:
    try:
        raise RuntimeError("the writer failed") from OSError(errno.ENOSPC, "No space left on device")
    except RuntimeError as exc:
        assert disk_problem(exc, tmp_path) == f"{tmp_path}: no space left on the device"
        assert storage_problem(exc) == "no space left on the device"  # no folder known: no place to name

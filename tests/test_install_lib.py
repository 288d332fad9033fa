"""scripts/lib/install.sh, the install steps the three setup scripts share, run by real bash on this disk."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.submit.conftest import REPO

LIB = REPO / "scripts" / "lib" / "install.sh"


def _need_space(directory, env_gib: int, download_gib: int, tmpdir) -> subprocess.CompletedProcess:
    script = f'set -euo pipefail; source "{LIB}"; need_space setup-x "$@"; echo room'
    return subprocess.run(
        ["bash", "-c", script, "need", str(directory), str(env_gib), str(download_gib)],
        capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmpdir)},
    )


def _free_gib(path) -> int:
    return shutil.disk_usage(path).free // 2**30


def test_enough_room_passes_for_a_venv_that_does_not_exist_yet(tmp_path):
    result = _need_space(tmp_path / "not" / "yet" / ".venv", 0, 0, tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "room\n", "")


def test_too_little_room_stops_before_any_install_with_one_line(tmp_path):
    # One filesystem for the venv and TMPDIR: each figure fits alone, their sum does not.
    half = _free_gib(tmp_path) // 2 + 1
    result = _need_space(tmp_path / ".venv", half, half, tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    message = result.stderr.strip()
    assert "\n" not in message
    assert re.fullmatch(
        rf"setup-x: the environment and pip's downloads need about {2 * half} GiB free under {tmp_path}; \d+ GiB is",
        message,
    ), message


@pytest.mark.parametrize(
    ("script", "venv_variable", "python_variable"),
    [
        ("setup-venv.sh", "ROBO_VENV", "ROBO_PYTHON"),
        ("setup-lerobot-env.sh", "LEROBOT_VENV", "LEROBOT_PYTHON"),
        ("setup-isaaclab-env.sh", "ISAACLAB_VENV", "ISAACLAB_PYTHON"),
    ],
)
def test_each_setup_script_stops_on_a_full_disk_before_it_creates_anything(tmp_path, script, venv_variable, python_variable):
    # The one seam: a `df` that reports 1 GiB free; everything else is the real script.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_df = bin_dir / "df"
    fake_df.write_text('#!/bin/sh\necho "Filesystem 1024-blocks Used Available Capacity Mounted"\necho "/dev/x 9 9 1048576 99% /"\n')
    fake_df.chmod(0o755)
    venv = tmp_path / "venv"
    env = {
        **os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "TMPDIR": str(tmp_path),
        venv_variable: str(venv), python_variable: sys.executable,
    }
    result = subprocess.run([REPO / "scripts" / script], capture_output=True, text=True, check=False, env=env)
    assert result.returncode == 1, result.stderr
    assert re.search(rf"need about \d+ GiB free under {tmp_path}; 1 GiB is$", result.stderr.strip()), result.stderr
    assert not venv.exists()

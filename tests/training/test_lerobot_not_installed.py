"""`python -m training lerobot` in an interpreter without LeRobot: one line naming the set-up step.

Runs in an environment without LeRobot (the main .venv); in .venv-lerobot there is nothing to prove.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("lerobot") is not None, reason="LeRobot is installed in this environment"
)


def test_the_trainer_without_lerobot_says_so_on_one_line_and_writes_nothing(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ROBO_")}
    env |= {"ROBO_DATASET_REPO_ID": "local/tiny", "ROBO_STEPS": "1", "ROBO_MLFLOW": "false"}
    env["ROBO_OUTPUT_DIR"] = str(tmp_path / "out")
    done = subprocess.run(
        [sys.executable, "-m", "training", "lerobot"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"error: LeRobot is not installed in {sys.executable}; create its environment with "
        "./scripts/setup-lerobot-env.sh (.venv-lerobot) or run the LeRobot job image\n"
    )
    assert list(tmp_path.iterdir()) == []

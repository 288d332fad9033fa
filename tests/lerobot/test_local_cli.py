"""`submit local lerobot-training` end to end: the CLI, the LeRobot trainer in its venv, a real MLflow server.

The tests of test_train.py drive the trainer in process; this one goes through the command a user types,
so the flag-to-setting mapping, the trainer interpreter choice and the report are covered too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lerobot.conftest import TINY_ACT

pytestmark = [pytest.mark.lerobot, pytest.mark.slow, pytest.mark.mlflow_server]

REPO = Path(__file__).resolve().parents[2]


def _submit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # The CLI runs in this interpreter (.venv-lerobot holds click and pydantic); the trainer it starts
    # is named explicitly, the way a user points ROBO_LEROBOT_PYTHON at another environment.
    return subprocess.run(
        [sys.executable, "-m", "submit.cli_entry", "local", "lerobot-training", *args],
        cwd=cwd,
        env={**os.environ, "ROBO_LEROBOT_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )


def test_local_lerobot_training_trains_registers_and_reports_json(offline_env, tiny_dataset, tmp_path):
    from mlflow import MlflowClient

    done = _submit(
        "--dataset-repo-id", "local/tiny",
        "--dataset-root", str(tiny_dataset),
        "--policy-type", "act",
        "--steps", "3",
        "--batch-size", "4",
        *[f"--lerobot-arg={arg}" for arg in TINY_ACT],
        "--register-checkpoint", "local-cli-act",
        "--job-name", "local-cli",
        "--output-root", str(tmp_path / "outputs"),
        "--output-format", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)  # the only thing on stdout: one JSON object
    assert report["backend"] == "local"
    assert report["output_dir"] == str(tmp_path / "outputs" / "local-cli")
    assert report["model_name"] == "local-cli-act" and report["model_version"] == "1"
    checkpoint = Path(report["checkpoint"])
    assert checkpoint.is_relative_to(tmp_path / "outputs" / "local-cli")
    assert (checkpoint / "pretrained_model" / "model.safetensors").is_file()

    client = MlflowClient(report["tracking_uri"])
    run = client.get_run(report["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.params["steps"] == "3"  # the flag reached the trainer as its setting
    versions = client.search_model_versions("name='local-cli-act'")
    assert [(v.version, v.run_id) for v in versions] == [("1", report["run_id"])]


def test_bad_lerobot_input_exits_2_on_one_line_before_anything_runs(offline_env, tiny_dataset, tmp_path):
    done = _submit(
        "--dataset-repo-id", "local/tiny",
        "--dataset-root", str(tiny_dataset),
        "--steps", "0",
        "--output-root", str(tmp_path / "outputs"),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("submit: error: --steps")
    assert not (tmp_path / "outputs").exists()


def test_an_unreachable_blob_url_is_one_line_without_a_traceback_or_its_sas_token(tmp_path):
    from tests.conftest import free_port

    # A loopback port nothing listens on stands in for an unreachable storage account (no network in tests).
    url = f"https://127.0.0.1:{free_port()}/c/d"
    env = {name: value for name, value in os.environ.items() if not name.startswith("ROBO_")}
    env |= {
        "ROBO_LEROBOT_PYTHON": sys.executable,
        "HF_LEROBOT_HOME": str(tmp_path / "hf"),
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "submit.cli_entry", "local", "lerobot-training", "-d", "local/tiny",
         "--blob-url", f"{url}?sv=1&sig=SASSECRET9", "--steps", "1", "--no-mlflow"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert "Traceback" not in done.stderr and "SASSECRET9" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert errors == [
        f"error: ROBO_BLOB_URLS: could not download {url}: [Errno 111] Connection refused; "
        "nothing was trained or registered",
        "submit: error: training failed (trainer exit 1); nothing was registered",
    ]
    assert not (tmp_path / "hf").exists() or not list((tmp_path / "hf").rglob("*.parquet"))


def test_the_readme_dataset_script_writes_a_dataset_lerobot_reads(tmp_path):
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    from tests.lerobot.synthetic import EPISODES, FRAMES_PER_EPISODE, REPO_ID

    script = Path(__file__).resolve().parents[2] / "scripts" / "make-tiny-lerobot-dataset.py"
    folder = tmp_path / "tiny"
    done = subprocess.run([sys.executable, str(script), str(folder)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {folder}: dataset id {REPO_ID}, use -d {REPO_ID} --dataset-root {folder}\n"
    dataset = LeRobotDataset(REPO_ID, root=folder)
    assert (dataset.num_episodes, dataset.num_frames) == (EPISODES, EPISODES * FRAMES_PER_EPISODE)

    again = subprocess.run([sys.executable, str(script), str(folder)], capture_output=True, text=True, check=False)
    assert (again.returncode, again.stdout) == (2, "")
    assert again.stderr.strip().endswith(f"error: {folder} exists; give a folder that does not")

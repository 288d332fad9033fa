"""Fixtures for the Isaac Lab tier: real Isaac Lab 3.0 (kit-less, CPU), real MLflow server, real trainer.

These tests run only inside .venv-isaaclab (`scripts/test.sh` tier 3, or
`.venv-isaaclab/bin/python -m pytest tests/isaaclab -m isaaclab`). Outside it they fail with the
command that creates it: a missing Isaac Lab is an error here, never a skip.

What is replaced, at one seam (`MACHINE_ENV`), because a test machine cannot reach it: NVIDIA's
asset server (the two cartpole USD files come from scripts/make-isaaclab-assets.py through
ISAACSIM_ASSET_ROOT), the cloud's MLflow (the real local server of tests/conftest.py), and the GPU
(CPU, kit-less Newton physics).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TASK = "Isaac-Cartpole-Direct"
RESULT_PREFIX = "ROBO_RESULT "
NUM_ENVS = 16  # x 32 rollouts per iteration: small, and PPO's updates still see finished episodes
EXPERIMENT = "isaaclab-tier"
# Settings for runs that do not start from a rendered job spec.
BASE_ENV = {
    "ROBO_TASK": TASK,
    "ROBO_NUM_ENVS": str(NUM_ENVS),
    "ROBO_LOG_INTERVAL": "rollout",
    "ROBO_EXPERIMENT_NAME": EXPERIMENT,
}
# This machine, not the job: no GPU (so CPU, kit-less Newton + MuJoCo-Warp) and no asset server.
MACHINE_ENV = {"ROBO_DEVICE": "cpu", "ROBO_PHYSICS": "newton_mjwarp"}
# The output binding each backend puts on the trainer's command line.
OUTPUT_BINDINGS = ("${{outputs.checkpoints}}", "{{output}}")
DEFAULT_ARGV = ["python", "-m", "training", "rl", "--output-dir", OUTPUT_BINDINGS[0]]
RUN_TIMEOUT_S = 900  # a cold Warp kernel cache alone costs about 90 s on this machine


@pytest.fixture(scope="session", autouse=True)
def isaaclab_environment() -> None:
    if importlib.util.find_spec("isaaclab") is None or importlib.util.find_spec("pxr") is None:
        pytest.fail(
            f"Isaac Lab is not installed in {sys.executable}; run ./scripts/setup-isaaclab-env.sh and use "
            ".venv-isaaclab/bin/python -m pytest tests/isaaclab",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def asset_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Freshly generated stand-in assets, so the test proves the script, not a leftover folder."""
    root = tmp_path_factory.mktemp("isaaclab-assets")
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make-isaaclab-assets.py"), "--root", str(root)],
        check=True,
        capture_output=True,
        text=True,
    )
    return root


@dataclass(frozen=True)
class Invocation:
    """The trainer command and environment a job spec carries."""

    argv: list[str]
    env: dict[str, str]


def render_invocation(console_script: str, *flags: str) -> Invocation:
    """What `submit-azureml-training` / `submit-osmo-training --dry-run` tell the container to run."""
    command = [str(Path(sys.executable).parent / console_script), *flags, "--dry-run"]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    assert completed.returncode == 0, completed.stderr
    spec = yaml.safe_load(completed.stdout)
    if "workflow" in spec:  # OSMO: an argv list per task
        task = spec["workflow"]["tasks"][0]
        return Invocation(list(task["command"]), _strings(task["environment"]))
    return Invocation(shlex.split(spec["command"]), _strings(spec["environment_variables"]))


@dataclass
class TrainerRun:
    """One `python -m training rl` process and what it reported."""

    returncode: int
    result: dict | None
    stdout: str
    stderr: str
    output_dir: Path

    def describe(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-6000:]}"


@pytest.fixture(scope="session")
def run_trainer(mlflow_server, asset_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """Run the trainer's real entry point; returns a TrainerRun.

    The command and settings come from `invocation` (a rendered job spec) or BASE_ENV, then this
    machine's MACHINE_ENV, the local MLflow server and asset root, then `env`.
    """

    def run(name: str, invocation: Invocation | None = None, **env: str) -> TrainerRun:
        output_dir = tmp_path_factory.mktemp(name)
        invocation = invocation or Invocation(DEFAULT_ARGV, BASE_ENV)
        process_env = {
            **os.environ,
            **invocation.env,
            **MACHINE_ENV,
            "MLFLOW_TRACKING_URI": mlflow_server.uri,
            "ISAACSIM_ASSET_ROOT": str(asset_root),
            # kept inside the workspace (scripts/test.sh sets the same); compiled once, reused by every run
            "WARP_CACHE_PATH": os.environ.get("WARP_CACHE_PATH", str(REPO / ".cache" / "warp")),
            **env,
        }
        completed = subprocess.run(
            _local_argv(invocation.argv, output_dir),
            env=process_env,
            cwd=output_dir,  # nothing lands in the checkout
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
        result = _result(completed.stdout)
        return TrainerRun(completed.returncode, result, completed.stdout, completed.stderr, output_dir)

    return run


@pytest.fixture(scope="session")
def mlflow_client(mlflow_server):
    """A client of the session's real server (tests/conftest.py)."""
    from mlflow import MlflowClient  # lazy: only the tests that read the server need it

    return MlflowClient(mlflow_server.uri)


def _local_argv(argv: list[str], output_dir: Path) -> list[str]:
    """The spec's argv with this venv's Python and the output binding bound to a local folder."""
    assert argv[0] == "python", argv
    bound = [str(output_dir) if arg in OUTPUT_BINDINGS else arg for arg in argv[1:]]
    return [sys.executable, *bound]


def _strings(mapping: dict) -> dict[str, str]:
    return {key: str(value) for key, value in mapping.items()}


def _result(stdout: str) -> dict | None:
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    return json.loads(lines[-1][len(RESULT_PREFIX) :]) if lines else None

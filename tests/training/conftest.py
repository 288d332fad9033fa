"""Helpers for trainer tests: settings built the way the job builds them, and real skrl agents."""

from __future__ import annotations

import collections
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from training.config import RESULT_PREFIX, RLConfig, from_env

DATA = Path(__file__).parent / "data"
TINY_PPO = DATA / "tiny_ppo_cartpole.yaml"
TINY_SAC = DATA / "tiny_sac_pendulum.yaml"


def trainer_env(output_dir: Path, **settings: Any) -> dict[str, str]:
    """ROBO_* variables as a job passes them (tiny PPO CartPole unless overridden)."""
    values = {
        "task": "CartPole-v1",
        "num_envs": 2,
        "agent_config": str(TINY_PPO),
        "timesteps": 160,
        "output_dir": str(output_dir),
        "metrics_flush_timeout": 20,
        **settings,
    }
    return {f"ROBO_{key.upper()}": _text(value) for key, value in values.items() if value is not None}


def rl_config(output_dir: Path, **settings: Any) -> RLConfig:
    """The RLConfig the trainer parses from `trainer_env`."""
    return from_env("rl", trainer_env(output_dir, **settings))


@dataclass(frozen=True)
class Trained:
    """A real tiny CartPole training, registered in a fresh sqlite store: its URI, the trainer's result line, its folder."""

    tracking_uri: str
    result: dict
    root: Path


@contextlib.contextmanager
def registered_training(root: Path, **settings: Any) -> Iterator[Trained]:
    """Train `rl_config(root / "train", **settings)` in-process against `sqlite:///root/mlruns.db` (give
    `register_model`), with MLFLOW_TRACKING_URI pointing there until the block ends."""
    from training.rl.loop import StopFlag  # lazy: torch
    from training.rl.train import main

    uri = f"sqlite:///{root / 'mlruns.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(rl_config(root / "train", **settings), stop=StopFlag()) == 0
        line = next(x for x in out.getvalue().splitlines() if x.startswith(RESULT_PREFIX))
        yield Trained(uri, json.loads(line.removeprefix(RESULT_PREFIX)), root)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(value)
    return str(value)


class CountingList(list):
    """A tracking_data list that also records, in order, every value ever appended to it."""

    def __init__(self, seen: list[Any]) -> None:
        super().__init__()
        self.seen = seen

    def append(self, value: Any) -> None:
        self.seen.append(value)
        super().append(value)


class RecordingTracking(collections.defaultdict):
    """Replaces agent.tracking_data: an independent record of what skrl tracked, per tag."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, list[Any]] = {}

    def __missing__(self, tag: str) -> CountingList:
        value = self[tag] = CountingList(self.seen.setdefault(tag, []))
        return value


@dataclass
class Agent:
    config: RLConfig
    cfg: dict
    runner: Any
    env: Any

    @property
    def agent(self) -> Any:
        return self.runner.agent

    def record(self) -> RecordingTracking:
        self.agent.tracking_data = RecordingTracking()
        return self.agent.tracking_data

    def train(self, start: int = 0, on_step: Any = None) -> None:
        from training.rl.loop import StopFlag, run_steps

        run_steps(
            self.runner.trainer,
            start=start,
            timesteps=self.cfg["trainer"]["timesteps"],
            on_step=on_step or (lambda step: None),
            stop=StopFlag(),
        )


def build_agent(config: RLConfig) -> Agent:
    """The trainer's own seed, environment and agent phases, without MLflow."""
    from training.rl.agent_config import apply_overrides, load_agent_cfg
    from training.rl.envs import make_env
    from training.rl.loop import build_runner
    from training.rl.train import seed

    seed(config)
    env = make_env(config).env
    cfg = apply_overrides(load_agent_cfg(config), config, gymnasium=True)
    return Agent(config, cfg, build_runner(env, cfg), env)


@pytest.fixture
def agents() -> Iterator[Any]:
    """build_agent, closing every environment it made at the end of the test."""
    made: list[Agent] = []

    def make(config: RLConfig) -> Agent:
        made.append(build_agent(config))
        return made[-1]

    yield make
    for item in made:
        item.env.close()


def start_trainer(
    tmp_path: Path, tracking_uri: str, extra_env: dict[str, str] | None = None, **settings: Any
) -> subprocess.Popen:
    """`python -m training rl` in `tmp_path`, outputs in `tmp_path/out`, as a job runs it."""
    env = {
        **os.environ,
        **trainer_env(tmp_path / "out", **settings),
        "MLFLOW_TRACKING_URI": tracking_uri,
        **(extra_env or {}),
    }
    with (
        open(tmp_path / "stdout.txt", "w") as out,
        open(tmp_path / "stderr.txt", "w") as err,
    ):  # files: no pipe limit
        process = subprocess.Popen(
            [sys.executable, "-m", "training", "rl"], cwd=tmp_path, env=env, stdout=out, stderr=err
        )
    process.outputs = tmp_path  # type: ignore[attr-defined]
    return process


def wait_until_training(process: subprocess.Popen, timeout: float = 240) -> None:
    """Return once the trainer has logged two metric events: training is under way, not starting up."""
    ledger = process.outputs / "out" / "metrics.jsonl"  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while not (ledger.exists() and ledger.read_text().count("\n") >= 2):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    """Wait for the trainer; (exit code, stdout, stderr)."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    folder = process.outputs  # type: ignore[attr-defined]
    return process.returncode, (folder / "stdout.txt").read_text(), (folder / "stderr.txt").read_text()


def result_of(stdout: str) -> dict:
    from training.rl.train import RESULT_PREFIX

    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    assert len(lines) == 1, stdout
    return json.loads(lines[0].removeprefix(RESULT_PREFIX))


def assert_same_tensors(actual: object, expected: object) -> None:
    """Equal state dicts, optimizer states included (nested dicts, lists, tensors, plain values)."""
    import torch  # lazy: only the checkpoint tests compare tensors

    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys()
        for key in expected:
            assert_same_tensors(actual[key], expected[key])
    elif isinstance(expected, list | tuple):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_same_tensors(a, e)
    elif isinstance(expected, torch.Tensor):
        assert torch.equal(actual.cpu(), expected.cpu())
    else:
        assert actual == expected

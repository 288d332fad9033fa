"""The `accelerate launch` command of a multi-GPU LeRobot run, and who starts it. Pure: no LeRobot import."""

from __future__ import annotations

import sys

import pytest

from training.config import ConfigError, LeRobotConfig, from_env
from training.lerobot import launch

pytestmark = pytest.mark.lerobot


def _config(**values) -> LeRobotConfig:
    return LeRobotConfig(**{"dataset_repo_id": "local/tiny", **values})


def test_the_launcher_runs_the_same_trainer_module_with_the_same_flags_as_an_argument_list():
    config = _config(gpus=4, mixed_precision="bf16")
    assert launch.command(config, ["--output-dir", "/out"], port=29517, python="/py") == [
        "/py", "-m", "accelerate.commands.launch",
        "--num_processes", "4", "--num_machines", "1", "--mixed_precision", "bf16", "--dynamo_backend", "no",
        "--multi_gpu", "--main_process_port", "29517",
        "-m", "training", "lerobot", "--output-dir", "/out",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("gpus", "environ", "launches"),
    [
        (1, {}, False),  # one process: LeRobot in this one
        (2, {}, True),  # the job's command: start the workers
        (2, {"WORLD_SIZE": "2", "RANK": "1"}, False),  # a worker: train
        (2, {"WORLD_SIZE": "1"}, True),
    ],
)
def test_only_the_jobs_own_process_launches_workers(gpus, environ, launches):
    assert launch.needs_launch(_config(gpus=gpus), environ) is launches


def test_one_process_reads_the_mixed_precision_where_accelerate_would(monkeypatch):
    monkeypatch.delenv("ACCELERATE_MIXED_PRECISION", raising=False)
    assert launch.mixed_precision_env(_config(mixed_precision="bf16")) == {"ACCELERATE_MIXED_PRECISION": "bf16"}
    assert launch.mixed_precision_env(_config()) == {}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ROBO_GPUS", "0", "ROBO_GPUS: must be a whole number of at least 1"),
        ("ROBO_MIXED_PRECISION", "fp8", "ROBO_MIXED_PRECISION: accepted values: no, fp16, bf16"),
    ],
)
def test_bad_gpu_count_and_mixed_precision_are_refused_naming_the_variable(variable, value, message):
    with pytest.raises(ConfigError) as raised:
        from_env("lerobot", {"ROBO_DATASET_REPO_ID": "local/tiny", variable: value})
    assert str(raised.value) == message


def test_python_is_this_interpreter_by_default():
    assert launch.command(_config(gpus=2), [], port=1)[0] == sys.executable

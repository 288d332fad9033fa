"""The container engine seam: which engine runs, and the argv it is given (a list; nothing reaches a shell)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from submit.backends.local import engine
from submit.backends.local.engine import Engine, Gpus
from submit.backends.local.job import ContainerJob, Mount
from submit.errors import BadInput, SubmitError

JOB = ContainerJob(
    backend="azureml", name="j", image="robo/x:1", argv=("/bin/bash", "-c", "python -m training rl --output-dir /job/outputs/c"),
    env={"ROBO_TASK": "CartPole-v1", "NOTE": "a b; $(rm -rf /)"}, output="/job/outputs/c", workdir="/job/code", shm_size="2g",
)  # fmt: skip
DOCKER = Engine("docker", "/usr/bin/docker")
PODMAN = Engine("podman", "/usr/bin/podman")


def test_the_run_argv_mounts_passes_the_environment_and_runs_the_command_after_the_image():
    argv = engine.run_argv(
        DOCKER, JOB, name="robo-submit-j-abc", mounts=[Mount(Path("/o/j"), "/job/outputs/c", read_only=False), Mount(Path("/d"), "/job/inputs/d")],
        env={**JOB.env, "MLFLOW_TRACKING_URI": "http://127.0.0.1:5000"}, from_host=("WANDB_API_KEY",), gpus=None,
    )  # fmt: skip

    assert argv == [
        "/usr/bin/docker", "run", "--rm", "--init", "--pull", "never", "--name", "robo-submit-j-abc", "--network", "host",
        "--shm-size", "2g", "--workdir", "/job/code",
        "--mount", "type=bind,source=/o/j,target=/job/outputs/c", "--mount", "type=bind,source=/d,target=/job/inputs/d,readonly",
        "--env", "ROBO_TASK=CartPole-v1", "--env", "NOTE=a b; $(rm -rf /)", "--env", "MLFLOW_TRACKING_URI=http://127.0.0.1:5000",
        "--env", "WANDB_API_KEY",  # by name: the engine takes the value from its own environment
        "--entrypoint", "/bin/bash", "robo/x:1", "-c", "python -m training rl --output-dir /job/outputs/c",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("gpus", "docker", "podman"),
    [
        (Gpus(all=True), ["--gpus", "all"], ["--device", "nvidia.com/gpu=all"]),
        (Gpus(count=2), ["--gpus", "2"], ["--device", "nvidia.com/gpu=0", "--device", "nvidia.com/gpu=1"]),
        (Gpus(devices=(1, 3)), ["--gpus", '"device=1,3"'], ["--device", "nvidia.com/gpu=1", "--device", "nvidia.com/gpu=3"]),
    ],
)
def test_gpus_are_passed_as_each_engine_spells_them(gpus, docker, podman):
    def flags(chosen: Engine) -> list[str]:
        argv = engine.run_argv(chosen, JOB, name="n", mounts=[], env={}, from_host=(), gpus=gpus)
        return argv[argv.index("--workdir") + 2 : argv.index("--entrypoint")]

    assert (flags(DOCKER), flags(PODMAN)) == (docker, podman)


@pytest.mark.parametrize(
    ("text", "gpus"), [("all", Gpus(all=True)), ("2", Gpus(count=2)), ("0,2", Gpus(devices=(0, 2))), ("device=1", Gpus(devices=(1,)))]
)
def test_gpus_take_all_a_count_or_device_indices(text, gpus):
    assert engine.parse_gpus(text) == gpus


@pytest.mark.parametrize(
    ("text", "message"),
    [("3,", "'3,' is not all, a count (2) or device indices (0,1)"), ("x", "'x' is not all, a count (2) or device indices (0,1)"), ("0", "a count of GPUs is at least 1")],
)
def test_other_gpu_values_are_refused(text, message):
    with pytest.raises(ValueError) as refused:
        engine.parse_gpus(text)

    assert str(refused.value) == message


def test_a_path_that_would_split_the_mount_option_is_refused():
    with pytest.raises(BadInput) as refused:
        engine.run_argv(DOCKER, JOB, name="n", mounts=[Mount(Path("/o/a,b"), "/job/outputs")], env={}, from_host=(), gpus=None)

    assert str(refused.value) == "/o/a,b: a path with ',' or '\"' cannot be mounted into a container; rename it"


def _fake(folder: Path, name: str) -> Path:
    binary = folder / name
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


def test_docker_is_preferred_then_podman_and_the_variable_chooses(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    podman = _fake(tmp_path, "podman")
    assert engine.find({}) == Engine("podman", str(podman))
    docker = _fake(tmp_path, "docker")
    assert engine.find({}) == Engine("docker", str(docker))
    assert engine.find({"SUBMIT_CONTAINER_ENGINE": "podman"}) == Engine("podman", str(podman))
    assert engine.find({"SUBMIT_CONTAINER_ENGINE": str(podman)}) == Engine("podman", str(podman))


def test_no_engine_and_an_unknown_engine_are_one_line_each(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SubmitError) as missing:
        engine.find({})
    with pytest.raises(BadInput) as unknown:
        engine.find({"SUBMIT_CONTAINER_ENGINE": "containerd"})

    assert str(missing.value) == "no container engine: docker or podman is not on PATH; install Docker (scripts/setup-docker.sh) or Podman"
    assert str(unknown.value) == "SUBMIT_CONTAINER_ENGINE: 'containerd' is not an engine; accepted values: docker, podman (or a path to one)"

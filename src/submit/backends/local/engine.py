"""The container engine seam: Docker, or Podman where that is what is installed, and its `run` argv.

`find` picks the engine (SUBMIT_CONTAINER_ENGINE names one; else docker, then podman on PATH); `run_argv`
is a pure function from a job and its host paths to the argv, a list: no value reaches a shell. Every
container runs with --network host (this machine kind has no bridge; the job reaches a tracking server
on the host at 127.0.0.1), --init (the command is not PID 1, so it sees SIGTERM as it would on a
cluster node) and --rm. Spec values are passed as `--env NAME=VALUE`; credentials taken from this
machine as `--env NAME`, so their values never appear in the argv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from submit.backends.local.job import ContainerJob, Mount
from submit.errors import BadInput, SubmitError
from submit.output import say

ENGINES = ("docker", "podman")
ENGINE_VARIABLE = "SUBMIT_CONTAINER_ENGINE"
_NAME = re.compile(r"[^a-zA-Z0-9_.-]+")


@dataclass(frozen=True)
class Engine:
    name: str  # docker or podman: how its flags are spelt
    binary: str


@dataclass(frozen=True)
class Gpus:
    """`--gpus`: all of them, a count, or device indices."""

    all: bool = False
    count: int = 0
    devices: tuple[int, ...] = ()


def find(environ: Mapping[str, str]) -> Engine:
    """The engine to run with; a clear error when none is installed."""
    wanted = environ.get(ENGINE_VARIABLE, "")
    if wanted and Path(wanted).name not in ENGINES:
        raise BadInput(f"{ENGINE_VARIABLE}: {wanted!r} is not an engine; accepted values: {', '.join(ENGINES)} (or a path to one)")
    for name in (Path(wanted).name,) if wanted else ENGINES:
        binary = shutil.which(wanted or name)
        if binary:
            return Engine(name, binary)
    missing = wanted or "docker or podman"
    raise SubmitError(f"no container engine: {missing} is not on PATH; install Docker (scripts/setup-docker.sh) or Podman")


def check_answers(engine: Engine) -> None:
    """The engine's daemon (or Podman's runtime) answers; one line naming the fix when it does not."""
    try:
        done = subprocess.run([engine.binary, "info"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SubmitError(f"{engine.name} info failed ({type(exc).__name__}); is the engine installed and running?") from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        last = lines[-1].strip() if lines else f"exit {done.returncode}"
        raise SubmitError(f"{engine.name} does not answer ({last}); start it (scripts/setup-docker.sh starts dockerd)")


def ensure_image(engine: Engine, image: str, fix: str) -> None:
    """The image is on this machine, pulled when it is not (progress on stderr); one line ending in `fix`
    when it cannot be."""
    inspect = [engine.binary, "image", "inspect", "--format", "{{.Id}}", image]
    if subprocess.run(inspect, capture_output=True, check=False, timeout=120).returncode == 0:
        return
    say(f"{image} is not on this machine; pulling it")
    if relay([engine.binary, "pull", image], os.environ) != 0:
        raise SubmitError(f"image {image} is not on this machine and {engine.name} could not pull it (its error above); {fix}")


def host_has_gpus() -> bool:
    """An NVIDIA driver is loaded here (its control device exists)."""
    return Path("/dev/nvidiactl").exists()


def parse_gpus(text: str) -> Gpus:
    """`all`, a count (`2`) or device indices (`0,2`); ValueError naming the accepted forms."""
    value = text.strip().removeprefix("device=")
    if value == "all":
        return Gpus(all=True)
    if value.isdigit() and "," not in text and not text.startswith("device="):
        if int(value) < 1:
            raise ValueError("a count of GPUs is at least 1")
        return Gpus(count=int(value))
    parts = value.split(",")
    if not value or not all(part.isdigit() for part in parts):
        raise ValueError(f"{text!r} is not all, a count (2) or device indices (0,1)")
    return Gpus(devices=tuple(int(part) for part in parts))


def container_name(job_id: str) -> str:
    return "robo-submit-" + _NAME.sub("-", job_id).strip("-.")[:80] + "-" + os.urandom(3).hex()


def run_argv(
    engine: Engine, job: ContainerJob, *, name: str, mounts: list[Mount], env: dict[str, str],
    from_host: tuple[str, ...], gpus: Gpus | None,
) -> list[str]:
    """`ENGINE run ...` for the job: its mounts (outputs, code, files, inputs, the local store), its environment
    (the spec's, then what this run adds), and the container's argv after the image."""
    # --pull never: ensure_image has made sure it is here, so a run never waits on a registry.
    argv = [engine.binary, "run", "--rm", "--init", "--pull", "never", "--name", name, "--network", "host"]
    if job.shm_size:
        argv += ["--shm-size", job.shm_size]
    if job.workdir:
        argv += ["--workdir", job.workdir]
    for mount in mounts:
        argv += ["--mount", _mount(mount)]
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    for key in from_host:
        argv += ["--env", key]
    argv += _gpu_flags(engine, gpus)
    entrypoint, *args = job.argv
    return [*argv, "--entrypoint", entrypoint, job.image, *args]


def kill_argv(engine: Engine, name: str, signal_name: str) -> list[str]:
    return [engine.binary, "kill", "--signal", signal_name, name]


def remove_argv(engine: Engine, name: str) -> list[str]:
    return [engine.binary, "rm", "--force", name]


def relay(argv: list[str], environ: Mapping[str, str]) -> int:
    """Run an engine command with its output on stderr (stdout is for the result); its exit status."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(environ))
    assert process.stdout is not None
    for line in process.stdout:
        sys.stderr.write(line)
    return process.wait()


def _mount(mount: Mount) -> str:
    # --mount is comma-separated: a comma or quote in a path would split it, so such a path is refused.
    for path in (str(mount.source), mount.target):
        if "," in path or '"' in path:
            raise BadInput(f"{path}: a path with ',' or '\"' cannot be mounted into a container; rename it")
    return f"type=bind,source={mount.source},target={mount.target}" + (",readonly" if mount.read_only else "")


def _gpu_flags(engine: Engine, gpus: Gpus | None) -> list[str]:
    if gpus is None:
        return []
    if engine.name == "podman":  # Podman reaches NVIDIA GPUs through CDI device names
        if gpus.all:
            return ["--device", "nvidia.com/gpu=all"]
        indices = gpus.devices or tuple(range(gpus.count))
        return [flag for i in indices for flag in ("--device", f"nvidia.com/gpu={i}")]
    if gpus.all:
        return ["--gpus", "all"]
    if gpus.count:
        return ["--gpus", str(gpus.count)]
    # Docker reads --gpus as CSV: a device list is quoted so that its commas stay inside one field.
    return ["--gpus", '"device=' + ",".join(map(str, gpus.devices)) + '"']

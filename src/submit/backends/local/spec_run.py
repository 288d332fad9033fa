"""`submit local run SPEC`: an Azure ML command job or an OSMO workflow, run on this machine in its image.

read -> check (the backend's own offline check, as `submit validate`) -> the job's folder name -> the
container (azureml_job / osmo_job, pure) -> stage code and files, pick the tracking store -> the engine
runs it, its output streamed, Ctrl-C or SIGTERM passed on as a preemption -> the container's exit status.
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from submit.backends.local import engine as engines
from submit.backends.local.job import ContainerJob, Mount
from submit.errors import BadInput, SubmitError
from submit.output import say

_FOLDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


class Exited(SubmitError):
    """The container ended non-zero (or was stopped): its exit status is the command's."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Spec:
    backend: str  # "azureml" or "osmo"
    data: dict[str, Any]
    file: Path


@dataclass(frozen=True)
class SpecRun:
    exit_code: int
    result: dict[str, Any]  # the trainer's ROBO_RESULT line ({} for another command)
    tracking_uri: str | None
    output_dir: Path
    interrupted: bool  # Ctrl-C or SIGTERM arrived while it ran
    output_mount: str | None  # where output_dir was in the container


def read(file: Path, values: tuple[str, ...]) -> Spec:
    """The spec, checked by its backend as `submit validate` checks it; every problem listed, then exit 2."""
    from submit import yamlio
    from submit.backends import registry
    from submit.backends.base import Advice

    text = yamlio.read_spec(file)
    backend = registry.recognise(text, file)
    try:
        lines = backend.check(text, file, values)
    except ModuleNotFoundError as exc:  # azure-ai-ml is an extra
        raise SubmitError(f"checking {backend.texts.spec_name} spec needs {exc.name}: pip install 'robo-submit[azure]'") from None
    for line in lines:
        if isinstance(line, Advice) and not line.submission_only:  # a local run has no pool, no server
            say(f"warning: {line}")
    problems = [line for line in lines if not isinstance(line, Advice)]
    if problems:
        for line in problems:
            say(line)
        raise BadInput(f"{file}: {len(problems)} problem(s); not a valid {backend.texts.spec_kind} spec, nothing was run")
    if backend.name == "osmo":
        from submit.backends.osmo import template

        data = template.render(text, values, source=str(file))
    else:
        data = yamlio.load(text, str(file))
    return Spec(backend.name, data, file)


def choose_job_id(spec: Spec, output_root: Path, wanted: str | None) -> str:
    """The job's id, naming its outputs folder: --job-name, the spec's job name, or its name numbered as OSMO
    numbers workflow ids (NAME-1, NAME-2, ...). A folder already there is refused (an earlier run's)."""
    if wanted is not None:
        return _unused(output_root, _checked(wanted, "--job-name"), "--job-name", "choose another name")
    named = spec.data.get("name") if spec.backend == "azureml" else None
    if named:
        return _unused(output_root, _checked(str(named), "name"), "name", "rename the job or give --job-name")
    base = spec.data["workflow"]["name"] if spec.backend == "osmo" else spec.data.get("experiment_name") or "job"
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(base)).strip("-.")[:100] or "job"
    taken = [p.name.removeprefix(f"{base}-") for p in output_root.glob(f"{base}-*")] if output_root.is_dir() else []
    return f"{base}-{max((int(n) for n in taken if n.isdigit()), default=0) + 1}"


def make_folder(folder: Path) -> None:
    """The run's outputs folder, new (a run started at the same moment with the same id loses)."""
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        raise SubmitError(f"{folder} was made by a run started at the same time; start again") from None
    except OSError as exc:
        raise BadInput(f"--output-root: cannot write {folder.parent} ({exc.strerror})") from None


def container_job(spec: Spec, environ: Mapping[str, str], *, job_id: str, image: str | None) -> ContainerJob:
    if spec.backend == "osmo":
        from submit.backends.local.osmo_job import container_job as osmo

        return osmo(spec.data, spec.file.parent, environ, job_id=job_id, image=image)
    from submit.backends.local.azureml_job import container_job as azureml

    return azureml(spec.data, spec.file.parent, environ, image=image)


def ensure_image(engine: engines.Engine, image: str) -> None:
    """The job's image is here or pulled; when neither, the fix names the `submit image build` that makes it."""
    from submit import images

    ours = [name for name in images.names() if images.job_image(name).image == image]
    fix = f"build it with `submit image build {ours[0]}`" if ours else "log in to its registry, or give another with --image"
    engines.ensure_image(engine, image, fix)


def build_environment(job: ContainerJob, build_args: tuple[str, ...], environ: Mapping[str, str]) -> None:
    """Build the spec's environment as Azure ML would (its Dockerfile in its context) as `job.image`; the
    build's log on stderr."""
    from submit.images import engine_for_build  # BuildKit when the client has it (the rule's one home)

    assert job.build is not None
    client, env = engine_for_build(environ)
    argv = [client, "build", "--network", "host", "-f", str(job.build.dockerfile), "-t", job.image]
    for arg in build_args:
        argv += ["--build-arg", arg]
    say(f"building the job's environment from {job.build.dockerfile} as {job.image}")
    if engines.relay([*argv, str(job.build.context)], env) != 0:
        raise SubmitError(f"environment.build: building {job.build.dockerfile} failed (its log above); nothing was run")


def run(
    job: ContainerJob, engine: engines.Engine, *, job_id: str, output_dir: Path, workdir: Path,
    environ: Mapping[str, str], gpus: engines.Gpus | None,
) -> SpecRun:
    """Run the job's container to its end in `output_dir`, made once the tracking store answers and the code
    is staged (a failure before that leaves nothing behind); its stdout and stderr stream to stderr."""
    from submit.backends.local import staging
    from submit.backends.local.tracking import tracking_for

    with tempfile.TemporaryDirectory(prefix="robo-submit-run-") as tmp, tracking_for(job, workdir, environ) as tracking:
        mounts = [*staging.stage(job, Path(tmp)), *job.inputs, *tracking.mounts]
        make_folder(output_dir)
        if job.output:
            mounts.insert(0, Mount(output_dir.resolve(), job.output, read_only=False))
        name = engines.container_name(job_id)
        argv = engines.run_argv(
            engine, job, name=name, mounts=mounts, env={**job.env, **tracking.env},
            from_host=(*job.from_host, *tracking.from_host), gpus=gpus,
        )  # fmt: skip
        say(f"running {job_id} in {job.image} with {engine.name} -> {output_dir}")
        code, result, stopped = _run_container(engine, name, argv, environ)
    return SpecRun(code, result, tracking.uri, output_dir, stopped, job.output)


def _run_container(engine: engines.Engine, name: str, argv: list[str], environ: Mapping[str, str]) -> tuple[int, dict, bool]:
    """The engine's client in its own process group: signals reach the container only through `forward`."""
    from submit.backends.local.runner import follow

    stops = 0

    def forward(_signum: int) -> None:
        nonlocal stops
        stops += 1
        with contextlib.suppress(ProcessLookupError, OSError):
            if stops == 1:  # the client passes it on to the container (--sig-proxy): a preemption
                process.send_signal(signal.SIGTERM)
            else:  # it did not stop on the first: end it
                subprocess.Popen(engines.kill_argv(engine, name, "KILL"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    try:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=dict(environ), process_group=0)
    except OSError as exc:
        raise SubmitError(f"cannot start {engine.binary} ({exc.strerror})") from None
    try:
        result, stopped = follow(process, forward)
    finally:
        # A client stopped before its container was created or attached leaves the container behind.
        subprocess.run(engines.remove_argv(engine, name), capture_output=True, check=False, timeout=60)
    code = process.returncode
    return (code if code >= 0 else 128 - code), result, stopped


def host_path(outcome: SpecRun, container_path: str) -> Path:
    """A path the trainer reported inside the container, as it lies on this machine."""
    mount = outcome.output_mount
    if mount and (container_path == mount or container_path.startswith(mount + "/")):
        return outcome.output_dir / container_path[len(mount) :].lstrip("/")
    return Path(container_path)


def _checked(name: str, path: str) -> str:
    if not _FOLDER.fullmatch(name):
        raise BadInput(f"{path}: {name!r} cannot name an outputs folder; use letters, digits, '_', '.', '-'")
    return name


def _unused(output_root: Path, name: str, path: str, fix: str) -> str:
    if (output_root / name).exists():
        raise BadInput(f"{path}: {output_root / name} exists (an earlier run's outputs); {fix}, or remove it")
    return name

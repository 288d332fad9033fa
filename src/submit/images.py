"""The job images of workflows/images/: which Dockerfile makes each, and building (and pushing) one.

`submit image build NAME` and the image test tier build through here. A build is one engine call from the
repository root (the build context, trimmed by .dockerignore) with `--network host` (machines without a
network bridge need it; elsewhere it changes nothing) and the base as `--build-arg BASE=...` when given.
Docker builds with BuildKit when its client can (a buildx plugin, or a client before 23.0 with the builder
built in): about twice as fast as the legacy builder on a cold cache here (docs/images.md).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from submit.errors import BadInput, SubmitError
from submit.templates import load_template, workflows_dir

IMAGES_FILE = "images/images.yaml"


@dataclass(frozen=True)
class JobImage:
    name: str  # rl, isaaclab3, lerobot
    dockerfile: Path
    image: str  # the default tag: what a spec names when no image is given


@dataclass(frozen=True)
class Built:
    reference: str  # what to put in a profile: REGISTRY/NAME@sha256:... after a push, else the local tag
    image_id: str
    pushed: bool


def names() -> tuple[str, ...]:
    return tuple(load_template(IMAGES_FILE))


def job_image(name: str) -> JobImage:
    entry = load_template(IMAGES_FILE)[name]
    return JobImage(name, workflows_dir() / "images" / entry["dockerfile"], entry["image"])


def default_base(dockerfile: str) -> str:
    """The base a Dockerfile of workflows/images/ builds FROM by default (its `ARG BASE=...`)."""
    text = (workflows_dir() / "images" / Path(dockerfile).name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("ARG BASE="):
            return line.removeprefix("ARG BASE=").strip()
    raise SubmitError(f"{dockerfile} declares no ARG BASE")


def build_context() -> Path:
    """The repository root: the Dockerfiles COPY training/ and workflows/images/ from it."""
    root = workflows_dir().parent
    if not (root / "training").is_dir() or not (root / ".dockerignore").is_file():
        raise SubmitError(
            f"building an image needs a source checkout (training/ and .dockerignore beside workflows/); {root} is not one"
        )
    return root


def build_argv(docker: str, image: JobImage, tag: str, *, base: str | None, context: Path) -> list[str]:
    """`docker build ...` as argv (no shell): pure."""
    argv = [docker, "build", "--network", "host", "-f", str(image.dockerfile), "-t", tag]
    if base:
        argv += ["--build-arg", f"BASE={base}"]
    return [*argv, str(context)]


def build(name: str, *, tag: str | None, base: str | None, push: str | None, environ: Mapping[str, str]) -> Built:
    """Build the job image NAME (and push it to the registry `push`); its reference."""
    image = job_image(name)
    tag = tag or image.image
    docker, env = engine_for_build(environ)
    _run(build_argv(docker, image, tag, base=base, context=build_context()), env, f"building {tag}")
    image_id = _inspect(docker, tag, "{{.Id}}")
    if not push:
        return Built(tag, image_id, pushed=False)
    remote = f"{push.rstrip('/')}/{tag}"
    _run([docker, "tag", tag, remote], env, f"tagging {remote}")
    _run([docker, "push", remote], env, f"pushing {remote}")
    repository = remote.rsplit(":", 1)[0] if ":" in remote.rsplit("/", 1)[-1] else remote
    digests = json.loads(_inspect(docker, remote, "{{json .RepoDigests}}") or "[]")
    pinned = next((d for d in digests if d.startswith(repository + "@")), None)
    if pinned is None:
        raise SubmitError(f"{remote} was pushed but the engine reports no digest for {repository}")
    return Built(pinned, image_id, pushed=True)


def engine_for_build(environ: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The client to build with and its environment: a Docker client that can use BuildKit when there is
    one (DOCKER_BUILDKIT=1), else the first client found with the legacy builder; Podman builds as it is."""
    from submit.backends.local import engine as engines  # the one engine seam (Docker or Podman)

    engine = engines.find(environ)
    env = dict(environ)
    if engine.name != "docker":
        return engine.binary, env
    for client in _docker_clients(environ, engine.binary):
        if _has_buildkit(client, env):
            return client, {**env, "DOCKER_BUILDKIT": "1"}
    return engine.binary, {**env, "DOCKER_BUILDKIT": "0"}


def _docker_clients(environ: Mapping[str, str], first: str) -> list[str]:
    found = [first]
    for folder in environ.get("PATH", "").split(os.pathsep):
        candidate = shutil.which("docker", path=folder) if folder else None
        if candidate and os.path.realpath(candidate) not in map(os.path.realpath, found):
            found.append(candidate)
    return found


def _has_buildkit(client: str, env: Mapping[str, str]) -> bool:
    import subprocess  # lazy: a dry run imports this module (default_base) and no child-process plumbing

    probe = subprocess.run([client, "buildx", "version"], capture_output=True, text=True, env=dict(env), check=False)
    if probe.returncode == 0:
        return True
    version = subprocess.run(
        [client, "version", "--format", "{{.Client.Version}}"], capture_output=True, text=True, env=dict(env), check=False
    ).stdout.strip()
    major = version.split(".", 1)[0]
    return major.isdigit() and int(major) < 23  # 23.0 moved `docker build` onto buildx


def _run(argv: list[str], env: Mapping[str, str], what: str) -> None:
    """The engine's output goes to stderr as it comes (stdout is kept for the reference)."""
    import subprocess  # lazy: see _has_buildkit

    try:
        done = subprocess.run(argv, stdout=2, stderr=2, env=dict(env), check=False)
    except OSError as exc:
        raise SubmitError(f"{what}: cannot start {argv[0]} ({exc.strerror})") from None
    if done.returncode != 0:
        raise SubmitError(f"{what} failed (exit {done.returncode}); the engine's output is above")


def _inspect(docker: str, reference: str, template: str) -> str:
    import subprocess  # lazy: see _has_buildkit

    done = subprocess.run(
        [docker, "image", "inspect", "--format", template, reference], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SubmitError(f"{reference}: the engine does not know this image after building it")
    return done.stdout.strip()


def check_name(name: str) -> str:
    if name not in names():
        raise BadInput(f"NAME: unknown image {name!r}; accepted values: {', '.join(names())}")
    return name

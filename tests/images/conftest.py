"""The image tier's fixtures: a Docker engine, the stand-in bases, the job images built from their real
Dockerfiles (only the base changed), and the stand-in layers for what this machine cannot reach.

Real: Docker, the Dockerfiles, pip installing every pin from PyPI inside the build, the trainer in the
image, `submit ... --dry-run -o` and `submit local run`, an MLflow server (tests/conftest.py). Stood in,
each at one seam and said where: Docker Hub's python base (scripts/make-base-images.sh, from Debian
packages), NVIDIA's asset server and the Hugging Face Hub (standin-*.Dockerfile, a layer on top of the
built image). Builds go through `submit image build`, so a warm layer cache makes a rerun take seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SUBMIT = str(Path(sys.executable).parent / "submit")
# Both job images are on Python 3.12; the Kit image's layer (test_kit_image.py) is checked on 3.11, Isaac Sim's.
BASES = {"isaaclab3": "robo-submit/base-python:3.12", "lerobot": "robo-submit/base-python:3.12",
         "kit": "robo-submit/base-python:3.11"}
BUILT = {"isaaclab3": "robo-submit-ci/isaaclab3:built", "lerobot": "robo-submit-ci/lerobot:built"}
STANDIN = {"isaaclab3": "robo-submit-ci/isaaclab3:standin", "lerobot": "robo-submit-ci/lerobot:standin"}
# Disk for one job image build: the image is about 7 GB and needs as much again while BuildKit exports its
# layers (measured: docs/images.md). A machine short of that for the second image gives up the first.
BUILD_PEAK_GIB = 15
SPARE_GIB = 4
# test_kit_image.py's container at its peak: the torch it starts with plus the trainer's requirements
# (measured: docs/images.md).
KIT_LAYER_GIB = 3


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Kit layer's check first (before a job image takes its disk), then each job image's tests together
    (isaaclab3's, then lerobot's, then the rest): `make_room` may remove an image once the tier has moved on to
    the next, so no test may come back to an earlier one."""
    order = {"kit_room": -1, "isaaclab3_image": 0, "lerobot_image": 1}

    def group(item: pytest.Item) -> int:
        return min((order[name] for name in getattr(item, "fixturenames", ()) if name in order), default=len(order))

    items.sort(key=group)  # stable: within a group, the collection order


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    """A command whose failure fails the test with its last output lines."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
        pytest.fail(f"{' '.join(argv[:4])} ... exited {done.returncode}:\n{tail}", pytrace=False)
    return done


def docker() -> str:
    found = shutil.which("docker")
    assert found, "docker is not on PATH after scripts/setup-docker.sh"
    return found


@pytest.fixture(scope="session")
def engine() -> str:
    """The Docker engine answers: installed and started when missing (a missing engine fails, never skips)."""
    run([str(REPO / "scripts" / "setup-docker.sh")])
    return docker()


@pytest.fixture(scope="session")
def bases(engine: str) -> dict[str, str]:
    """The stand-in python:3.11-slim and Python 3.12 bases, made from Debian packages (kept when current)."""
    made = run([str(REPO / "scripts" / "make-base-images.sh"), "all"]).stdout.split()
    assert sorted(made) == sorted(set(BASES.values()))
    return BASES


def free_gib(engine: str) -> float:
    """Free space on the filesystem that holds the engine's images."""
    root = subprocess.run([engine, "info", "--format", "{{.DockerRootDir}}"], capture_output=True, text=True, check=False)
    return shutil.disk_usage(root.stdout.strip() or "/var/lib/docker").free / 2**30


def make_room(engine: str, need: float, what: str) -> None:
    """Before WHAT takes NEED GiB of the engine's disk: when less is free, the job images (their tests have run,
    see pytest_collection_modifyitems; the one about to be built is kept when WHAT is its build) and the build
    cache are removed; still short, the test fails with one line."""
    if free_gib(engine) >= need:
        return
    others = [tag for other in BUILT if f"building {other}" != what for tag in (STANDIN[other], BUILT[other])]
    subprocess.run([engine, "image", "rm", "--force", *others], capture_output=True, check=False)
    subprocess.run([engine, "builder", "prune", "--all", "--force"], capture_output=True, check=False)
    subprocess.run([engine, "image", "prune", "--force"], capture_output=True, check=False)
    free = free_gib(engine)
    print(f"image tier: removed {', '.join(others)} and the build cache for {what}: {free:.0f} GiB free", file=sys.stderr)
    if free < need:
        pytest.fail(f"image tier: {what} needs about {need:.0f} GiB free for the engine; {free:.0f} GiB is,"
                    " with the job images and the build cache removed", pytrace=False)  # fmt: skip


@pytest.fixture
def kit_room(engine: str) -> None:
    """Disk for test_kit_image.py's container (the trainer's requirements installed into it, removed after)."""
    make_room(engine, SPARE_GIB + KIT_LAYER_GIB, "the Kit layer's install")


def build_job_image(name: str, bases: dict[str, str]) -> str:
    """`submit image build NAME --base <stand-in>`: the real Dockerfile, only its base argument changed."""
    engine = docker()
    # An image already built needs only its changed layers, so only the spare is asked for it.
    make_room(engine, SPARE_GIB + (0 if _image_id(engine, BUILT[name]) else BUILD_PEAK_GIB), f"building {name}")
    done = run([SUBMIT, "image", "build", name, "--base", bases[name], "--tag", BUILT[name]], cwd=REPO)
    assert done.stdout == BUILT[name] + "\n"  # only the reference on stdout
    return BUILT[name]


def build_standin(engine: str, name: str, built: str, context: Path) -> str:
    """The stand-in layer (standin-NAME.Dockerfile) on top of the built job image."""
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}  # a few small layers: the legacy builder is as quick
    before = _image_id(engine, STANDIN[name])
    run([engine, "build", "--network", "host", "-f", str(HERE / f"standin-{name}.Dockerfile"),
         "--build-arg", f"IMAGE={built}", "-t", STANDIN[name], str(context)], env=env)  # fmt: skip
    if before and before != _image_id(engine, STANDIN[name]):  # the layer it replaces, left dangling
        subprocess.run([engine, "image", "rm", before], capture_output=True, check=False)
    return STANDIN[name]


def _image_id(engine: str, image: str) -> str:
    done = subprocess.run([engine, "image", "inspect", "--format", "{{.Id}}", image], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def in_image(engine: str, image: str, out: Path, *command: str) -> None:
    """Run a repo script in the image (its Python has what the script needs), writing under `out`."""
    run([engine, "run", "--rm", "--network", "host", "--mount", f"type=bind,source={REPO},target=/src,readonly",
         "--mount", f"type=bind,source={out},target=/out", "--entrypoint", "python", image, *command])  # fmt: skip


@pytest.fixture(scope="session")
def lerobot_image(engine: str, bases: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    built = build_job_image("lerobot", bases)
    context = tmp_path_factory.mktemp("lerobot-standin")
    in_image(engine, built, context, "/src/scripts/make-tiny-lerobot-dataset.py", "/out/lerobot/local/tiny")
    in_image(engine, built, context, "/src/scripts/make-tiny-lerobot-dataset.py", "--pusht", "/out/lerobot/local/tiny-pusht")
    return build_standin(engine, "lerobot", built, context)


@pytest.fixture(scope="session")
def isaaclab3_image(engine: str, bases: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    built = build_job_image("isaaclab3", bases)
    context = tmp_path_factory.mktemp("isaaclab3-standin")
    in_image(engine, built, context, "/src/scripts/make-isaaclab-assets.py", "--root", "/out/assets")
    return build_standin(engine, "isaaclab3", built, context)

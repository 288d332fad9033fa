"""workflows/images/ and `submit image build`: what each image is built from, without building (the image
tier, tests/images, builds them for real)."""

from __future__ import annotations

import re

import pytest

from submit import images
from submit.trainer_contract import trainer_dockerfile, trainer_image


@pytest.mark.parametrize("name", images.names())
def test_each_dockerfile_takes_its_base_as_a_build_argument_and_the_default_is_public(name):
    image = images.job_image(name)
    text = image.dockerfile.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0].startswith("ARG BASE=") and lines[1] == "FROM ${BASE}"  # the only FROM, from the argument
    assert images.default_base(image.dockerfile.name) == lines[0].removeprefix("ARG BASE=")
    # Requirements before sources: a trainer change rebuilds only the small layers after the lock.
    assert text.index("COPY workflows/images/requirements-") < text.index("COPY training ")


def test_the_kit_base_is_pinned_by_digest():
    assert re.fullmatch(r"nvcr\.io/nvidia/isaac-lab:2\.3\.2@sha256:[0-9a-f]{64}", images.default_base("Dockerfile.isaaclab"))


def test_every_default_image_a_spec_names_is_the_tag_submit_image_build_gives():
    for kind in ("rl", "lerobot"):
        image = images.job_image(kind)
        assert trainer_image(kind) == image.image
        assert trainer_dockerfile(kind) == f"workflows/images/{image.dockerfile.name}"


def test_build_argv_changes_only_the_base_and_never_uses_a_shell(tmp_path):
    image = images.job_image("lerobot")
    argv = images.build_argv("docker", image, "t:1", base="mirror/python:3.11;rm -rf /", context=tmp_path)
    assert argv == ["docker", "build", "--network", "host", "-f", str(image.dockerfile), "-t", "t:1",
                    "--build-arg", "BASE=mirror/python:3.11;rm -rf /", str(tmp_path)]  # fmt: skip
    assert "--build-arg" not in images.build_argv("docker", image, "t:1", base=None, context=tmp_path)


def test_an_unknown_image_name_is_one_line_with_exit_2(run_cli):
    result = run_cli("image", "build", "kitless")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "submit: error: NAME: unknown image 'kitless'; accepted values: rl, isaaclab3, lerobot\n"

"""Run metadata (issue 16, item 2): the code named by git commit and dirty flag, or by a hash of its files when
there is no git; the image and the correlation id; package versions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from training import metadata

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _package(root: Path) -> Path:
    source = root / "training"
    (source / "rl").mkdir(parents=True)
    (source / "__init__.py").write_text("")
    (source / "rl" / "train.py").write_text("print('train')\n")
    return source


def test_without_git_the_code_is_named_by_a_hash_of_its_files(tmp_path: Path) -> None:
    source = _package(tmp_path)
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    first = metadata.code_tags.__wrapped__(source)
    assert list(first) == ["code_sha256"] and len(first["code_sha256"]) == 64
    (source / "__pycache__" / "x.pyc").write_bytes(b"recompiled")  # not source: same hash
    assert metadata.code_tags.__wrapped__(source) == first
    (source / "rl" / "train.py").write_text("print('changed')\n")
    assert metadata.code_tags.__wrapped__(source) != first


@needs_git
def test_in_a_checkout_the_code_is_its_commit_and_whether_the_trainers_files_changed(tmp_path: Path) -> None:
    source = _package(tmp_path)
    (tmp_path / "README.md").write_text("docs\n")

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), *args], capture_output=True, text=True, check=True).stdout

    git("init", "-q")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "empty")
    git("add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "code")
    commit = git("rev-parse", "HEAD").strip()
    assert metadata.code_tags.__wrapped__(source) == {"git_commit": commit, "git_dirty": "false"}
    (tmp_path / "README.md").write_text("other docs\n")  # outside the trainer's code: still clean
    assert metadata.code_tags.__wrapped__(source)["git_dirty"] == "false"
    (source / "rl" / "new.py").write_text("")  # an untracked module of the trainer is code that runs
    assert metadata.code_tags.__wrapped__(source) == {"git_commit": commit, "git_dirty": "true"}


def test_version_tags_carry_the_image_and_the_correlation_id_only_when_given() -> None:
    tags = metadata.version_tags("ci-42", {"ROBO_IMAGE": "robo/trainer-rl:1.2 "})
    assert (tags["image"], tags["correlation_id"]) == ("robo/trainer-rl:1.2", "ci-42")
    tags = metadata.version_tags(None, {})
    assert tags["image"] == "unknown" and "correlation_id" not in tags


def test_run_tags_name_every_package_and_none_for_one_not_installed() -> None:
    tags = metadata.run_tags(None, "cpu", {})
    assert {f"versions.{name}" for name in metadata.PACKAGES} | {"versions.python", "host", "device"} <= set(tags)
    assert tags["versions.isaaclab"] == "none"  # not in the main environment
    assert tags["versions.gymnasium"] == metadata.package_version("gymnasium") != "none"
    assert tags["device"] == "cpu"

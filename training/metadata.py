"""What ran: the code, the packages, the machine, the image and the pipeline, as MLflow tags.

`run_tags` go on every run (training and evaluation); `version_tags`, the part a model consumer needs, also go
on the registered version. The code is named by its git commit and dirty flag when the trainer runs from a git
checkout (`submit local`), else by a sha256 over the trainer's own source files (a job image has no .git).
Nothing here imports torch unless asked for the device; nothing fails a run: a value it cannot read is `unknown`.
"""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import subprocess
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from pathlib import Path

IMAGE_ENV = "ROBO_IMAGE"  # the image reference a job runs in; the CLI renders it (CONTRACT-16.md)
UNKNOWN = "unknown"
# Distribution names, under the tag names users look for.
PACKAGES = {
    "torch": "torch", "skrl": "skrl", "rsl_rl": "rsl-rl-lib", "lerobot": "lerobot", "isaaclab": "isaaclab",
    "gymnasium": "gymnasium", "mlflow": "mlflow",
}  # fmt: skip
_SOURCE = Path(__file__).resolve().parent  # the training package


def run_tags(correlation_id: str | None, device: str | None = None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Tags for a run: code, packages (`versions.<name>`, `none` when not installed), host, device, image,
    correlation id."""
    tags = version_tags(correlation_id, environ)
    tags["host"] = socket.gethostname()
    tags["versions.python"] = platform.python_version()
    for name, distribution in PACKAGES.items():
        tags[f"versions.{name}"] = package_version(distribution)
    if device is not None:
        tags["device"] = device_description(device)
    return tags


def version_tags(correlation_id: str | None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Tags for a registered version: the code it was trained by, the image, the correlation id."""
    environ = os.environ if environ is None else environ
    tags = dict(code_tags())
    tags["image"] = environ.get(IMAGE_ENV, "").strip() or UNKNOWN
    if correlation_id:
        tags["correlation_id"] = correlation_id
    return tags


@cache
def code_tags(source: Path = _SOURCE) -> dict[str, str]:
    """{git_commit, git_dirty} of the checkout holding `source`, else {code_sha256} of its files."""
    commit = _git(source, "rev-parse", "HEAD")
    if commit:
        status = _git(source, "status", "--porcelain", "--", ".")  # the trainer's own files, untracked ones too
        return {"git_commit": commit, "git_dirty": "true" if status else "false"}
    return {"code_sha256": source_digest(source)}


def source_digest(source: Path) -> str:
    """sha256 over the package's .py, .yaml and .txt files: their paths (relative, sorted) and contents."""
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.suffix in (".py", ".yaml", ".txt") and p.is_file()):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(source).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def package_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "none"


def device_description(device: str) -> str:
    """`cpu`, or `cuda:0 NVIDIA H200` for a CUDA device (the name torch reports)."""
    import torch  # lazy: only trainers that run torch ask

    resolved = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    if not resolved.startswith("cuda") or not torch.cuda.is_available():
        return resolved
    index = int(resolved.partition(":")[2] or 0)
    try:
        return f"cuda:{index} {torch.cuda.get_device_name(index)}"
    except (RuntimeError, AssertionError):
        return f"cuda:{index}"


def _git(folder: Path, *args: str) -> str:
    """git's answer in `folder`, '' when there is no git or no repository (never raises)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""

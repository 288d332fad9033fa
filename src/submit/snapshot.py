"""The trainer's code as files: the Azure ML code snapshot (the `training/` package only), and what
OSMO's `--code-source local` ships. Shared by the backends that carry the trainer's code.

In a source checkout the snapshot folder is the repository root, whose `.amlignore` keeps
`training/` and nothing else. An installed copy is staged into the user's cache with the
same ignore file, so the snapshot never sweeps up a site-packages folder: one folder per
content hash, written once and renamed into place, so runs at the same time never see a
half-written copy and a spec written with -o keeps pointing at the code it was rendered with.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from submit.errors import SubmitError
from submit.trainer_contract import trainer_sources

IGNORED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
IGNORED_SUFFIXES = (".pyc", ".pyo")
# training/, and workflows/images/ with .dockerignore: the same folder is the job's code snapshot and the build
# context Azure ML builds the job's environment from (environment `build:`, Dockerfiles of workflows/images/).
AMLIGNORE = (
    "/*\n!/training/\n!/training/**\n!/workflows/\n/workflows/*\n!/workflows/images/\n!/workflows/images/**\n"
    "!/.dockerignore\n__pycache__/\n*.pyc\n*.pyo\n"
)
IMAGES = Path("workflows") / "images"


@dataclass(frozen=True)
class Snapshot:
    root: Path
    files: tuple[Path, ...]

    @property
    def size(self) -> int:
        return sum(path.stat().st_size for path in self.files)


def snapshot_root(cache_dir: Path | None = None, sources: Path | None = None) -> Path:
    """A folder holding `training/` and an `.amlignore` that keeps only it."""
    sources = sources or trainer_sources()
    root = sources.parent
    if (root / ".amlignore").is_file() and (root / "pyproject.toml").is_file():
        return root
    staged = (cache_dir or _cache_home()) / "robo-submit" / "code" / _content_hash(sources)
    if staged.is_dir():
        return staged
    try:
        _stage(sources, staged)
    except OSError as exc:
        raise SubmitError(
            f"cannot stage the trainer's code in {staged.parent} ({exc.strerror or type(exc).__name__}); "
            "make it writable or point XDG_CACHE_HOME at a writable folder"
        ) from None
    return staged


def _stage(sources: Path, staged: Path) -> None:
    staged.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".staging-", dir=staged.parent))
    building.chmod(0o755)  # mkdtemp's 0700 would hide it from others sharing the cache
    shutil.copytree(sources, building / "training", ignore=shutil.ignore_patterns(*IGNORED_DIRS, "*.pyc", "*.pyo"))
    shutil.copytree(_images_dir(), building / IMAGES)
    (building / ".amlignore").write_text(AMLIGNORE, encoding="utf-8")
    try:
        building.rename(staged)
    except OSError:  # another run staged the same sources first: theirs is identical
        shutil.rmtree(building, ignore_errors=True)
        if not staged.is_dir():
            raise


def _content_hash(sources: Path) -> str:
    digest = hashlib.sha256(AMLIGNORE.encode() + b"\0")
    for path in collect(sources.parent).files:
        digest.update(path.relative_to(sources.parent).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for path in sorted(p for p in _images_dir().iterdir() if p.is_file()):
        digest.update((IMAGES / path.name).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _images_dir() -> Path:
    from submit.templates import workflows_dir

    return workflows_dir() / "images"


def collect(root: Path) -> Snapshot:
    """The files Azure ML uploads from `root` under our ignore rules, in a stable order."""
    files: list[Path] = []
    for folder, dirs, names in os.walk(root / "training"):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
        files.extend(Path(folder) / n for n in sorted(names) if not n.endswith(IGNORED_SUFFIXES))
    return Snapshot(root=root, files=tuple(files))


def build_files(root: Path) -> tuple[Path, ...]:
    """The files of the Azure ML build context in `root`: the trainer, workflows/images/ and .dockerignore."""
    images = sorted(p for p in (root / IMAGES).iterdir() if p.is_file()) if (root / IMAGES).is_dir() else []
    dockerignore = [root / ".dockerignore"] if (root / ".dockerignore").is_file() else []
    return (*collect(root).files, *images, *dockerignore)


def relative_code_path(root: Path, spec_dir: Path) -> str:
    """The `code:` value: the snapshot folder relative to the folder the spec is written to."""
    return Path(os.path.relpath(root.resolve(), spec_dir.resolve())).as_posix()


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")

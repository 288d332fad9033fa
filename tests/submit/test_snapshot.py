"""The code snapshot of an installed copy (no checkout around `training/`): staged once per content, safely
when several runs stage at the same time (real processes, a real cache folder)."""

from __future__ import annotations

import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from submit import snapshot
from submit.errors import SubmitError
from tests.submit.conftest import REPO


def _installed(tmp_path: Path) -> Path:
    """training/ as a wheel would put it: in site-packages, next to other packages, no pyproject.toml."""
    site = tmp_path / "site-packages"
    shutil.copytree(REPO / "training", site / "training", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "other_package").mkdir()
    (site / "other_package" / "big.bin").write_bytes(b"\0" * 1024)
    return site / "training"


def _stage(cache: str, sources: str) -> str:
    return str(snapshot.snapshot_root(Path(cache), Path(sources)))


def test_runs_staging_at_the_same_time_all_get_one_complete_copy(tmp_path):
    sources, cache = _installed(tmp_path), tmp_path / "cache"
    with ProcessPoolExecutor(max_workers=6) as pool:
        roots = set(pool.map(_stage, [str(cache)] * 12, [str(sources)] * 12))
    (root,) = (Path(r) for r in roots)
    staged = sorted(p.relative_to(root).as_posix() for p in snapshot.collect(root).files)
    expected = sorted(p.relative_to(sources.parent).as_posix() for p in snapshot.collect(sources.parent).files)
    assert staged == expected and staged
    assert (root / ".amlignore").read_text() == snapshot.AMLIGNORE
    assert not (root / "other_package").exists()
    assert [p.name for p in root.parent.iterdir()] == [root.name]  # no half-built copy left behind


def test_changed_sources_get_a_new_folder_and_the_old_one_stays_for_specs_that_point_at_it(tmp_path):
    sources, cache = _installed(tmp_path), tmp_path / "cache"
    first = snapshot.snapshot_root(cache, sources)
    (sources / "config.py").write_text((sources / "config.py").read_text() + "\n# changed\n")
    second = snapshot.snapshot_root(cache, sources)
    assert first != second and first.is_dir()
    assert (second / "training" / "config.py").read_text().endswith("# changed\n")
    assert snapshot.snapshot_root(cache, sources) == second


def test_an_unwritable_cache_is_one_error_naming_the_folder(tmp_path):
    sources = _installed(tmp_path)
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(SubmitError) as raised:
        snapshot.snapshot_root(blocker, sources)
    assert str(raised.value).startswith(f"cannot stage the trainer's code in {blocker / 'robo-submit' / 'code'} (")
    assert str(raised.value).endswith("make it writable or point XDG_CACHE_HOME at a writable folder")


def test_the_staged_copy_is_readable_by_others_sharing_the_cache(tmp_path):
    root = snapshot.snapshot_root(tmp_path / "cache", _installed(tmp_path))
    assert root.stat().st_mode & 0o777 == 0o755

"""What a local spec run puts on disk for its container: the Azure ML code snapshot and OSMO's files.

Azure ML uploads the `code:` folder minus what its `.amlignore` (else `.gitignore`) excludes, and the job
runs in that copy; the copy here is made by azure-ai-ml's own file walk, so the same files arrive. OSMO
writes each `files:` entry at its path; here each is a file of its own, bind-mounted at that path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from submit.backends.local.job import CODE, ContainerJob, Mount


def stage(job: ContainerJob, tmp: Path) -> list[Mount]:
    """The code snapshot and the spec's files under `tmp`, as the mounts that put them in the container."""
    mounts = []
    if job.code is not None:
        copy_snapshot(job.code, tmp / "code")
        mounts.append(Mount(tmp / "code", CODE, read_only=False))  # Azure ML's working directory is writable
    for i, spec_file in enumerate(job.files):
        host = tmp / "files" / str(i) / Path(spec_file.path).name
        host.parent.mkdir(parents=True)
        host.write_bytes(spec_file.data)
        mounts.append(Mount(host, spec_file.path, read_only=False))
    return mounts


def copy_snapshot(folder: Path, target: Path) -> int:
    """Copy the files Azure ML would upload from `folder` to `target`; how many there were."""
    files = snapshot_files(folder)
    for source, relative in files:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    target.mkdir(parents=True, exist_ok=True)
    return len(files)


def snapshot_files(folder: Path) -> list[tuple[Path, str]]:
    """(file, path in the snapshot) for every file Azure ML uploads from `folder`."""
    from submit import snapshot

    root = snapshot.snapshot_root()
    if folder.resolve() == root.resolve():
        # This checkout: its .amlignore keeps training/ only, and walking its virtual environments to learn
        # that takes minutes (backends/azureml/client.staged_code stages the same files for upload).
        return [(path, path.relative_to(root).as_posix()) for path in snapshot.collect(root).files]
    # azure-ai-ml 1.35.2 (the pinned version): the walk `az ml job create` uploads with. Private helpers;
    # this is the one place that calls them.
    from azure.ai.ml._utils._asset_utils import get_ignore_file, get_upload_files_from_folder

    pairs = get_upload_files_from_folder(folder, ignore_file=get_ignore_file(folder))
    return [(Path(source), relative) for source, relative in pairs]

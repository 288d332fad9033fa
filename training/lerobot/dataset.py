"""Where the training data comes from: a Hub id, a local root, or Azure blob folders fetched first.

Blob URLs name a folder (or one file) in a container:
`https://<account>.blob.core.windows.net/<container>/<prefix>[?<SAS>]`. Every blob under the prefix is
downloaded into the dataset root, keeping its path below the prefix. Credentials: the URL's SAS token,
else the job identity (azure-identity's DefaultAzureCredential, when installed), else anonymous.

Kept from the reference downloader: cache/lock/metadata files are skipped, the dataset id is required,
and the result must have meta/info.json. Changed: a blob's path may not leave the root (no `..`), files
that are already present with the same size (and MD5, when the service has one) are not fetched again,
downloads stream to disk in parallel, and the dataset is never rewritten: LeRobot 0.6.1 reads its
v3.0 layout directly, and an older layout is refused with the converter to use.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from training.config import ConfigError, LeRobotConfig
from training.exits import RunError
from training.lerobot.plan import Dataset

API_VERSION = "2021-08-06"
SKIPPED_SUFFIXES = (".lock", ".metadata")
SKIPPED_DIRS = (".cache",)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
STORAGE_SCOPE = "https://storage.azure.com/.default"
RETRIES = 3
TIMEOUT_S = 60
WORKERS = 8


class DownloadError(RunError):
    """A blob could not be listed or fetched. The message never holds the SAS token."""

    def line(self) -> str:
        return f"error: ROBO_BLOB_URLS: could not download {self}; nothing was trained or registered"


@dataclass(frozen=True)
class Blob:
    name: str
    size: int
    md5: bytes | None


@dataclass(frozen=True)
class BlobFolder:
    """One blob URL split into its parts; `query` is the SAS token (a secret)."""

    base: str  # scheme://host/container
    prefix: str
    query: str

    @property
    def shown(self) -> str:
        """The URL without its SAS token, for messages."""
        return f"{self.base}/{self.prefix}"


MERGED_DIR = "dataset"  # in the job's output folder: several sources merged into one dataset


def resolve(config: LeRobotConfig) -> Dataset | None:
    """The dataset LeRobot should open, after fetching blob folders and merging several sources (mounted
    folders, plus the blob download as one more). None: keep the checkpoint's."""
    if not (config.dataset_repo_id or config.dataset_root or config.dataset_dirs):
        return None
    root = Path(config.dataset_root) if config.dataset_root else None
    if config.blob_urls:
        root = root or default_root(config.dataset_repo_id)
        for url in config.blob_urls:
            download(parse_url(url), root)
        check_layout(root)
    elif root is not None and (root / "meta" / "info.json").is_file():
        check_layout(root)
    sources = [Path(folder) for folder in config.dataset_dirs] + ([root] if root is not None and config.dataset_dirs else [])
    repo_id = config.dataset_repo_id or f"local/{(root or sources[0]).name}"
    if len(sources) == 1:
        check_layout(sources[0])
        return Dataset(repo_id=repo_id, root=sources[0])
    if sources:
        return Dataset(repo_id=repo_id, root=merged(sources, repo_id, Path(config.output_dir) / MERGED_DIR))
    return Dataset(repo_id=repo_id, root=root)


def merged(sources: list[Path], repo_id: str, target: Path) -> Path:
    """One dataset of all sources, made once per job folder with LeRobot's own merge (the workers of a
    multi-GPU run find the launcher's)."""
    if (target / "meta" / "info.json").is_file():
        return target
    for source in sources:
        check_layout(source)
    from training.lerobot import compat  # lazy: LeRobot pulls in torch

    print(f"dataset: merging {len(sources)} sources into {target}", file=sys.stderr)
    compat.merge_datasets(sources, repo_id, target)
    return target


def tree_sha256(root: Path) -> str:
    """One digest of a dataset folder: every file's relative path and content, in path order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".cache" not in p.relative_to(root).parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def default_root(repo_id: str) -> Path:
    """LeRobot's own default location for a dataset id ($HF_LEROBOT_HOME/<repo_id>)."""
    home = os.environ.get("HF_LEROBOT_HOME")
    if not home:
        hf_home = os.environ.get("HF_HOME", str(Path.home() / ".cache" / "huggingface"))
        home = str(Path(hf_home) / "lerobot")
    return Path(home).expanduser() / repo_id


def check_layout(root: Path) -> None:
    """The folder is a LeRobot dataset in the layout this LeRobot reads (v3.x)."""
    info_file = root / "meta" / "info.json"
    if not info_file.is_file():
        raise ConfigError(f"ROBO_DATASET_ROOT: {root} has no meta/info.json; it is not a LeRobot dataset")
    version = str(json.loads(info_file.read_text()).get("codebase_version", ""))
    if not version.startswith("v3."):
        raise ConfigError(
            f"ROBO_DATASET_ROOT: {root} is a LeRobot {version or 'unknown'} dataset; this trainer's LeRobot "
            "reads v3.x. Convert it once with `python -m lerobot.datasets.v30.convert_dataset_v21_to_v30` "
            "and upload the result"
        )


def parse_url(url: str) -> BlobFolder:
    """Split and check a blob URL; https only, except loopback (a local storage emulator)."""
    parts = urllib.parse.urlsplit(url)
    shown = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    loopback = parts.hostname in LOOPBACK_HOSTS
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ConfigError(f"ROBO_BLOB_URLS: {shown} is not an https URL")
    container, _, prefix = parts.path.lstrip("/").partition("/")
    if not container:
        raise ConfigError(
            f"ROBO_BLOB_URLS: {shown} names no container "
            "(https://<account>.blob.core.windows.net/<container>/<folder>)"
        )
    return BlobFolder(
        base=f"{parts.scheme}://{parts.netloc}/{container}", prefix=prefix.strip("/"), query=parts.query
    )


def download(folder: BlobFolder, root: Path) -> int:
    """Fetch the folder's blobs into root; return how many were downloaded (not already present)."""
    headers = _auth_headers(folder)
    wanted = [
        (blob, target) for blob in list_blobs(folder, headers) if (target := local_path(folder, blob, root))
    ]
    if not wanted:
        raise DownloadError(f"{folder.shown}: no blobs under this prefix")
    todo = [(blob, target) for blob, target in wanted if not _is_current(blob, target)]
    print(f"dataset: {folder.shown}: {len(wanted)} files, {len(todo)} to download", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(lambda item: _fetch(folder, headers, *item), todo))
    return len(todo)


def list_blobs(folder: BlobFolder, headers: dict[str, str]) -> Iterator[Blob]:
    """Every blob named exactly `prefix` or below `prefix/`, across result pages."""
    marker = ""
    while True:
        params = {"restype": "container", "comp": "list", "prefix": folder.prefix}
        if marker:
            params["marker"] = marker
        query = urllib.parse.urlencode(params) + (f"&{folder.query}" if folder.query else "")
        root = ET.fromstring(_get(f"{folder.base}?{query}", headers, folder.shown))
        for node in root.iter("Blob"):
            blob = _blob(node)
            if not folder.prefix or blob.name == folder.prefix or blob.name.startswith(folder.prefix + "/"):
                yield blob
        marker = root.findtext("NextMarker") or ""
        if not marker:
            return


def local_path(folder: BlobFolder, blob: Blob, root: Path) -> Path | None:
    """Where a blob lands below root; None for skipped files. Refuses paths that leave root."""
    relative = blob.name[len(folder.prefix) :].lstrip("/") if folder.prefix else blob.name
    relative = relative or PurePosixPath(blob.name).name
    parts = PurePosixPath(relative).parts
    if any(part in ("..", "") for part in parts) or relative.startswith("/") or "\\" in relative:
        raise DownloadError(f"{folder.shown}: blob {blob.name!r} would be written outside the dataset folder")
    if any(part in SKIPPED_DIRS for part in parts) or relative.endswith(SKIPPED_SUFFIXES):
        return None
    return root.joinpath(*parts)


def _blob(node: ET.Element) -> Blob:
    md5 = node.findtext("Properties/Content-MD5")
    return Blob(
        name=node.findtext("Name") or "",
        size=int(node.findtext("Properties/Content-Length") or 0),
        md5=base64.b64decode(md5) if md5 else None,
    )


def _is_current(blob: Blob, target: Path) -> bool:
    if not target.is_file() or target.stat().st_size != blob.size:
        return False
    return blob.md5 is None or _md5(target) == blob.md5


def _md5(path: Path) -> bytes:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.digest()


def _fetch(folder: BlobFolder, headers: dict[str, str], blob: Blob, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    url = f"{folder.base}/{urllib.parse.quote(blob.name)}" + (f"?{folder.query}" if folder.query else "")
    _with_retries(lambda: _stream(url, headers, partial), f"{folder.base}/{blob.name}")
    if partial.stat().st_size != blob.size:
        partial.unlink()
        raise DownloadError(f"{folder.base}/{blob.name}: got a different size than the listing says")
    # Rename last, so an interrupted run never leaves a half file that looks complete.
    os.replace(partial, target)


def _stream(url: str, headers: dict[str, str], partial: Path) -> None:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response, partial.open("wb") as out:
        for chunk in iter(lambda: response.read(1 << 20), b""):
            out.write(chunk)


def _get(url: str, headers: dict[str, str], shown: str) -> bytes:
    def read() -> bytes:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S
        ) as response:
            return response.read()

    return _with_retries(read, shown)


def _with_retries(action, shown: str):
    for attempt in range(1, RETRIES + 1):
        try:
            return action()
        except urllib.error.HTTPError as exc:
            # Client errors (403 bad SAS, 404 wrong prefix) do not improve with retries.
            if exc.code < 500 or attempt == RETRIES:
                raise DownloadError(f"{shown}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt == RETRIES:
                reason = getattr(exc, "reason", exc)
                raise DownloadError(f"{shown}: {reason}") from None
        time.sleep(2**attempt)
    raise AssertionError("unreachable")


def _auth_headers(folder: BlobFolder) -> dict[str, str]:
    headers = {"x-ms-version": API_VERSION}
    if folder.query or not folder.base.startswith("https://"):
        return headers
    token = _identity_token()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _identity_token() -> str | None:
    """The job identity's storage token, or None when azure-identity is absent (anonymous access)."""
    try:
        from azure.identity import DefaultAzureCredential  # lazy: optional dependency, slow import
    except ImportError:
        return None
    try:
        credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
        return credential.get_token(STORAGE_SCOPE).token
    except Exception as exc:  # any credential failure: a public container still works anonymously
        print(f"dataset: no Azure identity ({type(exc).__name__}); trying anonymous access", file=sys.stderr)
        return None

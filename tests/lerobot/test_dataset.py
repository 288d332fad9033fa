"""Blob datasets: listing, download, skip-if-present, and the safety checks.

The Azure Blob endpoint cannot be reached from tests, so a loopback HTTP server speaks the two calls
the downloader uses (List Blobs with paging, Get Blob) at that one seam. Pure: no LeRobot import.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from training.config import ConfigError, LeRobotConfig
from training.lerobot import dataset

# Pure (no LeRobot import), but part of the LeRobot tier that scripts/test.sh runs with `-m lerobot`.
pytestmark = pytest.mark.lerobot

SAS = "sv=2022-11-02&sig=s3cret"
INFO = json.dumps({"codebase_version": "v3.0", "fps": 10}).encode()
BLOBS = {
    "datasets/tiny/meta/info.json": INFO,
    "datasets/tiny/meta/stats.json": b"{}",
    "datasets/tiny/data/chunk-000/file-000.parquet": b"parquet bytes",
    "datasets/tiny/.cache/huggingface/x.lock": b"",
    "datasets/tiny/data/chunk-000/file-000.parquet.lock": b"",
    "datasets/tiny2/meta/info.json": b"another dataset",
}


class FakeBlobService:
    """List Blobs (two entries a page) and Get Blob for one container, SAS required."""

    def __init__(self, blobs: dict[str, bytes]):
        self.blobs = dict(blobs)
        self.gets: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/container"

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                if query.get("sig") != "s3cret":
                    self._send(403, b"AuthenticationFailed")
                elif query.get("comp") == "list":
                    self._send(200, service.listing(query.get("prefix", ""), query.get("marker", "")))
                else:
                    name = urllib.parse.unquote(parts.path.removeprefix("/container/"))
                    service.gets.append(name)
                    self._send(200, service.blobs[name]) if name in service.blobs else self._send(404, b"")

            def _send(self, code: int, body: bytes):
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def listing(self, prefix: str, marker: str) -> bytes:
        names = sorted(n for n in self.blobs if n.startswith(prefix))
        start = names.index(marker) if marker else 0
        page, rest = names[start : start + 2], names[start + 2 :]
        items = "".join(
            f"<Blob><Name>{escape(n)}</Name><Properties><Content-Length>{len(self.blobs[n])}</Content-Length>"
            f"<Content-MD5>{base64.b64encode(hashlib.md5(self.blobs[n]).digest()).decode()}</Content-MD5>"
            "</Properties></Blob>"
            for n in page
        )
        next_marker = rest[0] if rest else ""
        body = f"<Blobs>{items}</Blobs><NextMarker>{next_marker}</NextMarker>"
        return f"<EnumerationResults>{body}</EnumerationResults>".encode()


@pytest.fixture
def service() -> Iterator[FakeBlobService]:
    fake = FakeBlobService(BLOBS)
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _config(service: FakeBlobService, root: Path, prefix: str = "datasets/tiny") -> LeRobotConfig:
    return LeRobotConfig(
        dataset_repo_id="local/tiny", dataset_root=str(root), blob_urls=(f"{service.url}/{prefix}?{SAS}",)
    )


def test_blob_folder_lands_below_the_root_without_lock_and_cache_files(service, tmp_path):
    located = dataset.resolve(_config(service, tmp_path / "tiny"))
    files = sorted(
        str(p.relative_to(tmp_path / "tiny")) for p in (tmp_path / "tiny").rglob("*") if p.is_file()
    )
    assert files == ["data/chunk-000/file-000.parquet", "meta/info.json", "meta/stats.json"]
    assert (tmp_path / "tiny" / "data/chunk-000/file-000.parquet").read_bytes() == b"parquet bytes"
    assert located == dataset.Dataset(repo_id="local/tiny", root=tmp_path / "tiny")


def test_second_run_downloads_nothing_and_a_changed_blob_again(service, tmp_path):
    config = _config(service, tmp_path / "tiny")
    dataset.resolve(config)
    service.gets.clear()
    dataset.resolve(config)
    assert service.gets == []
    service.blobs["datasets/tiny/meta/stats.json"] = b'{"x": 1}'
    dataset.resolve(config)
    assert service.gets == ["datasets/tiny/meta/stats.json"]


def test_a_blob_name_that_climbs_out_of_the_root_is_refused(service, tmp_path):
    service.blobs["datasets/tiny/../../etc/passwd"] = b"x"
    with pytest.raises(dataset.DownloadError) as raised:
        dataset.resolve(_config(service, tmp_path / "tiny"))
    assert "would be written outside the dataset folder" in str(raised.value)
    assert not (tmp_path / "etc").exists()


def test_errors_never_show_the_sas_token(service, tmp_path):
    config = LeRobotConfig(
        dataset_repo_id="local/tiny",
        dataset_root=str(tmp_path),
        blob_urls=(f"{service.url}/datasets/tiny?sv=1&sig=wrong-s3cret",),
    )
    with pytest.raises(dataset.DownloadError) as raised:
        dataset.resolve(config)
    assert str(raised.value) == f"{service.url}/datasets/tiny: HTTP 403 Forbidden"


def test_an_old_layout_is_refused_with_the_converter_to_use(service, tmp_path):
    service.blobs["datasets/tiny/meta/info.json"] = json.dumps({"codebase_version": "v2.1"}).encode()
    with pytest.raises(ConfigError) as raised:
        dataset.resolve(_config(service, tmp_path / "tiny"))
    assert str(raised.value).startswith(f"ROBO_DATASET_ROOT: {tmp_path / 'tiny'} is a LeRobot v2.1 dataset;")
    assert "convert_dataset_v21_to_v30" in str(raised.value)


def test_a_prefix_with_no_blobs_is_an_error(service, tmp_path):
    with pytest.raises(dataset.DownloadError) as raised:
        dataset.resolve(_config(service, tmp_path, prefix="datasets/missing"))
    assert str(raised.value) == f"{service.url}/datasets/missing: no blobs under this prefix"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/c/p", "ROBO_BLOB_URLS: http://example.com/c/p is not an https URL"),
        ("ftp://127.0.0.1/c/p?sig=x", "ROBO_BLOB_URLS: ftp://127.0.0.1/c/p is not an https URL"),
        (
            "https://a.blob.core.windows.net/?sig=x",
            "ROBO_BLOB_URLS: https://a.blob.core.windows.net/ names no container "
            "(https://<account>.blob.core.windows.net/<container>/<folder>)",
        ),
    ],
)
def test_parse_url_accepts_https_only_and_hides_the_query(url, message):
    with pytest.raises(ConfigError) as raised:
        dataset.parse_url(url)
    assert str(raised.value) == message


def test_parse_url_splits_container_prefix_and_sas():
    folder = dataset.parse_url("https://acct.blob.core.windows.net/datasets/lerobot/tiny/?sv=1&sig=x")
    assert folder == dataset.BlobFolder(
        base="https://acct.blob.core.windows.net/datasets", prefix="lerobot/tiny", query="sv=1&sig=x"
    )
    assert folder.shown == "https://acct.blob.core.windows.net/datasets/lerobot/tiny"


def test_default_root_follows_lerobot_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path))
    assert dataset.default_root("org/data") == tmp_path / "org" / "data"

"""Shared by every tier: a guard that refuses connections off this machine, a real MLflow tracking
server, and direct sqlite:/// tracking stores.

The server is `mlflow server` on 127.0.0.1 and a free port, with a sqlite backend store,
`--artifacts-destination` (artifacts go over HTTP, as from a container) and one worker.
MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false skips the job runner, which cuts start-up from
about 40 s to about 10 s on this machine (research/azure-mlflow-probe.md §4).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

START_TIMEOUT = 180.0  # seconds; a shared 2-core machine can be slow
TIER_FOLDERS = {"lerobot": "lerobot", "isaaclab": "isaaclab", "images": "images"}  # folder under tests/ -> the marker its tier selects


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test in a tier's folder without the tier's marker would run nowhere: the main tier ignores the
    folder and the tier selects by marker (scripts/test.sh). Refuse to collect it."""
    tests = Path(__file__).parent
    for item in items:
        relative = item.path.relative_to(tests) if item.path.is_relative_to(tests) else None
        marker = TIER_FOLDERS.get(relative.parts[0]) if relative and len(relative.parts) > 1 else None
        if marker and item.get_closest_marker(marker) is None:
            raise pytest.UsageError(f"{item.nodeid}: no @pytest.mark.{marker}, so no tier would run it")


class NetworkRefused(RuntimeError):
    """A test tried to reach something other than this machine. Not an OSError, so no retry loop or
    "server unreachable" branch mistakes it for an outage."""


REFUSED: list[str] = []  # every refused address since the current test began, including swallowed ones


@pytest.fixture(scope="session", autouse=True)
def _loopback_only() -> Iterator[None]:
    """Patch socket.socket's connect, connect_ex and sendto, and socket.create_connection, for the
    whole session (session fixtures included) so that a non-loopback address raises NetworkRefused
    before any packet is sent. Loopback (127.0.0.0/8, ::1, localhost) and non-IP families (AF_UNIX)
    pass.

    In-process only: a subprocess a test starts (the MLflow server, a CLI run as a child, a trainer)
    has its own, unpatched socket module, and a library's own name lookup (getaddrinfo) before its
    connect is not refused either.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in ("connect", "connect_ex"):
            patch.setattr(socket.socket, name, _checked(getattr(socket.socket, name)))
        patch.setattr(socket.socket, "sendto", _checked_sendto(socket.socket.sendto))
        patch.setattr(socket, "create_connection", _checked_create(socket.create_connection))
        yield


@pytest.fixture(autouse=True)
def network_guard() -> Iterator[list[str]]:
    """Fails the test when it tried a non-loopback address, even if the code under test caught the
    NetworkRefused. A test that provokes a refusal on purpose clears the list it gets."""
    REFUSED.clear()
    yield REFUSED
    if REFUSED:
        pytest.fail(f"the test tried to reach {', '.join(REFUSED)}: tests reach only loopback", pytrace=False)


def _refuse_remote(family: int, address: object) -> None:
    if family not in (socket.AF_INET, socket.AF_INET6) or _is_loopback(address[0]):  # type: ignore[index]
        return
    shown = f"{address[0]}:{address[1]}"  # type: ignore[index]
    REFUSED.append(shown)
    raise NetworkRefused(f"connection to {shown} refused: tests reach only loopback (127.0.0.0/8, ::1, localhost)")


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is not part of it
    except ValueError:
        return False  # a host name other than localhost: refused before it is looked up
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def _checked(original):
    def connect(sock: socket.socket, address, *args, **kwargs):
        _refuse_remote(sock.family, address)
        return original(sock, address, *args, **kwargs)

    return connect


def _checked_sendto(original):
    def sendto(sock: socket.socket, data, *args):  # sendto(data, address) or sendto(data, flags, address)
        _refuse_remote(sock.family, args[-1])
        return original(sock, data, *args)

    return sendto


def _checked_create(original):
    def create_connection(address, *args, **kwargs):
        # Before the name lookup: create_connection resolves the host first, and that is a packet too.
        _refuse_remote(socket.AF_INET, address)
        return original(address, *args, **kwargs)

    return create_connection


class MlflowServer:
    """One `mlflow server` process group that tests can stop, kill and restart on its port."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = root
        self.port = port or free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        root.mkdir(parents=True, exist_ok=True)

    def start(self) -> MlflowServer:
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        env.pop("MLFLOW_TRACKING_URI", None)
        command = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{self.root / 'mlflow.db'}",
            "--artifacts-destination", str(self.root / "artifacts"),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]  # fmt: skip
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self._wait_healthy()
        return self

    def kill(self) -> None:
        """SIGKILL the server's process group (the server and its uvicorn worker): an outage."""
        self._signal_group(signal.SIGKILL)

    def stop(self) -> None:
        self._signal_group(signal.SIGTERM, wait=10.0)
        self._signal_group(signal.SIGKILL)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mlflow server exited with {self.process.returncode}; see {self.root / 'server.log'}"
                )
            if self.healthy():
                return
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(
            f"mlflow server not healthy after {START_TIMEOUT:.0f}s; see {self.root / 'server.log'}"
        )

    def _signal_group(self, signum: int, wait: float = 5.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signum)  # the group this fixture started, by its id
        except ProcessLookupError:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(wait)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory):
    """A real tracking server for the whole session (started on first use)."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server")).start()
    yield server
    server.stop()


@pytest.fixture
def server_tracking(mlflow_server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """MLFLOW_TRACKING_URI pointing at the session's server, for this test."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    return mlflow_server.uri


@pytest.fixture
def sqlite_tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """MLFLOW_TRACKING_URI pointing at a fresh direct sqlite store in this test's folder."""
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri

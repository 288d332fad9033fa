"""Where a spec run's MLflow points: the spec's own server, MLFLOW_TRACKING_URI, or the local store.

The local store is the one `submit local training` writes (mlruns.db and mlruns/ in the working
directory). A job image carries the MLflow client only (mlflow-skinny has no SQLite store), so for the
run an MLflow server on 127.0.0.1 serves that store (or the sqlite:/// store MLFLOW_TRACKING_URI names)
to the container (--network host), and mlruns/ is mounted at the same path: an experiment's artifacts
stay where local training puts them, and `mlflow ui --backend-store-uri sqlite:///.../mlruns.db` shows
both kinds of run. A file store cannot be served this way and is refused.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from submit.backends.local.job import ContainerJob, Mount
from submit.backends.local.runner import LOCAL_STORE
from submit.errors import BadInput, SubmitError
from submit.output import say

ARTIFACTS = "mlruns"  # where local training's runs keep artifacts (MLflow's default, relative to the working directory)
# The client's own settings, passed on by name with MLFLOW_TRACKING_URI from this machine.
CLIENT_VARIABLES = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_INSECURE_TLS")
START_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Tracking:
    """What the container gets: variables to set, host variables to pass by name, mounts; and the URI shown."""

    uri: str | None
    env: dict[str, str]
    from_host: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()


def mlflow_off(job: ContainerJob) -> bool:
    """The spec turns the trainer's MLflow off (ROBO_MLFLOW=false): no store is needed."""
    from training.config import ENV_PREFIX  # the trainer's contract (no torch)

    return job.env.get(f"{ENV_PREFIX}MLFLOW", "").lower() == "false"


@contextlib.contextmanager
def tracking_for(job: ContainerJob, workdir: Path, environ: Mapping[str, str]) -> Iterator[Tracking]:
    """The spec's URI when it names one; else this machine's MLFLOW_TRACKING_URI; else the local store.
    A SQLite store (the local one, or MLFLOW_TRACKING_URI=sqlite:///...) is served for as long as the block runs."""
    if job.tracking_uri:
        yield Tracking(job.tracking_uri, {})
        return
    uri = environ.get("MLFLOW_TRACKING_URI", "")
    if uri and not uri.startswith("sqlite:"):
        if uri.startswith("file:") or "://" not in uri:
            raise BadInput(
                f"MLFLOW_TRACKING_URI: {uri} is a file store, which the container cannot reach; "
                "point it at a tracking server or a sqlite:/// store"
            )
        passed = tuple(name for name in CLIENT_VARIABLES if environ.get(name))
        yield Tracking(uri, {"MLFLOW_TRACKING_URI": uri}, passed)
        return
    if mlflow_off(job) and not uri:
        yield Tracking(None, {})
        return
    store = uri or f"sqlite:///{(workdir / LOCAL_STORE).resolve()}"
    artifacts = (workdir / ARTIFACTS).resolve()
    with serve_store(store, artifacts) as served:
        yield Tracking(store, {"MLFLOW_TRACKING_URI": served}, mounts=(Mount(artifacts, str(artifacts), read_only=False),))


@contextlib.contextmanager
def serve_store(store: str, artifacts: Path) -> Iterator[str]:
    """An MLflow server on 127.0.0.1 for a SQLite store, new artifacts under `artifacts`, stopped when the
    block ends; its URL."""
    if importlib.util.find_spec("mlflow") is None:
        raise SubmitError(
            f"mlflow is not installed here to serve the tracking store {store} to the container; install "
            "robo-submit[train], set MLFLOW_TRACKING_URI to a tracking server, or set ROBO_MLFLOW=false in the spec"
        )
    artifacts.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    argv = [
        sys.executable, "-m", "mlflow", "server", "--backend-store-uri", store,
        "--default-artifact-root", str(artifacts), "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    environ = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # its job runner: 30 s more start-up
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=environ, process_group=0)
        try:
            url = f"http://127.0.0.1:{port}"
            say(f"serving the MLflow store {store} at {url} for the run")
            _wait_healthy(server, url, log)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_healthy(server: subprocess.Popen, url: str, log) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            lines = [line.strip() for line in log.read().splitlines() if line.strip()]
            raise SubmitError(f"the local MLflow server exited {server.returncode}: {lines[-1] if lines else 'no output'}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.5)
    raise SubmitError(f"the local MLflow server did not answer at {url} within {START_TIMEOUT_S:.0f} s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

"""The embedded MLflow store's work in a process of its own, so a local run's training process does none of it.

With `MLFLOW_TRACKING_URI` naming an embedded store (`sqlite:///...`, `file:...`, a plain path), every MLflow
call would run the store inside the training process: importing mlflow, creating and migrating the database,
each `log_batch`'s SQL, the uploads and the registration, all under the training thread's GIL (issue 19: 0.89x
a bare skrl loop, 2.8 s before the first step). A tracking server does that work in another process; so does
this module, without a server: the trainer starts one child (`python -m training.tracking.store_process`) at
the beginning of the run, before the environment is built, so that mlflow's import overlaps with the trainer's
own start-up, and talks to it over the child's stdin and stdout. The run itself is opened from a thread of the
training process as soon as the agent is built (training/rl/session.py, `DeferredRun`): the training thread
never waits for the store, and a new database's migration overlaps with the first updates (checkpoints written
before the run opened get its id at the end, before they upload). The child imports what the run's end needs
(torch, mlflow.pyfunc) while it is idle, and exits without the interpreter's teardown once its stdin closes, so
the end of a run waits only for the work itself. It keeps the trainer's CPU priority: niced, it starved behind
other processes on a loaded machine while the trainer waited for its uploads (a 54 s teardown, measured).

Requests are length-prefixed pickles (parent and child are the same user's processes on one machine), one at a
time under a lock; every request is answered, so "sent" means the child committed it to the store:

* `("start_run", kwargs)`: `training.mlflow_run.start_run` in the child; the answer is the run id;
* `("log_points", run_id, points)`: metric points as plain tuples (name, value, timestamp ms, step);
* `("client", method, args, kwargs)`: one `MlflowClient` method (uploads, tags, registration); entities in the
  answer come back as `SimpleNamespace`s, so the parent never imports mlflow;
* `("call", "module:function", kwargs)`: a function of this repository run in the child (the pyfunc model).

An error in the child comes back as `StoreError` with the same message and MLflow's `error_code`. A child that
died (killed, out of memory) makes every later call raise `StoreGone`: the metric sender then stops and counts
what it holds as unsent (the ledger keeps every point), and the run ends as with an unreachable server: a
training that cannot upload or register fails (exit 1) and registers nothing. The child exits when its stdin
closes, so a training process killed with SIGKILL does not leave it holding the database; one that was never
asked anything (a run refused before it trained) is stopped at once.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from types import SimpleNamespace
from typing import Any, BinaryIO

_HEADER = struct.Struct("!I")
_EXIT_WAIT_S = 30.0  # how long `close` waits for the child to finish what it was asked


class StoreError(RuntimeError):
    """An MLflow call that failed in the store process; carries MLflow's `error_code` (None for other errors)."""

    def __init__(self, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.error_code = error_code


class StoreGone(ConnectionError):
    """The store process is not there any more: nothing more reaches the store in this run."""

    permanent = True  # the metric sender stops retrying (training/tracking/sender.py)


def embedded(uri: str | None) -> bool:
    """Whether `uri` is a store MLflow would open inside the process (sqlite, file, a path), not a server."""
    if not uri:
        return False
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    return scheme in ("sqlite", "file") or (scheme == "" and not uri.startswith("databricks"))


class StoreProcess:
    """The parent's end: a child serving one tracking URI, and the `client` proxy the trainer's code calls."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._lock = threading.Lock()
        self._gone: str | None = None
        self._asked = False  # no request yet: the child has not opened the store, and may be stopped at once
        self._owner = os.getpid()  # a forked copy of this object (training's fork children) closes nothing
        # No progress bars from the uploads: the child's stderr is the training's log.
        env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
        self._child = subprocess.Popen(
            [sys.executable, "-m", "training.tracking.store_process"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True,
        )  # fmt: skip
        self.client = StoreClient(self)
        atexit.register(self.close)

    @property
    def pid(self) -> int:
        return self._child.pid

    def request(self, *message: Any) -> Any:
        with self._lock:
            if self._gone is not None:
                raise StoreGone(self._gone)
            self._asked = True
            try:
                _write(self._child.stdin, message)
                answer = _read(self._child.stdout)
            except (OSError, EOFError, pickle.UnpicklingError):
                answer = None
            if answer is None:
                self._gone = f"the MLflow store process for {self.uri} exited ({self._exit_status()})"
                raise StoreGone(self._gone)
        kind, value = answer
        if kind == "error":
            raise StoreError(value["message"], value["error_code"])
        return value

    def start_run(self, **kwargs: Any) -> SimpleNamespace:
        """`training.mlflow_run.start_run` in the child: a TrackingRun-shaped record whose client is the proxy."""
        run_id, owns_run, tracking_uri = self.request("start_run", kwargs)
        return SimpleNamespace(client=self.client, run_id=run_id, owns_run=owns_run, tracking_uri=tracking_uri)

    def close(self) -> None:
        """Let the child finish and exit (its stdin closes); killed if it does not within `_EXIT_WAIT_S`, or at
        once when it was never asked anything (a run refused before it trained: nothing to finish)."""
        if os.getpid() != self._owner:
            return
        with self._lock:
            if self._child.poll() is None and not self._asked:
                self._child.kill()
                self._child.wait()
            if self._child.poll() is None:
                try:
                    self._child.stdin.close()
                    self._child.wait(_EXIT_WAIT_S)
                except (OSError, subprocess.TimeoutExpired):
                    self._child.kill()
                    self._child.wait()
            self._gone = self._gone or f"the MLflow store process for {self.uri} was closed"
            for stream in (self._child.stdin, self._child.stdout):
                if stream is not None and not stream.closed:
                    stream.close()
        atexit.unregister(self.close)

    def _exit_status(self) -> str:
        try:
            code = self._child.wait(5)
        except subprocess.TimeoutExpired:
            return "not answering"
        return f"signal {-code}" if code < 0 else f"exit {code}"


class StoreClient:
    """What the trainer calls as an `MlflowClient`: each method runs in the store process."""

    def __init__(self, store: StoreProcess) -> None:
        self._store = store

    def log_points(self, run_id: str, points: list[tuple[str, float, int, int]]) -> None:
        """One synchronous log_batch of plain metric points (the metric sender's `send`)."""
        self._store.request("log_points", run_id, points)

    def call(self, function: str, **kwargs: Any) -> Any:
        """`module:function(**kwargs)` of this repository, run in the store process."""
        return self._store.request("call", function, kwargs)

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *args, **kwargs: self._store.request("client", method, args, kwargs)


_started: dict[str, StoreProcess] = {}


def launch(uri: str) -> StoreProcess:
    """The store process of this training process for `uri`, started on the first call (the trainer calls this
    first thing, so the child's start-up overlaps with its own)."""
    store = _started.get(uri)
    if store is None or store._gone is not None:
        store = _started[uri] = StoreProcess(uri)
    return store


def _release_in_forked_child() -> None:
    """A process forked from the trainer (a data-loader worker, an async vector environment) must not hold the
    store processes' pipes: a store process sees its stdin close only once every holder has closed it, so at
    the run's end `close` would wait out `_EXIT_WAIT_S` and kill it while a worker lived. The forked child's
    copies are pointed at /dev/null (no lock is taken: a thread of the parent may have held one at the fork)
    and it forgets the stores; its copies of them close nothing (`StoreProcess.close`)."""
    if not _started:
        return
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for store in _started.values():
            for stream in (store._child.stdin, store._child.stdout):
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    os.dup2(null, stream.fileno())
    finally:
        os.close(null)
    _started.clear()


os.register_at_fork(after_in_child=_release_in_forked_child)


def close_all() -> None:
    """Close every store process this process started (the run's end)."""
    while _started:
        _started.popitem()[1].close()


# -- the child --------------------------------------------------------------------------


def _write(stream: BinaryIO | None, message: Any) -> None:
    assert stream is not None
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read(stream: BinaryIO | None) -> Any:
    assert stream is not None
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def _plain(value: Any) -> Any:
    """MLflow entities as SimpleNamespaces of their properties (the parent has no mlflow to unpickle them)."""
    if value is None or isinstance(value, str | int | float | bool | bytes):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if hasattr(value, "__iter__") and type(value).__module__.startswith("mlflow."):
        try:
            return SimpleNamespace(**{key: _plain(item) for key, item in dict(value).items()})
        except (TypeError, ValueError):
            pass
    return str(value)


class _Server:
    def __init__(self) -> None:
        # The child's first work, while the parent builds its environment: the imports. The store itself (a new
        # database is created and migrated) opens on the first request, so a run the trainer refuses before it
        # trains (a bad checkpoint, an unknown task) writes nothing.
        import mlflow.store.model_registry.sqlalchemy_store
        import mlflow.store.tracking.sqlalchemy_store  # noqa: F401

        # mlflow sets its logger to INFO on import; the store's "Creating initial MLflow database tables" lines
        # are not the training's log.
        logging.getLogger("mlflow").setLevel(logging.WARNING)
        self._client: Any = None
        self.runs: dict[str, Any] = {}
        # What the run's end needs (the MLflow model of the policy: torch, mlflow.pyfunc), imported while the
        # child is otherwise idle, so that it is not paid after the last update.
        threading.Thread(target=_preload, name="store-preload", daemon=True).start()

    @property
    def client(self) -> Any:
        if self._client is None:
            from mlflow import MlflowClient

            self._client = MlflowClient(os.environ["MLFLOW_TRACKING_URI"])
        return self._client

    def handle(self, message: tuple) -> Any:
        kind = message[0]
        if kind == "start_run":
            from training.mlflow_run import start_run

            run = start_run(**message[1])
            self.runs[run.run_id] = run
            return run.run_id, run.owns_run, run.tracking_uri
        if kind == "log_points":
            from mlflow.entities import Metric

            _, run_id, points = message
            metrics = [Metric(key=k, value=v, timestamp=t, step=s) for k, v, t, s in points]
            self.client.log_batch(run_id, metrics=metrics, synchronous=True)
            return None
        if kind == "client":
            _, method, args, kwargs = message
            return _plain(getattr(self.client, method)(*args, **kwargs))
        if kind == "call":
            _, target, kwargs = message
            module, _, name = target.partition(":")
            if not module.startswith("training."):
                raise ValueError(f"not a function of the trainer: {target}")
            return _plain(getattr(importlib.import_module(module), name)(**kwargs))
        raise ValueError(f"unknown request {kind!r}")


def _preload() -> None:
    try:
        import mlflow.pyfunc  # noqa: F401
        import torch  # noqa: F401
    except Exception:  # an image without them: the request that needs them says why
        pass


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer requests until the parent closes the pipe."""
    server: _Server | None = None
    failure: Exception | None = None
    try:
        server = _Server()
    except Exception as exc:  # every request then says why
        failure = exc
    while (message := _read(requests)) is not None:
        try:
            if server is None:
                raise failure or RuntimeError("the store did not open")
            answer: tuple[str, Any] = ("ok", server.handle(message))
        except Exception as exc:
            answer = ("error", {"message": str(exc) or type(exc).__name__, "error_code": getattr(exc, "error_code", None)})
        _write(answers, answer)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print (mlflow's, alembic's) goes to the log
    serve(sys.stdin.buffer, protocol)
    # Every request was answered, so everything asked is committed: exit without the interpreter's teardown of
    # mlflow, SQLAlchemy and torch (1-2 s the training process would wait for at its end).
    sys.stderr.flush()
    os._exit(0)

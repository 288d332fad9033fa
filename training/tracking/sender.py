"""Background metric pipeline: reduce, name, record locally, and send to MLflow in batches.

The training thread only calls `submit`, which never blocks. Two daemon threads do the rest:

* the *processor* turns each `LogEvent` into points (name, value, timestamp, step), keeps
  the latest value of every metric (for the progress line and the result), appends the
  points to a local JSONL ledger, and puts them in a bounded buffer;
* the *sender* empties the buffer with ``MlflowClient.log_batch`` (up to 1000 points per
  request), once the oldest waiting point is `linger` seconds old or a full batch is
  waiting: every request costs the training process client-side work under the GIL
  (and the server CPU), so a few large requests cost far less than one per update.
  While the tracking server is down it keeps the points and retries with backoff; a
  request MLflow itself retries for minutes blocks only this thread.

So neither a slow nor an absent server slows training or delays the progress line.
`close` flushes within a timeout and reports how many points never reached MLflow.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.tracking.names import ALIASES
from training.tracking.reduce import reduce_window
from training.tracking.wrapper import LogEvent

log = logging.getLogger("training.tracking")

Point = tuple[str, float, int, int]  # name, value, timestamp (ms), step
BATCH_SIZE = 1000  # MLflow's limit of metrics per log_batch request
LINGER_S = 2.0  # how long a point may wait for others to share its request (benchmarks/rl_trainer.py)
_NOT_RETRIABLE = frozenset(
    {"INVALID_PARAMETER_VALUE", "BAD_REQUEST", "RESOURCE_DOES_NOT_EXIST", "INVALID_STATE"}
)


@dataclass(frozen=True)
class FlushReport:
    """What happened to the points of a run, for the final warning."""

    logged: int
    sent: int
    unsent: int
    last_error: str | None


class MetricPipeline:
    """Reduce `LogEvent`s to points and deliver them through `send` (None: ledger only)."""

    def __init__(
        self,
        *,
        send: Callable[[list[Point]], None] | None,
        num_envs: int = 1,
        start_step: int = 0,
        max_depth: int = 2,
        metric_filter: Iterable[str] = (),
        ledger: Path | None = None,
        system: Callable[[], dict[str, float]] | None = None,
        capacity: int = 200_000,
        max_backoff: float = 5.0,
        linger: float = LINGER_S,
        warned: bool = False,
    ) -> None:
        self.latest: dict[str, float] = {}
        self._send = send
        self._num_envs = num_envs
        self._previous = (start_step, time.time())
        self._max_depth = max_depth
        self._filter = tuple(f.lower() for f in metric_filter)
        self._ledger_path = ledger
        self._ledger: Any = None
        self._system = system
        self._capacity = capacity
        self._max_backoff = max_backoff
        self._linger = linger
        self._oldest = 0.0  # monotonic time the oldest point in the buffer arrived
        self._events: queue.Queue[LogEvent | None] = queue.Queue()
        self._buffer: list[Point] = []
        self._ready = threading.Condition()
        self._counts = {"logged": 0, "sent": 0, "dropped": 0, "rejected": 0}
        self._last_error: str | None = None
        self._processing_done = threading.Event()
        self._deadline = float("inf")
        self._stopping = False
        self._warned_skips: set[str] = set()
        self._outage_warned = warned  # the caller already said the server is unreachable
        self._processor = threading.Thread(target=self._process_events, name="metrics-processor", daemon=True)
        self._sender = threading.Thread(target=self._send_points, name="metrics-sender", daemon=True)

    def start(self) -> MetricPipeline:
        if self._ledger_path is not None:
            self._ledger_path.parent.mkdir(parents=True, exist_ok=True)
            self._ledger = open(self._ledger_path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self._processor.start()
        if self._send is not None:
            self._sender.start()
        return self

    def submit(self, event: LogEvent) -> None:
        """Queue an event for the processor (unbounded: events are small, points are bounded)."""
        self._events.put_nowait(event)

    def close(self, timeout: float) -> FlushReport:
        """Deliver what is pending within `timeout` seconds; count the rest as unsent."""
        deadline = time.monotonic() + timeout
        self._events.put_nowait(None)
        self._processor.join(timeout)
        with self._ready:
            self._deadline = deadline
            self._stopping = True
            self._ready.notify_all()
        if self._send is not None:
            self._sender.join(max(0.0, deadline - time.monotonic()) + 0.5)
        with self._ready:
            unsent = len(self._buffer) + self._counts["dropped"] + self._counts["rejected"]
            report = FlushReport(self._counts["logged"], self._counts["sent"], unsent, self._last_error)
        if self._ledger is not None and not self._processor.is_alive():
            with contextlib.suppress(OSError):  # a full disk may refuse the last flush
                self._ledger.close()
        return report

    # -- processor thread ----------------------------------------------------------------

    def _process_events(self) -> None:
        while (event := self._events.get()) is not None:
            try:
                self._process(event)
            except Exception as exc:  # one bad window must not stop every later one
                log.warning("could not turn the metrics of step %d into points: %r", event.step, exc)

    def _process(self, event: LogEvent) -> None:
        metrics = self._metrics(event)
        self.latest.update(metrics)
        kept = {k: v for k, v in metrics.items() if self._keep(k)}
        timestamp = int(event.wall_time * 1000)
        self._record(event.step, timestamp, kept)
        points = [(name, value, timestamp, event.step) for name, value in kept.items()]
        with self._ready:
            self._counts["logged"] += len(points)
            if self._send is None:
                return
            if len(self._buffer) + len(points) > self._capacity:
                self._counts["dropped"] += len(points)
                return
            if not self._buffer:
                self._oldest = time.monotonic()
            self._buffer.extend(points)
            if len(self._buffer) == len(points) or len(self._buffer) >= BATCH_SIZE:
                self._ready.notify_all()  # the sender's timer starts, or a full batch is waiting

    def _metrics(self, event: LogEvent) -> dict[str, float]:
        metrics, skipped = reduce_window(event.window, max_depth=self._max_depth)
        self._warn_skipped(skipped)
        for name, alias in ALIASES.items():
            if name in metrics:
                metrics[alias] = metrics[name]
        metrics.update(self._rates(event))
        if self._system is not None:
            metrics.update(self._system())
        return metrics

    def _rates(self, event: LogEvent) -> dict[str, float]:
        previous_step, previous_time = self._previous
        self._previous = (event.step, event.wall_time)
        rates = {"timesteps": float(event.step), "updates": float(event.updates)}
        elapsed = event.wall_time - previous_time
        if elapsed > 0 and event.step > previous_step:
            rates["fps"] = (event.step - previous_step) * self._num_envs / elapsed
        return rates

    def _keep(self, name: str) -> bool:
        if not self._filter:
            return True
        lowered = name.lower()
        return any(pattern in lowered for pattern in self._filter)

    def _record(self, step: int, timestamp: int, metrics: dict[str, float]) -> None:
        if self._ledger is None or not metrics:
            return
        try:
            self._ledger.write(json.dumps({"step": step, "timestamp": timestamp, "metrics": metrics}) + "\n")
            self._ledger.flush()
        except OSError as exc:  # a full disk: said once; the points still go to MLflow
            log.warning("the metrics ledger %s cannot be written (%s); it stops here", self._ledger_path, exc)
            self._ledger = None

    def _warn_skipped(self, skipped: set[str]) -> None:
        new = skipped - self._warned_skips
        if new:
            self._warned_skips |= new
            log.warning(
                "not logged (not numeric, or nested deeper than max_depth): %s", ", ".join(sorted(new))
            )

    # -- sender thread -------------------------------------------------------------------

    def _send_points(self) -> None:
        retry_at, backoff = 0.0, 0.0
        while True:
            with self._ready:
                batch = self._next_batch(retry_at)
                if batch is None:
                    return
            try:
                self._send(batch)
            except Exception as exc:  # a tracking-server problem must never end training
                if getattr(exc, "permanent", False):  # nothing will ever take them (a store process that died)
                    self._last_error = f"{type(exc).__name__}: {_first_line(exc)}"
                    log.warning("MLflow can take no more metrics (%s); every point is kept in the ledger", self._last_error)
                    return
                backoff = self._on_failure(batch, exc, backoff)
                retry_at = time.monotonic() + backoff
                continue
            with self._ready:
                del self._buffer[: len(batch)]
                self._counts["sent"] += len(batch)
                if 0 < len(self._buffer) < BATCH_SIZE:
                    self._oldest = time.monotonic()  # what came in during the send lingers afresh
            retry_at, backoff = 0.0, 0.0

    def _next_batch(self, retry_at: float) -> list[Point] | None:
        """Wait (holding the condition) until a batch may be sent; None when done."""
        while True:
            now = time.monotonic()
            if self._stopping and (
                now >= self._deadline or (not self._buffer and self._processing_finished())
            ):
                return None
            # Closing: no more lingering, only the retry backoff (a short flush timeout must not expire idle).
            send_at = retry_at if self._stopping else max(retry_at, self._oldest + self._linger)
            if (
                self._buffer
                and now >= retry_at
                and (now >= send_at or len(self._buffer) >= BATCH_SIZE or self._stopping)
            ):
                return self._buffer[:BATCH_SIZE]
            wake = min(send_at if self._buffer else now + 0.5, self._deadline)
            self._ready.wait(max(0.01, wake - now))

    def _processing_finished(self) -> bool:
        return not self._processor.is_alive()

    def _on_failure(self, batch: list[Point], exc: Exception, backoff: float) -> float:
        self._last_error = f"{type(exc).__name__}: {_first_line(exc)}"
        if getattr(exc, "error_code", None) in _NOT_RETRIABLE:
            log.warning("MLflow rejected %d metric points: %s", len(batch), self._last_error)
            with self._ready:
                del self._buffer[: len(batch)]
                self._counts["rejected"] += len(batch)
            return 0.0
        if not backoff and not self._outage_warned:
            log.warning("MLflow is unreachable; keeping metrics and retrying (%s)", self._last_error)
        self._outage_warned = False  # a later outage, after the server answered, is said again
        return min(max(backoff * 2, 0.5), self._max_backoff)


def _first_line(exc: Exception) -> str:
    text = str(exc)
    return text.splitlines()[0][:300] if text else ""


def mlflow_sender(client: Any, run_id: str) -> Callable[[list[Point]], None]:
    """`send` for `MetricPipeline`: one synchronous log_batch per call (through a store process's client as plain
    points, which then builds MLflow's entities there)."""
    if hasattr(client, "log_points"):
        return lambda points: client.log_points(run_id, points)
    from mlflow.entities import Metric  # lazy: start-up time

    def send(points: list[Point]) -> None:
        metrics = [Metric(key=k, value=v, timestamp=t, step=s) for k, v, t, s in points]
        client.log_batch(run_id, metrics=metrics, synchronous=True)

    return send


def unsent_warning(report: FlushReport, *, destination: str, ledger: Path | None) -> str | None:
    """The one warning line for points that never reached MLflow, or None."""
    if not report.unsent:
        return None
    kept = f"; every logged point is kept in {ledger}" if ledger else ""
    cause = f" (last error: {report.last_error})" if report.last_error else ""
    lost = f"{report.unsent} of {report.logged} metric points could not be sent to MLflow at {destination}"
    return f"{lost}{cause}{kept}"

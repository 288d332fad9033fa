"""MLflow delivery: points per second the trainer's sender sustains, and points lost across a server restart.

Both phases drive the real `MetricPipeline` (training/tracking/sender.py) with its real MLflow sender
(`mlflow_sender`, one synchronous `log_batch` of up to 1000 points per request) against a real
`mlflow server` on loopback (tests/conftest.py's `MlflowServer`, imported, not copied). Only the
events are synthetic: windows shaped like a PPO update's tracking data, so no training time hides
the sender's rate.

1. Throughput: EVENTS events are queued at once; rate = points sent / time from the first submit
   until `close` returns with everything delivered. Repeated ROUNDS times, each into a new run.
2. Restart: events are submitted at a training-like pace; after a third of them the server's process
   group is SIGKILLed, stays down OUTAGE_S seconds, and is restarted on the same port and store. After
   `close`, every (metric, step) in the pipeline's ledger is looked up in MLflow's metric history;
   lost = ledger points missing from MLflow. Target: 0.

Run: .venv/bin/python -m benchmarks.delivery [--quick]   (writes its section of docs/benchmarks.md)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, machine_line, summary, write_section

TAGS = 24  # scalar tags per window: about what skrl's PPO tracks (losses, rewards, lengths, stats)
# Shorten MLflow's own retry schedule (default: 7 retries over minutes per request) so the sender's
# retry loop is what survives the outage; the points are kept either way.
FAST_FAILING_CLIENT = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "5"}


def run(quick: bool = False) -> dict[str, object]:
    os.environ.update(FAST_FAILING_CLIENT)
    header = machine_line()
    from tests.conftest import MlflowServer  # the test suite's real server wrapper, reused

    rounds, events, restart_events = (2, 100, 60) if quick else (5, 300, 150)
    with tempfile.TemporaryDirectory() as tmp:
        server = MlflowServer(Path(tmp) / "server").start()
        try:
            rates = [throughput(server.uri, events, Path(tmp) / f"t{i}") for i in range(rounds)]
            restart = restart_run(server, restart_events, Path(tmp) / "restart")
        finally:
            server.stop()
    _write(header, rates, restart, events)
    return {"rates": rates, "restart": restart}


def throughput(uri: str, events: int, tmp: Path) -> dict[str, float]:
    client, run_id = _new_run(uri)
    pipeline = _pipeline(client, run_id, tmp)
    start = time.perf_counter()
    for step in range(1, events + 1):
        pipeline.submit(_event(step))
    report = pipeline.close(300)
    elapsed = time.perf_counter() - start
    if report.unsent:
        raise RuntimeError(f"throughput round left {report.unsent} points unsent: {report.last_error}")
    return {"points": report.sent, "seconds": elapsed, "rate": report.sent / elapsed}


def restart_run(server: object, events: int, tmp: Path, outage_s: float = 3.0) -> dict[str, float]:
    client, run_id = _new_run(server.uri)
    pipeline = _pipeline(client, run_id, tmp)
    killed_at, went_down, down = events // 3, None, 0.0
    for step in range(1, events + 1):
        if step == killed_at:
            server.kill()
            went_down = time.monotonic()
        pipeline.submit(_event(step))
        time.sleep(0.02)  # a training-like pace: events keep coming during the outage
        if went_down is not None and not down and time.monotonic() - went_down >= outage_s:
            down = _restart(server, went_down)
    if not down:
        time.sleep(max(0.0, outage_s - (time.monotonic() - went_down)))
        down = _restart(server, went_down)
    report = pipeline.close(300)
    ledger = _ledger_points(tmp / "metrics.jsonl")
    in_mlflow = _mlflow_points(client, run_id)
    return {
        "logged": report.logged,
        "sent": report.sent,
        "ledger": len(ledger),
        "read_back": len(in_mlflow & ledger),
        "lost": len(ledger - in_mlflow),
        "unsent_reported": report.unsent,
        "outage_s": down,
        "last_error": report.last_error or "",
    }


def _restart(server: object, went_down: float) -> float:
    server.start()  # same port, same store; returns once /health answers
    return time.monotonic() - went_down


def _new_run(uri: str) -> tuple[object, str]:
    from mlflow import MlflowClient  # lazy: start-up time

    client = MlflowClient(uri)
    name = f"delivery-{time.time_ns()}"
    experiment = client.create_experiment(name)
    return client, client.create_run(experiment).info.run_id


def _pipeline(client: object, run_id: str, tmp: Path) -> object:
    from training.tracking.sender import MetricPipeline, mlflow_sender

    return MetricPipeline(
        send=mlflow_sender(client, run_id), num_envs=8, ledger=tmp / "metrics.jsonl"
    ).start()


def _event(step: int) -> object:
    from training.tracking.wrapper import LogEvent

    window = {f"Bench / tag {i}": [float(step + i), float(step - i)] for i in range(TAGS)}
    return LogEvent(step=step * 16, wall_time=time.time(), window=window, updates=step)


def _ledger_points(path: Path) -> set[tuple[str, int]]:
    rows = map(json.loads, path.read_text(encoding="utf-8").splitlines())
    return {(key, row["step"]) for row in rows for key in row["metrics"]}


def _mlflow_points(client: object, run_id: str) -> set[tuple[str, int]]:
    keys = client.get_run(run_id).data.metrics
    return {(key, m.step) for key in keys for m in client.get_metric_history(run_id, key)}


def _write(header: str, rates: list[dict[str, float]], restart: dict[str, float], events: int) -> None:
    s = summary([r["rate"] for r in rates])
    met = "yes" if restart["lost"] == 0 and restart["read_back"] == restart["ledger"] else "no"
    body = "\n".join(
        [
            "## MLflow delivery (benchmarks/delivery.py)",
            "",
            f"Machine: {header}.",
            "",
            "| measure | median | spread | runs | target | met |",
            "|---|---|---|---|---|---|",
            f"| points/s sustained, sender to a local `mlflow server` ({events} events x "
            f"{rates[0]['points'] // events} points queued at once) | {s['median']:,.0f} | "
            f"{min(r['rate'] for r in rates):,.0f}-{max(r['rate'] for r in rates):,.0f} | {s['n']} | - | - |",
            f"| points lost across a server SIGKILL + restart ({restart['outage_s']:.1f} s down) | "
            f"{restart['lost']} of {restart['ledger']} | - | 1 | 0 | {met} |",
            "",
            f"Restart run: {restart['logged']} points logged, {restart['sent']} sent, "
            f"{restart['read_back']} read back from MLflow's metric history (every (metric, step) of the "
            f"ledger), {restart['unsent_reported']} reported unsent; last error seen by the sender: "
            f"`{restart['last_error'][:120]}`.",
            "Load note: measured while other jobs shared the 2 cores, so the rate is a floor, not a ceiling.",
        ]
    )
    write_section("delivery", body)
    print(body)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    run(quick="--quick" in sys.argv)

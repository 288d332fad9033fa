"""Wrapper + background pipeline + a real MLflow store: names, aggregates, depth, filter, outages."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from mlflow import MlflowClient

from tests.conftest import free_port
from tests.training.conftest import rl_config
from training.rl.agent_config import rollouts
from training.tracking.reduce import reduce_window
from training.tracking.sender import BATCH_SIZE, MetricPipeline, mlflow_sender, unsent_warning
from training.tracking.wrapper import LogEvent, UpdateLogger, resolve_interval

MLFLOW_KEY = re.compile(r"^[/\w.\- ]*$")


def new_run(uri: str) -> tuple[MlflowClient, str]:
    client = MlflowClient(uri)
    experiment = client.create_experiment("pipeline", artifact_location=None)
    return client, client.create_run(experiment).info.run_id


def train_into(agents, tmp_path: Path, pipeline_kwargs: dict, *, uri: str, extra_tracking: bool = False):
    """Train the tiny PPO with the wrapper feeding a pipeline that sends to `uri`."""
    built = agents(rl_config(tmp_path / "out", log_interval="step"))
    client, run_id = new_run(uri)
    ledger = tmp_path / "metrics.jsonl"
    pipeline = MetricPipeline(
        send=mlflow_sender(client, run_id), num_envs=2, ledger=ledger, **pipeline_kwargs
    ).start()
    events: list[LogEvent] = []

    def emit(event: LogEvent) -> None:
        events.append(event)
        pipeline.submit(event)

    logger = UpdateLogger(built.agent, resolve_interval("step", rollouts(built.cfg)), emit, deferred=True)
    logger.attach()

    def track_custom(step: int) -> None:  # values a user's agent or env could track
        logger.tick()
        if extra_tracking:
            built.agent.track_data("Custom / per env", torch.tensor([step, step + 1.0]))

    built.train(on_step=track_custom)
    logger.flush(160)
    report = pipeline.close(timeout=30)
    return client, run_id, events, report, ledger, pipeline


def history(client: MlflowClient, run_id: str) -> dict[str, dict[int, float]]:
    keys = client.get_run(run_id).data.metrics.keys()
    return {key: {m.step: m.value for m in client.get_metric_history(run_id, key)} for key in keys}


# Nested (dict) values are covered in test_metric_names.py: skrl 2.1.1's own TensorBoard writer
# raises on a dict in tracking_data, so a real agent cannot carry one through a training run.
def test_every_point_reaches_mlflow_with_safe_names_and_window_aggregates(
    agents, tmp_path: Path, sqlite_tracking: str
) -> None:
    client, run_id, events, report, ledger, _ = train_into(
        agents, tmp_path, {"max_depth": 2}, uri=sqlite_tracking, extra_tracking=True
    )
    logged = history(client, run_id)
    assert report.unsent == 0 and report.sent == report.logged > 0
    assert all(MLFLOW_KEY.match(key) for key in logged)
    for event in events:  # each logged value is the reduction of exactly that event's window
        expected, _ = reduce_window(event.window, max_depth=2)
        for name, value in expected.items():
            assert logged[name][event.step] == pytest.approx(value, nan_ok=True), (name, event.step)
    first = events[0]  # steps 0..7: the custom tensor held [t, t+1] for t = 1..8
    assert len({e.step for e in events}) == len(events)
    per_env = np.array([[t, t + 1.0] for t in range(1, 9)])
    assert logged["custom/per_env/mean"][8] == pytest.approx(per_env.mean())
    assert logged["custom/per_env/std"][8] == pytest.approx(per_env.std())
    assert logged["custom/per_env/min"][8] == 1.0 and logged["custom/per_env/max"][8] == 9.0
    assert first.step == 8
    assert logged["episode_reward_mean"] == logged["reward/total_reward_mean"]
    assert logged["policy_loss"] == logged["loss/policy_loss"]
    assert set(logged["timesteps"]) == {e.step for e in events}
    assert all(value > 0 for value in logged["fps"].values())
    ledger_points = {
        (k, r["step"]) for r in map(json.loads, ledger.read_text().splitlines()) for k in r["metrics"]
    }
    assert ledger_points == {(k, s) for k, steps in logged.items() for s in steps}


def test_metric_filter_keeps_only_matching_names(agents, tmp_path: Path, sqlite_tracking: str) -> None:
    client, run_id, _, report, _, pipeline = train_into(
        agents, tmp_path, {"metric_filter": ("reward", "POLICY_LOSS")}, uri=sqlite_tracking
    )
    keys = set(history(client, run_id))
    assert keys and all("reward" in k or "policy_loss" in k for k in keys)
    assert {"episode_reward_mean", "loss/policy_loss", "policy_loss"} <= keys
    assert "loss/value_loss" not in keys
    assert "loss/value_loss" in pipeline.latest  # filtered from MLflow, still seen by the progress line
    assert report.unsent == 0


def test_an_absent_server_never_blocks_and_the_loss_is_counted(
    agents, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # shortens only MLflow's own retry schedule
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    client = MlflowClient(uri)
    ledger = tmp_path / "metrics.jsonl"
    pipeline = MetricPipeline(send=mlflow_sender(client, "0" * 32), num_envs=2, ledger=ledger).start()
    built = agents(rl_config(tmp_path / "out", log_interval="step"))
    logger = UpdateLogger(built.agent, resolve_interval("step", 8), pipeline.submit)
    logger.attach()
    built.train()
    logger.flush(160)
    report = pipeline.close(timeout=1.0)
    assert report.sent == 0
    assert (
        report.unsent
        == report.logged
        == sum(len(json.loads(r)["metrics"]) for r in ledger.read_text().splitlines())
    )
    assert report.logged > 100
    assert pipeline.latest["timesteps"] == 160.0
    message = unsent_warning(report, destination=uri, ledger=ledger)
    assert message.startswith(
        f"{report.unsent} of {report.logged} metric points could not be sent to MLflow at {uri}"
    )
    assert message.endswith(f"; every logged point is kept in {ledger}")
    assert "(last error: MlflowException: API request to" in message


def _event(step: int) -> LogEvent:
    window = {"Loss / Policy loss": [0.5, 0.25]}
    return LogEvent(step=step, wall_time=1_700_000_000.0 + step, window=window, updates=step)


def test_points_wait_up_to_the_linger_to_share_one_request_and_close_sends_them_at_once() -> None:
    # `send` is the pipeline's own seam; the recording function stands in for MLflow, which the tests
    # above reach for real, so what is checked here is only how points are grouped into requests.
    requests: list[list[tuple]] = []
    pipeline = MetricPipeline(send=requests.append, linger=60.0).start()
    for step in range(1, 11):
        pipeline.submit(_event(step))
    report = pipeline.close(timeout=5.0)
    assert len(requests) == 1  # ten events, one request: nothing left before close, then all at once
    assert sorted({point[3] for point in requests[0]}) == list(range(1, 11))
    assert report.sent == report.logged == len(requests[0]) and report.unsent == 0


def test_a_lingering_point_is_sent_without_waiting_for_more_or_for_close() -> None:
    requests: list[list[tuple]] = []
    sent = threading.Event()

    def send(points: list[tuple]) -> None:
        requests.append(points)
        sent.set()

    pipeline = MetricPipeline(send=send, linger=0.2).start()
    pipeline.submit(_event(1))
    assert sent.wait(timeout=10.0)  # sent by the linger timer, while the run is still open
    assert [point[3] for point in requests[0]] == [1] * len(requests[0])
    pipeline.close(timeout=5.0)
    assert len(requests) == 1


def test_a_full_batch_is_sent_before_the_linger_is_over() -> None:
    requests: list[list[tuple]] = []
    sent = threading.Event()

    def send(points: list[tuple]) -> None:
        requests.append(points)
        sent.set()

    pipeline = MetricPipeline(send=send, linger=3600.0).start()
    for step in range(1, 401):  # a few points each: more than one batch in all
        pipeline.submit(_event(step))
    assert sent.wait(timeout=10.0)  # an hour's linger, yet a full batch went out
    assert len(requests[0]) == BATCH_SIZE
    report = pipeline.close(timeout=5.0)
    assert report.logged > BATCH_SIZE and report.sent == report.logged


def test_close_retries_a_failed_send_at_once_instead_of_lingering() -> None:
    calls: list[int] = []

    def send(points: list[tuple]) -> None:
        calls.append(len(points))
        if len(calls) == 1:
            raise ConnectionError("the server blinked")

    pipeline = MetricPipeline(send=send, linger=60.0).start()
    pipeline.submit(_event(1))
    report = pipeline.close(timeout=5.0)  # first send fails; the retry comes after the backoff, not the linger
    assert len(calls) == 2 and report.unsent == 0 and report.sent == report.logged

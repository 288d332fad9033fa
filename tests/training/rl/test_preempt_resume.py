"""Preemption then resume, chained: `python -m training rl` SIGTERM'd mid-run, then resumed from its own
last checkpoint by `runs:/` URI, as a user does after a preemption. Real trainer processes, real skrl,
one sqlite MLflow store shared by both runs."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest
import torch
from mlflow import MlflowClient

from tests.training.conftest import finish, result_of, start_trainer, wait_until_training

# The same total budget for both runs, as a re-submitted job has. Large enough that the first run is
# still training when the signal arrives (the test fails, not passes, if it is not), small enough that
# the resumed run finishes in seconds.
TOTAL = 2400


@pytest.mark.slow
def test_a_sigtermed_run_resumed_from_its_last_checkpoint_continues_steps_finishes_and_registers(
    tmp_path: Path, sqlite_tracking: str
) -> None:
    settings = {"timesteps": TOTAL, "register_model": "preempted", "log_interval": "step"}
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir()
    second_dir.mkdir()
    process = start_trainer(first_dir, sqlite_tracking, **settings)
    wait_until_training(process)
    process.send_signal(signal.SIGTERM)
    code, out, err = finish(process)
    assert code == 143, err[-2000:]
    first = result_of(out)
    stopped = first["timesteps"]
    assert first["status"] == "interrupted" and 0 < stopped < TOTAL
    last = Path(first["checkpoint"])
    assert last.name == f"agent_{stopped}.pt"

    uri = f"runs:/{first['run_id']}/checkpoints/{last.name}"
    process = start_trainer(
        second_dir, sqlite_tracking, checkpoint_mode="resume", checkpoint_uri=uri, **settings
    )
    code, out, err = finish(process)
    assert code == 0, err[-2000:]
    second = result_of(out)
    assert re.search(
        rf"resume from {last.name} \(.*trainer_state.*\); starting at timestep {stopped}$", err, re.M
    )
    assert (second["status"], second["timesteps"]) == ("succeeded", TOTAL)
    assert Path(second["checkpoint"]).name == f"agent_{TOTAL}.pt"
    assert torch.load(second["checkpoint"], weights_only=True)["trainer_state"]["timestep"] == TOTAL

    client = MlflowClient(sqlite_tracking)
    tags = client.get_run(second["run_id"]).data.tags
    assert (tags["checkpoint_source_uri"], tags["checkpoint_source_run_id"]) == (uri, first["run_id"])
    assert tags["checkpoint_start_timestep"] == str(stopped)
    keys = set(client.get_run(first["run_id"]).data.metrics) & set(
        client.get_run(second["run_id"]).data.metrics
    )
    assert {"timesteps", "loss/policy_loss"} <= keys
    for key in sorted(keys):
        before = [m.step for m in client.get_metric_history(first["run_id"], key)]
        after = [m.step for m in client.get_metric_history(second["run_id"], key)]
        assert len(set(before + after)) == len(before + after), key  # no step logged twice
        assert max(before) <= stopped < min(after), key  # the second run logs nothing before N
    assert max(m.step for m in client.get_metric_history(second["run_id"], "timesteps")) == TOTAL

    assert (second["model_name"], second["model_version"]) == ("preempted", "1")
    version = client.get_model_version("preempted", "1")
    assert version.run_id == second["run_id"]
    assert (version.tags["checkpoint_mode"], version.tags["timestep"]) == ("resume", str(TOTAL))
    assert json.loads(out.splitlines()[-1].removeprefix("ROBO_RESULT "))["model_uri"] == "models:/preempted/1"

"""An MLflow run id as Azure ML makes it (issue 15, item 3): there a job's run id is the job name, such as
`sharp_tail_4ks8v1`, not OSS MLflow's 32 hex digits. The trainer takes `runs:/<job name>/...` and resumes from
it through real MLflow; a finished run's last line names the runs:/ URI that resumes it.

Azure ML cannot be reached from here. The one thing stood in for is the run id: a real sqlite MLflow store holds
the run, and its id is renamed to a job name in the store (OSS MLflow only ever makes 32-hex ids).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.training.conftest import build_agent, rl_config
from tests.training.rl.test_train import train
from training.checkpoints import TrainerState, fetch_checkpoint, resolve_checkpoint
from training.config import from_env, to_env
from training.rl.train import load_checkpoint

JOB_NAME = "sharp_tail_4ks8v1"


def _rename_run(tracking_uri: str, run_id: str, new_id: str) -> None:
    with sqlite3.connect(tracking_uri.removeprefix("sqlite:///")) as db:
        db.execute("UPDATE runs SET run_uuid = ? WHERE run_uuid = ?", (new_id, run_id))


def test_a_run_named_like_an_azure_ml_job_is_resumed_from_its_runs_uri(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    first = train(tmp_path, "first", capsys, register_model="azure-ids")
    assert first["resume_uri"] == f"runs:/{first['run_id']}/checkpoints"
    _rename_run(sqlite_tracking, first["run_id"], JOB_NAME)

    uri = f"runs:/{JOB_NAME}/checkpoints/agent_160.pt"
    config = rl_config(tmp_path / "second", checkpoint_mode="resume", checkpoint_uri=uri, timesteps=320)
    assert from_env("rl", to_env(config)).checkpoint_uri == uri  # the trainer's own settings take it
    assert resolve_checkpoint(f"runs:/{JOB_NAME}/checkpoints", tmp_path / "dl").name == "agent_160.pt"
    built = build_agent(config)
    state = TrainerState()
    built.agent.checkpoint_modules["trainer_state"] = state
    fetched = fetch_checkpoint(config.checkpoint_uri, config.checkpoint_mode, config.rl_library, config.task)
    plan = load_checkpoint(config, fetched, built.agent, state, total=320)
    built.env.close()
    assert (plan.start, state.timestep) == (160, 160)


def test_the_last_line_of_a_finished_run_names_the_uri_that_resumes_it(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture
) -> None:
    from training.rl.loop import StopFlag
    from training.rl.train import main

    config = rl_config(tmp_path / "run", job_name="run")
    assert main(config, stop=StopFlag()) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("ROBO_RESULT ") and '"resume_uri": "runs:/' in last and '/checkpoints"' in last

"""ROBO_WANDB=true for RL: skrl's own wandb run gets the scalars, MLflow still gets everything.

Real processes: `python -m training rl` with a tiny PPO on CartPole and wandb in offline mode (no network).
wandb writes the run to WANDB_DIR as its transaction log (`run-<id>.wandb`, what `wandb sync` uploads);
the test reads the records back with wandb's own reader instead of trusting the console summary.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from tests.training.conftest import finish, result_of, rl_config, start_trainer
from training.rl.agent_config import apply_overrides, load_agent_cfg

SKRL_SCALARS = {"Reward / Total reward (mean)", "Loss / Policy loss", "Loss / Value loss"}


def read_offline_run(folder: Path) -> dict[str, Any]:
    """The run, history and exit records of an offline wandb run folder."""
    from wandb.proto import wandb_internal_pb2
    from wandb.sdk.internal import datastore

    (log,) = folder.glob("run-*.wandb")
    store = datastore.DataStore()
    store.open_for_scan(str(log))
    found: dict[str, Any] = {"history": []}
    while (data := store.scan_data()) is not None:
        record = wandb_internal_pb2.Record()
        record.ParseFromString(data)
        kind = record.WhichOneof("record_type")
        if kind == "history":
            items = record.history.item  # a key with '/' is stored split, as nested_key
            found["history"].append(
                {i.key or "/".join(i.nested_key): json.loads(i.value_json) for i in items}
            )
        elif kind in ("run", "exit"):
            found[kind] = getattr(record, kind)
    return found


@pytest.fixture
def no_wandb_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """No key in the environment and no `wandb login` netrc entry."""
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    return {"NETRC": str(tmp_path / "no-netrc")}


def test_the_agent_config_turns_on_skrls_wandb_with_the_jobs_names(tmp_path: Path) -> None:
    config = rl_config(
        tmp_path, wandb=True, wandb_project="robots", wandb_entity="lab", job_name="cartpole-7"
    )
    cfg = apply_overrides(load_agent_cfg(config), config, gymnasium=True)
    experiment = cfg["agent"]["experiment"]
    assert experiment["wandb"] is True
    assert experiment["wandb_kwargs"] == {"project": "robots", "entity": "lab", "name": "cartpole-7"}
    other_rank = apply_overrides(load_agent_cfg(config), config, gymnasium=True, rank_zero=False)
    assert other_rank["agent"]["experiment"]["wandb"] is False  # skrl would start one run per process
    unnamed = rl_config(tmp_path, wandb=True)
    kwargs = apply_overrides(load_agent_cfg(unnamed), unnamed, gymnasium=True)["agent"]["experiment"]
    assert kwargs["wandb_kwargs"] == {"name": None}  # wandb names it, not skrl's folder name "skrl"


@pytest.mark.slow
def test_an_rl_run_logs_skrls_scalars_to_wandb_and_its_metrics_to_mlflow(
    tmp_path: Path, sqlite_tracking: str, no_wandb_login: dict
) -> None:
    wandb_dir = tmp_path / "wandb-files"
    extra = {**no_wandb_login, "WANDB_MODE": "offline", "WANDB_DIR": str(wandb_dir)}
    process = start_trainer(
        tmp_path, sqlite_tracking, extra, wandb=True, wandb_project="robots", job_name="wandb-offline"
    )
    code, out, err = finish(process)
    assert code == 0, err
    result = result_of(out)
    runs = list(wandb_dir.glob("wandb/offline-run-*"))
    assert len(runs) == 1, err
    wandb_run = read_offline_run(runs[0])
    assert (wandb_run["run"].display_name, wandb_run["run"].project) == ("wandb-offline", "robots")
    assert wandb_run["exit"].exit_code == 0
    history = wandb_run["history"]
    logged = {key for row in history for key, value in row.items() if isinstance(value, float)}
    assert logged >= SKRL_SCALARS, sorted(logged)
    assert max(row["global_step"] for row in history) == 160  # the last scalars too (flushed at the end)
    run = MlflowClient(sqlite_tracking).get_run(result["run_id"])
    assert (run.info.status, run.data.params["wandb"]) == ("FINISHED", "True")
    assert run.info.run_name == wandb_run["run"].display_name  # one name for both runs
    assert {"episode_reward_mean", "policy_loss", "value_loss"} <= set(run.data.metrics)
    assert run.data.metrics["episode_reward_mean"] == result["final_reward_mean"]
    assert result["model_version"] == "1"


def test_wandb_without_a_key_exits_2_before_training_naming_where_the_key_comes_from(
    tmp_path: Path, sqlite_tracking: str, no_wandb_login: dict
) -> None:
    code, out, err = finish(start_trainer(tmp_path, sqlite_tracking, no_wandb_login, wandb=True))
    assert (code, out) == (2, "")
    assert err == (
        "error: WANDB_API_KEY: not set, and ROBO_WANDB=true needs it; export WANDB_API_KEY or run "
        "`wandb login` (a local run), or give the job an OSMO credential (--wandb-credential), a Key Vault secret 'wandb-api-key' (--key-vault-uri), or WANDB_MODE=offline\n"
    )
    assert not (tmp_path / "out").exists()

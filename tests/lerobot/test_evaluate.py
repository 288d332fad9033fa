"""`python -m training evaluate` of a LeRobot version on held-out dataset episodes (issue 16's LeRobot tier).

A real tiny ACT is trained on episode 0 of the synthetic 2-episode dataset (`--dataset.episodes=[0]`) and
registered in the session's real MLflow server; its evaluation replays episode 1 (the one training did not
use, read from the checkpoint's train_config.json) through the loaded policy and its processors. Each
evaluation runs in-process through the trainer's own entry point (exit codes, stdout and stderr as a job sees
them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.evaluation_done import runs_of
from tests.lerobot.conftest import TINY_ACT, evaluate, train_tiny_act
from tests.lerobot.synthetic import EPISODES, FRAMES_PER_EPISODE, REPO_ID

pytestmark = [pytest.mark.lerobot, pytest.mark.slow, pytest.mark.mlflow_server]
pytest.importorskip("lerobot", reason="needs .venv-lerobot (scripts/setup-lerobot-env.sh)")

MODEL = "lerobot-eval-tiny"


@pytest.fixture(scope="module")
def version(offline_env, tiny_dataset, tmp_path_factory) -> str:
    """A tiny ACT trained 2 steps on episode 0 only, registered; its version number."""
    settings = {
        "ROBO_DATASET_REPO_ID": REPO_ID, "ROBO_DATASET_ROOT": str(tiny_dataset), "ROBO_STEPS": "2", "ROBO_LOG_FREQ": "2",
        "ROBO_REGISTER_MODEL": MODEL, "ROBO_LEROBOT_ARGS": json.dumps([*TINY_ACT, "--dataset.episodes=[0]"]),
    }  # fmt: skip
    return train_tiny_act(offline_env, tmp_path_factory.mktemp("train"), settings)["model_version"]


def replayed_errors(dataset: Path, policy_folder: Path, episode: int) -> tuple[float, float]:
    """The held-out errors computed here independently: LeRobot's own policy and processors, frame by frame."""
    import torch
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.policies.factory import get_policy_class, make_pre_post_processors

    cfg = PreTrainedConfig.from_pretrained(policy_folder)
    cfg.device = "cpu"
    policy = get_policy_class(cfg.type).from_pretrained(policy_folder, config=cfg).eval()
    pre, post = make_pre_post_processors(cfg, pretrained_path=str(policy_folder))
    frames = LeRobotDataset(REPO_ID, root=dataset, episodes=[episode])
    squared, absolute = [], []
    with torch.inference_mode():
        for index in range(len(frames)):
            item = frames[index]
            batch = {k: (v.unsqueeze(0) if isinstance(v, torch.Tensor) else [v]) for k, v in item.items()}
            truth = batch.pop("action").double().reshape(-1)
            error = post(policy.select_action(pre(batch))).double().reshape(-1) - truth
            squared += (error**2).tolist()
            absolute += error.abs().tolist()
    return sum(squared) / len(squared), sum(absolute) / len(absolute)


def test_a_version_is_evaluated_on_the_episode_training_did_not_use(
    version, offline_env, tiny_dataset, tmp_path, capfd, client
):
    import mlflow

    done = evaluate(
        offline_env, capfd, tmp_path, {"ROBO_DATASET_ROOT": str(tiny_dataset)},
        "--model-uri", f"models:/{MODEL}/{version}", "--gate", "action_mse<1000", "--promote", "candidate",
    )  # fmt: skip
    assert done.code == 0, done.err[-3000:]
    result = done.result
    assert (result["status"], result["model_version"], result["gate_passed"], result["promoted"]) == (
        "evaluated", version, True, "candidate",
    )  # fmt: skip
    assert (result["framework"], result["policy_type"], result["heldout_episodes"]) == ("lerobot", "act", [1])
    assert result["episodes"] == 1 and result["task"] == REPO_ID
    # The metrics are the policy's own errors on episode 1, recomputed here from the registered folder.
    folder = Path(mlflow.artifacts.download_artifacts(f"models:/{MODEL}/{version}", dst_path=str(tmp_path / "m")))
    mse, mae = replayed_errors(tiny_dataset, folder / "pretrained_model", 1)
    assert result["metrics"] == pytest.approx({"action_mse": mse, "action_mae": mae})
    assert mse > 0
    rows = list((tmp_path / "episodes.csv").read_text().splitlines())
    assert rows[0] == "episode,frames,action_mse,action_mae"
    assert rows[1].startswith(f"1,{FRAMES_PER_EPISODE},")
    run = client.get_run(result["run_id"])
    assert run.data.metrics == pytest.approx({"action_mse": mse, "action_mae": mae})
    assert {k: run.data.tags[k] for k in ("kind", "framework", "model_version", "heldout_episodes", "gate_passed")} == {
        "kind": "evaluation", "framework": "lerobot", "model_version": version, "heldout_episodes": "[1]",
        "gate_passed": "true",
    }  # fmt: skip
    tags = client.get_model_version(MODEL, version).tags
    assert tags["evaluated"] == "true" and tags["eval.run_id"] == result["run_id"]
    assert float(tags["eval.action_mse"]) == pytest.approx(mse)
    assert float(tags["eval.action_mae"]) == pytest.approx(mae)
    assert client.get_model_version_by_alias(MODEL, "candidate").version == version


def test_a_gate_that_does_not_hold_exits_3_and_leaves_the_alias_unchanged(
    version, offline_env, tiny_dataset, tmp_path, capfd, client
):
    done = evaluate(
        offline_env, capfd, tmp_path, {"ROBO_HELDOUT_EPISODES": "1", "ROBO_DATASET_ROOT": str(tiny_dataset)},
        "--model-uri", f"models:/{MODEL}/{version}", "--gate", "action_mae<0", "--promote", "champion",
    )  # fmt: skip
    assert done.code == 3, done.err[-3000:]
    assert (done.result["status"], done.result["gate_passed"], done.result["promoted"]) == ("gate-failed", False, None)
    assert done.result["gates"][0]["holds"] is False
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException):
        client.get_model_version_by_alias(MODEL, "champion")
    assert client.get_run(done.result["run_id"]).data.tags["gate_passed"] == "false"


@pytest.mark.parametrize(
    ("settings", "args", "line"),
    [
        (
            {"ROBO_HELDOUT_EPISODES": "1,7"}, (),
            f"error: ROBO_HELDOUT_EPISODES: 7 is not an episode of {REPO_ID}, which has episodes 0 to {EPISODES - 1}",
        ),
        (
            {}, ("--gate", "mean_return>1"),
            "error: ROBO_GATE: mean_return>1: a LeRobot evaluation on held-out episodes produces action_mse, "
            "action_mae, not mean_return",
        ),
        (  # every case here also sets ROBO_DATASET_ROOT
            {"ROBO_LEROBOT_ENV": "pusht"}, (),
            "error: ROBO_DATASET_ROOT: is for held-out dataset episodes, and ROBO_LEROBOT_ENV rolls the policy out "
            "in a gym environment; drop one",
        ),
    ],
)  # fmt: skip
def test_bad_input_exits_2_on_one_line_with_nothing_written(
    version, offline_env, tiny_dataset, tmp_path, capfd, client, settings, args, line
):
    before_runs, before_tags = runs_of(client), client.get_model_version(MODEL, version).tags
    done = evaluate(
        offline_env, capfd, tmp_path / "out", {"ROBO_DATASET_ROOT": str(tiny_dataset), **settings},
        "--model-uri", f"models:/{MODEL}/{version}", *args,
    )  # fmt: skip
    assert done.code == 2
    assert done.out == ""
    assert done.err.strip().splitlines()[-1] == line
    assert not (tmp_path / "out").exists()
    assert runs_of(client) == before_runs
    assert client.get_model_version(MODEL, version).tags == before_tags


def test_a_version_trained_on_every_episode_needs_the_held_out_episodes_named(
    version, offline_env, tiny_dataset, tmp_path, capfd, client
):
    # The same policy folder given as a path, with its train_config saying it used every episode.
    import mlflow

    folder = Path(mlflow.artifacts.download_artifacts(f"models:/{MODEL}/{version}", dst_path=str(tmp_path / "m")))
    train_config = folder / "pretrained_model" / "train_config.json"
    saved = json.loads(train_config.read_text())
    saved["dataset"]["episodes"] = None
    train_config.write_text(json.dumps(saved))
    done = evaluate(
        offline_env, capfd, tmp_path / "out", {"ROBO_DATASET_ROOT": str(tiny_dataset)},
        "--model-uri", str(folder), "--mlflow", "false",
    )  # fmt: skip
    assert done.code == 2
    assert done.err.strip().splitlines()[-1] == (
        f"error: ROBO_HELDOUT_EPISODES: {folder} was trained on every episode of {REPO_ID} (0 to {EPISODES - 1}), "
        "so none is held out; name the episodes to evaluate on (e.g. 40,41)"
    )
    named = evaluate(
        offline_env, capfd, tmp_path / "out", {"ROBO_DATASET_ROOT": str(tiny_dataset), "ROBO_HELDOUT_EPISODES": "1"},
        "--model-uri", str(folder), "--mlflow", "false",
    )  # fmt: skip
    assert named.code == 0, named.err[-3000:]
    assert named.result["run_id"] is None and named.result["heldout_episodes"] == [1]

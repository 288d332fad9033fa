"""`python -m training evaluate` of a LeRobot version rolled out in a gym environment (ROBO_LEROBOT_ENV).

A real tiny ACT is trained on a dataset shaped like gym-pusht's state observations and registered in the
session's real MLflow server; its evaluation rolls it out in LeRobot's real pusht environment (gym-pusht,
pymunk physics), through the trainer's own entry point. The returns and successes are checked against
LeRobot's own `lerobot-eval` loop (lerobot.scripts.lerobot_eval.eval_policy) on the same seeds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.evaluation_done import runs_of
from tests.lerobot.conftest import TINY_ACT, evaluate, train_tiny_act
from tests.lerobot.synthetic import PUSHT_REPO_ID, make_pusht_dataset

pytestmark = [pytest.mark.lerobot, pytest.mark.slow, pytest.mark.mlflow_server]
pytest.importorskip("gym_pusht", reason="needs .venv-lerobot (scripts/setup-lerobot-env.sh)")

MODEL = "lerobot-pusht-tiny"
EPISODES, SEED = 2, 42  # seed 42: the first episode starts with the block partly on its goal (return > 0)


@pytest.fixture(scope="module")
def pusht_version(offline_env, tmp_path_factory) -> str:
    """A tiny ACT trained 2 steps on the pusht-shaped dataset, registered; its version number."""
    root = make_pusht_dataset(tmp_path_factory.mktemp("datasets") / "pusht")
    settings = {
        "ROBO_DATASET_REPO_ID": PUSHT_REPO_ID, "ROBO_DATASET_ROOT": str(root), "ROBO_STEPS": "2", "ROBO_LOG_FREQ": "2",
        "ROBO_REGISTER_MODEL": MODEL, "ROBO_LEROBOT_ARGS": json.dumps(list(TINY_ACT)),
    }  # fmt: skip
    return train_tiny_act(offline_env, tmp_path_factory.mktemp("train"), settings)["model_version"]


def lerobot_eval(policy_folder: Path, episodes: int, seed: int) -> list[dict]:
    """LeRobot's own evaluation loop on the same environment and seeds: its per-episode records."""
    import gym_pusht  # noqa: F401 (registers gym_pusht/PushT-v0)
    import torch
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.envs.configs import PushtEnv
    from lerobot.envs.factory import make_env, make_env_pre_post_processors
    from lerobot.policies.factory import get_policy_class, make_pre_post_processors
    from lerobot.scripts.lerobot_eval import eval_policy

    torch.manual_seed(seed)
    cfg = PreTrainedConfig.from_pretrained(policy_folder)
    cfg.device = "cpu"
    policy = get_policy_class(cfg.type).from_pretrained(policy_folder, config=cfg).eval()
    pre, post = make_pre_post_processors(cfg, pretrained_path=str(policy_folder))
    env_cfg = PushtEnv(obs_type="environment_state_agent_pos")
    env_pre, env_post = make_env_pre_post_processors(env_cfg, cfg)
    env = make_env(env_cfg, n_envs=1)["pusht"][0]
    try:
        return eval_policy(env, policy, env_pre, env_post, pre, post, n_episodes=episodes, start_seed=seed)["per_episode"]
    finally:
        env.close()


def video_frames(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_a_version_rolled_out_in_pusht_matches_lerobot_eval_and_is_tagged(
    pusht_version, offline_env, tmp_path, capfd, client
):
    import mlflow

    done = evaluate(
        offline_env, capfd, tmp_path / "out", {"ROBO_LEROBOT_ENV": "pusht"},
        "--model-uri", f"models:/{MODEL}/{pusht_version}", "--episodes", str(EPISODES), "--seed", str(SEED),
        "--video-episodes", "1", "--gate", "mean_return>=0", "--promote", "rolled-out",
    )  # fmt: skip
    assert done.code == 0, done.err[-3000:]
    result = done.result
    assert (result["framework"], result["policy_type"], result["lerobot_env"], result["dataset"]) == (
        "lerobot", "act", "pusht", PUSHT_REPO_ID,
    )  # fmt: skip
    assert result["task"] == "gym_pusht/PushT-v0" and result["episodes"] == EPISODES
    assert (result["gate_passed"], result["promoted"]) == (True, "rolled-out")
    # The same episodes through LeRobot's own loop: the same returns and successes, seed by seed.
    folder = Path(mlflow.artifacts.download_artifacts(f"models:/{MODEL}/{pusht_version}", dst_path=str(tmp_path / "m")))
    theirs = lerobot_eval(folder / "pretrained_model", EPISODES, SEED)
    rows = json.loads((tmp_path / "out" / "episodes.json").read_text())
    assert rows["return"] == pytest.approx([e["sum_reward"] for e in theirs], abs=1e-9)
    assert rows["success"] == [bool(e["success"]) for e in theirs]
    assert any(r > 0 for r in rows["return"])  # the policy moved the block: the returns are not trivially equal
    metrics = result["metrics"]
    assert metrics["mean_return"] == pytest.approx(sum(rows["return"]) / EPISODES)
    assert metrics["success_rate"] == sum(rows["success"]) / EPISODES
    assert metrics["mean_episode_length"] == sum(rows["length"]) / EPISODES
    # One video of the first episode, one frame per step it was seen in.
    videos = sorted((tmp_path / "out" / "video").glob("*.mp4"))
    assert [v.name for v in videos] == ["episode-0.mp4"]
    assert video_frames(videos[0]) == rows["length"][0]
    run = client.get_run(result["run_id"])
    assert {k: run.data.tags[k] for k in ("kind", "framework", "lerobot_env", "model_version")} == {
        "kind": "evaluation", "framework": "lerobot", "lerobot_env": "pusht", "model_version": pusht_version,
    }  # fmt: skip
    assert run.data.params["lerobot_env"] == "pusht" and run.data.params["episodes"] == str(EPISODES)
    assert run.data.metrics["mean_return"] == pytest.approx(metrics["mean_return"])
    logged = [a.path for a in client.list_artifacts(result["run_id"], "video")]
    assert logged == ["video/episode-0.mp4"]
    tags = client.get_model_version(MODEL, pusht_version).tags
    assert tags["evaluated"] == "true" and tags["eval.task"] == "gym_pusht/PushT-v0"
    assert float(tags["eval.mean_return"]) == pytest.approx(metrics["mean_return"])
    assert client.get_model_version_by_alias(MODEL, "rolled-out").version == pusht_version


@pytest.mark.parametrize(
    ("settings", "args", "line"),
    [
        ({"ROBO_LEROBOT_ENV": "aloha"}, (),
         "error: ROBO_LEROBOT_ENV: aloha needs the gym_aloha package, not installed here; installed here: pusht"),
        ({"ROBO_LEROBOT_ENV": "pushy"}, (),
         "error: ROBO_LEROBOT_ENV: pushy is not a LeRobot environment type; installed here: pusht"),
        ({"ROBO_LEROBOT_ENV": "pusht"}, ("--gate", "action_mse<=1"),
         "error: ROBO_GATE: action_mse<=1: an evaluation in an environment produces mean_return, std_return, "
         "min_return, max_return, mean_episode_length, success_rate, not action_mse"),
        ({"ROBO_LEROBOT_ENV": "pusht", "ROBO_HELDOUT_EPISODES": "1"}, (),
         "error: ROBO_HELDOUT_EPISODES: is for held-out dataset episodes, and ROBO_LEROBOT_ENV rolls the policy "
         "out in a gym environment; drop one"),
        ({"ROBO_LEROBOT_ENV": "a" * 100_000}, (),
         "error: ROBO_LEROBOT_ENV: must be a LeRobot environment type such as pusht (1 to 64 letters, digits or ._-)"),
    ],
    ids=["not-installed", "unknown", "offline-metric-gate", "held-out-too", "100-kB"],
)
def test_bad_input_exits_2_on_one_line_with_nothing_written(
    pusht_version, offline_env, tmp_path, capfd, client, settings, args, line
):
    before_runs, before_tags = runs_of(client), client.get_model_version(MODEL, pusht_version).tags
    done = evaluate(offline_env, capfd, tmp_path / "out", settings, "--model-uri", f"models:/{MODEL}/{pusht_version}", *args)
    assert done.code == 2
    assert done.out == ""
    assert done.err.strip().splitlines()[-1] == line
    assert not (tmp_path / "out").exists()
    assert runs_of(client) == before_runs
    assert client.get_model_version(MODEL, pusht_version).tags == before_tags


def test_a_policy_whose_inputs_the_environment_does_not_provide_is_refused(
    offline_env, tiny_dataset, tmp_path, capfd
):
    # The tiny dataset's policy reads a 6-value state; pusht's agent position has 2.
    from tests.lerobot.synthetic import REPO_ID

    trained = tmp_path / "train"
    settings = {
        "ROBO_DATASET_REPO_ID": REPO_ID, "ROBO_DATASET_ROOT": str(tiny_dataset), "ROBO_STEPS": "1", "ROBO_LOG_FREQ": "1",
        "ROBO_MLFLOW": "false", "ROBO_LEROBOT_ARGS": json.dumps(list(TINY_ACT)),
    }  # fmt: skip
    train_tiny_act(offline_env, trained, settings)
    done = evaluate(
        offline_env, capfd, tmp_path / "out", {"ROBO_LEROBOT_ENV": "pusht"}, "--model-uri", str(trained), "--mlflow", "false"
    )
    assert done.code == 2
    assert done.err.strip().splitlines()[-1] == "error: ROBO_LEROBOT_ENV: pusht's observation.state is (2,), the policy's (6,)"
    assert not (tmp_path / "out").exists()


def test_submit_local_evaluation_rolls_the_version_out_through_the_cli(pusht_version, offline_env, tmp_path):
    # The command a user types: the CLI picks the LeRobot interpreter (ROBO_LEROBOT_PYTHON) and reports JSON.
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "submit.cli_entry", "local", "evaluation", "--model", f"models:/{MODEL}/{pusht_version}",
         "--lerobot-env", "pusht", "--episodes", "1", "--output-root", str(tmp_path / "outputs"), "--output-format", "json"],
        cwd=tmp_path, env={**os.environ, "ROBO_LEROBOT_PYTHON": sys.executable}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["metrics"]["mean_episode_length"] > 0, report
    assert (report["task"], report["lerobot_env"]) == ("gym_pusht/PushT-v0", "pusht")


def test_several_environments_give_each_episode_its_own_seed_and_the_same_returns(pusht_version, offline_env, tmp_path, capfd):
    # 3 episodes in batches of 2 environments (the second batch's second episode is run and dropped) against one
    # environment at a time: episode i has seed SEED + i either way, so every row is the same.
    tables = {}
    for envs in ("1", "2"):
        done = evaluate(
            offline_env, capfd, tmp_path / envs, {"ROBO_LEROBOT_ENV": "pusht"}, "--model-uri",
            f"models:/{MODEL}/{pusht_version}", "--episodes", "3", "--num-envs", envs, "--seed", str(SEED), "--mlflow", "false",
        )  # fmt: skip
        assert done.code == 0, done.err[-3000:]
        tables[envs] = json.loads((tmp_path / envs / "episodes.json").read_text())
    assert tables["2"]["env"] == [0, 1, 0] and tables["1"]["env"] == [0, 0, 0]
    assert tables["2"]["return"] == pytest.approx(tables["1"]["return"], rel=1e-6)
    assert tables["2"]["length"] == tables["1"]["length"] and tables["2"]["success"] == tables["1"]["success"]

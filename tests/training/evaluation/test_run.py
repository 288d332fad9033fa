"""`python -m training evaluate` end to end (issue 16): a real CartPole training registered in a sqlite store,
evaluated, gated, promoted or refused, exported to ONNX; bad input refused on one line with nothing written.

One training serves the module; each evaluation runs in-process through the trainer's own entry point (exit
codes, stdout and stderr as a job sees them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from mlflow import MlflowClient

from tests.evaluation_done import Done, runs_of
from tests.training.conftest import Trained, registered_training
from training.__main__ import main as trainer_main
from training.rl.loop import StopFlag

MODEL = "eval-cartpole"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    with registered_training(tmp_path_factory.mktemp("evaluate"), register_model=MODEL, timesteps=320) as trained:
        yield trained


@pytest.fixture
def client(trained: Trained, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", trained.tracking_uri)
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # the evaluation sets it otherwise
    for name in [n for n in os.environ if n.startswith("ROBO_")]:
        monkeypatch.delenv(name)
    return MlflowClient(trained.tracking_uri)


def evaluate(capsys: pytest.CaptureFixture, output: Path, *args: str) -> Done:
    capsys.readouterr()
    code = trainer_main(["evaluate", "--output-dir", str(output), "--episodes", "3", "--device", "cpu", *args])
    captured = capsys.readouterr()
    return Done(code, captured.out, captured.err)


def test_an_evaluation_that_passes_its_gate_promotes_tags_the_version_and_exports_onnx(
    client: MlflowClient, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    done = evaluate(capsys, tmp_path / "out", "--model-uri", f"models:/{MODEL}/1", "--promote", "candidate",
                    "--gate", "mean_return>=1", "--export", "onnx", "--correlation-id", "ci-7")  # fmt: skip
    assert done.code == 0, done.err
    result = done.result
    assert (result["status"], result["model_uri"], result["promoted"], result["alias_version"]) == (
        "evaluated", f"models:/{MODEL}/1", "candidate", "1")
    assert (result["task"], result["rl_library"], result["algorithm"]) == ("CartPole-v1", "skrl", "ppo")  # tags
    assert result["episodes"] == 3 and result["gate_passed"] is True and result["correlation_id"] == "ci-7"
    rows = (tmp_path / "out" / "episodes.csv").read_text().splitlines()
    assert rows[0] == "episode,env,length,success,return" and len(rows) == 4
    returns = [float(r.split(",")[-1]) for r in rows[1:]]
    metrics = result["metrics"]
    assert metrics["mean_return"] == pytest.approx(sum(returns) / 3)
    assert metrics["min_return"] == min(returns) and "success_rate" not in metrics  # CartPole reports no success
    assert result["gates"] == [{"gate": "mean_return>=1", "holds": True, "measured": metrics["mean_return"],
                                "reference": None, "reference_version": None}]  # fmt: skip

    version = client.get_model_version(MODEL, "1")
    assert str(client.get_model_version_by_alias(MODEL, "candidate").version) == "1"
    assert version.tags["evaluated"] == "true" and version.tags["eval.run_id"] == result["run_id"]
    assert float(version.tags["eval.mean_return"]) == pytest.approx(metrics["mean_return"], rel=1e-5)
    assert version.tags["eval.correlation_id"] == "ci-7" and version.tags["eval.episodes"] == "3"
    run = client.get_run(result["run_id"])
    assert run.info.status == "FINISHED"
    for key, value in {"kind": "evaluation", "model_name": MODEL, "model_version": "1", "gate_passed": "true",
                       "promoted": "candidate", "correlation_id": "ci-7", "task": "CartPole-v1"}.items():  # fmt: skip
        assert run.data.tags[key] == value, key
    assert run.data.metrics["mean_return"] == pytest.approx(metrics["mean_return"])
    assert {a.path for a in client.list_artifacts(result["run_id"])} >= {"episodes.json", "episodes.csv", "export"}

    # ONNX parity: onnxruntime on the exported file against the registered version's torch policy (its pyfunc).
    import mlflow
    import onnxruntime

    onnx_file = Path(result["export"]["file"])
    assert (onnx_file.parent / "policy.onnx.sha256").read_text().split()[0] == result["export"]["sha256"]
    assert version.tags["export.onnx.sha256"] == result["export"]["sha256"]
    assert version.tags["export.onnx"] == f"runs:/{result['run_id']}/export/policy.onnx"
    batch = np.random.default_rng(3).uniform([-2.4, -3, -0.2, -3], [2.4, 3, 0.2, 3], (32, 4)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    (onnx_actions,) = session.run(None, {session.get_inputs()[0].name: batch})
    torch_actions = mlflow.pyfunc.load_model(f"models:/{MODEL}/1").predict(batch)
    np.testing.assert_array_equal(onnx_actions, torch_actions)
    assert len(np.unique(torch_actions)) == 2


def test_a_gate_that_does_not_hold_exits_3_and_leaves_the_alias_where_it_was(
    client: MlflowClient, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    client.set_registered_model_alias(MODEL, "stable", "1")
    done = evaluate(capsys, tmp_path / "out", "--model-uri", f"models:/{MODEL}/1", "--promote", "never",
                    "--gate", "mean_return>=100000")  # fmt: skip
    assert done.code == 3, done.err
    result = done.result
    assert (result["status"], result["gate_passed"], result["promoted"], result["alias_version"]) == (
        "gate-failed", False, None, None)
    assert "never" not in client.get_registered_model(MODEL).aliases
    assert client.get_run(result["run_id"]).data.tags["gate_passed"] == "false"
    assert client.get_model_version(MODEL, "1").tags["evaluated"] == "true"  # it was evaluated all the same


def test_a_gate_against_the_alias_holder_compares_with_its_evaluated_metric(
    client: MlflowClient, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    first = evaluate(capsys, tmp_path / "a", "--model-uri", f"models:/{MODEL}/1", "--promote", "champion",
                     "--gate", "mean_return>=@champion")  # fmt: skip
    assert first.code == 0, first.err  # no champion yet: nothing to beat
    assert first.result["gates"][0]["reference_version"] is None
    measured = first.result["metrics"]["mean_return"]
    # The same seed gives the same episodes: not better than itself, but as good.
    same = evaluate(capsys, tmp_path / "b", "--model-uri", f"models:/{MODEL}@champion",
                    "--gate", "mean_return>@champion")  # fmt: skip
    assert same.code == 3 and same.result["gates"][0]["reference_version"] == "1"
    assert same.result["gates"][0]["reference"] == pytest.approx(measured, rel=1e-5)
    equal = evaluate(capsys, tmp_path / "c", "--model-uri", f"models:/{MODEL}@champion", "--gate",
                     "mean_return>=@champion,std_return<=1000000")  # fmt: skip
    assert equal.code == 0 and equal.result["gate_passed"] is True


def _refused(done: Done, line: str, client: MlflowClient, runs: int, output: Path) -> None:
    assert (done.code, done.out, done.err) == (2, "", f"error: {line}\n")
    assert runs_of(client) == runs and not output.exists()  # nothing written


def test_a_model_uri_that_does_not_resolve_is_refused_with_nothing_written(
    client: MlflowClient, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    runs = runs_of(client)
    done = evaluate(capsys, tmp_path / "out", "--model-uri", "models:/no-such-model/1")
    assert done.err.startswith("error: ROBO_MODEL_URI: models:/no-such-model/1: not found (")
    _refused(done, done.err.removeprefix("error: ").rstrip("\n"), client, runs, tmp_path / "out")
    done = evaluate(capsys, tmp_path / "out", "--model-uri", f"models:/{MODEL}/99")
    assert done.code == 2 and done.err.startswith(f"error: ROBO_MODEL_URI: models:/{MODEL}/99: not found (")
    done = evaluate(capsys, tmp_path / "out", "--model-uri", str(tmp_path / "missing"))
    _refused(done, f"ROBO_MODEL_URI: {tmp_path / 'missing'}: no such file or folder", client, runs, tmp_path / "out")


def test_a_model_without_task_tags_and_no_task_is_refused_with_nothing_written(
    client: MlflowClient, trained: Trained, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    run_id = trained.result["run_id"]
    client.create_registered_model("untagged")
    client.create_model_version("untagged", f"runs:/{run_id}/model", run_id=run_id)  # no tags at all
    runs = runs_of(client)
    done = evaluate(capsys, tmp_path / "out", "--model-uri", "models:/untagged/1")
    _refused(done, "ROBO_MODEL_URI: models:/untagged/1: the version has no task tag; pass --task (the task or "
             "gymnasium id it was trained on)", client, runs, tmp_path / "out")  # fmt: skip
    done = evaluate(capsys, tmp_path / "out", "--model-uri", f"runs:/{run_id}/model")
    _refused(done, f"ROBO_MODEL_URI: runs:/{run_id}/model: a run or path carries no tags; pass --task (the task "
             "or gymnasium id it was trained on)", client, runs, tmp_path / "out")  # fmt: skip
    done = evaluate(capsys, tmp_path / "ok", "--model-uri", f"runs:/{run_id}/model", "--task", "CartPole-v1",
                    "--mlflow", "false")  # fmt: skip
    assert done.code == 0 and done.result["model_uri"] == f"runs:/{run_id}/model" and done.result["run_id"] is None
    assert runs_of(client) == runs  # MLflow off: nothing logged


def test_a_gate_on_a_metric_the_evaluation_does_not_produce_is_refused_with_nothing_written(
    client: MlflowClient, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    runs = runs_of(client)
    done = evaluate(capsys, tmp_path / "out", "--model-uri", f"models:/{MODEL}/1", "--gate", "success_rate>=0.5")
    _refused(done, "ROBO_GATE: success_rate>=0.5: CartPole-v1 reports no success, so there is no success_rate; "
             "gate on one of mean_return, std_return, min_return, max_return, mean_episode_length", client, runs,
             tmp_path / "out")  # fmt: skip
    done = evaluate(capsys, tmp_path / "out", "--model-uri", f"models:/{MODEL}/1", "--gate", "action_mse<1")
    _refused(done, "ROBO_GATE: action_mse<1: an RL evaluation produces mean_return, std_return, min_return, "
             "max_return, mean_episode_length, success_rate, not action_mse", client, runs, tmp_path / "out")
    done = evaluate(capsys, tmp_path / "out", "--model-uri", f"models:/{MODEL}/1", "--gate", "reward>1")
    assert done.code == 2 and done.err.startswith("error: --gate: 'reward' is not a metric the evaluation produces")


def test_an_rl_version_given_a_lerobot_setting_is_refused_with_nothing_written(
    client: MlflowClient, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    runs = runs_of(client)
    done = evaluate(capsys, tmp_path / "out", "--model-uri", f"models:/{MODEL}/1", "--heldout-episodes", "1")
    _refused(done, f"ROBO_HELDOUT_EPISODES: a LeRobot policy's setting, and models:/{MODEL}/1 is an RL policy "
             "(skrl); drop it", client, runs, tmp_path / "out")  # fmt: skip


def test_sampled_actions_and_a_torchscript_export_without_mlflow(
    client: MlflowClient, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import mlflow
    import torch

    runs = runs_of(client)
    done = evaluate(capsys, tmp_path / "out", "--model-uri", f"models:/{MODEL}/1", "--deterministic", "false",
                    "--export", "torchscript", "--mlflow", "false", "--episodes", "2")  # fmt: skip
    assert done.code == 0, done.err
    result = done.result
    assert result["episodes"] == 2 and result["run_id"] is None and runs_of(client) == runs
    exported = Path(result["export"]["file"])
    assert exported.name == "policy.pt" and "artifact" not in result["export"]
    batch = np.random.default_rng(5).uniform(-0.2, 0.2, (16, 4)).astype(np.float32)
    with torch.no_grad():
        scripted = torch.jit.load(str(exported))(torch.as_tensor(batch)).numpy()
    np.testing.assert_array_equal(scripted, mlflow.pyfunc.load_model(f"models:/{MODEL}/1").predict(batch))


def test_an_rsl_rl_version_needs_deterministic_actions(
    client: MlflowClient, trained: Trained, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    runs = runs_of(client)
    done = evaluate(capsys, tmp_path / "out", "--model-uri", f"models:/{MODEL}/1", "--rl-library", "rsl_rl",
                    "--deterministic", "false")  # fmt: skip
    _refused(done, "ROBO_DETERMINISTIC: RSL-RL versions are evaluated with their exported deterministic policy "
             "only; drop --deterministic false", client, runs, tmp_path / "out")  # fmt: skip


def test_a_video_of_an_episode_is_recorded_and_logged(
    client: MlflowClient, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    pytest.importorskip("moviepy", reason="gymnasium's RecordVideo encodes with moviepy (the train extra pins it)")
    done = evaluate(capsys, tmp_path / "out", "--model-uri", f"models:/{MODEL}/1", "--episodes", "2",
                    "--video-episodes", "1")  # fmt: skip
    assert done.code == 0, done.err
    videos = sorted((tmp_path / "out" / "video").glob("*.mp4"))
    assert [v.name for v in videos] == ["episode-episode-0.mp4"] and videos[0].stat().st_size > 1000
    result = done.result
    assert result["video"] == f"runs:/{result['run_id']}/video"
    assert [a.path for a in client.list_artifacts(result["run_id"], "video")] == ["video/episode-episode-0.mp4"]


def test_an_rsl_rl_version_is_evaluated_with_its_own_exported_policy(
    tmp_path: Path, sqlite_tracking: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.training.rl.test_rsl_rl import rsl_config
    from training.registration import sha256_file
    from training.rl.rsl_rl import train as rsl_train

    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    assert rsl_train.main(rsl_config(tmp_path / "train", register_model="rsl-eval"), stop=StopFlag()) == 0
    done = evaluate(capsys, tmp_path / "out", "--model-uri", "models:/rsl-eval/1", "--episodes", "2",
                    "--export", "torchscript", "--gate", "mean_return>=1")  # fmt: skip
    assert done.code == 0, done.err
    result = done.result
    assert (result["rl_library"], result["episodes"], result["gate_passed"]) == ("rsl_rl", 2, True)  # from tags
    assert result["metrics"]["mean_return"] >= 1 and result["metrics"]["mean_episode_length"] >= 1
    assert sha256_file(result["export"]["file"]) == result["export"]["sha256"]
    version = MlflowClient(sqlite_tracking).get_model_version("rsl-eval", "1")
    assert version.tags["evaluated"] == "true" and version.tags["export.torchscript.sha256"] == result["export"]["sha256"]

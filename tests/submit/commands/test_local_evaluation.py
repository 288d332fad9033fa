"""`submit local evaluation`: what cannot be evaluated is bad input on one line before anything runs or is written.

The tracking store is a real MLflow sqlite store in the working directory (the one a local run uses), with a
model version registered by MLflow itself; nothing is replaced. The evaluation itself is the trainer's
(`python -m training evaluate`, tests/training).
"""

from __future__ import annotations

from pathlib import Path

import pytest


def _store_with_a_version(cwd: Path, tags: dict[str, str]) -> str:
    """mlruns.db holding model `cartpole-v1` version 1 (an artifact of a finished run), tagged `tags`."""
    import mlflow

    uri = f"sqlite:///{cwd / 'mlruns.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("e", artifact_location=(cwd / "mlruns").as_uri())
    run = client.create_run(experiment)
    (cwd / "policy.txt").write_text("weights", encoding="utf-8")
    client.log_artifact(run.info.run_id, str(cwd / "policy.txt"), "model")
    client.set_terminated(run.info.run_id)
    client.create_registered_model("cartpole-v1")
    client.create_model_version("cartpole-v1", f"runs:/{run.info.run_id}/model", run.info.run_id, tags=tags)
    return uri


def _refused(run_cli, *args: str) -> str:
    result = run_cli("local", "evaluation", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1
    assert not (run_cli.cwd / "outputs").exists()
    return result.stderr.removeprefix("submit: error: ").rstrip("\n")


def test_a_model_uri_with_no_store_here_is_refused_and_no_store_is_made(run_cli):
    line = _refused(run_cli, "--model", "models:/cartpole-v1/1")
    store = f"sqlite:///{run_cli.cwd.resolve() / 'mlruns.db'}"
    assert line == f"--model: models:/cartpole-v1/1 does not resolve: no MLflow store at {store} (nothing is registered here yet)"
    assert not (run_cli.cwd / "mlruns.db").exists()


@pytest.mark.parametrize("uri", ["models:/cartpole-v1/7", "models:/cartpole-v1@champion", "models:/pendulum/1"])
def test_a_model_uri_that_does_not_resolve_in_the_store_is_refused(run_cli, uri):
    store = _store_with_a_version(run_cli.cwd, {"task": "CartPole-v1"})
    assert _refused(run_cli, "--model", uri) == f"--model: {uri} does not resolve in {store} (no such model version or alias)"


def test_a_run_that_does_not_exist_is_refused(run_cli):
    store = _store_with_a_version(run_cli.cwd, {"task": "CartPole-v1"})
    uri = "runs:/0123456789abcdef0123456789abcdef/model"
    assert _refused(run_cli, "--model", uri) == f"--model: {uri} does not resolve in {store} (no such run)"


def test_a_version_without_a_task_tag_needs_task(run_cli):
    _store_with_a_version(run_cli.cwd, {"sha256": "0" * 64})
    line = _refused(run_cli, "--model", "models:/cartpole-v1/1")
    assert line == "--task: models:/cartpole-v1/1 has no task tag saying what it was trained on; give --task"


def test_a_lerobot_policy_evaluated_without_its_data_is_refused(run_cli):
    _store_with_a_version(run_cli.cwd, {"framework": "lerobot"})
    line = _refused(run_cli, "--model", "models:/cartpole-v1/1")
    assert line == (
        "--model: models:/cartpole-v1/1 is a LeRobot policy: evaluate it on held-out episodes (--dataset-repo-id, "
        "--dataset-root) or in a gym environment (--lerobot-env)"
    )


def test_a_path_that_does_not_exist_is_refused(run_cli):
    assert _refused(run_cli, "--model", "./no-such-model") == "--model: ./no-such-model does not exist"


def test_a_gate_on_a_metric_the_evaluation_does_not_produce_is_refused_before_the_store_is_asked(run_cli):
    line = _refused(run_cli, "--model", "models:/cartpole-v1/1", "--gate", "reward>=1")
    assert line.startswith("--gate: 'reward' is not a metric the evaluation produces; accepted: mean_return,")
    assert not (run_cli.cwd / "mlruns.db").exists()


def test_an_azureml_model_asset_is_refused_locally(run_cli):
    line = _refused(run_cli, "--model", "azureml:cartpole:1", "-t", "CartPole-v1")
    assert line == "--model: an azureml: model is an Azure ML job input; here use models:/<name>/<version> or a path"

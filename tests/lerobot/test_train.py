"""Real LeRobot ACT training on CPU, offline, against the real MLflow server fixture.

One from-scratch run through the real entry point (`python -m training lerobot`, a subprocess) is
shared by the module; resume, warm start and failure then run in-process through the same `main`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lerobot.conftest import TINY_ACT
from tests.lerobot.synthetic import EPISODES, FRAMES_PER_EPISODE

pytestmark = [pytest.mark.lerobot, pytest.mark.slow, pytest.mark.mlflow_server]
pytest.importorskip("lerobot", reason="needs .venv-lerobot (scripts/setup-lerobot-env.sh)")

REPO = Path(__file__).resolve().parents[2]
BATCH = 4
MODEL = "lerobot-act-tiny"  # training.config.lerobot_model_name: policy type and the dataset name
LEROBOT_METRICS = {
    # MetricsTracker.to_dict(): counters and the five meters of lerobot_train
    "train/steps", "train/samples", "train/episodes", "train/epochs",
    "train/loss", "train/grad_norm", "train/lr", "train/update_s", "train/dataloading_s",
    # ACT's own forward outputs, which LeRobot adds to the same dict
    "train/l1_loss", "train/kld_loss",
}  # fmt: skip


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    output_dir: Path

    @property
    def result(self) -> dict:
        lines = [line for line in self.stdout.splitlines() if line.startswith("ROBO_RESULT ")]
        assert len(lines) == 1, self.stderr[-3000:]
        return json.loads(lines[0].removeprefix("ROBO_RESULT "))


def _settings(dataset: Path, **values: str) -> dict[str, str]:
    base = {
        "ROBO_DATASET_REPO_ID": "local/tiny",
        "ROBO_DATASET_ROOT": str(dataset),
        "ROBO_DEVICE": "cpu",
        "ROBO_BATCH_SIZE": str(BATCH),
        "ROBO_NUM_WORKERS": "0",
        "ROBO_LEROBOT_ARGS": json.dumps(list(TINY_ACT)),
    }
    return {**base, **values}


def _run_in_process(patch: pytest.MonkeyPatch, capfd, output_dir: Path, settings: dict[str, str]) -> Finished:
    from training.lerobot import main

    with patch.context() as local:
        for name, value in settings.items():
            local.setenv(name, value)
        code = main(["--output-dir", str(output_dir)])
    captured = capfd.readouterr()
    return Finished(code, captured.out, captured.err, output_dir)


def _history(client, run_id: str, name: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in sorted(client.get_metric_history(run_id, name), key=lambda m: m.step)]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _adam_step(step_dir: Path) -> float:
    from safetensors.torch import load_file

    state = load_file(step_dir / "training_state" / "optimizer_state.safetensors")
    return float(state["state/0/step"])


@pytest.fixture(scope="module")
def client(offline_env):
    import mlflow

    return mlflow.MlflowClient(os.environ["MLFLOW_TRACKING_URI"])


@pytest.fixture(scope="module")
def scratch(offline_env, tiny_dataset, tmp_path_factory) -> Finished:
    """4 steps from scratch, checkpoints at 2 and 4, metrics every 2 steps, via the job's command."""
    output_dir = tmp_path_factory.mktemp("scratch")
    env = {**os.environ, **_settings(tiny_dataset, ROBO_STEPS="4", ROBO_SAVE_FREQ="2", ROBO_LOG_FREQ="2")}
    command = [sys.executable, "-m", "training", "lerobot", "--output-dir", str(output_dir)]
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=900)
    return Finished(done.returncode, done.stdout, done.stderr, output_dir)


def test_job_command_exits_zero_and_prints_only_the_result_on_stdout(scratch):
    assert scratch.returncode == 0, scratch.stderr[-3000:]
    assert scratch.stdout.splitlines() == [scratch.stdout.strip()]
    result = scratch.result
    assert result["step"] == 4
    assert result["checkpoint"] == str((scratch.output_dir / "train" / "checkpoints" / "000004").resolve())
    assert result["model_name"] == MODEL
    assert result["model_version"].isdigit()
    assert "step:4 " in scratch.stderr  # LeRobot's own progress line goes to stderr


def test_the_saved_train_config_keeps_the_users_wandb_choice(scratch):
    # The logger hook turns LeRobot's WANDB switch on for one check and back before anything is saved.
    saved = json.loads(
        (Path(scratch.result["checkpoint"]) / "pretrained_model" / "train_config.json").read_text()
    )
    assert saved["wandb"]["enable"] is False
    assert saved["policy"]["push_to_hub"] is False


def test_every_lerobot_metric_reaches_mlflow_at_lerobots_step_numbers(scratch, client):
    run = client.get_run(scratch.result["run_id"])
    assert set(run.data.metrics) >= LEROBOT_METRICS
    for name in LEROBOT_METRICS:
        assert [step for step, _ in _history(client, run.info.run_id, name)] == [2, 4], name
    assert _history(client, run.info.run_id, "train/samples") == [(2, 2.0 * BATCH), (4, 4.0 * BATCH)]
    frames = EPISODES * FRAMES_PER_EPISODE
    assert _history(client, run.info.run_id, "train/epochs") == [
        (2, 2 * BATCH / frames),
        (4, 4 * BATCH / frames),
    ]
    assert _history(client, run.info.run_id, "train/loss")[-1][1] == pytest.approx(
        scratch.result["final_loss"]
    )
    assert run.info.status == "FINISHED"


def test_only_the_final_checkpoint_is_uploaded_and_registered_with_its_sha256(scratch, client):
    result = scratch.result
    versions = [v for v in client.search_model_versions(f"name='{MODEL}'") if v.run_id == result["run_id"]]
    assert [v.version for v in versions] == [result["model_version"]]
    tags = versions[0].tags
    local_model = Path(result["checkpoint"]) / "pretrained_model" / "model.safetensors"
    assert tags["sha256"] == _sha256(local_model)
    assert {k: tags[k] for k in ("policy_type", "dataset", "steps", "source_run_id")} == {
        "policy_type": "act",
        "dataset": "local/tiny",
        "steps": "4",
        "source_run_id": result["run_id"],
    }
    import mlflow

    downloaded = Path(mlflow.artifacts.download_artifacts(f"models:/{MODEL}/{result['model_version']}"))
    assert _sha256(downloaded / "pretrained_model" / "model.safetensors") == tags["sha256"]
    assert sorted(a.path for a in client.list_artifacts(result["run_id"])) == [
        "checkpoint",
        "lerobot_config.json",
    ]
    assert (scratch.output_dir / "train" / "checkpoints" / "000002").is_dir()  # kept locally, not registered


def test_resume_continues_the_step_count_and_the_optimizer(
    scratch, offline_env, tiny_dataset, tmp_path, capfd, client
):
    source = scratch.result
    settings = _settings(
        tiny_dataset,
        ROBO_STEPS="8",
        ROBO_SAVE_FREQ="2",
        ROBO_LOG_FREQ="2",
        ROBO_CHECKPOINT_MODE="resume",
        ROBO_CHECKPOINT_URI=f"runs:/{source['run_id']}/checkpoint",
    )
    resumed = _run_in_process(offline_env, capfd, tmp_path, settings)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path / "train" / "checkpoints").iterdir()) == [
        "000006",
        "000008",
        "last",
    ]
    assert _adam_step(Path(resumed.result["checkpoint"])) == 8.0  # 4 restored + 4 new updates
    steps = [s for s, _ in _history(client, source["run_id"], "train/loss")]
    steps += [s for s, _ in _history(client, resumed.result["run_id"], "train/loss")]
    assert steps == [2, 4, 6, 8]
    assert client.get_run(resumed.result["run_id"]).data.tags["checkpoint_run_id"] == source["run_id"]


def test_warm_start_loads_the_weights_with_a_fresh_optimizer_from_step_zero(
    scratch, offline_env, tiny_dataset, tmp_path, capfd, client
):
    from safetensors.torch import load_file

    source = scratch.result
    settings = _settings(
        tiny_dataset,
        ROBO_STEPS="2",
        ROBO_LOG_FREQ="1",
        ROBO_LEARNING_RATE="1e-12",  # the weights barely move, so they must equal the source's
        ROBO_CHECKPOINT_MODE="warm-start",
        ROBO_CHECKPOINT_URI=f"models:/{MODEL}/{source['model_version']}",
    )
    warm = _run_in_process(offline_env, capfd, tmp_path, settings)
    assert warm.returncode == 0, warm.stderr[-3000:]
    assert [s for s, _ in _history(client, warm.result["run_id"], "train/loss")] == [1, 2]
    step_dir = Path(warm.result["checkpoint"])
    assert step_dir.name == "000002"
    assert _adam_step(step_dir) == 2.0  # not 4 + 2: the optimizer started fresh
    before = load_file(Path(source["checkpoint"]) / "pretrained_model" / "model.safetensors")
    after = load_file(step_dir / "pretrained_model" / "model.safetensors")
    assert before.keys() == after.keys()
    assert max(float((before[k] - after[k]).abs().max()) for k in before) < 1e-6
    assert client.get_run(warm.result["run_id"]).data.tags["checkpoint_run_id"] == source["run_id"]


def test_smoke_test_checks_config_and_tracking_without_training(
    offline_env, tiny_dataset, tmp_path, capfd, client
):
    smoke = _run_in_process(offline_env, capfd, tmp_path, _settings(tiny_dataset, ROBO_MODE="smoke-test"))
    assert smoke.returncode == 0, smoke.stderr[-3000:]
    assert {k: v for k, v in smoke.result.items() if v is not None} == {"run_id": smoke.result["run_id"]}
    assert not (tmp_path / "train").exists()
    assert [a.path for a in client.list_artifacts(smoke.result["run_id"])] == ["lerobot_config.json"]


def test_a_failed_run_exits_1_and_registers_nothing(offline_env, tiny_dataset, tmp_path, capfd, client):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_dataset, broken)
    (broken / "data" / "chunk-000" / "file-000.parquet").write_bytes(b"not parquet")
    before = {(v.name, v.version) for v in client.search_model_versions(f"name='{MODEL}'")}
    failed = _run_in_process(offline_env, capfd, tmp_path / "out", _settings(broken, ROBO_STEPS="2"))
    assert failed.returncode == 1
    assert "ROBO_RESULT" not in failed.stdout
    assert failed.stderr.rstrip().endswith("error: LeRobot training failed; nothing was registered")
    assert {(v.name, v.version) for v in client.search_model_versions(f"name='{MODEL}'")} == before
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, f"params.output_dir = '{tmp_path / 'out'}'")
    assert [(r.info.status, r.data.tags["training_outcome"]) for r in runs] == [("FAILED", "failed")]


def test_warm_start_from_a_local_output_folder_with_wandb_beside_mlflow(
    scratch, offline_env, tiny_dataset, tmp_path, capfd, client
):
    # A local URI: the job output folder of the scratch run (its train/checkpoints/last is used).
    # wandb's "disabled" mode: LeRobot's real WandBLogger is created and fed, without a network.
    args = [*TINY_ACT, "--wandb.mode=disabled"]
    settings = _settings(
        tiny_dataset,
        ROBO_STEPS="2",
        ROBO_LOG_FREQ="1",
        ROBO_WANDB="true",
        ROBO_LEROBOT_ARGS=json.dumps(args),
        ROBO_CHECKPOINT_MODE="warm-start",
        ROBO_CHECKPOINT_URI=str(scratch.output_dir),
    )
    both = _run_in_process(offline_env, capfd, tmp_path, settings)
    assert both.returncode == 0, both.stderr[-3000:]
    assert "Logs will be synced with wandb." in both.stderr
    assert [s for s, _ in _history(client, both.result["run_id"], "train/loss")] == [1, 2]
    saved = json.loads(
        (Path(both.result["checkpoint"]) / "pretrained_model" / "train_config.json").read_text()
    )
    assert saved["wandb"]["enable"] is True
    assert Path(saved["policy"]["pretrained_path"]) == Path(scratch.result["checkpoint"]) / "pretrained_model"
    # The run that wrote a local checkpoint is found through the output folder's robo_run.json.
    assert client.get_run(both.result["run_id"]).data.tags["checkpoint_run_id"] == scratch.result["run_id"]


def _as_written_by_lerobot_04(step_dir: Path, into: Path) -> Path:
    """A copy of a 0.6.1 checkpoint in LeRobot 0.4.4's format: the differences between the two versions'
    TrainPipelineConfig, PreTrainedConfig and training_step.json (read from both releases' sources)."""
    copy = shutil.copytree(step_dir, into / step_dir.name)
    train_config = copy / "pretrained_model" / "train_config.json"
    saved = json.loads(train_config.read_text())
    saved["eval_freq"] = saved.pop("env_eval_freq")
    for added_in_06 in (
        "reward_model", "cudnn_deterministic", "prefetch_factor", "persistent_workers",
        "dataloader_multiprocessing_context", "eval_steps", "max_eval_samples", "job", "save_checkpoint_to_hub",
        "sample_weighting",
    ):  # fmt: skip
        saved.pop(added_in_06, None)
    saved |= {"use_rabc": False, "rabc_progress_path": None, "rabc_kappa": 0.01, "rabc_epsilon": 1e-6, "rabc_head_mode": "sparse"}
    train_config.write_text(json.dumps(saved))
    policy_config = copy / "pretrained_model" / "config.json"
    policy_config.write_text(json.dumps({k: v for k, v in json.loads(policy_config.read_text()).items() if k != "pretrained_revision"}))
    step_file = copy / "training_state" / "training_step.json"
    step_file.write_text(json.dumps({"step": json.loads(step_file.read_text())["step"]}))
    return copy


def test_a_lerobot_04_checkpoint_warm_starts_and_a_resume_from_it_is_one_line_saying_what_to_do(
    scratch, offline_env, tiny_dataset, tmp_path, capfd, client
):
    old = _as_written_by_lerobot_04(Path(scratch.result["checkpoint"]), tmp_path / "old")
    resumed = _run_in_process(
        offline_env, capfd, tmp_path / "resume",
        _settings(tiny_dataset, ROBO_STEPS="8", ROBO_CHECKPOINT_MODE="resume", ROBO_CHECKPOINT_URI=str(old)),
    )  # fmt: skip
    assert resumed.returncode == 2
    assert resumed.stdout == ""
    assert resumed.stderr.strip().splitlines()[-1] == (
        "error: ROBO_CHECKPOINT_URI: this checkpoint was written by LeRobot 0.4, whose train config LeRobot 0.6 "
        "cannot resume; start from it with checkpoint mode warm-start (its weights and normalisation "
        "load, the optimizer and step start fresh)"
    )
    assert not (tmp_path / "resume").exists()
    warm = _run_in_process(
        offline_env, capfd, tmp_path / "warm",
        _settings(tiny_dataset, ROBO_STEPS="2", ROBO_LOG_FREQ="1", ROBO_CHECKPOINT_MODE="warm-start", ROBO_CHECKPOINT_URI=str(old)),
    )  # fmt: skip
    assert warm.returncode == 0, warm.stderr[-3000:]
    assert Path(warm.result["checkpoint"]).name == "000002"
    assert _adam_step(Path(warm.result["checkpoint"])) == 2.0


def test_two_processes_through_accelerate_train_together_with_one_run_and_one_registered_version(
    offline_env, tiny_dataset, tmp_path_factory, client
):
    # The job's own command with ROBO_GPUS=2: it starts itself again under `accelerate launch` (two CPU
    # processes on gloo, which accelerate supports), so both processes train one DDP model.
    output_dir = tmp_path_factory.mktemp("two-processes")
    before = {v.version for v in client.search_model_versions(f"name='{MODEL}'")}
    env = {
        **os.environ,
        **_settings(tiny_dataset, ROBO_STEPS="4", ROBO_SAVE_FREQ="4", ROBO_LOG_FREQ="2", ROBO_GPUS="2"),
    }
    command = [sys.executable, "-m", "training", "lerobot", "--output-dir", str(output_dir)]
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=900)
    finished = Finished(done.returncode, done.stdout, done.stderr, output_dir)
    assert finished.returncode == 0, finished.stderr[-3000:]
    result = finished.result  # exactly one result line, from rank 0
    assert finished.stdout.strip() == done.stdout.strip().splitlines()[0]
    assert "2 training processes" in finished.stderr
    # Both processes stepped: LeRobot counts samples over the world size and records it in the checkpoint.
    assert _history(client, result["run_id"], "train/samples") == [(2, 2.0 * 2 * BATCH), (4, 4.0 * 2 * BATCH)]
    state = json.loads((Path(result["checkpoint"]) / "training_state" / "training_step.json").read_text())
    assert (state["step"], state["num_processes"]) == (4, 2)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, f"params.output_dir = '{output_dir}'")
    assert [r.info.run_id for r in runs] == [result["run_id"]]
    assert runs[0].data.params["gpus"] == "2"
    added = [v for v in client.search_model_versions(f"name='{MODEL}'") if v.version not in before]
    assert [(v.version, v.run_id) for v in added] == [(result["model_version"], result["run_id"])]


def test_two_mounted_datasets_are_merged_with_lerobots_tools_and_their_asset_versions_tagged(
    offline_env, tiny_dataset, tmp_path, capfd, client
):
    # What an Azure ML job with two --dataset-asset inputs runs: the assets' identity in ROBO_DATASET_ASSETS,
    # their read-only mounts as --dataset-dirs flags after the constant command.
    from tests.lerobot.synthetic import make_dataset

    second = make_dataset(tmp_path / "second")
    for folder in (tiny_dataset, second):
        (folder).chmod(0o555)  # mounted read-only: nothing is written there
    assets = ["azureml:tiny-a:1", "azureml:tiny-b:2"]
    settings = {
        **_settings(tiny_dataset, ROBO_STEPS="2", ROBO_LOG_FREQ="2", ROBO_DATASET_ASSETS=json.dumps(assets)),
    }
    del settings["ROBO_DATASET_ROOT"]
    from training.lerobot import main

    with offline_env.context() as local:
        for name, value in settings.items():
            local.setenv(name, value)
        code = main(["--output-dir", str(tmp_path / "out"), "--dataset-dirs", str(tiny_dataset), "--dataset-dirs", str(second)])
    captured = capfd.readouterr()
    for folder in (tiny_dataset, second):
        folder.chmod(0o755)
    done = Finished(code, captured.out, captured.err, tmp_path / "out")
    assert done.returncode == 0, done.stderr[-3000:]
    merged = json.loads((tmp_path / "out" / "dataset" / "meta" / "info.json").read_text())
    assert (merged["total_episodes"], merged["total_frames"]) == (2 * EPISODES, 2 * EPISODES * FRAMES_PER_EPISODE)
    frames = 2 * EPISODES * FRAMES_PER_EPISODE
    assert _history(client, done.result["run_id"], "train/epochs") == [(2, 2 * BATCH / frames)]
    run_tags = client.get_run(done.result["run_id"]).data.tags
    version = client.get_model_version(done.result["model_name"], done.result["model_version"])
    assert json.loads(run_tags["dataset_assets"]) == json.loads(version.tags["dataset_assets"]) == assets


def test_warm_start_from_a_mounted_azure_ml_model_input_given_as_a_flag(
    scratch, offline_env, tiny_dataset, tmp_path, capfd, client
):
    # --init-from-policy-model: ROBO_CHECKPOINT_MODE=warm-start, and the mounted model folder (the registered
    # checkpoint one level down, as a model input holds it) after the constant command.
    mounted = tmp_path / "INPUT_init_policy"
    shutil.copytree(Path(scratch.result["checkpoint"]), mounted / "checkpoint")
    settings = _settings(tiny_dataset, ROBO_STEPS="2", ROBO_LOG_FREQ="1", ROBO_CHECKPOINT_MODE="warm-start")
    from training.lerobot import main

    with offline_env.context() as local:
        for name, value in settings.items():
            local.setenv(name, value)
        code = main(["--output-dir", str(tmp_path / "out"), "--checkpoint-uri", str(mounted)])
    captured = capfd.readouterr()
    warm = Finished(code, captured.out, captured.err, tmp_path / "out")
    assert warm.returncode == 0, warm.stderr[-3000:]
    assert [s for s, _ in _history(client, warm.result["run_id"], "train/loss")] == [1, 2]
    assert _adam_step(Path(warm.result["checkpoint"])) == 2.0

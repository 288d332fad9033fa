"""`python -m training lerobot`: LeRobot training in-process, tracked in MLflow, registered once.

Phases, top to bottom: config -> (more than one GPU: the same trainer again under `accelerate launch`,
training.lerobot.launch) -> dataset -> checkpoint plan -> LeRobot train config -> MLflow run and
logger hook -> train -> final checkpoint upload and registration -> one `ROBO_RESULT {json}` line on
stdout. Progress goes to stderr. Bad input exits 2, a failed run exits 1 and registers nothing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from training import checkpoints, exits, metadata, secrets, workspace
from training.config import (
    RESULT_PREFIX,
    ConfigError,
    LeRobotConfig,
    check_device,
    from_env,
    is_rank_zero,
    lerobot_model_name,
)
from training.lerobot import dataset as datasets
from training.lerobot import launch, plan
from training.lerobot.plan import Dataset, LeRobotCheckpoint
from training.mlflow_run import CHECKPOINT_ARTIFACTS, resume_uri

CHECKPOINT_ARTIFACT = CHECKPOINT_ARTIFACTS["lerobot"]  # runs:/<run>/checkpoint holds pretrained_model/ and training_state/
RUN_FILE = "robo_run.json"  # in LeRobot's output folder: which MLflow run wrote these checkpoints
METRICS_LEDGER = "metrics.jsonl"  # every logged point, kept even when MLflow is unreachable
FLUSH_TIMEOUT_S = 60.0
NOT_INSTALLED = (
    "LeRobot is not installed in {python}; create its environment with ./scripts/setup-lerobot-env.sh "
    "(.venv-lerobot) or run the LeRobot job image"
)


@dataclass
class Outcome:
    """What the run produced; becomes the ROBO_RESULT line."""

    run_id: str | None = None
    final_loss: float | None = None
    step: int | None = None
    checkpoint: str | None = None
    model_name: str | None = None
    model_version: str | None = None

    def result(self) -> dict[str, Any]:
        resume = resume_uri(self.run_id, "lerobot") if self.checkpoint else None
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "resume_uri": resume}


class Stopped(exits.StoppedBySignal, KeyboardInterrupt):
    """SIGTERM (preemption, job cancel) arrived: end the run as interrupted, register nothing."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def main(argv: list[str]) -> int:
    """Entry point for `python -m training lerobot [flags]`; the exit code comes from training.exits."""
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        return exits.run("lerobot", lambda: _main(argv))
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str]) -> int:
    config = from_env("lerobot", os.environ, argv)
    assert isinstance(config, LeRobotConfig)
    plan.check(config)
    if config.checkpoint_uri:  # a URI that can never be fetched is refused before any download
        checkpoints.check_uri(config.checkpoint_uri)
    if importlib.util.find_spec("lerobot") is None:
        print(f"error: {NOT_INSTALLED.format(python=sys.executable)}", file=sys.stderr)
        return 1
    secrets.load(config)  # before wandb or huggingface_hub reads the environment
    workspace.resolve_tracking_uri(config.mlflow)  # an OSMO job that names an Azure ML workspace
    if launch.needs_launch(config, os.environ):
        datasets.resolve(config)  # blobs are fetched once, here; each worker finds them present
        return launch.run(config, argv)
    os.environ.update(launch.mixed_precision_env(config))
    outcome = run(config)
    if is_rank_zero(os.environ):  # one result line per job, not one per process
        print(RESULT_PREFIX + json.dumps(outcome.result(), sort_keys=True), flush=True)
    return 0


def _raise_stopped(signum: int, _frame: Any) -> None:
    # Once: a second SIGTERM (a scheduler repeating itself, or `submit local` passing on one the
    # trainer also got) must not cut short the clean-up the first one started.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Stopped(signum)


def run(config: LeRobotConfig) -> Outcome:
    check_device(config.device)
    data = datasets.resolve(config)
    with tempfile.TemporaryDirectory(prefix="robo-checkpoint-") as download_dir:
        checkpoint, source_run = _checkpoint(config, Path(download_dir))
        return _run_lerobot(config, data, checkpoint, source_run)


def _run_lerobot(
    config: LeRobotConfig, data: Dataset | None, checkpoint: LeRobotCheckpoint | None, source_run: str | None
) -> Outcome:
    from training.lerobot import compat  # lazy: LeRobot pulls in torch

    args = plan.lerobot_args(config, dataset=data, checkpoint=checkpoint)
    print(f"lerobot: {' '.join(args)}", file=sys.stderr)
    with compat.lerobot_argv(args), compat.stdout_to_stderr():
        cfg = compat.build_train_config(args)
        if config.register and not cfg.save_checkpoint:
            raise ConfigError(
                "ROBO_REGISTER: registration needs the final checkpoint; drop --save_checkpoint=false"
            )
        if config.mode == "smoke-test":
            return _smoke_test(config, cfg, data)
        if not (config.mlflow and is_rank_zero(os.environ)):
            compat.train(cfg)
            return _untracked(config, cfg)
        return _tracked(config, cfg, source_run)


def _tracked(config: LeRobotConfig, cfg: Any, source_run: str | None) -> Outcome:
    from training import mlflow_run
    from training.lerobot import compat

    lineage = _dataset_tags(config, cfg)
    run = mlflow_run.start_run(
        experiment=config.experiment_name,
        run_name=config.job_name or cfg.job_name,
        tags={**_run_tags(config, cfg, source_run), **lineage},
        params=_params(config),
    )
    outcome = Outcome(run_id=run.run_id)
    result = "failed"
    try:
        outcome.final_loss = _train_logged(config, cfg, run)
        run.client.log_dict(run.run_id, compat.config_dict(cfg), "lerobot_config.json")
        _finish(config, cfg, run, outcome, source_run, lineage)
        result = "succeeded"
    except KeyboardInterrupt:
        result = "interrupted"
        raise
    finally:
        mlflow_run.finish_run(run, result)
    return outcome


def _train_logged(config: LeRobotConfig, cfg: Any, run: Any) -> float | None:
    """LeRobot's loop with its logger hooked to the metric pipeline; returns the last train loss."""
    from training import mlflow_run
    from training.lerobot import compat, tracking
    from training.tracking.sender import MetricPipeline, mlflow_sender

    ledger = Path(config.output_dir) / METRICS_LEDGER
    send = mlflow_sender(run.client, run.run_id)
    pipeline = MetricPipeline(send=send, start_step=compat.start_step(cfg), max_depth=3, ledger=ledger)
    pipeline.start()

    def make_logger(wandb_logger: Any | None) -> tracking.FanOutLogger:
        upload = lambda path, artifact_path: mlflow_run.upload(run, Path(path), artifact_path)  # noqa: E731
        return tracking.FanOutLogger(pipeline, wandb_logger, upload)

    try:
        with tracking.install(cfg, make_logger) as created:
            compat.train(cfg)
    finally:
        _close(pipeline, run, ledger)
    if not created:
        raise compat.HookMissing("LeRobot never created its logger, so no metric reached MLflow")
    return pipeline.latest.get("train/loss")


def _close(pipeline: Any, run: Any, ledger: Path) -> None:
    """Deliver pending metrics (idempotent); one warning line if some never reached MLflow."""
    from training.tracking.sender import unsent_warning

    report = pipeline.close(timeout=FLUSH_TIMEOUT_S)
    warning = unsent_warning(report, destination=run.tracking_uri, ledger=ledger)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


def _finish(
    config: LeRobotConfig, cfg: Any, run: Any, outcome: Outcome, source_run: str | None, lineage: dict[str, str]
) -> None:
    """Upload the final checkpoint once and register it; intermediate ones stay in the output folder."""
    from training.lerobot import compat

    step_dir = compat.last_checkpoint(Path(cfg.output_dir))
    _write_run_file(Path(cfg.output_dir), outcome.run_id)
    if step_dir is None:
        return
    outcome.checkpoint = str(step_dir)
    outcome.step = int(step_dir.name)
    if not config.register:
        return
    from training import mlflow_run
    from training.registration import register_checkpoint

    mlflow_run.upload(run, step_dir, CHECKPOINT_ARTIFACT)

    model_file = step_dir / plan.PRETRAINED_MODEL_DIR / plan.MODEL_FILE
    outcome.model_name, outcome.model_version = register_checkpoint(
        run.client,
        run_id=outcome.run_id,
        artifact_path=CHECKPOINT_ARTIFACT,
        name=config.register_model or lerobot_model_name(cfg.policy.type, cfg.dataset.repo_id),
        checkpoint_file=model_file,
        tags={
            "framework": "lerobot",
            "policy_type": cfg.policy.type,
            "dataset": cfg.dataset.repo_id,
            "steps": outcome.step,
            "checkpoint_mode": config.checkpoint_mode,
            **({"checkpoint_run_id": source_run} if source_run else {}),
            **metadata.version_tags(config.correlation_id),
            **lineage,
        },
    )
    print(f"registered {outcome.model_name} version {outcome.model_version}", file=sys.stderr)


def _untracked(config: LeRobotConfig, cfg: Any) -> Outcome:
    from training.lerobot import compat

    if config.register and is_rank_zero(os.environ):
        print("note: MLflow is off, so the checkpoint is not registered", file=sys.stderr)
    step_dir = compat.last_checkpoint(Path(cfg.output_dir))
    return Outcome(
        checkpoint=str(step_dir) if step_dir else None, step=int(step_dir.name) if step_dir else None
    )


def _smoke_test(config: LeRobotConfig, cfg: Any, data: Dataset | None) -> Outcome:
    """Check dataset, checkpoint, LeRobot config and tracking without training: one short MLflow run
    with one small artifact (the validated LeRobot config), which proves the artifact store works too."""
    from training import mlflow_run
    from training.lerobot import compat

    outcome = Outcome()
    if config.mlflow:
        tags = {"framework": "lerobot", "mode": "smoke-test"}
        run = mlflow_run.start_run(
            experiment=config.experiment_name, run_name="smoke-test", tags=tags, params=_params(config)
        )
        run.client.log_dict(run.run_id, compat.config_dict(cfg), "lerobot_config.json")
        mlflow_run.finish_run(run, "succeeded")
        outcome.run_id = run.run_id
    print(f"smoke test passed: dataset {data.repo_id if data else '(from the checkpoint)'}", file=sys.stderr)
    return outcome


def _checkpoint(config: LeRobotConfig, download_dir: Path) -> tuple[LeRobotCheckpoint | None, str | None]:
    """The local LeRobot checkpoint behind ROBO_CHECKPOINT_URI, and the MLflow run that wrote it."""
    if not config.checkpoint_uri:
        return None, None
    checkpoint = plan.find_checkpoint(_local_copy(config.checkpoint_uri, download_dir))
    if config.checkpoint_mode == "resume":
        plan.check_resumable(checkpoint)
    return checkpoint, _source_run(config.checkpoint_uri, checkpoint)


def _local_copy(uri: str, download_dir: Path) -> Path:
    """A local folder for the URI: MLflow URIs (runs:/, models:/, ...) are downloaded first."""
    # The shared resolver (training.checkpoints.resolve_checkpoint) picks an skrl agent_*.pt file, so
    # only its download step is reused here; a LeRobot checkpoint is a folder.
    if uri.startswith(checkpoints._MLFLOW_SCHEMES):
        return checkpoints.download(uri, download_dir)
    path = Path(uri.removeprefix("file://")).expanduser()
    if not path.exists():
        raise ConfigError(f"ROBO_CHECKPOINT_URI: {uri}: no such file or folder")
    return path


def _source_run(uri: str, checkpoint: LeRobotCheckpoint) -> str | None:
    """The MLflow run that wrote the checkpoint, when it can be known (for the run's lineage tag)."""
    if uri.startswith("runs:/"):
        return uri.split("/")[1]
    if uri.startswith("models:/"):
        return _model_version_run(uri.removeprefix("models:/"))
    run_file = checkpoint.pretrained_model.parent.parent.parent / RUN_FILE
    if run_file.is_file():
        return json.loads(run_file.read_text()).get("run_id")
    return None


def _model_version_run(reference: str) -> str | None:
    import mlflow  # lazy: start-up time

    client = mlflow.MlflowClient()
    name, _, version = reference.partition("/")
    if "@" in name:
        name, alias = name.split("@", 1)
        return client.get_model_version_by_alias(name, alias).run_id
    return client.get_model_version(name, version).run_id if version.isdigit() else None


def _write_run_file(output_dir: Path, run_id: str | None) -> None:
    (output_dir / RUN_FILE).write_text(json.dumps({"run_id": run_id}) + "\n")


def _run_tags(config: LeRobotConfig, cfg: Any, source_run: str | None) -> dict[str, str]:
    tags = {
        "framework": "lerobot",
        "policy_type": cfg.policy.type,
        "dataset": cfg.dataset.repo_id,
        "checkpoint_mode": config.checkpoint_mode,
    }
    if config.checkpoint_uri:
        tags["checkpoint_uri"] = checkpoints.shown(config.checkpoint_uri)
    if source_run:
        tags["checkpoint_run_id"] = source_run
    tags.update(metadata.run_tags(config.correlation_id, config.device))
    return tags


def _dataset_tags(config: LeRobotConfig, cfg: Any) -> dict[str, str]:
    """What the policy was trained on, for the run and the registered version: the Hub revision, the Azure ML
    data asset versions, or the blob URLs (without SAS) and the sha256 of what they gave."""
    tags: dict[str, str] = {}
    revision = config.dataset_revision or getattr(cfg.dataset, "revision", None)
    if revision:
        tags["dataset_revision"] = str(revision)
    if config.dataset_assets:
        tags["dataset_assets"] = json.dumps(list(config.dataset_assets))
    if config.blob_urls:
        tags["dataset_blob_urls"] = json.dumps([checkpoints.shown(url) for url in config.blob_urls])
        tags["dataset_sha256"] = datasets.tree_sha256(Path(cfg.dataset.root))
    return tags


def _params(config: LeRobotConfig) -> dict[str, str]:
    """Every trainer setting as a run parameter; URLs lose their query (a SAS token is a secret)."""
    params: dict[str, str] = {}
    for f in fields(config):
        value = getattr(config, f.name)
        if value is None or value == ():
            continue
        if f.name == "blob_urls":
            value = [checkpoints.shown(url) for url in value]
        elif f.name == "checkpoint_uri":
            value = checkpoints.shown(value)
        params[f.name] = json.dumps(list(value)) if isinstance(value, tuple | list) else str(value)
    return params

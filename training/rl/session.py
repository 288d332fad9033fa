"""Tracking for one RL training run: the MLflow run, the update wrapper, and how the run ends.

`Session.open` starts the MLflow run (rank 0 only, and only with tracking on), the metric
pipeline and the update wrapper. `Session.finish` runs once, whatever the outcome:
flush metrics, upload checkpoints, and only after success register the final checkpoint.
A failed or interrupted run uploads what it has (so it can be resumed) and registers nothing.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from training.checkpoints import TRAINER_STATE, shown
from training.config import RLConfig, derive_model_name, is_rank_zero
from training.exits import RunError, first_line
from training.metadata import version_tags
from training.mlflow_run import (
    CHECKPOINT_ARTIFACTS,
    TrackingRun,
    finish_run,
    flatten,
    resume_uri,
    start_run,
    upload,
)
from training.rl.agent_config import rollouts
from training.tracking import store_process
from training.tracking.sender import MetricPipeline, mlflow_sender, unsent_warning
from training.tracking.system import system_sampler
from training.tracking.wrapper import UpdateLogger, resolve_interval

log = logging.getLogger("training.rl")
CHECKPOINTS_ARTIFACT = CHECKPOINT_ARTIFACTS["rl"]
MODEL_ARTIFACT = "model"
TENSORBOARD_ARTIFACT, METRICS_ARTIFACT = "tensorboard", "metrics"
BEST_CHECKPOINT = "best_agent.pt"  # skrl keeps the checkpoint of the best mean reward under this name
# Every registered RL version: where its agent config is inside the model, and that nobody evaluated it yet.
MODEL_TAGS = {"agent_config": "artifacts/agent.yaml", "evaluated": "false"}


@dataclass
class Result:
    """What the run produced; printed as the ROBO_RESULT line."""

    status: str
    timesteps: int
    run_id: str | None = None
    final_reward_mean: float | None = None
    checkpoint: str | None = None
    model_name: str | None = None
    model_version: str | None = None
    unsent_metric_points: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        model_uri = f"models:/{self.model_name}/{self.model_version}" if self.model_version else None
        return {
            "status": self.status,
            "run_id": self.run_id,
            "final_reward_mean": self.final_reward_mean,
            "timesteps": self.timesteps,
            "checkpoint": self.checkpoint,
            "model_name": self.model_name,
            "model_version": self.model_version,
            "model_uri": model_uri,
            "unsent_metric_points": self.unsent_metric_points,
            "resume_uri": resume_uri(self.run_id, "rl") if self.checkpoint else None,
            **self.extra,
        }


class TrackingError(RunError):
    """Training succeeded but MLflow could not take its result; carries the run's Result."""

    def __init__(self, message: str, result: Result) -> None:
        super().__init__(message)
        self.result = result


class Session:
    """The MLflow run, metric pipeline and update wrapper of one training run."""

    def __init__(
        self,
        config: RLConfig,
        agent_cfg: dict,
        run: TrackingRun | DeferredRun | None,
        pipeline: MetricPipeline | None,
        logger: UpdateLogger | None,
    ) -> None:
        self.config, self.agent_cfg = config, agent_cfg
        self._run, self.pipeline, self.logger = run, pipeline, logger
        self.agent: Any = None  # the trained agent whose policy the registered model carries (skrl)
        self.output_dir = Path(config.output_dir)
        self.latest: dict[str, float] = pipeline.latest if pipeline else {}

    @property
    def run(self) -> TrackingRun | None:
        """The MLflow run; for a server unreachable at start, None until it answered."""
        return self._run.run if isinstance(self._run, DeferredRun) else self._run

    @classmethod
    def open(
        cls, config: RLConfig, agent_cfg: dict, agent: Any, *, start: int, num_envs: int, tags: dict[str, str]
    ) -> Session:
        """Start tracking on rank 0; other ranks get a session that does nothing."""
        if not is_rank_zero(os.environ):
            return cls(config, agent_cfg, None, None, None)
        run, pipeline = cls.start_tracking(config, agent_cfg, start=start, num_envs=num_envs, tags=tags)
        interval = resolve_interval(config.log_interval, rollouts(agent_cfg))
        logger = UpdateLogger(agent, interval, pipeline.submit, deferred=True)
        logger.attach()
        session = cls(config, agent_cfg, run, pipeline, logger)
        session.agent = agent
        return session

    @classmethod
    def start_tracking(
        cls, config: RLConfig, agent_cfg: dict, *, start: int, num_envs: int, tags: dict[str, str]
    ) -> tuple[TrackingRun | DeferredRun | None, MetricPipeline]:
        """The MLflow run (None with ROBO_MLFLOW=false; a DeferredRun while the server does not answer) and the
        started metric pipeline (rank 0)."""
        ledger = Path(config.output_dir) / "metrics.jsonl"
        run = _open_run(config, cls.run_params(config, agent_cfg), tags, ledger) if config.mlflow else None
        if run is None:
            log.warning("ROBO_MLFLOW=false: metrics go to metrics.jsonl only; nothing is registered")
        pipeline = MetricPipeline(
            send=run.send if isinstance(run, DeferredRun) else mlflow_sender(run.client, run.run_id) if run else None,
            warned=isinstance(run, DeferredRun) and run.announced,
            num_envs=num_envs,
            start_step=start,
            max_depth=config.max_depth,
            metric_filter=config.metric_filter,
            ledger=ledger,
            system=system_sampler(str(Path(config.output_dir).resolve())) if config.system_metrics else None,
        ).start()
        return run, pipeline

    @staticmethod
    def run_params(config: RLConfig, agent_cfg: dict) -> dict[str, Any]:
        """The run's parameters: the settings (no secret references) and skrl's agent and trainer config."""
        params = {key: value for key, value in vars(config).items() if key not in ("key_vault_uri",)}
        params.update(flatten("agent", {k: v for k, v in agent_cfg["agent"].items() if k != "experiment"}))
        params.update(flatten("trainer", agent_cfg["trainer"]))
        return params

    @property
    def run_id(self) -> str:
        return self.run.run_id if self.run else ""

    def checkpoint_names_run(self, payload: dict[str, Any], run_id: str) -> bool:
        """Write `run_id` into a checkpoint `payload` that names no run; whether it changed (skrl: the trainer
        state module; RslRlSession: RSL-RL's `infos`)."""
        state = payload.get(TRAINER_STATE)
        if not isinstance(state, dict) or state.get("run_id"):
            return False
        state["run_id"] = run_id
        return True

    def _name_early_checkpoints(self) -> None:
        """A store process's run opens from a thread, seconds into training: the checkpoints written before then
        name no run. Now that it is open they do, so that a resume from any of them names its source run."""
        deferred = self._run
        if not isinstance(deferred, DeferredRun) or deferred.announced or deferred.run is None:
            return
        folder = self.checkpoints_folder()
        early = [p for p in folder.glob("*.pt") if p.stat().st_mtime <= deferred.opened_at] if folder.is_dir() else []
        if not early:
            return
        import torch  # lazy: the trainer has it loaded already

        for path in early:
            payload = torch.load(path, map_location="cpu", weights_only=False)
            if isinstance(payload, dict) and self.checkpoint_names_run(payload, deferred.run.run_id):
                torch.save(payload, path)

    def finish(
        self, outcome: str, *, step: int, checkpoint: Path | None, stopped: Callable[[], bool] = lambda: False
    ) -> Result:
        """Flush, upload, register after success, and end the run. Raises only after success.

        `stopped` is asked just before registering: a SIGTERM that arrives while the
        checkpoints upload still means "interrupted", and an interrupted run registers nothing.
        """
        result = Result(outcome, step, run_id=self.run.run_id if self.run else None)
        result.checkpoint = str(checkpoint) if checkpoint else None
        if self.config.correlation_id:
            result.extra["correlation_id"] = self.config.correlation_id
        self._flush_metrics(step, result)
        if isinstance(self._run, DeferredRun) and self._run.run is None:
            self._reach_late(outcome, result, checkpoint)
        if not self.run:
            return result
        result.run_id = self.run.run_id  # a deferred run (a store process's) may have opened only while flushing
        self._best_effort(self._name_early_checkpoints, "name the run in the checkpoints written before it opened")
        self._best_effort(self._upload_logs, "upload the TensorBoard events and the metrics ledger")
        if outcome != "succeeded":
            self._best_effort(lambda: self._upload_checkpoints(), "upload checkpoints")
            self._best_effort(lambda: finish_run(self.run, outcome), "end the MLflow run")
            return result
        action = "upload the checkpoints"
        try:
            self._upload_checkpoints()
            if stopped():
                result.status = "interrupted"
                finish_run(self.run, "interrupted")
                return result
            action = "register the model"
            if self.config.register and checkpoint is not None:
                result.model_name, result.model_version = self._register(checkpoint)
            action = "end the MLflow run"
            finish_run(self.run, outcome)
        except Exception as exc:
            result.status = "failed"
            self._best_effort(lambda: finish_run(self.run, "failed"), "end the MLflow run")
            raise TrackingError(
                f"training finished, but could not {action} at {redact(self.run.tracking_uri)} "
                f"({first_line(exc, 300)}); the checkpoint is at {checkpoint}; nothing was registered",
                result,
            ) from exc
        return result

    def _reach_late(self, outcome: str, result: Result, checkpoint: Path | None) -> None:
        """The server never answered during training: one more try now, so the checkpoints, the outcome
        and (after success) the model still reach it; a success it cannot take is a TrackingError."""
        deferred = self._run
        assert isinstance(deferred, DeferredRun)
        try:
            deferred.get()
        except Exception as exc:
            if outcome != "succeeded":
                return
            result.status = "failed"
            raise TrackingError(
                f"training finished, but MLflow at {redact(deferred.uri)} never answered ({first_line(exc, 300)}); "
                f"every logged point is kept in {self.output_dir / 'metrics.jsonl'}; the checkpoint is at "
                f"{checkpoint}; nothing was registered",
                result,
            ) from None

    def _flush_metrics(self, step: int, result: Result) -> None:
        if self.logger is not None:
            self.logger.flush(step)
        if self.pipeline is None:
            return
        report = self.pipeline.close(self.config.metrics_flush_timeout)
        result.final_reward_mean = self.latest.get("episode_reward_mean")
        result.unsent_metric_points = report.unsent
        destination = redact(self.run.tracking_uri) if self.run else redact(getattr(self._run, "uri", "-"))
        warning = unsent_warning(report, destination=destination, ledger=self.output_dir / "metrics.jsonl")
        if warning and self._run is not None:
            log.warning(warning)

    def checkpoints_folder(self) -> Path:
        """Where the library writes its checkpoints (uploaded as the run's `checkpoints` artifact)."""
        return checkpoints_dir(self.agent_cfg)

    def registration_tags(self, checkpoint: Path) -> dict[str, str]:
        tags = {
            "task": self.config.task,
            "rl_library": self.config.rl_library,
            "algorithm": self.config.algorithm,
            "checkpoint_mode": self.config.checkpoint_mode,
            "timestep": checkpoint_timestep(checkpoint),
        }
        if self.config.checkpoint_uri:
            tags["checkpoint_source_uri"] = shown(self.config.checkpoint_uri)
        if self.config.physics:  # an evaluation of the version simulates with the same preset by default
            tags["physics"] = self.config.physics
        tags.update(MODEL_TAGS, framework=self.config.rl_library)
        tags.update(version_tags(self.config.correlation_id))
        tags.update(self.best_checkpoint_tags())
        return tags

    def description(self, tags: dict[str, str], step: int) -> str:
        """The version's description: what was trained, how long, how well, from which run and code."""
        code = tags.get("git_commit", "")[:12] + (" (uncommitted changes)" if tags.get("git_dirty") == "true" else "")
        reward = self.latest.get("episode_reward_mean")
        return (
            f"{self.config.algorithm.upper()} ({self.config.rl_library}) on {self.config.task}, {step} timesteps"
            + (f", final mean episode reward {reward:.4g}" if reward is not None else "")
            + f"; {self.config.checkpoint_mode}; run {self.run_id}"
            + (f"; code {code}" if code else f"; code sha256 {tags.get('code_sha256', '')[:12]}")
            + (f"; image {tags['image']}" if tags.get("image", "unknown") != "unknown" else "")
        )

    def best_checkpoint_tags(self) -> dict[str, str]:
        """skrl's best_agent.pt (uploaded with the checkpoints): where it is, its sha256, its timestep and reward."""
        from training.registration import sha256_file  # lazy: hashlib only, but kept with its caller

        best = self.checkpoints_folder() / BEST_CHECKPOINT
        if not best.is_file() or self.run is None:
            return {}
        tags = {
            "best_checkpoint": f"runs:/{self.run.run_id}/{CHECKPOINTS_ARTIFACT}/{BEST_CHECKPOINT}",
            "best_checkpoint_sha256": sha256_file(best),
        }
        kept = getattr(self.agent, "checkpoint_best_modules", None) or {}
        if kept.get("modules"):
            tags["best_timestep"] = str(kept["timestep"])
            tags["best_reward"] = f"{float(kept['reward']):.6g}"
        return tags

    def tensorboard_files(self) -> list[Path]:
        """The library's TensorBoard event files (skrl writes them next to its checkpoints folder)."""
        return sorted(self.checkpoints_folder().parent.glob("events.out.tfevents.*"))

    def _upload_logs(self) -> None:
        """TensorBoard events under `tensorboard/`, the metrics ledger under `metrics/`: what a run's charts
        came from, kept with the run."""
        for events in self.tensorboard_files():
            upload(self.run, events, TENSORBOARD_ARTIFACT)
        ledger = self.output_dir / "metrics.jsonl"
        if ledger.is_file():
            upload(self.run, ledger, METRICS_ARTIFACT)

    def _upload_checkpoints(self) -> None:
        folder = self.checkpoints_folder()
        if folder.is_dir() and any(folder.iterdir()):
            upload(self.run, folder, CHECKPOINTS_ARTIFACT)

    def write_model(self, model_dir: Path, checkpoint: Path, agent_config: Path) -> Path:
        """The registered version's folder: an MLflow pyfunc model (training/rl/policy_model.py) holding the
        TorchScript policy, the raw checkpoint and the agent config. Returns the checkpoint inside it."""
        from training.rl.policy_model import (  # lazy: mlflow
            AGENT_CONFIG_FILE,
            ARTIFACTS_DIR,
            CHECKPOINT_FILE,
            save_pyfunc_model,
        )

        try:
            scripted, size = self.scripted_policy()
            model = {"folder": model_dir, "size": size, "checkpoint": checkpoint, "agent_config": agent_config}
            if hasattr(self.run.client, "call"):  # a store process: MLflow writes the model there, from a file
                scripted = _saved_policy(scripted, self.output_dir / "policy-scripted.pt")
                try:
                    self.run.client.call("training.rl.policy_model:save_pyfunc_model", scripted=scripted, **model)
                finally:
                    scripted.unlink(missing_ok=True)  # the model folder holds its own copy
            else:
                save_pyfunc_model(scripted=scripted, **model)
            return model_dir / ARTIFACTS_DIR / CHECKPOINT_FILE
        except Exception as exc:  # a policy it cannot trace, an MLflow without pyfunc: still register the checkpoint
            log.warning("the version is registered as a plain checkpoint folder, not an MLflow model: %s", first_line(exc))
            shutil.rmtree(model_dir, ignore_errors=True)
            model_dir.mkdir(parents=True)
            shutil.copy2(agent_config, model_dir / AGENT_CONFIG_FILE)
            shutil.copy2(checkpoint, model_dir / CHECKPOINT_FILE)
            return model_dir / CHECKPOINT_FILE

    def scripted_policy(self) -> tuple[Any, int]:
        """The trained policy as TorchScript (observations -> actions) and its observation size."""
        from training.rl.policy_model import observation_size, traced_policy  # lazy: torch

        return traced_policy(self.agent), observation_size(self.agent)

    def _register(self, checkpoint: Path) -> tuple[str, str]:
        from training.registration import register_checkpoint  # lazy: imports mlflow

        model_dir = self.output_dir / MODEL_ARTIFACT
        shutil.rmtree(model_dir, ignore_errors=True)  # MLflow writes a model only into a new folder
        agent_config = self.output_dir / "agent.yaml"
        _write_yaml(agent_config, self.agent_cfg)
        model_file = self.write_model(model_dir, checkpoint, agent_config)
        upload(self.run, model_dir, MODEL_ARTIFACT)
        tags = self.registration_tags(checkpoint)
        tags["mlflow_model"] = "true" if (model_dir / "MLmodel").is_file() else "false"
        if tags["mlflow_model"] == "false":
            tags["agent_config"] = "agent.yaml"
        name = self.config.register_model or derive_model_name(self.config.task)
        return register_checkpoint(
            self.run.client,
            run_id=self.run.run_id,
            artifact_path=MODEL_ARTIFACT,
            name=name,
            checkpoint_file=model_file,
            tags=tags,
            description=self.description(tags, int(tags.get("timestep") or 0)),
        )

    def _best_effort(self, action: Any, what: str) -> None:
        try:
            action()
        except Exception as exc:  # the run already failed; report and keep its own error
            log.warning("could not %s: %s", what, first_line(exc, 300))


class DeferredRun:
    """An MLflow run opened after training started: that of a tracking server that did not answer at start
    (training goes on, the metric pipeline keeps every point and the ledger, and the first send that reaches
    the server creates the run, then delivers what waited), or a store process's (`announced=False`: opened
    at once from a thread, `open_soon`, so the training thread never waits for the store)."""

    def __init__(self, uri: str, open_run: Callable[[], TrackingRun], *, announced: bool = True) -> None:
        self.uri = uri
        self.run: TrackingRun | None = None
        self.announced = announced  # a warning already said the server does not answer
        self._open = open_run
        self._lock = threading.Lock()
        self._send: Callable[[list], None] | None = None
        self.opened_at = 0.0

    def get(self) -> TrackingRun:
        with self._lock:
            if self.run is None:
                run = self._open()
                self._send = mlflow_sender(run.client, run.run_id)
                self.run = run
                self.opened_at = time.time()  # a checkpoint file written up to now names no run
            return self.run

    def open_soon(self) -> None:
        """Open the run from a thread of its own now (a store process's), not on the first metrics sent."""
        threading.Thread(target=self._try_open, name="mlflow-run-open", daemon=True).start()

    def _try_open(self) -> None:
        try:
            self.get()
        except Exception as exc:  # the metric sender retries; the run's end says it if it never opened
            log.warning("could not open the MLflow run at %s yet: %s", redact(self.uri), first_line(exc, 200))

    def send(self, points: list) -> None:
        self.get()
        assert self._send is not None
        self._send(points)


def store_uri(config: RLConfig) -> str | None:
    """The embedded store (sqlite, file, a path) whose work a store process does for this run (rank 0, MLflow on,
    no Azure ML run to attach to); None when the run talks to a server in-process."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not config.mlflow or not is_rank_zero(os.environ) or os.environ.get("MLFLOW_RUN_ID"):
        return None
    return uri if store_process.embedded(uri) else None


def launch_store(config: RLConfig) -> None:
    """Start the run's store process now (the trainer's first step), so that its start-up overlaps with the
    environment's and the agent's (training/tracking/store_process.py)."""
    uri = store_uri(config)
    if uri is not None:
        store_process.launch(uri)


def _open_run(config: RLConfig, params: dict[str, Any], tags: dict[str, str], ledger: Path) -> TrackingRun | DeferredRun:
    """The run, or a DeferredRun (one warning line naming the URI) when the server does not answer."""
    embedded = store_uri(config)
    if embedded is not None:  # the store's work runs in the store process; this process imports no mlflow
        store = store_process.launch(embedded)
        run = DeferredRun(embedded, lambda: store.start_run(
            experiment=config.experiment_name, run_name=config.job_name, tags=tags, params=params
        ), announced=False)  # fmt: skip
        run.open_soon()
        return run
    from mlflow.tracking import get_tracking_uri  # lazy: start-up time

    uri = get_tracking_uri()
    problem = unreachable(uri)
    if problem is None:
        try:
            return _start_run(config, params, tags)
        except Exception as exc:
            if not _is_connection_error(exc):
                raise
            problem = first_line(exc, 200)
    log.warning(
        "MLflow at %s is unreachable (%s); training goes on, every metric is kept in %s and sent once it answers",
        redact(uri), problem, ledger,
    )  # fmt: skip
    return DeferredRun(uri, lambda: _start_run(config, params, tags))


def _start_run(config: RLConfig, params: dict[str, Any], tags: dict[str, str]) -> TrackingRun:
    return start_run(experiment=config.experiment_name, run_name=config.job_name, tags=tags, params=params)


def unreachable(uri: str, timeout: float = 5.0) -> str | None:
    """Why an http(s) tracking server cannot be reached (a TCP connect, not MLflow's minutes of retries);
    None when it can, or when the URI is no server (sqlite, file, azureml...)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except (OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {first_line(exc, 200)}"


def _is_connection_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionError | TimeoutError) or type(seen).__name__ == "ConnectionError":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def checkpoints_dir(agent_cfg: dict) -> Path:
    experiment = agent_cfg["agent"]["experiment"]
    return Path(experiment["directory"]) / experiment["experiment_name"] / "checkpoints"


def checkpoint_timestep(path: Path) -> str:
    stem = path.stem.removeprefix("agent_")
    return stem if stem.isdigit() else ""


def redact(uri: str) -> str:
    """A tracking URI without user:password, safe for logs."""
    parts = urlsplit(uri)
    if not parts.username and not parts.password:
        return uri
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _saved_policy(scripted: Any, path: Path) -> Path:
    import torch  # lazy: the trainer has it loaded already

    torch.jit.save(scripted, str(path))
    return path


def _write_yaml(path: Path, data: dict) -> None:
    import yaml  # lazy: start-up time

    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)

"""The parts every job kind shares, declared once: resources, checkpoint, registration, tracking, naming."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from submit.models import fields as f
from submit.models.base import AzureName, CorrelationId, FreeText, LogInterval, ModelName, Strict, declared
from training.config import CHECKPOINT_MODES, checkpoint_uri_problem

CheckpointMode = Literal["from-scratch", "warm-start", "resume", "fresh"]
assert set(CHECKPOINT_MODES) == set(CheckpointMode.__args__)  # one list of modes for CLI and trainer



class Resources(Strict):
    """How much hardware the job asks for."""

    num_nodes: int = declared(f.NUM_NODES, 1, ge=1, le=512)
    gpus_per_node: int = declared(f.GPUS_PER_NODE, 1, ge=0, le=16)

    @property
    def processes_per_node(self) -> int:
        return max(self.gpus_per_node, 1)


class Checkpoint(Strict):
    """Where training starts from."""

    uri: str | None = declared(f.CHECKPOINT_URI)
    mode: CheckpointMode = declared(f.CHECKPOINT_MODE, "from-scratch")

    @model_validator(mode="after")
    def _mode_matches_uri(self) -> Checkpoint:
        problem = self.uri is not None and checkpoint_uri_problem(self.uri)  # the trainer's own rule
        if problem:
            raise ValueError(f"uri: {problem}")
        if self.uri is not None and self.uri.startswith("https:"):
            from training.checkpoints import unfetchable  # the trainer's own rule

            problem = unfetchable(self.uri)
            if problem:
                raise ValueError(f"uri: {problem}")
        if self.mode in ("resume", "warm-start") and not self.uri:
            raise ValueError(f"uri: checkpoint mode {self.mode} needs --checkpoint-uri")
        if self.mode in ("from-scratch", "fresh") and self.uri:
            raise ValueError(f"uri: a checkpoint URI was given with mode {self.mode}; use warm-start or resume, or drop the URI")
        return self


class Registration(Strict):
    """Model registration of the final checkpoint."""

    name: ModelName | None = declared(f.REGISTER_CHECKPOINT)
    skip: bool = declared(f.SKIP_REGISTER_CHECKPOINT, False)


class Tracking(Strict):
    """Experiment tracking, for every job kind."""

    mlflow: bool = declared(f.MLFLOW, True)
    wandb: bool = declared(f.WANDB, False)
    wandb_project: FreeText | None = declared(f.WANDB_PROJECT)
    wandb_entity: FreeText | None = declared(f.WANDB_ENTITY)
    token_retries: int = declared(f.MLFLOW_TOKEN_RETRIES, 3, ge=0, le=100)
    http_timeout: int = declared(f.MLFLOW_HTTP_TIMEOUT, 60, ge=1, le=3600)

    @model_validator(mode="after")
    def _wandb_options_need_wandb(self) -> Tracking:
        if not self.wandb and (self.wandb_project or self.wandb_entity):
            raise ValueError("wandb: --wandb-project/--wandb-entity need --wandb")
        return self


class EvaluationTracking(Strict):
    """Tracking of an evaluation: MLflow only (the run linked to the version, its tags, the alias)."""

    mlflow: bool = declared(f.MLFLOW, True)
    token_retries: int = declared(f.MLFLOW_TOKEN_RETRIES, 3, ge=0, le=100)
    http_timeout: int = declared(f.MLFLOW_HTTP_TIMEOUT, 60, ge=1, le=3600)

    @property
    def wandb(self) -> bool:
        return False


class RLTracking(Tracking):
    """Tracking of an RL job: the update wrapper's interval and metric filter too."""

    log_interval: LogInterval = declared(f.MLFLOW_LOG_INTERVAL, "balanced")
    metric_filter: tuple[FreeText, ...] = declared(f.METRIC_FILTER, ())

    @model_validator(mode="after")
    def _filter_entries(self) -> RLTracking:
        if any("," in item for item in self.metric_filter):
            raise ValueError("metric_filter: a filter entry must not contain ','")
        return self


class Naming(Strict):
    """How the job is named where it runs."""

    experiment_name: AzureName | None = declared(f.EXPERIMENT_NAME)
    job_name: AzureName | None = declared(f.JOB_NAME)
    display_name: FreeText | None = declared(f.DISPLAY_NAME)
    correlation_id: CorrelationId | None = declared(f.CORRELATION_ID)

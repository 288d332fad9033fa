"""The parts every job kind shares, declared once: resources, checkpoint, registration, tracking, naming."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from submit.models.base import AzureName, FreeText, LogInterval, ModelName, Strict, declared
from training.config import CHECKPOINT_MODES, checkpoint_uri_problem

CheckpointMode = Literal["from-scratch", "warm-start", "resume", "fresh"]
assert set(CHECKPOINT_MODES) == set(CheckpointMode.__args__)  # one list of modes for CLI and trainer



class Resources(Strict):
    """How much hardware the job asks for."""

    num_nodes: int = declared("num_nodes", 1, ge=1, le=512)
    gpus_per_node: int = declared("gpus_per_node", 1, ge=0, le=16)

    @property
    def processes_per_node(self) -> int:
        return max(self.gpus_per_node, 1)


class Checkpoint(Strict):
    """Where training starts from."""

    uri: str | None = declared("checkpoint_uri")
    mode: CheckpointMode = declared("checkpoint_mode", "from-scratch")

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

    name: ModelName | None = declared("register_checkpoint")
    skip: bool = declared("skip_register_checkpoint", False)


class Tracking(Strict):
    """Experiment tracking, for every job kind."""

    mlflow: bool = declared("mlflow", True)
    wandb: bool = declared("wandb", False)
    wandb_project: FreeText | None = declared("wandb_project")
    wandb_entity: FreeText | None = declared("wandb_entity")
    token_retries: int = declared("mlflow_token_retries", 3, ge=0, le=100)
    http_timeout: int = declared("mlflow_http_timeout", 60, ge=1, le=3600)

    @model_validator(mode="after")
    def _wandb_options_need_wandb(self) -> Tracking:
        if not self.wandb and (self.wandb_project or self.wandb_entity):
            raise ValueError("wandb: --wandb-project/--wandb-entity need --wandb")
        return self


class RLTracking(Tracking):
    """Tracking of an RL job: the update wrapper's interval and metric filter too."""

    log_interval: LogInterval = declared("mlflow_log_interval", "balanced")
    metric_filter: tuple[FreeText, ...] = declared("metric_filter", ())

    @model_validator(mode="after")
    def _filter_entries(self) -> RLTracking:
        if any("," in item for item in self.metric_filter):
            raise ValueError("metric_filter: a filter entry must not contain ','")
        return self


class Naming(Strict):
    """How the job is named where it runs."""

    experiment_name: AzureName | None = declared("experiment_name")
    job_name: AzureName | None = declared("job_name")
    display_name: FreeText | None = declared("display_name")

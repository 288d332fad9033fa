"""Tracking for one RSL-RL run: the skrl run's `Session` (MLflow run, metric pipeline, flush, upload,
registration once after success), with RSL-RL's logger as the source of metrics and its log folder as
the checkpoints."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from training.config import RLConfig, is_rank_zero
from training.mlflow_run import flatten
from training.rl.rsl_rl.runner_config import log_dir, steps_per_iteration
from training.rl.rsl_rl.tracking import IterationLogger
from training.rl.session import Session
from training.tracking.wrapper import resolve_interval

_ITERATION = re.compile(r"^model_(\d+)\.pt$")


class RslRlSession(Session):
    """`Session` for RSL-RL: `logger` is an `IterationLogger` fed by RSL-RL's own logger."""

    logger: IterationLogger | None

    @classmethod
    def open(  # type: ignore[override]
        cls, config: RLConfig, runner_cfg: dict, *, start: int, num_envs: int, tags: dict[str, str]
    ) -> RslRlSession:
        """Start tracking on rank 0 (`start`: the first timestep); other ranks get a session that does nothing."""
        if not is_rank_zero(os.environ):
            return cls(config, runner_cfg, None, None, None)
        run, pipeline = cls.start_tracking(config, runner_cfg, start=start, num_envs=num_envs, tags=tags)
        steps = steps_per_iteration(runner_cfg)
        interval = resolve_interval(config.log_interval, steps)
        logger = IterationLogger(interval, pipeline.submit, steps_per_iteration=steps)
        return cls(config, runner_cfg, run, pipeline, logger)

    @staticmethod
    def run_params(config: RLConfig, agent_cfg: dict) -> dict[str, Any]:
        params = {key: value for key, value in vars(config).items() if key not in ("key_vault_uri",)}
        params.update(flatten("runner", agent_cfg))
        return params

    def checkpoints_folder(self) -> Path:
        return log_dir(self.config)

    def checkpoint_names_run(self, payload: dict[str, Any], run_id: str) -> bool:
        infos = payload.get("infos")
        if not isinstance(infos, dict) or infos.get("run_id"):
            return False
        infos["run_id"] = run_id
        return True

    def tensorboard_files(self) -> list[Path]:
        return sorted(self.checkpoints_folder().glob("events.out.tfevents.*"))  # RSL-RL writes them with its models

    def scripted_policy(self) -> tuple[Any, int]:
        """RSL-RL's own TorchScript export of the policy (normaliser and deterministic head included)."""
        import torch  # lazy: start-up time

        policy = self.agent.alg.get_policy()  # the runner (rsl_rl OnPolicyRunner)
        return torch.jit.script(policy.as_jit().to("cpu")), int(policy.obs_dim)

    def registration_tags(self, checkpoint: Path) -> dict[str, str]:
        tags = super().registration_tags(checkpoint)
        match = _ITERATION.match(checkpoint.name)
        if match:
            iteration = int(match.group(1))
            tags["iteration"] = str(iteration)
            tags["timestep"] = str((iteration + 1) * steps_per_iteration(self.agent_cfg))
        return tags

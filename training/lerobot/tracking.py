"""LeRobot's metrics to MLflow, through the seam LeRobot already has for Weights & Biases.

`lerobot_train.train` hands its logger every metric dict it computes, at its own step numbers:
`MetricsTracker.to_dict()` (steps, samples, episodes, epochs, loss, grad_norm, lr, update_s,
dataloading_s) plus the policy's own outputs (ACT: l1_loss, kld_loss) on every log step, and the
evaluation tracker plus LeRobot's eval info on every eval step. That logger is created through the
module-level name `WandBLogger`, only when `cfg.wandb.enable` and `cfg.wandb.project` are set, and only on
the main process of an `accelerate launch` run. `install` swaps that name
(training.lerobot.compat.replaced_logger) for a factory returning `FanOutLogger`, which sends each dict
to MLflow and, when the user asked for it, to a real WandBLogger. Nothing is parsed from printed text (the reference's regex lost every metric after
one million samples, W6).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from training.lerobot import compat
from training.tracking.wrapper import LogEvent


class FanOutLogger:
    """The object LeRobot believes is its WandBLogger.

    Metrics go to the shared background pipeline (training.tracking.sender.MetricPipeline): it
    names, flattens nested eval dicts, keeps a local ledger and sends batches to MLflow off the
    training thread, so a slow tracking server never stalls LeRobot's loop.
    """

    def __init__(
        self, pipeline: Any | None, wandb_logger: Any | None, upload: Callable[[str, str], None] | None = None
    ):
        self.pipeline = pipeline
        self.wandb_logger = wandb_logger
        self.upload = upload

    def log_dict(
        self, d: dict, step: int | None = None, mode: str = "train", custom_step_key: str | None = None
    ):
        if self.pipeline is not None and step is not None:
            window = {f"{mode}/{key}": [value] for key, value in d.items()}
            self.pipeline.submit(LogEvent(step=step, wall_time=time.time(), window=window, updates=step))
        if self.wandb_logger is not None:
            self.wandb_logger.log_dict(d, step, mode=mode, custom_step_key=custom_step_key)

    def log_policy(self, checkpoint_dir: Path) -> None:
        # Intermediate checkpoints stay in the job's output folder; the final one is uploaded and
        # registered once after training. Registering each one flooded the reference's registry (W8).
        if self.wandb_logger is not None:
            self.wandb_logger.log_policy(checkpoint_dir)

    def log_video(self, video_path: str, step: int, mode: str = "train") -> None:
        if self.upload is not None:
            self.upload(video_path, f"{mode}/videos/step_{step}")
        if self.wandb_logger is not None:
            self.wandb_logger.log_video(video_path, step, mode=mode)


@contextmanager
def install(cfg: Any, make_logger: Callable[[Any | None], FanOutLogger]) -> Iterator[list[FanOutLogger]]:
    """Swap LeRobot's logger factory for the duration of one `train(cfg)` call.

    LeRobot creates its logger only when `cfg.wandb.enable` is true, so the switch is turned on for
    that one check and restored inside the factory, before anything reads or saves it again: the saved
    train_config.json keeps the user's own WANDB choice, and a real WandBLogger is made only if asked for.
    Yields the list the created loggers are put in, so the caller can tell the hook fired.
    """
    wanted, project = cfg.wandb.enable, cfg.wandb.project
    created: list[FanOutLogger] = []

    def factory(train_cfg: Any, wandb_logger: Any) -> FanOutLogger:
        train_cfg.wandb.enable, train_cfg.wandb.project = wanted, project
        logger = make_logger(wandb_logger(train_cfg) if wanted else None)
        created.append(logger)
        return logger

    with compat.replaced_logger(factory):
        # LeRobot 0.6 also needs a project name before it makes its logger.
        cfg.wandb.enable, cfg.wandb.project = True, project or "lerobot"
        try:
            yield created
        finally:
            cfg.wandb.enable, cfg.wandb.project = wanted, project

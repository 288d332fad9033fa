"""Every place the trainer touches LeRobot itself: build its train config, run its loop in-process, hook its logger.

Written against lerobot 0.6.1 (workflows/images/requirements-lerobot.txt pins lerobot==0.6.1). What it
relies on:

- ``lerobot.configs.parser.wrap`` building a ``TrainPipelineConfig`` from ``sys.argv``, whose
  ``validate()`` re-reads ``--policy.path`` and ``--config_path`` from ``sys.argv`` (`lerobot_argv`);
  ``--config_path`` may name a checkpoint's ``pretrained_model/`` folder;
- importing ``lerobot.scripts.lerobot_train`` registering the policy and env config choices, and
  ``lerobot.utils.import_utils.register_third_party_plugins``;
- ``lerobot.scripts.lerobot_train.train(cfg)``, which makes its own ``accelerate.Accelerator`` (so a run
  under ``accelerate launch`` trains on every process and saves on the main one), and its module global
  ``WandBLogger``, through which the main process creates its logger when ``cfg.wandb.enable`` and
  ``cfg.wandb.project`` are set (`replaced_logger`);
- ``<output_dir>/checkpoints/last`` linking the last step folder, which holds ``training_state/``
  (``lerobot.common.train_utils.load_training_step``);
- ``TrainPipelineConfig.to_dict()``;
- ``lerobot.datasets.dataset_tools.merge_datasets(datasets, output_repo_id, output_dir)`` (several sources).

No `from __future__ import annotations` here: LeRobot's `parser.wrap` reads the real class from the
wrapped function's annotation.
"""

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CHECKPOINTS_DIR = "checkpoints"
LAST_LINK = "last"


class HookMissing(RuntimeError):
    """The installed LeRobot no longer has the logger seam this module relies on."""


@contextlib.contextmanager
def lerobot_argv(args: list[str]) -> Iterator[None]:
    """LeRobot's config validation re-reads `--policy.path` and `--config_path` from sys.argv."""
    saved = sys.argv
    sys.argv = ["lerobot-train", *args]
    try:
        yield
    finally:
        sys.argv = saved


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Keep stdout for the one result line: LeRobot and its libraries print progress there too.

    Redirected at the file-descriptor level, so prints from native code and worker processes
    follow as well.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def build_train_config(args: list[str]) -> Any:
    """A validated TrainPipelineConfig from `lerobot-train` arguments, built as `lerobot-train` does.

    Validated here already (LeRobot's `train` validates again, which is idempotent) so that the policy
    loaded by `--policy.path` or the resumed train config is known before the MLflow run starts, and a
    bad argument fails before anything is created. Call inside `lerobot_argv(args)`.
    """
    from lerobot.configs import parser  # lazy: pulls in torch
    from lerobot.configs.train import TrainPipelineConfig
    from lerobot.scripts import lerobot_train  # noqa: F401  registers the policy and env config choices
    from lerobot.utils.import_utils import register_third_party_plugins

    register_third_party_plugins()

    def capture(cfg: TrainPipelineConfig) -> TrainPipelineConfig:
        return cfg

    cfg = parser.wrap()(capture)()
    cfg.validate()
    return cfg


def train(cfg: Any) -> None:
    """LeRobot's own training loop, unchanged (lerobot.scripts.lerobot_train.train)."""
    from lerobot.scripts import lerobot_train  # lazy: pulls in torch

    lerobot_train.train(cfg)


@contextlib.contextmanager
def replaced_logger(make: Callable[[Any, Any], Any]) -> Iterator[None]:
    """While inside, LeRobot's loop creates its logger as `make(train_cfg, WandBLogger)` instead."""
    import lerobot.scripts.lerobot_train as lerobot_train  # lazy: pulls in torch

    original = getattr(lerobot_train, "WandBLogger", None)
    if original is None or not hasattr(lerobot_train, "train"):
        raise HookMissing(
            "lerobot.scripts.lerobot_train has no WandBLogger; this LeRobot version is not supported"
        )
    lerobot_train.WandBLogger = lambda train_cfg: make(train_cfg, original)
    try:
        yield
    finally:
        lerobot_train.WandBLogger = original


def last_checkpoint(output_dir: Path) -> Path | None:
    """The step folder LeRobot's `checkpoints/last` link points at, or None if nothing was saved."""
    link = Path(output_dir) / CHECKPOINTS_DIR / LAST_LINK
    if not link.exists():
        return None
    return link.resolve()


def start_step(cfg: Any) -> int:
    """The step LeRobot starts from: the resumed checkpoint's, else 0."""
    if not cfg.resume or cfg.checkpoint_path is None:
        return 0
    from lerobot.common.train_utils import load_training_step  # lazy: pulls in torch

    return load_training_step(Path(cfg.checkpoint_path) / "training_state")


def config_dict(cfg: Any) -> dict:
    """The validated train config as plain data (for the run's lerobot_config.json artifact)."""
    return cfg.to_dict()


def merge_datasets(roots: list[Path], repo_id: str, target: Path) -> None:
    """LeRobot's own merge of several local datasets into `target` (lerobot.datasets.dataset_tools)."""
    from lerobot.datasets.dataset_tools import merge_datasets as merge  # lazy: pulls in torch
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    sources = [LeRobotDataset(f"{repo_id}-part{index}", root=root) for index, root in enumerate(roots)]
    merge(sources, output_repo_id=repo_id, output_dir=target)

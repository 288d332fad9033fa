"""Every place the trainer relies on skrl beyond its documented API, in one module.

Written against skrl 2.1.1 (pyproject pins skrl==2.1.1; read in skrl/utils/runner/torch/runner.py,
skrl/envs/wrappers/torch/base.py, skrl/agents/torch/base.py, skrl/utils/tensorboard.py). What it relies on:

- ``Runner._generate_trainer(env, cfg, agent)`` and ``Runner._process_cfg(cfg)``: overridden and called
  by `step_runner`, so the Runner builds a StepTrainer (which can start at any timestep) instead of a
  SequentialTrainer (which always starts at 0).
- ``Wrapper._device``: set by `set_device`, since skrl's gymnasium wrapper takes no device argument and the
  Runner puts models and memory on ``env.device``.
- ``Agent.update(*, timestep, timesteps)`` (``_update(timestep, timesteps)`` on skrl 1.x) and
  ``Agent.write_tracking_data(*, timestep, timesteps)``: replaced on the instance by `hook_agent`; skrl's
  trainer calls both, and ``write_tracking_data`` empties ``Agent.tracking_data`` (a dict of lists).
- the module global ``skrl.utils.tensorboard.EventFileWriter``: replaced by `route_tensorboard`, because
  skrl's SummaryWriter bound tensorboard's class at import, before wandb could patch it.
- the handler skrl adds to its ``skrl`` logger at import (ANSI colour codes in every line): `plain_logging`
  gives it a plain format when stderr is no terminal, and says ``Seed: N`` once (``set_seed`` logs it, and
  the Runner calls it again with the same seed).

A newer skrl may move any of these; the tests in tests/training exercise each one. Elsewhere the trainer
uses only skrl's public API: ``wrap_env``, ``set_seed``, ``Runner.agent``/``.trainer``,
``StepTrainer.train(timestep=, timesteps=)``, ``Agent.checkpoint_modules``, ``Agent.write_checkpoint``,
``Agent.tracking_data`` and ``Agent.writer``.
skrl is imported inside the functions (start-up time, and the LeRobot environment has no skrl).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("training.rl")


def step_runner(env: Any, cfg: dict) -> Any:
    """skrl's Runner (models, memory, agent from the YAML) whose trainer is a StepTrainer."""
    from skrl.trainers.torch import StepTrainer, StepTrainerCfg  # lazy: start-up time
    from skrl.utils.runner.torch import Runner

    class StepRunner(Runner):
        def _generate_trainer(self, env: Any, cfg: dict, agent: Any) -> Any:
            trainer_cfg = StepTrainerCfg(**self._process_cfg(cfg["trainer"]))
            return StepTrainer(env=env, agents=agent, cfg=trainer_cfg)

    return StepRunner(env, cfg)


def plain_logging(stream: Any = None) -> None:
    """skrl's lines without colour codes when stderr is a file or a pipe (a job log), and its seed line once."""
    import sys

    import skrl  # lazy: start-up time; importing skrl adds its handler

    stream = stream or sys.stderr
    for handler in logging.getLogger("skrl").handlers:
        if not (hasattr(stream, "isatty") and stream.isatty()):
            handler.setFormatter(logging.Formatter("[%(name)s:%(levelname)s] %(message)s"))
        if not any(isinstance(f, _OnceFilter) for f in handler.filters):
            handler.addFilter(_OnceFilter())
    del skrl


class _OnceFilter(logging.Filter):
    """Drops a `Seed: N` line already shown."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith("Seed: "):
            return True
        if message in self._seen:
            return False
        self._seen.add(message)
        return True


def set_device(wrapped: Any, device: str) -> None:
    """Make a skrl-wrapped env report `device`; RuntimeError when torch knows no such device."""
    import torch  # lazy: start-up time

    wrapped._device = torch.device(device)


def hook_agent(
    agent: Any,
    *,
    after_update: Callable[[int], None],
    before_write: Callable[[], None],
    after_write: Callable[[Callable[[], int]], None],
) -> None:
    """Call hooks around the agent's update and write_tracking_data (skrl's trainer calls both).

    `after_update` gets the update's timestep; `after_write` gets a function returning the write's
    timestep, so a hook that does not need it never fails on how it was passed.
    """
    name = _update_method_name(agent)
    original_update = getattr(agent, name)
    original_write = agent.write_tracking_data

    def update(*args: Any, **kwargs: Any) -> None:
        original_update(*args, **kwargs)  # training errors propagate: they end the run
        after_update(_timestep(args, kwargs))

    def write_tracking_data(*args: Any, **kwargs: Any) -> None:
        before_write()
        original_write(*args, **kwargs)
        after_write(lambda: _timestep(args, kwargs))

    setattr(agent, name, update)
    agent.write_tracking_data = write_tracking_data


def route_tensorboard() -> None:
    """Let wandb's tensorboard patch, made later inside wandb.init, reach skrl's SummaryWriter."""
    # lazy: only runs with wandb on import these here
    try:
        import skrl.utils.tensorboard as skrl_tensorboard
    except ImportError:  # an skrl without its own writer uses torch's, which wandb patches itself
        return
    from tensorboard.summary.writer import event_file_writer

    if not hasattr(skrl_tensorboard, "EventFileWriter"):
        log.warning("this skrl's TensorBoard writer is not the one robo-submit knows; W&B may get no metrics")
        return
    if getattr(skrl_tensorboard.EventFileWriter, "routed", False):
        return

    def event_writer(*args: Any, **kwargs: Any) -> Any:
        return event_file_writer.EventFileWriter(*args, **kwargs)  # the patched class, if wandb patched it

    event_writer.routed = True  # type: ignore[attr-defined]
    skrl_tensorboard.EventFileWriter = event_writer


def _update_method_name(agent: Any) -> str:
    """skrl 2.x agents implement `update`; skrl 1.x agents implemented `_update`."""
    method = getattr(type(agent), "update", None)
    if callable(method) and not getattr(method, "__isabstractmethod__", False):
        return "update"
    return "_update"


def _timestep(args: tuple, kwargs: dict) -> int:
    """skrl 2.x passes keyword-only timestep; skrl 1.x passed (timestep, timesteps)."""
    return int(kwargs["timestep"]) if "timestep" in kwargs else int(args[0])

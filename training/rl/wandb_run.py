"""Weights & Biases for RL runs: skrl starts the wandb run, the trainer makes it see the scalars and ends it.

skrl calls ``wandb.init(sync_tensorboard=True, **experiment.wandb_kwargs)`` in ``Agent.init`` (the agent
config's ``experiment.wandb``, see agent_config.apply_overrides), so wandb mirrors the TensorBoard
scalars skrl writes. wandb finds them by patching tensorboard's ``EventFileWriter`` in ``wandb.init``,
but skrl 2.1.1's own SummaryWriter bound that class when skrl was imported, so wandb never hears of the
event file and logs no metric. `route_tensorboard` makes skrl look the class up when it opens the file.
`finish` writes skrl's pending events and ends the wandb run with the outcome, so wandb reads the last
scalars before the process exits. MLflow is untouched: it is fed by the update wrapper, not by TensorBoard.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

log = logging.getLogger("training.rl")


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


def finish(agent: Any | None, exit_code: int) -> None:
    """Flush skrl's TensorBoard events, then end the wandb run skrl started; no-op without one."""
    wandb = sys.modules.get("wandb")  # imported by skrl only when the run uses wandb
    if wandb is None or wandb.run is None:
        return
    writer = getattr(agent, "writer", None)
    try:
        if writer is not None:
            writer.flush()
        wandb.finish(exit_code=exit_code)
    except Exception as exc:  # wandb must not hide the training outcome
        log.warning("could not end the Weights & Biases run: %s", type(exc).__name__)

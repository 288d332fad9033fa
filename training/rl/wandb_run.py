"""Weights & Biases for RL runs: skrl starts the wandb run, the trainer makes it see the scalars and ends it.

skrl calls ``wandb.init(sync_tensorboard=True, **experiment.wandb_kwargs)`` in ``Agent.init`` (the agent
config's ``experiment.wandb``, see agent_config.apply_overrides), so wandb mirrors the TensorBoard
scalars skrl writes. wandb finds them by patching tensorboard's ``EventFileWriter`` in ``wandb.init``,
but skrl 2.1.1's own SummaryWriter bound that class when skrl was imported, so wandb never hears of the
event file and logs no metric. `training.rl.skrl_compat.route_tensorboard` makes skrl look the class up
when it opens the file. `finish` writes skrl's pending events and ends the wandb run with the outcome, so wandb reads the last
scalars before the process exits. MLflow is untouched: it is fed by the update wrapper, not by TensorBoard.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

log = logging.getLogger("training.rl")


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

"""MLflow tracking of an RSL-RL run: every scalar RSL-RL's logger writes, windowed like skrl's.

RSL-RL's logger writes each iteration's scalars (``Loss/value``, ``Train/mean_reward``, ``Perf/total_fps``,
``Episode/<key>``...) to its writer once per iteration. `IterationLogger` receives each of them
(`training.rl.rsl_rl.compat.hook_logger`), keeps every value since the last event, and hands the window
to the same metric pipeline as skrl's runs every N iterations (`step` = 1, `balanced` = 10, `rollout` = 1:
an on-policy iteration is one rollout, N), so nothing between two logs is dropped: a window's values reduce
to their mean on the sender's thread. Steps are trainer timesteps, ``(iteration + 1) x num_steps_per_env``,
as skrl's runs count them, so the two libraries' charts line up and a resumed run continues them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from training.tracking.wrapper import GuardedLogging, Interval, LogEvent

# RSL-RL repeats two scalars against wall-clock seconds instead of the iteration; the iteration's own are kept.
_WALL_CLOCK_COPIES = ("Train/mean_reward/time", "Train/mean_episode_length/time")


class IterationLogger(GuardedLogging):
    """Collects RSL-RL's scalars; `emit` receives a `LogEvent` and must not block."""

    def __init__(
        self, interval: Interval, emit: Callable[[LogEvent], None], *, steps_per_iteration: int
    ) -> None:
        self.every = interval.every_updates or 1
        self.emit = emit
        self.steps_per_iteration = steps_per_iteration
        self.updates = 0
        self._pending: dict[str, list[float]] = {}

    def on_scalar(self, tag: str, value: Any, _step: int) -> None:
        if tag in _WALL_CLOCK_COPIES:
            return
        self._guarded(lambda: self._pending.setdefault(tag, []).append(float(value)))

    def after_iteration(self, iteration: int) -> None:
        self.updates += 1
        if self.updates % self.every == 0:
            self._guarded(self._emit, self.timestep(iteration))

    def flush(self, step: int) -> None:
        """Emit whatever was written since the last event (end of training or interruption)."""
        if self._pending:
            self._guarded(self._emit, step)

    def timestep(self, iteration: int) -> int:
        """Trainer timesteps done once `iteration` has ended."""
        return (iteration + 1) * self.steps_per_iteration

    def _emit(self, step: int) -> None:
        window, self._pending = self._pending, {}
        self.emit(LogEvent(step=step, wall_time=time.time(), window=window, updates=self.updates))


"""The logging wrapper around a skrl agent's update.

skrl appends to ``agent.tracking_data`` (a dict of lists) during every step and update,
and ``agent.write_tracking_data`` writes it to TensorBoard and clears it every
``write_interval`` timesteps. To log every value, the wrapper keeps a cursor per tag
and copies the entries appended since its last look at two moments: right after each
update, and right before skrl's clear. Every `every_updates` updates (or, for the
``rollout`` preset of off-policy agents, at skrl's own write) it hands the collected
window to `emit`; reducing, naming and sending happen on the sender's thread, so the
training thread only slices lists (0.2 ms per update measured, benchmarks/rl_trainer.py).

The wrapper reads nothing of skrl's but ``tracking_data``; its hooks around ``update`` and
``write_tracking_data`` are installed by `training.rl.skrl_compat.hook_agent`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from training.rl.skrl_compat import hook_agent
from training.tracking.reduce import freeze

log = logging.getLogger("training.tracking")
PRESET_UPDATES = {"step": 1, "balanced": 10}


@dataclass(frozen=True)
class Interval:
    """When to log: every N updates, or whenever skrl writes its tracking data."""

    every_updates: int | None
    on_write: bool = False


@dataclass
class LogEvent:
    """Everything tracked since the previous event, at trainer timestep `step`."""

    step: int
    wall_time: float
    window: dict[str, list[Any]]
    updates: int


def resolve_interval(preset: str, rollouts: int | None) -> Interval:
    """`step`=1 update, `balanced`=10, `N`=N; `rollout`=once per rollout cycle.

    An on-policy agent (PPO: `rollouts` steps then one update) completes a cycle at
    every update. An off-policy agent (SAC: an update every step) has no rollout, so its
    cycle is skrl's write interval, the cadence of its TensorBoard scalars.
    """
    if preset in PRESET_UPDATES:
        return Interval(PRESET_UPDATES[preset])
    if preset == "rollout":
        return Interval(1) if rollouts else Interval(None, on_write=True)
    return Interval(int(preset))


class GuardedLogging:
    """`_guarded(action, *args)`: run a logging step; a failure is reported once and training goes on."""

    _failed = False

    def _guarded(self, action: Callable[..., None], *args: Any) -> None:
        # A logging problem must never end a training run; report it once and keep training.
        try:
            action(*args)
        except Exception as exc:
            if not self._failed:
                self._failed = True
                log.warning("metric logging failed and continues without this window: %r", exc)


class UpdateLogger(GuardedLogging):
    """Wraps one agent; `emit` receives a `LogEvent` and must not block.

    With `deferred`, an event due at an update is emitted at the next `tick()` (the
    trainer's loop calls it before each timestep) or `flush()`, so it also carries what
    skrl tracks after the update returns (``Stats / Algorithm update time (ms)``) and no
    metric ever gets two values at one step.
    """

    def __init__(
        self, agent: Any, interval: Interval, emit: Callable[[LogEvent], None], *, deferred: bool = False
    ) -> None:
        self.agent = agent
        self.interval = interval
        self.emit = emit
        self.deferred = deferred
        self.updates = 0
        self._due: int | None = None
        self._cursor: dict[str, int] = {}
        self._pending: dict[str, list[Any]] = {}

    def attach(self) -> None:
        """Collect after each agent update and before skrl clears its tracking data."""
        hook_agent(
            self.agent,
            after_update=lambda timestep: self._guarded(self._after_update, timestep),
            before_write=lambda: self._guarded(self._consume),
            after_write=self._after_write,
        )

    def tick(self, _step: int = 0) -> None:
        """Emit an event that fell due at the last update (a timestep has ended since)."""
        if self._due is not None:
            self._guarded(self._consume)
            self._guarded(self._emit, self._due)

    def flush(self, step: int) -> None:
        """Emit whatever was tracked since the last event (end of training or interruption)."""
        self._guarded(self._consume)
        if self._due is not None:
            self._guarded(self._emit, self._due)
        if self._pending:
            self._guarded(self._emit, step)

    def _after_write(self, timestep: Callable[[], int]) -> None:
        self._cursor.clear()  # skrl just emptied tracking_data
        if self.interval.on_write:
            self._guarded(self._emit, timestep())

    def _after_update(self, timestep: int) -> None:
        self.updates += 1
        self._consume()
        every = self.interval.every_updates
        if every and self.updates % every == 0:
            self._due = timestep + 1  # steps completed, as skrl names checkpoints
            if not self.deferred:
                self._emit(self._due)

    def _consume(self) -> None:
        cursor, pending = self._cursor, self._pending
        for tag, values in self.agent.tracking_data.items():
            start = cursor.get(tag, 0)
            if len(values) > start:
                pending.setdefault(tag, []).extend(values[start:])
                cursor[tag] = len(values)

    def _emit(self, step: int) -> None:
        pending, self._pending, self._due = self._pending, {}, None  # reset first: a failure loses one window
        window = {tag: freeze(values) for tag, values in pending.items()}
        self.emit(LogEvent(step=step, wall_time=time.time(), window=window, updates=self.updates))


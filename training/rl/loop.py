"""The training loop: skrl's step trainer driven from a start timestep, with a stop flag.

skrl's Runner builds a SequentialTrainer, whose loop always starts at timestep 0. A
resumed run must continue at the saved timestep (so checkpoint names and MLflow steps
continue), so the Runner here builds skrl's StepTrainer instead and this module drives it
one timestep at a time. The same loop checks for SIGTERM/SIGINT between steps, so a
preempted job stops at a clean point and can write a last checkpoint.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from training.config import ENV_PREFIX, ConfigError
from training.exits import StoppedBySignal, first_line
from training.rl.skrl_compat import step_runner


class Interrupted(StoppedBySignal, Exception):
    """SIGTERM or SIGINT arrived; `steps_done` timesteps completed."""

    def __init__(self, signum: int, steps_done: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name} after timestep {steps_done}")
        self.signum = signum
        self.steps_done = steps_done


class StopFlag:
    """Records SIGTERM/SIGINT instead of raising inside a torch operation."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def install(self) -> StopFlag:
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.signum == signal.SIGINT and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self.signum = signum


def build_runner(env: Any, cfg: dict) -> Any:
    """skrl's Runner (models, memory, agent from the YAML) with a StepTrainer; ConfigError if skrl refuses it."""
    try:
        return step_runner(env, cfg)
    except (ValueError, TypeError, KeyError, NameError, SyntaxError) as exc:
        raise ConfigError(
            f"{ENV_PREFIX}AGENT_CONFIG: skrl cannot build the agent from this config: {first_line(exc, 300)}"
        ) from None


def run_steps(
    trainer: Any,
    *,
    start: int,
    timesteps: int,
    on_step: Callable[[int], None],
    stop: StopFlag,
) -> None:
    """Timesteps `start` .. `timesteps`-1; `on_step(t + 1)` runs before each step, so the
    trainer state saved inside a checkpoint written during step t says t + 1 steps are done."""
    for timestep in range(start, timesteps):
        if stop.signum is not None:
            raise Interrupted(stop.signum, timestep)
        on_step(timestep + 1)
        trainer.train(timestep=timestep, timesteps=timesteps)


class Progress:
    """One human line on stderr every `every` seconds: timestep, reward, speed."""

    def __init__(
        self,
        *,
        start: int,
        total: int,
        latest: Mapping[str, float],
        every: float = 10.0,
        stream: TextIO | None = None,
    ) -> None:
        self.start, self.total, self.latest, self.every = start, total, latest, every
        self.stream = stream or sys.stderr
        self.began = time.monotonic()
        self.next_at = self.began + every

    def tick(self, step: int) -> None:
        if time.monotonic() >= self.next_at:
            self.report(step)

    def report(self, step: int) -> None:
        self.next_at = time.monotonic() + self.every
        elapsed = time.monotonic() - self.began
        reward = self.latest.get("episode_reward_mean")
        parts = [f"[train] timestep {step}/{self.total} ({100 * step / max(self.total, 1):.0f}%)"]
        if reward is not None:
            parts.append(f"reward {reward:.1f}")
        if elapsed > 0 and step > self.start:
            parts.append(f"{(step - self.start) / elapsed:.0f} steps/s")
        parts.append(f"{elapsed:.0f}s")
        print("  ".join(parts), file=self.stream, flush=True)

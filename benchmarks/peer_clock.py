"""Run one training process with a clock hook: `python -m benchmarks.peer_clock [--optimizer] OUT.json -m MODULE
ARGS...` or `python -m benchmarks.peer_clock [--optimizer] OUT.json SCRIPT ARGS...` (SCRIPT: a .py file or a
console script such as .venv-lerobot/bin/lerobot-train).

The hook only reads the clock, and writes its marks to OUT.json when the process exits:
- by default (skrl): it wraps skrl's PPO `act` (the first call is the first environment step) and `update`
  (the time and trainer timestep after each update returns);
- with `--optimizer` (LeRobot, or any torch training loop): torch's global optimizer step hooks; the first
  step's pre-hook is the first step, and each post-hook records the time and the count of steps so far.
Times are `time.monotonic()`, which is one clock for every process on Linux, so the parent can set them against
the moments it started the process and saw it end.
"""

from __future__ import annotations

import atexit
import json
import runpy
import sys
import time
from pathlib import Path

MARKS: dict = {"started": time.monotonic(), "first_step": None, "updates": []}


def install_skrl() -> None:
    from skrl.agents.torch.ppo import PPO  # the agent both sides train

    update, act = PPO.update, PPO.act

    def timed_update(self, *args, **kwargs):
        update(self, *args, **kwargs)
        MARKS["updates"].append((time.monotonic(), kwargs.get("timestep")))

    def timed_act(self, *args, **kwargs):
        _first_step()
        return act(self, *args, **kwargs)

    PPO.update, PPO.act = timed_update, timed_act


def install_optimizer() -> None:
    from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

    def after_step(_optimizer, _args, _kwargs) -> None:
        MARKS["updates"].append((time.monotonic(), len(MARKS["updates"]) + 1))

    register_optimizer_step_pre_hook(lambda _optimizer, _args, _kwargs: _first_step())
    register_optimizer_step_post_hook(after_step)


def _first_step() -> None:
    if MARKS["first_step"] is None:
        MARKS["first_step"] = time.monotonic()


def main(argv: list[str]) -> None:
    optimizer = argv[0] == "--optimizer"
    out, target, *rest = argv[1:] if optimizer else argv
    atexit.register(lambda: Path(out).write_text(json.dumps(MARKS), encoding="utf-8"))
    if optimizer:
        install_optimizer()
    else:
        install_skrl()
    if target == "-m":
        sys.argv = [rest[0], *rest[1:]]
        runpy.run_module(rest[0], run_name="__main__", alter_sys=True)
    else:
        sys.argv = [target, *rest]
        runpy.run_path(target, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])

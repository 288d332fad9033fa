"""Run one training process with a clock hook: `python -m benchmarks.peer_clock OUT.json -m MODULE ARGS...` or
`python -m benchmarks.peer_clock OUT.json SCRIPT.py ARGS...`.

The hook only reads the clock: it wraps skrl's PPO `act` (the first call is the first environment step) and
`update` (the time and trainer timestep after each update returns), and writes the marks to OUT.json when the
process exits. Times are `time.monotonic()`, which is one clock for every process on Linux, so the parent
can set them against the moments it started the process and saw it end.
"""

from __future__ import annotations

import atexit
import json
import runpy
import sys
import time
from pathlib import Path

MARKS: dict = {"started": time.monotonic(), "first_step": None, "updates": []}


def install() -> None:
    from skrl.agents.torch.ppo import PPO  # the agent both sides train

    update, act = PPO.update, PPO.act

    def timed_update(self, *args, **kwargs):
        update(self, *args, **kwargs)
        MARKS["updates"].append((time.monotonic(), kwargs.get("timestep")))

    def timed_act(self, *args, **kwargs):
        if MARKS["first_step"] is None:
            MARKS["first_step"] = time.monotonic()
        return act(self, *args, **kwargs)

    PPO.update, PPO.act = timed_update, timed_act


def main(argv: list[str]) -> None:
    out, target, *rest = argv
    atexit.register(lambda: Path(out).write_text(json.dumps(MARKS), encoding="utf-8"))
    install()
    if target == "-m":
        sys.argv = [rest[0], *rest[1:]]
        runpy.run_module(rest[0], run_name="__main__", alter_sys=True)
    else:
        sys.argv = [target, *rest]
        runpy.run_path(target, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])

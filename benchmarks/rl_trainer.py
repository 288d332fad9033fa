"""RL trainer speed: the logging wrapper's cost on the training thread, and CartPole time to a reward of 400.

1. Wrapper cost: a real PPO CartPole run (shipped config, 8 envs) with the wrapper and the metric
   pipeline attached as the trainer attaches them (`log_interval=step`: the most events). The time
   the training thread spends in wrapper code is the wrapped call minus the original call, for
   `update` and `write_tracking_data`, plus every `tick()`; reported per update. Target: well under 1 ms.
2. Quick start: `python -m training rl` with the shipped CartPole config as a whole process against a
   fresh sqlite store; wall time from process start until the logged mean episode reward first reaches
   400, and until exit (target: 400 within 90 s on 2 cores).

Run: .venv/bin/python -m benchmarks.rl_trainer   (writes its section of docs/benchmarks.md)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, machine_line, summary, write_section

WRAPPER_STEPS = 3000
RUNS = 3


def wrapper_cost(tmp: Path) -> dict[str, float]:
    from training.config import from_env
    from training.rl.agent_config import apply_overrides, load_agent_cfg, rollouts
    from training.rl.envs import make_env
    from training.rl.loop import StopFlag, build_runner, run_steps
    from training.rl.train import seed
    from training.tracking.sender import MetricPipeline
    from training.tracking.wrapper import UpdateLogger, resolve_interval

    config = from_env("rl", {"ROBO_OUTPUT_DIR": str(tmp), "ROBO_TIMESTEPS": str(WRAPPER_STEPS)})
    seed(config)
    env = make_env(config).env
    cfg = apply_overrides(load_agent_cfg(config), config, gymnasium=True)
    runner = build_runner(env, cfg)
    agent = runner.agent
    inner = {"update": 0.0, "write": 0.0}
    outer = {"update": 0.0, "write": 0.0, "tick": 0.0}
    _time_method(agent, "update", inner)
    _time_method(agent, "write_tracking_data", inner, key="write")
    pipeline = MetricPipeline(send=None, num_envs=config.num_envs, ledger=tmp / "metrics.jsonl").start()
    logger = UpdateLogger(agent, resolve_interval("step", rollouts(cfg)), pipeline.submit, deferred=True)
    logger.attach()
    _time_method(agent, "update", outer)
    _time_method(agent, "write_tracking_data", outer, key="write")

    def tick(_step: int) -> None:
        start = time.perf_counter()
        logger.tick()
        outer["tick"] += time.perf_counter() - start

    run_steps(runner.trainer, start=0, timesteps=WRAPPER_STEPS, on_step=tick, stop=StopFlag())
    pipeline.close(30)
    env.close()
    spent = outer["update"] - inner["update"] + outer["write"] - inner["write"] + outer["tick"]
    return {
        "updates": logger.updates,
        "ms_per_update": 1000 * spent / max(logger.updates, 1),
        "update_ms": 1000 * inner["update"] / max(logger.updates, 1),
    }


def _time_method(agent: object, name: str, totals: dict[str, float], key: str | None = None) -> None:
    original = getattr(agent, name)

    def timed(*args: object, **kwargs: object) -> None:
        start = time.perf_counter()
        original(*args, **kwargs)
        totals[key or name] += time.perf_counter() - start

    setattr(agent, name, timed)


def quickstart_once(tmp: Path) -> tuple[float | None, float, float | None]:
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'mlruns.db'}"}
    env.pop("OMP_NUM_THREADS", None)
    start = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "training", "rl", "--output-dir", str(tmp / "out"), "--log-interval", "step"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.time() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-1000:])
    first = None
    for line in (tmp / "out" / "metrics.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["metrics"].get("episode_reward_mean", 0) >= 400:
            first = row["timestamp"] / 1000 - start
            break
    result = json.loads(next(x for x in done.stdout.splitlines() if x.startswith("ROBO_RESULT "))[12:])
    return first, wall, result["final_reward_mean"]


def main() -> None:
    header = machine_line()
    with tempfile.TemporaryDirectory() as tmp:
        cost = wrapper_cost(Path(tmp))
    firsts, walls, finals = [], [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            first, wall, final = quickstart_once(Path(tmp))
            firsts.append(first if first is not None else float("inf"))
            walls.append(wall)
            finals.append(final)
    reach, whole = summary(firsts), summary(walls)
    body = "\n".join(
        [
            "## RL trainer (benchmarks/rl_trainer.py)",
            "",
            header,
            "",
            f"- Logging wrapper on the training thread: **{cost['ms_per_update']:.3f} ms per update** "
            f"({cost['updates']} PPO updates, log interval `step`; one PPO update itself took "
            f"{cost['update_ms']:.0f} ms). Target: well under 1 ms.",
            "- Quick start (`python -m training rl`, shipped CartPole PPO, 8 envs, 5000 timesteps, "
            "sqlite store), "
            f"{RUNS} cold processes: mean episode reward first >= 400 after **{reach['median']:.1f} s** "
            f"(median; max {max(firsts):.1f} s), process done after {whole['median']:.1f} s "
            f"(max {max(walls):.1f} s); "
            f"final mean reward {', '.join(f'{f:.0f}' for f in finals)}. Target: 400 within 90 s.",
        ]
    )
    write_section("rl-trainer", body)
    print(body)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()

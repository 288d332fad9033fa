"""`python -m training rl` with ``ROBO_RL_LIBRARY=rsl_rl``: train with RSL-RL's OnPolicyRunner, log every
scalar its logger writes to MLflow, register the result.

The phases, as for skrl (training/rl/train.py): config -> checkpoint fetch (checked against the library,
before any environment) -> seed -> environment -> runner -> checkpoint plan (pure) -> MLflow run and
logger hook -> train -> register -> exit code. One iteration is ``num_steps_per_env`` steps of every env
and one PPO update; MLflow steps are trainer timesteps, ``(iteration + 1) x num_steps_per_env``.

Checkpoint modes on RSL-RL's ``model_<iteration>.pt``:

| mode         | actor + critic (normaliser inside) | optimizer | iteration                            |
|--------------|------------------------------------|-----------|--------------------------------------|
| from-scratch | -                                  | -         | 0                                    |
| fresh        | -                                  | -         | 0                                    |
| warm-start   | yes                                | -         | 0                                    |
| resume       | yes                                | yes       | the checkpoint's + 1 (names continue) |

SIGTERM/SIGINT stop at the end of the current iteration, write ``model_<iteration>.pt`` and exit 128 + signal.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import random
import sys
from pathlib import Path
from typing import Any

from training.checkpoints import (
    CheckpointError,
    Fetched,
    fetch_checkpoint,
    modules_to_load,
    parts_to_load,
    shown,
)
from training.config import ENV_PREFIX, RLConfig, check_device, is_rank_zero
from training.rl.envs import is_gymnasium_id
from training.rl.loop import Interrupted, Progress, StopFlag
from training.rl.rsl_rl import compat
from training.rl.rsl_rl.runner_config import apply_overrides, load_runner_cfg, log_dir, steps_per_iteration
from training.rl.rsl_rl.session import RslRlSession
from training.rl.rsl_rl.vecenv import make_vec_env
from training.rl.session import Result, TrackingError, launch_store
from training.rl.train import (
    CheckpointPlan,
    check_output_dir,
    cpu_threads,
    print_result,
    run_tags,
    set_cpu_threads,
    smoke_test,
)
from training.tracking import store_process

log = logging.getLogger("training.rl")


def main(config: RLConfig, stop: StopFlag | None = None) -> int:
    """Run one RSL-RL training job; returns the exit code (raises for the caller to map)."""
    stop = stop or StopFlag().install()
    check_device(config.device)
    check_output_dir(config)
    if config.mode == "smoke-test":
        return smoke_test(config)
    launch_store(config)  # an embedded MLflow store's process starts now, beside the environment's start-up
    fetched = fetch_checkpoint(config.checkpoint_uri, config.checkpoint_mode, config.rl_library, config.task)
    seed(config.seed)
    device = _device(config.device)
    env, task_cfg = make_env(config, device)
    try:
        runner_cfg = apply_overrides(load_runner_cfg(config, task_cfg), config, device=device)
        total = runner_cfg["max_iterations"]
        rank_zero = is_rank_zero(os.environ)
        with _to_stderr():  # RSL-RL prints its models and every iteration; stdout carries ROBO_RESULT only
            runner = compat.build_runner(
                env, runner_cfg, log_dir=str(log_dir(config)) if rank_zero else None, device=device
            )
        plan = load_checkpoint(config, fetched, runner, total=total)
        steps = steps_per_iteration(runner_cfg)
        tags = run_tags(config, dataclasses.replace(plan, start=plan.start * steps))  # tags count timesteps
        session = RslRlSession.open(
            config, runner_cfg, start=plan.start * steps, num_envs=env.num_envs, tags=tags
        )
        session.agent = runner  # its policy becomes the registered model's
        print_result(train(runner, plan, session, stop, total=total, steps=steps))
    finally:
        _close(env)
        store_process.close_all()
    return 0


def seed(value: int) -> None:
    """Seed python, numpy and torch (RSL-RL's runner seeds nothing itself)."""
    import numpy as np  # lazy: start-up time
    import torch

    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)
    set_cpu_threads(torch, cpu_threads(os.environ.get("OMP_NUM_THREADS"), cuda=torch.cuda.is_available()))


def make_env(config: RLConfig, device: str) -> tuple[Any, dict | None]:
    """(RSL-RL VecEnv, the Isaac Lab task's own runner config or None) for `config.task`."""
    if is_gymnasium_id(config.task):
        return make_vec_env(config.task, num_envs=config.num_envs, seed=config.seed, device=device), None
    from training.rl.envs import make_env as make_skrl_or_isaaclab_env  # lazy: may import Isaac Lab

    environment = make_skrl_or_isaaclab_env(config)  # Isaac Lab: wrapped for RSL-RL (rl_library says so)
    return environment.env, environment.task_agent_cfg


def iteration_plan(mode: str, uri: str | None, payload: dict[str, Any], *, total: int) -> CheckpointPlan:
    """Pure: the first iteration of this run, given the mode and what the checkpoint holds ({} for none).

    Resume continues after the checkpoint's iteration (so model_<iteration>.pt names and MLflow steps
    continue) and needs budget left; warm start starts at 0; from-scratch and fresh load nothing."""
    if not uri or mode in ("from-scratch", "fresh"):
        return CheckpointPlan(mode, None, 0, "")
    infos = payload.get("infos") if isinstance(payload.get("infos"), dict) else {}
    source_run_id = str(infos.get("run_id", ""))
    if mode != "resume":
        return CheckpointPlan(mode, uri, 0, source_run_id)
    saved = compat.saved_iteration(payload)
    if saved is None:
        raise CheckpointError(
            f"{ENV_PREFIX}CHECKPOINT_URI: {shown(uri)}: holds no iteration, so resume cannot continue it; "
            "use --checkpoint-mode warm-start"
        )
    start = saved + 1
    if start >= total:
        raise CheckpointError(
            f"{ENV_PREFIX}CHECKPOINT_URI: the checkpoint completed iteration {saved} and this run is {total} "
            f"iterations long; pass --max-iterations above {start}"
        )
    return CheckpointPlan(mode, uri, start, source_run_id)


def load_checkpoint(config: RLConfig, fetched: Fetched | None, runner: Any, *, total: int) -> CheckpointPlan:
    """Plan from the fetched checkpoint (pure), load the parts the mode restores, and set the start iteration."""
    mode, uri = config.checkpoint_mode, config.checkpoint_uri
    if fetched is None:
        return iteration_plan(mode, None, {}, total=total)
    name = shown(uri)
    plan = iteration_plan(mode, uri, fetched.payload, total=total)
    modules_to_load(mode, compat.state_keys(runner), fetched.payload, name)  # a missing part: CheckpointError
    try:
        loaded = compat.load_parts(runner, fetched.payload, parts_to_load(mode))
    except (RuntimeError, KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(
            f"{ENV_PREFIX}CHECKPOINT_URI: {name}: does not fit this runner ({str(exc).splitlines()[0][:300]})"
        ) from None
    runner.current_learning_iteration = plan.start
    log.info(
        "%s from %s (%s); starting at iteration %d", mode, fetched.file_name, ", ".join(loaded), plan.start
    )
    return plan


def train(
    runner: Any, plan: CheckpointPlan, session: RslRlSession, stop: StopFlag, *, total: int, steps: int
) -> Result:
    """Run iterations plan.start .. total-1 (`steps` timesteps each), then end the session with the outcome;
    re-raises failures."""
    tracker = session.logger  # None on ranks other than 0
    progress = Progress(start=plan.start * steps, total=total * steps, latest=session.latest)
    state = {"done": plan.start * steps}

    def after_iteration(iteration: int) -> None:
        state["done"] = (iteration + 1) * steps
        if tracker is not None:
            tracker.after_iteration(iteration)
        progress.tick(state["done"])
        if stop.signum is not None:
            raise Interrupted(stop.signum, state["done"])

    compat.hook_logger(
        runner, on_scalar=tracker.on_scalar if tracker else _ignore, after_iteration=after_iteration
    )
    compat.hook_save(runner, infos=lambda: {"run_id": session.run_id})
    try:
        with _to_stderr():
            runner.learn(
                total - plan.start, init_at_random_ep_len=bool(runner.cfg.get("init_at_random_ep_len"))
            )
        checkpoint = last_checkpoint(runner)
    except Interrupted as interrupted:
        checkpoint = last_checkpoint(runner)
        print_result(session.finish("interrupted", step=interrupted.steps_done, checkpoint=checkpoint))
        raise
    except BaseException:
        print_result(session.finish("failed", step=state["done"], checkpoint=None))
        raise
    try:
        result = session.finish(
            "succeeded", step=total * steps, checkpoint=checkpoint, stopped=lambda: stop.signum is not None
        )
    except TrackingError as error:
        print_result(error.result)
        raise
    progress.report(total * steps)
    if result.status == "interrupted":
        print_result(result)
        raise Interrupted(stop.signum, total * steps)
    return result


def last_checkpoint(runner: Any) -> Path | None:
    """model_<iteration>.pt of the last completed iteration, written now unless RSL-RL wrote it (rank 0 only)."""
    folder = runner.logger.log_dir
    if folder is None or not is_rank_zero(os.environ):
        return None
    path = Path(folder) / f"model_{runner.current_learning_iteration}.pt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        runner.save(str(path))
    return path


def _device(device: str) -> str:
    if device != "auto":
        return device
    import torch  # lazy: start-up time

    return f"cuda:{int(os.environ.get('LOCAL_RANK') or 0)}" if torch.cuda.is_available() else "cpu"


def _ignore(*_args: Any) -> None:
    return None


@contextlib.contextmanager
def _to_stderr():
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _close(env: Any) -> None:
    try:
        env.close()
    except Exception as exc:  # closing must not hide the training outcome
        log.warning("closing the environment failed: %s", exc)

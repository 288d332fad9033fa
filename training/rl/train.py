"""`python -m training rl`: train a skrl agent, log it to MLflow, register the result.

The phases, in order: config -> seed -> environment -> agent -> checkpoint plan ->
MLflow run and update wrapper -> train -> register -> exit code. The exit code is the
truth: any exception ends the process non-zero and registers nothing; SIGTERM writes a
last checkpoint, flushes metrics and exits 143.

stdout carries one machine-readable line, ``ROBO_RESULT {...}`` (see `Result`);
everything for people goes to stderr.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.checkpoints import (
    TRAINER_STATE,
    CheckpointError,
    Fetched,
    TrainerState,
    apply_checkpoint,
    fetch_checkpoint,
    shown,
)
from training.config import ENV_PREFIX, RESULT_PREFIX, ConfigError, RLConfig, check_device, is_rank_zero
from training.exits import RunError, check_writable, disk_problem
from training.rl import skrl_compat, wandb_run
from training.rl.agent_config import EXPERIMENT_NAME, apply_overrides, load_agent_cfg
from training.rl.envs import Environment, make_env
from training.rl.loop import Interrupted, Progress, StopFlag, build_runner, run_steps
from training.rl.session import Result, Session, TrackingError, checkpoints_dir, launch_store
from training.tracking import store_process

log = logging.getLogger("training.rl")


@dataclass(frozen=True)
class CheckpointPlan:
    """What the checkpoint phase did: where training starts (skrl: the timestep; RSL-RL: the iteration)
    and where that came from."""

    mode: str
    uri: str | None
    start: int
    source_run_id: str


def main(config: RLConfig, stop: StopFlag | None = None) -> int:
    """Run one training job; returns the exit code (raises for the caller to map)."""
    stop = stop or StopFlag().install()
    check_device(config.device)
    existed = {p: p.exists() for p in (Path(config.output_dir), Path(config.output_dir, EXPERIMENT_NAME))}
    check_output_dir(config)
    if config.mode == "smoke-test":
        return smoke_test(config)
    launch_store(config)  # an embedded MLflow store's process starts now, beside the environment's start-up
    # Fetched and checked (URI, readable, written by skrl, its task) before the environment is built.
    fetched = fetch_checkpoint(config.checkpoint_uri, config.checkpoint_mode, config.rl_library, config.task)
    payload, source_file = (fetched.payload, fetched.file_name) if fetched else ({}, "")
    seed(config)
    environment = make_env(config)
    runner, exit_code = None, 1
    try:
        agent_cfg = apply_overrides(
            load_agent_cfg(config, environment.task_agent_cfg),
            config,
            gymnasium=environment.gymnasium,
            rank_zero=is_rank_zero(os.environ),
            budget=resumed_budget(config, payload),
        )
        total = agent_cfg["trainer"]["timesteps"]
        plan = checkpoint_plan(config.checkpoint_mode, config.checkpoint_uri, payload, total=total)
        if agent_cfg["agent"]["experiment"]["wandb"]:
            skrl_compat.route_tensorboard()  # skrl starts the wandb run while building the agent
        runner = build_runner(environment.env, agent_cfg)
        state = TrainerState(timesteps=total, task=config.task)
        runner.agent.checkpoint_modules[TRAINER_STATE] = state
        apply_plan(runner.agent, state, plan, payload, source_file)
        session = Session.open(
            config,
            agent_cfg,
            runner.agent,
            start=plan.start,
            num_envs=environment.env.num_envs,
            tags=run_tags(config, plan),
        )
        state.run_id_of = lambda: session.run_id  # "" until a deferred run opens (named at the end)
        result = train(runner, state, plan, session, stop, agent_cfg)
        exit_code = 0
        print_result(result)  # before W&B's upload, which may be slow: the outcome is known now
    except Interrupted as stopped:
        exit_code = 128 + stopped.signum  # W&B shows the run stopped, as MLflow does, not failed
        raise
    except ConfigError:
        _remove_refused([folder for folder, was in existed.items() if not was])  # an earlier run's stays
        raise
    finally:
        try:
            wandb_run.finish(runner.agent if runner else None, exit_code)
        finally:
            _close(environment)
            store_process.close_all()
    return 0


def seed(config: RLConfig) -> None:
    """Seed python, numpy and torch, and the key skrl resets vector environments with."""
    from skrl.utils import set_seed  # lazy: start-up time

    skrl_compat.plain_logging()
    set_seed(config.seed)
    _cpu_threads(config)


def _cpu_threads(config: RLConfig) -> None:
    import torch  # lazy: start-up time

    cuda = config.device.startswith("cuda") or (config.device == "auto" and torch.cuda.is_available())
    set_cpu_threads(torch, cpu_threads(os.environ.get("OMP_NUM_THREADS"), cuda=cuda))


def cpu_threads(omp_num_threads: str | None, *, cuda: bool) -> int | None:
    """Pure: the torch intra-op threads a run on `cuda` or the CPU uses; None leaves torch's default.

    OMP_NUM_THREADS, when it names a count, wins. Otherwise a CPU run uses 1: small policy networks gain
    nothing from intra-op threads, and on a busy 2-core machine torch's thread pool spins (1200 CartPole steps
    took 5 s with 1 thread and 94-149 s with 2; each Isaac-Cartpole PPO update 0.16 s against 2.6 s, see
    docs/benchmarks.md). On a quiet machine 2 threads can be a little faster: set OMP_NUM_THREADS=2."""
    if omp_num_threads is not None and omp_num_threads.strip().isdigit() and int(omp_num_threads) > 0:
        return int(omp_num_threads)
    if omp_num_threads or cuda:  # a value torch reads itself (and warns about), or a GPU run
        return None
    return 1


def set_cpu_threads(torch: Any, threads: int | None) -> None:
    """Set (even where torch was imported before OMP_NUM_THREADS changed) and say it."""
    if threads is None:
        return
    torch.set_num_threads(threads)
    why = "from OMP_NUM_THREADS" if os.environ.get("OMP_NUM_THREADS") else "set OMP_NUM_THREADS to use more"
    log.info("torch CPU threads: %d (%s)", threads, why)


def checkpoint_plan(mode: str, uri: str | None, payload: dict[str, Any], *, total: int) -> CheckpointPlan:
    """Pure: where this run starts, given the mode and what the checkpoint holds (`payload`; {} for none).

    Resume continues at the checkpoint's timestep (so checkpoint names and MLflow steps continue) and needs
    budget left; warm start starts at 0; from-scratch and fresh load nothing."""
    if not uri or mode in ("from-scratch", "fresh"):
        return CheckpointPlan(mode, None, 0, "")
    trainer = payload.get(TRAINER_STATE) or {}
    start = int(trainer.get("timestep", 0)) if mode == "resume" else 0
    budget = int(trainer.get("timesteps", 0)) if mode == "resume" else 0
    if budget > total:  # it would stop short of the run it continues, and register that as its result
        raise CheckpointError(
            f"{ENV_PREFIX}CHECKPOINT_URI: the checkpoint's run is {budget} timesteps long and this resume "
            f"would end at {total}; resume keeps the budget: drop --timesteps/--max-iterations or pass "
            f"--timesteps {budget} or more (--checkpoint-mode warm-start starts a new, shorter run)"
        )
    if start >= total:
        raise CheckpointError(
            f"{ENV_PREFIX}CHECKPOINT_URI: the checkpoint is at timestep {start} and this run is {total} "
            f"timesteps long; pass --timesteps above {start}"
        )
    return CheckpointPlan(mode, uri, start, str(trainer.get("run_id", "")))


def resumed_budget(config: RLConfig, payload: dict[str, Any]) -> int | None:
    """A resume without --timesteps/--max-iterations ends where the interrupted run would have."""
    if config.checkpoint_mode != "resume":
        return None
    return int((payload.get(TRAINER_STATE) or {}).get("timesteps", 0)) or None


def apply_plan(agent: Any, state: TrainerState, plan: CheckpointPlan, payload: dict, file_name: str) -> None:
    """Load what the plan says into the agent, before training."""
    if plan.uri is None:
        return
    loaded = apply_checkpoint(agent, payload, plan.mode, shown(plan.uri))  # messages never carry a URL's query
    state.timestep = plan.start
    log.info("%s from %s (%s); starting at timestep %d", plan.mode, file_name, ", ".join(loaded), plan.start)


def load_checkpoint(
    config: RLConfig, fetched: Fetched | None, agent: Any, state: TrainerState, *, total: int
) -> CheckpointPlan:
    """Plan from the fetched checkpoint (pure), then apply it to the agent, before training."""
    payload, file_name = (fetched.payload, fetched.file_name) if fetched else ({}, "")
    plan = checkpoint_plan(config.checkpoint_mode, config.checkpoint_uri, payload, total=total)
    apply_plan(agent, state, plan, payload, file_name)
    return plan


def run_tags(config: RLConfig, plan: CheckpointPlan) -> dict[str, str]:
    from training import metadata  # lazy: git and package look-ups only for a run that trains

    tags = {
        "task": config.task,
        "rl_library": config.rl_library,
        "algorithm": config.algorithm,
        "checkpoint_mode": config.checkpoint_mode,
        "framework": config.rl_library,
        **metadata.run_tags(config.correlation_id, config.device),
    }
    if plan.uri:
        tags["checkpoint_source_uri"] = shown(plan.uri)
        tags["checkpoint_start_timestep"] = str(plan.start)
    if plan.source_run_id:
        tags["checkpoint_source_run_id"] = plan.source_run_id
    if config.job_name:
        tags["job_name"] = config.job_name
    return tags


def train(
    runner: Any, state: TrainerState, plan: CheckpointPlan, session: Session, stop: StopFlag, agent_cfg: dict
) -> Result:
    """Run the timesteps, then end the session with the outcome; re-raises failures."""
    agent, total = runner.agent, agent_cfg["trainer"]["timesteps"]
    progress = Progress(start=plan.start, total=total, latest=session.latest)

    def before_step(step: int) -> None:
        state.timestep = step
        if session.logger is not None:
            session.logger.tick()
        progress.tick(step)

    try:
        run_steps(runner.trainer, start=plan.start, timesteps=total, on_step=before_step, stop=stop)
        _check_wrapper_saw_updates(session)
        checkpoint = write_checkpoint(agent, state, total, total, agent_cfg)
    except Interrupted as interrupted:
        checkpoint = write_checkpoint(agent, state, interrupted.steps_done, total, agent_cfg)
        print_result(session.finish("interrupted", step=interrupted.steps_done, checkpoint=checkpoint))
        raise
    except BaseException as exc:
        print_result(session.finish("failed", step=state.timestep, checkpoint=None))
        problem = disk_problem(exc, checkpoints_dir(agent_cfg))
        if problem:  # a full or read-only disk: one line, and how to go on from the last checkpoint
            hint = resume_hint(checkpoints_dir(agent_cfg), session.run_id)
            raise RunError(f"{problem}; training failed, nothing was registered{hint}") from None
        raise
    try:
        result = session.finish(
            "succeeded", step=total, checkpoint=checkpoint, stopped=lambda: stop.signum is not None
        )
    except TrackingError as error:
        print_result(error.result)
        raise
    progress.report(total)  # after the final flush, so it shows the last window's reward
    if result.status == "interrupted":
        print_result(result)
        raise Interrupted(stop.signum, total)
    return result


def resume_hint(folder: Path, run_id: str) -> str:
    """'; last checkpoint P (resume with ...)' for the newest agent_<timestep>.pt, or '' when there is none.
    A resume keeps the budget (TrainerState.timesteps), so the hint needs no --timesteps."""
    found = [p for p in folder.glob("agent_*.pt") if p.stem.removeprefix("agent_").isdigit()] if folder.is_dir() else []
    if not found:
        return ""
    last = max(found, key=lambda p: int(p.stem.removeprefix("agent_")))
    uri = f"runs:/{run_id}/checkpoints/{last.name}" if run_id else str(last)
    return f"; last checkpoint {last} (resume with --checkpoint-mode resume --checkpoint-uri {uri})"


def write_checkpoint(agent: Any, state: TrainerState, step: int, total: int, agent_cfg: dict) -> Path | None:
    """agent_<step>.pt with the trainer state, unless skrl already wrote it (rank 0 only)."""
    if not is_rank_zero(os.environ):
        return None
    path = checkpoints_dir(agent_cfg) / f"agent_{step}.pt"
    if not path.exists():
        state.timestep = step
        path.parent.mkdir(parents=True, exist_ok=True)
        agent.write_checkpoint(timestep=step, timesteps=total)
    return path


def check_output_dir(config: RLConfig) -> None:
    """The output folder and a local tracking store's folder take a write, before any work (exit 1)."""
    check_writable(Path(config.output_dir), f"{ENV_PREFIX}OUTPUT_DIR")
    store = local_store_folder(os.environ.get("MLFLOW_TRACKING_URI", ""))
    if store is not None:
        check_writable(store, "the MLflow tracking store (MLFLOW_TRACKING_URI)")


def local_store_folder(uri: str) -> Path | None:
    """The folder of a sqlite:/// or file: tracking store; None for a server."""
    if uri.startswith("sqlite:///"):
        return Path(uri.removeprefix("sqlite:///")).parent
    if uri.startswith("file:"):
        return Path(uri.removeprefix("file://").removeprefix("file:"))
    return None


def smoke_test(config: RLConfig) -> int:
    """Check the checkpoint it is given (found, readable, for this task), then tracking and artifact storage
    end to end (a run, a metric, a file), then exit."""
    from training.mlflow_run import finish_run, start_run, upload

    fetch_checkpoint(config.checkpoint_uri, config.checkpoint_mode, config.rl_library, config.task)

    run = start_run(
        experiment=config.experiment_name,
        run_name=config.job_name or "smoke-test",
        tags={"task": config.task, "mode": "smoke-test"},
        params={"mode": "smoke-test"},
    )
    run.client.log_metric(run.run_id, "smoke_test", 1.0, step=0)
    note = Path(_ensure(config.output_dir)) / "smoke-test.txt"
    note.write_text("tracking and artifact storage reached\n", encoding="utf-8")
    upload(run, note, "smoke-test")
    finish_run(run, "succeeded")
    print_result(Result("succeeded", 0, run_id=run.run_id))
    return 0


def print_result(result: Result) -> None:
    print(RESULT_PREFIX + json.dumps(result.as_dict()), flush=True)


def _check_wrapper_saw_updates(session: Session) -> None:
    # A skrl release that renames update() would silently stop all logging; say so instead.
    if session.logger is not None and session.logger.updates == 0:
        log.warning(
            "the MLflow wrapper saw no agent update; check the skrl version (expected update() or _update())"
        )


def _remove_refused(made: list[Path]) -> None:
    """What a refused run made (skrl's folder, with its TensorBoard file and no checkpoint; then the output
    folder, when empty), innermost first; a refusal is never hidden by a folder that will not go."""
    for folder in sorted(made, key=lambda p: len(p.parts), reverse=True):
        kept = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("events.out.tfevents")]
        if folder.is_dir() and not kept:
            shutil.rmtree(folder, ignore_errors=True)


def _ensure(folder: str) -> str:
    Path(folder).mkdir(parents=True, exist_ok=True)
    return folder


def _close(environment: Environment) -> None:
    try:
        environment.env.close()
    except Exception as exc:  # closing must not hide the training outcome
        log.warning("closing the environment failed: %s", exc)

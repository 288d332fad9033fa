"""`submit local training|lerobot-training`: the same trainer, on this machine, tracked in a local MLflow store."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

import click

from submit import flags
from submit.commands.jobs import build
from submit.models import fields as f
from submit.output import say
from submit.params import group
from submit.reference import gone

RL_EXAMPLE = """
\b
Example:
  submit local training --task CartPole-v1
  submit local training --task Pendulum-v1 --algorithm ppo -M resume -c models:/pendulum-v1/1
"""

LEROBOT_EXAMPLE = """
\b
Example:
  submit local lerobot-training -d local/tiny --dataset-root ./tiny --steps 20 --lerobot-arg=--policy.dim_model=64
"""

# Local defaults fit a laptop CPU: CartPole, 8 environments (the cluster default of 2048 would crawl here).
LOCAL_TASK = "CartPole-v1"
LOCAL_NUM_ENVS = 8



def _device(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from training.config import parse_device  # the trainer's own rule

    try:
        return parse_device(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


local_naming = group(
    f.EXPERIMENT_NAME.option(help="MLflow experiment name."),
    f.JOB_NAME.option(help="Run name: the outputs folder and the MLflow run. [default: <task>-<date>-<time>]"),
    gone("--display-name", instead="a local run is named by --job-name (its outputs folder and MLflow run); drop it"),
)

local_run = group(
    # Not offered (a job's --image means nothing here), but named when a job's command line is reused.
    gone("-i", "--image", instead="a local run uses this machine's Python environment, not a container image; drop --image"),
    flags.profile,  # submit.toml profiles apply to local runs too (submit.sources)
    f.DEVICE.option(callback=_device),
    click.option("--output-root", type=click.Path(file_okay=False), default="outputs", show_default=True, help="Outputs go to OUTPUT_ROOT/<job-name>/."),
    click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="json: one JSON result object on stdout."),
)


@click.group("local", epilog="\b\nExample:\n  submit local training --task CartPole-v1")
def local() -> None:
    """Run jobs on this machine with the in-container trainer."""


@local.command("training", epilog=RL_EXAMPLE)
@flags.rl_job_flags(LOCAL_TASK, LOCAL_NUM_ENVS)
@flags.checkpoint
@flags.registration
@flags.tracking
@local_naming
@f.AGENT_CONFIG.option()
@f.TIMESTEPS.option()
@local_run
def training(**params: Any) -> None:
    """Train with skrl or RSL-RL on this machine (gymnasium tasks here; Isaac Lab tasks in .venv-isaaclab)."""
    # Only a value given nowhere takes the local default: '' or 0 is refused, as a job's would be.
    if params["task"] is None:
        params["task"] = LOCAL_TASK
    if params["num_envs"] is None:
        params["num_envs"] = LOCAL_NUM_ENVS
    if params["agent_config"] is not None:
        params["agent_config"] = str(Path(params["agent_config"]).resolve())
    _run(_job(params, "isaaclab-skrl"), params, {})


@local.command("lerobot-training", epilog=LEROBOT_EXAMPLE)
@flags.lerobot_policy
@flags.blob_urls
@f.DATASET_ROOT.option()
@flags.lerobot_args
@flags.checkpoint
@flags.lerobot_registration
@flags.lerobot_tracking
@local_naming
@local_run
def lerobot_training(**params: Any) -> None:
    """Train a LeRobot policy on this machine (in .venv-lerobot)."""
    if params["dataset_root"] is not None:
        params["dataset_root"] = str(Path(params["dataset_root"]).resolve())
    _run(_job(params, "lerobot"), params, {"ROBO_NUM_WORKERS": "0"})


# A local run's own settings that go straight to the trainer (declared without a settings path), and the
# parameters of how it reports: none of them fill the settings model.
TO_TRAINER = tuple(setting.name for setting in f.JOB_SETTINGS.values() if setting.path is None)
LOCAL_ONLY = ("output_root", "output_format", *TO_TRAINER)


def _job(params: dict[str, Any], kind: str) -> Any:
    from submit.models.submission import LocalTarget, Submission

    data = {name: value for name, value in params.items() if name not in LOCAL_ONLY}
    return build(Submission[LocalTarget], data, click.get_current_context().command, kind=kind).job


def _run(job: Any, params: dict[str, Any], extra: dict[str, str]) -> None:
    from submit.backends.local import runner
    from submit.errors import BadInput, SubmitError
    from submit.trainer_contract import local_trainer_env

    own = {name: params[name] for name in TO_TRAINER if name in params}
    extra = {**local_trainer_env(own), **extra}
    _trainer_accepts(job, extra)

    workdir = Path.cwd()
    name = job.naming.job_name or f"{_slug(job)}-{time.strftime('%Y%m%d-%H%M%S')}"
    output_dir = Path(params["output_root"]).resolve() / name
    if output_dir.exists():  # an earlier run's checkpoints would mix with this one's (and one may be registered)
        if job.naming.job_name:
            raise BadInput(f"--job-name: {output_dir} exists (an earlier run's outputs); choose another name or remove it")
        raise SubmitError(f"{output_dir} exists (a run started in the same second); start again or give --job-name")
    _check_writable(output_dir, params["output_root"])
    python = runner.trainer_python(job, _repo(), dict(os.environ))
    say(f"training {name} locally -> {output_dir}")
    outcome = runner.run(job, python=python, workdir=workdir, output_dir=output_dir, extra_env=extra | {"ROBO_JOB_NAME": name})
    if _stopped(outcome):
        # A trainer killed before its own handler ran reports -N: a shell would say 128 + N.
        code = outcome.exit_code if outcome.exit_code > 0 else 128 - outcome.exit_code
        raise runner.Interrupted(_interrupted(outcome), code if code > 128 else 130)
    kept = f". Outputs: {output_dir}" if output_dir.exists() else ""
    if outcome.exit_code == 2:  # the trainer refused a setting before training
        raise BadInput(f"the trainer refused its settings (its error line above); nothing was trained or registered{kept}")
    if outcome.exit_code != 0:
        raise SubmitError(f"training failed (trainer exit {outcome.exit_code}); nothing was registered{kept}")
    _report(outcome, params["output_format"])


def _trainer_accepts(job: Any, extra: dict[str, str]) -> None:
    """The trainer's own checks of its settings, run here first so that a refusal names the flag (--device), not
    the trainer's variable (ROBO_DEVICE), and nothing is started or written."""
    import importlib.util

    from submit.errors import BadInput
    from submit.trainer_contract import in_flags, trainer_env, trainer_kind
    from training.config import ConfigError, check_device, from_env

    try:
        config = from_env(trainer_kind(job), {**trainer_env(job), **extra})
        if importlib.util.find_spec("torch") is not None:  # the machine's devices: the trainer would see the same
            check_device(config.device)
    except ConfigError as exc:
        raise BadInput(in_flags(str(exc))) from None


def _stopped(outcome: Any) -> bool:
    """Stopped by a signal: one the CLI passed on, or SIGTERM/SIGINT sent to the trainer itself (a cluster's
    preemption, a `kill PID`), which it reports as interrupted with 128 + signal. A trainer that finished
    first is reported as usual."""
    if outcome.exit_code == 0:
        return False
    itself = outcome.result.get("status") == "interrupted" or outcome.exit_code in (130, 143)
    return outcome.interrupted or itself


def _check_writable(output_dir: Path, output_root: str) -> None:
    """Bad input before anything starts: the run's folder is made, with what is missing above it, and
    removed again (a try tells what a permission check cannot: a file in the path, /proc, a read-only mount)."""
    from submit.errors import BadInput
    from submit.output import unwritable_reason

    missing, above = [], output_dir
    while not above.exists():  # False, not an error, when a file is in the way
        missing.append(above)
        above = above.parent
    made: list[Path] = []
    try:
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
    except OSError as exc:
        raise BadInput(f"--output-root: cannot write {output_root} ({unwritable_reason(exc)})") from None
    finally:
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()


def _report(outcome: Any, output_format: str) -> None:
    result = outcome.result
    if output_format == "json":
        click.echo(json.dumps({"backend": "local", "tracking_uri": outcome.tracking_uri, "output_dir": str(outcome.output_dir), **result}))
        return
    if result.get("run_id"):  # none with --no-mlflow
        say(f"run id:           {result['run_id']}")
    if result.get("final_reward_mean") is not None:
        say(f"final mean reward: {result['final_reward_mean']:.2f}")
    if result.get("final_loss") is not None:
        say(f"final loss:       {result['final_loss']:.4g}")
    if result.get("model_version"):
        say(f"registered model: {result.get('model_name')} version {result.get('model_version')}")
    else:
        say("registered model: none (registration skipped)")
    say(f"outputs:          {outcome.output_dir}")
    if result.get("run_id"):
        say(f"open the MLflow UI: mlflow ui --backend-store-uri {outcome.tracking_uri}")


def _interrupted(outcome: Any) -> str:
    """One line: where the run stopped, that nothing was registered, and how to resume it."""
    result, code = outcome.result, outcome.exit_code
    if result.get("status") != "interrupted" or not result.get("checkpoint"):
        return f"interrupted (trainer exit {code}); nothing was registered. Outputs: {outcome.output_dir}"
    checkpoint = Path(result["checkpoint"])
    run_id = result.get("run_id")
    uri = f"runs:/{run_id}/checkpoints/{checkpoint.name}" if run_id else str(checkpoint)
    return (
        f"interrupted at timestep {result['timesteps']}; nothing was registered; "
        f"last checkpoint {checkpoint} (resume with --checkpoint-mode resume --checkpoint-uri {uri})"
    )


def _slug(job: Any) -> str:
    from training.config import derive_model_name

    return derive_model_name(getattr(job, "task", None) or f"lerobot-{job.policy_type}")


def _repo() -> Path:
    return Path(__file__).resolve().parents[3]

"""`submit local training|lerobot-training`: the same trainer, on this machine, tracked in a local MLflow store."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
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
    f.CORRELATION_ID.option(help="Id tying the run to what started it (a CI run id): an MLflow tag of the run and model version."),
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


RUN_EXAMPLE = """
\b
Examples:
  submit azureml training -t CartPole-v1 --dry-run -o job.yaml && submit local run job.yaml
  submit osmo training -t CartPole-v1 --dry-run -o wf.yaml && submit local run wf.yaml --gpus all
"""


@click.group("local", epilog="\b\nExamples:\n  submit local training --task CartPole-v1\n  submit local run job.yaml")
def local() -> None:
    """Run jobs on this machine: the trainer in this environment, or a rendered spec in its image."""


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


EVALUATION_EXAMPLE = """
\b
Example:
  submit local evaluation --model models:/cartpole-v1/1 --episodes 20 --gate mean_return>=@champion --promote champion
"""


@local.command("evaluation", epilog=EVALUATION_EXAMPLE)
@flags.evaluation_model
@flags.promotion
@flags.evaluation_lerobot
@f.DATASET_ROOT.option(help="LeRobot: local dataset folder of the held-out episodes.")
@f.AGENT_CONFIG.option(help="Agent YAML. [default: the agent.yaml the model version carries]")
@flags.evaluation_tracking
@local_naming
@local_run
def evaluation(**params: Any) -> None:
    """Evaluate a trained model on this machine; --promote sets an MLflow alias when every --gate holds (exit 3 when one does not)."""
    for name in ("agent_config", "dataset_root"):
        if params[name] is not None:
            params[name] = str(Path(params[name]).resolve())
    job = _job(params, "evaluation")
    _model_resolves(job, params)
    _run(job, params, {})


def _lerobot(job: Any, params: dict[str, Any]) -> bool:
    """A LeRobot policy's evaluation (its flags, or a local dataset folder), run in the LeRobot environment."""
    return job.kind == "evaluation" and (job.lerobot or params.get("dataset_root") is not None)


def _model_resolves(job: Any, params: dict[str, Any]) -> None:
    """The model URI against the store the run will use, before anything starts (one line, nothing written)."""
    from submit.backends.local import runner
    from submit.backends.local.model_check import model_problem
    from submit.errors import BadInput

    uri = runner.tracking_uri(Path.cwd(), dict(os.environ))
    problem = model_problem(job, uri, task_given=job.task is not None, lerobot_given=_lerobot(job, params))
    if problem:
        raise BadInput(problem)


def _gpus(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    from submit.backends.local.engine import parse_gpus

    if value is None:
        return None
    try:
        return parse_gpus(value)
    except ValueError as exc:
        raise click.BadParameter(f"{exc}; accepted values: all, a count (2), device indices (0,1)") from None


def _build_args(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        key, equals, _ = value.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise click.BadParameter(f"{value.split('=')[0][:40]!r} is not KEY=VALUE")
    return values


@local.command("run", epilog=RUN_EXAMPLE)
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--gpus", callback=_gpus, metavar="all|N|I,J", help="Pass this machine's NVIDIA GPUs through: all, a count, or device indices. [default: none]")
@click.option("-i", "--image", metavar="IMAGE", help="Run in IMAGE instead of the image the spec names (an image you built, e.g. with submit image build).")
@click.option("--set", "values", multiple=True, metavar="KEY=VALUE", help="OSMO templates: a value for a template variable, as `osmo workflow submit --set` (repeatable).")
@click.option("--build-arg", "build_args", multiple=True, metavar="KEY=VALUE", callback=_build_args, help="A build argument for an environment the spec has built (Azure ML environment.build), e.g. BASE=IMAGE for a base this machine has (repeatable).")
@click.option("--job-name", metavar="NAME", help="The outputs folder and job id. [default: the spec's job name, else NAME-N from its workflow or experiment name]")
@click.option("--output-root", type=click.Path(file_okay=False, path_type=Path), default=Path("outputs"), show_default=True, help="Outputs go to OUTPUT_ROOT/<job>/.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="json: one JSON result object on stdout.")
def run_spec(spec: Path, gpus: Any, image: str | None, values: tuple[str, ...], build_args: tuple[str, ...], job_name: str | None, output_root: Path, output_format: str) -> None:
    """Run an Azure ML or OSMO spec on this machine, in its image (Docker or Podman); exit with the container's status."""
    from submit.backends.local import engine, spec_run
    from submit.errors import BadInput

    environ = dict(os.environ)
    parsed = spec_run.read(spec, values)
    job_id = spec_run.choose_job_id(parsed, output_root, job_name)
    job = spec_run.container_job(parsed, environ, job_id=job_id, image=image)
    if gpus is not None and not engine.host_has_gpus():
        raise BadInput("--gpus: this machine has no NVIDIA GPU (no /dev/nvidiactl); drop --gpus to run on the CPU")
    if build_args and not job.build:
        raise BadInput("--build-arg: the job's image is given, not built (only an Azure ML environment.build is built here)")
    output_dir = (output_root / job_id).resolve()
    _check_writable(output_dir, str(output_root))
    for note in job.notes:
        say(f"note: {note}")
    if job.gpus and gpus is None:
        say(f"note: the spec asks for {job.gpus} GPU(s); none are passed through without --gpus")
    chosen = engine.find(environ)
    engine.check_answers(chosen)
    if job.build:
        spec_run.build_environment(job, build_args, environ)
    else:
        spec_run.ensure_image(chosen, job.image)
    outcome = spec_run.run(job, chosen, job_id=job_id, output_dir=output_dir, workdir=Path.cwd(), environ=environ, gpus=gpus)
    _spec_outcome(outcome, job_id, output_format)


def _spec_outcome(outcome: Any, job_id: str, output_format: str) -> None:
    from submit.backends.local.spec_run import Exited, host_path

    result = dict(outcome.result)
    if result.get("checkpoint"):  # the trainer names it as the container sees it
        result["checkpoint"] = str(host_path(outcome, result["checkpoint"]))
    code = outcome.exit_code
    if code == 0 and (result or output_format == "json"):  # a trainer's result, or JSON asked for
        _report(_Shown(code, {"job_id": job_id, **result}, outcome.tracking_uri, outcome.output_dir), output_format)
    elif code == 0:
        say(f"{job_id} finished (exit 0); outputs: {outcome.output_dir}")
    elif outcome.interrupted:
        shown = _Shown(code, result, outcome.tracking_uri, outcome.output_dir)
        stopped = f"{job_id} stopped (exit {code}; the stop was passed on as SIGTERM, a preemption)"
        raise Exited(_resumable(shown) or f"{stopped}; outputs: {outcome.output_dir}", code)
    else:
        raise Exited(f"{job_id} exited {code} in its container{_ENGINE_EXITS.get(code, '')}; outputs: {outcome.output_dir}", code)


# docker and podman run's own statuses (a command may also exit with these itself).
_ENGINE_EXITS = {
    125: " (125: the engine could not run the container; its error is above)",
    126: " (126: the command cannot be executed in the image)",
    127: " (127: the command is not found in the image)",
}


@dataclasses.dataclass(frozen=True)
class _Shown:
    """What _report and _interrupted read of a run."""

    exit_code: int
    result: dict[str, Any]
    tracking_uri: str | None
    output_dir: Path


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
    from submit.errors import BadInput, GateFailed, SubmitError
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
    python = runner.trainer_python(job, _repo(), dict(os.environ), lerobot=_lerobot(job, params))
    evaluating = job.kind == "evaluation"
    say(f"{'evaluating' if evaluating else 'training'} {name} locally -> {output_dir}")
    outcome = runner.run(job, python=python, workdir=workdir, output_dir=output_dir, extra_env=extra | {"ROBO_JOB_NAME": name})
    if _stopped(outcome):
        # A trainer killed before its own handler ran reports -N: a shell would say 128 + N.
        code = outcome.exit_code if outcome.exit_code > 0 else 128 - outcome.exit_code
        raise runner.Interrupted(_interrupted(outcome), code if code > 128 else 130)
    kept = f". Outputs: {output_dir}" if output_dir.exists() else ""
    unchanged = "no tag or alias changed" if evaluating else "nothing was registered"
    if outcome.exit_code == 2:  # the trainer refused a setting before training
        done = "nothing was evaluated or tagged" if evaluating else "nothing was trained or registered"
        raise BadInput(f"the trainer refused its settings (its error line above); {done}{kept}")
    if evaluating and outcome.exit_code == 3:
        _report_evaluation(outcome, params["output_format"])
        raise GateFailed(_gate_failure(outcome.result, job))
    if outcome.exit_code != 0:
        raise SubmitError(f"{'evaluation' if evaluating else 'training'} failed (trainer exit {outcome.exit_code}); {unchanged}{kept}")
    if evaluating:
        _report_evaluation(outcome, params["output_format"])
        return
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
    if result.get("run_id") and str(outcome.tracking_uri).startswith("sqlite:"):
        say(f"open the MLflow UI: mlflow ui --backend-store-uri {outcome.tracking_uri}")
    elif result.get("run_id"):  # a tracking server: its own UI
        say(f"tracked at:       {outcome.tracking_uri}")


def _report_evaluation(outcome: Any, output_format: str) -> None:
    result = outcome.result
    if output_format == "json":
        click.echo(json.dumps({"backend": "local", "tracking_uri": outcome.tracking_uri, "output_dir": str(outcome.output_dir), **result}))
        return
    model = f"{result.get('model_name')} version {result.get('model_version')}" if result.get("model_version") else result.get("model_uri")
    say(f"model:            {model}")
    say(f"episodes:         {result.get('episodes')} on {result.get('task')}")
    for metric, value in (result.get("metrics") or {}).items():
        say(f"{metric + ':':<18}{value:.4g}" if isinstance(value, int | float) else f"{metric}: {value}")
    for gate in result.get("gates") or []:
        say(f"gate {gate.get('gate')}: {'holds' if gate.get('holds') else 'does not hold'} (measured {gate.get('measured')})")
    if result.get("promoted"):
        say(f"promoted:         alias {result['promoted']} -> version {result.get('alias_version')}")
    if result.get("run_id"):
        say(f"run id:           {result['run_id']}")
    say(f"outputs:          {outcome.output_dir}")


def _gate_failure(result: dict[str, Any], job: Any) -> str:
    """One line: which gate did not hold, and that the alias stays where it was."""
    failed = [gate for gate in result.get("gates") or [] if not gate.get("holds")]
    said = ", ".join(f"{gate.get('gate')} (measured {gate.get('measured')})" for gate in failed) or "a gate"
    alias = f"alias {job.promote} unchanged" if job.promote else "nothing promoted"
    return f"gate did not hold: {said}; {alias}"


def _interrupted(outcome: Any) -> str:
    """One line: where the run stopped, that nothing was registered, and how to resume it."""
    return _resumable(outcome) or (
        f"interrupted (trainer exit {outcome.exit_code}); nothing was registered. Outputs: {outcome.output_dir}"
    )


def _resumable(outcome: Any) -> str | None:
    """Where a trainer stopped by a signal left its last checkpoint, and how to resume from it; None without one."""
    result = outcome.result
    if result.get("status") != "interrupted" or not result.get("checkpoint"):
        return None
    checkpoint = Path(result["checkpoint"])
    run_id = result.get("run_id")
    uri = f"runs:/{run_id}/checkpoints/{checkpoint.name}" if run_id else str(checkpoint)
    return (
        f"interrupted at timestep {result['timesteps']}; nothing was registered; "
        f"last checkpoint {checkpoint} (resume with --checkpoint-mode resume --checkpoint-uri {uri})"
    )


def _slug(job: Any) -> str:
    from training.config import derive_model_name

    if job.kind == "evaluation":
        return "evaluation"
    return derive_model_name(getattr(job, "task", None) or f"lerobot-{job.policy_type}")


def _repo() -> Path:
    return Path(__file__).resolve().parents[3]

"""`submit osmo training|lerobot-training`: OSMO workflows for Isaac Lab SKRL and LeRobot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from submit import options, reference, resolve
from submit.commands import jobs
from submit.output import emit, say

EXAMPLE = """
\b
Example:
  submit-osmo-training -t Isaac-Cartpole-Direct -n 512 -m 300 --pool h100 --dry-run
"""

LEROBOT_EXAMPLE = """
\b
Example:
  submit-osmo-lerobot-training -d lerobot/aloha_sim_insertion_human -p act --steps 20000 --dry-run
"""

# Flags that fill no setting: kept for the reference's scripts (backend), or read files (code_dir).
NOT_SETTINGS = {"backend", "code_dir"}

code_dir_option = click.option(
    "--code-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --code-source local: the folder holding training/ to ship. [default: the trainer of this CLI]",
)


@click.group("osmo", epilog="\b\nExamples:\n  submit osmo training -t Isaac-Cartpole-Direct --pool h100\n  submit osmo logs WORKFLOW_ID")
def osmo() -> None:
    """NVIDIA OSMO workflows."""


@osmo.command("training", epilog=EXAMPLE)
@options.rl_job
@reference.run_smoke_test(
    "Same as --mode smoke-test: the job checks tracking and storage instead of training. [env RUN_AZURE_SMOKE_TEST]"
)
@reference.backend
@options.checkpoint
@options.registration
@options.tracking
@options.osmo_resources
@options.osmo_naming
@options.osmo
@code_dir_option
@options.output
@reference.osmo_gone
@reference.osmo_rl_gone
def training(**params: Any) -> None:
    """Train an Isaac Lab task with skrl on OSMO."""
    from submit.build import build  # lazy: keeps --help free of pydantic
    from submit.render.osmo import render_osmo_training
    from submit.settings import OsmoTrainingSettings

    ctx = click.get_current_context()
    params = resolve.finish(reference.smoke_test_mode(params, ctx))
    settings = build(OsmoTrainingSettings, _settings_params(params), ctx.command)
    reference.note_unread_env(ctx, "IMAGE", "SLEEP_AFTER_UNPACK")
    _render_and_submit(settings, params, render_osmo_training)


@osmo.command("lerobot-training", epilog=LEROBOT_EXAMPLE)
@options.lerobot_job
@options.lerobot_args
@options.checkpoint
@options.lerobot_registration
@options.lerobot_tracking
@options.lerobot_data
@options.osmo_lerobot_naming
@options.osmo
@click.option(
    "--hf-credential",
    help="Stored OSMO credential with the Hugging Face token: NAME or NAME:KEY (key hf_token).",
)
@code_dir_option
@options.output
@reference.osmo_gone
@reference.lerobot_gone
def lerobot_training(**params: Any) -> None:
    """Train a LeRobot ACT or Diffusion policy on OSMO (one GPU)."""
    from submit.build import build  # lazy: keeps --help free of pydantic
    from submit.render.osmo import render_osmo_lerobot
    from submit.settings import OsmoLeRobotSettings

    ctx = click.get_current_context()
    params = resolve.finish(params)
    data = {**_settings_params(params), "blob_urls": options.blob_dataset_urls(params, ctx)}
    settings = build(OsmoLeRobotSettings, data, ctx.command)
    reference.note_unread_env(ctx, "IMAGE", "JOB_NAME", "POLICY_REPO_ID", "OSMO_GPU")
    _render_and_submit(settings, params, render_osmo_lerobot)


def _settings_params(params: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in params.items() if name not in NOT_SETTINGS}


def _render_and_submit(settings: Any, params: dict[str, Any], render: Any) -> None:
    from submit.osmo_spec import fail_if_invalid

    code, code_notes = _code(settings, params["code_dir"])
    spec = render(settings, code=code)
    fail_if_invalid(spec)
    notes = "\n".join([*code_notes, *_notes(settings)])
    if params["dry_run"]:
        # Notes after the spec is written: an -o that cannot be written is then the only line.
        emit("osmo", spec, output_format=params["output_format"], output_file=params["output_file"])
        if notes:
            say(notes)
        return
    if notes:
        say(notes)
    from submit.backends import osmo as backend  # lazy: a dry run needs no osmo CLI plumbing

    result = backend.submit(spec, settings, preflight=params["preflight"])
    emit(
        "osmo",
        spec,
        output_format=params["output_format"],
        output_file=params["output_file"],
        job_id=result.job_id,
        url=result.url,
    )
    if params["output_format"] == "text":
        say(f"submitted {result.job_id}" + (f"\n{result.url}" if result.url else ""))
    if params["stream"]:
        backend.logs(result.job_id, to_stderr=params["output_format"] == "json")


def _code(settings: Any, code_dir: Path | None) -> tuple[tuple, list[str]]:
    """The trainer's sources for --code-source local (checked against the limits) and their size line,
    else nothing."""
    from submit.errors import BadInput

    if settings.target.code_source != "local":
        if code_dir:
            raise BadInput("--code-dir: only used with --code-source local")
        return (), []
    if code_dir and not (code_dir / "training").is_dir():
        raise BadInput(f"--code-dir: {code_dir} holds no training/ folder")
    from submit import osmo_code

    code = osmo_code.collect_local_code(code_dir)
    return code, [osmo_code.check_limits(code, settings.job.resources.num_nodes)]


def _notes(settings: Any) -> list[str]:
    job, target = settings.job, settings.target
    notes = []
    if job.tracking.mlflow and not target.mlflow_tracking_uri:
        notes.append("note: MLflow is on but no --mlflow-tracking-uri is set; runs stay inside the container")
    if target.priority == "LOW":
        notes.append("note: priority LOW workflows can be preempted; outputs are uploaded only when a task succeeds")
    return notes


jobs.attach_osmo(osmo)  # status | logs | cancel

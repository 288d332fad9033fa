"""`submit azureml training|lerobot-training|status|logs|cancel`."""

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
  submit-azureml-training -t Isaac-Cartpole-Direct -n 512 -m 300 --compute gpu-a100 --dry-run
"""

LEROBOT_EXAMPLE = """
\b
Example:
  submit-azureml-lerobot-training -d lerobot/aloha_sim_insertion_human -p act --steps 20000 --compute gpu-a100 --dry-run
"""


SMOKE_TEST_HELP = (
    "Same as --mode smoke-test: the job checks tracking and storage instead of training (the reference ran "
    "its smoke test here before submitting; --preflight now checks the workspace). [env RUN_AZURE_SMOKE_TEST]"
)
SMOKE_TEST_NOTE = (
    "note: -s/RUN_AZURE_SMOKE_TEST submits a smoke-test job instead of training "
    "(the reference ran the smoke test here, then trained; --preflight checks the workspace before submitting)"
)


@click.group("azureml", epilog="\b\nExamples:\n  submit azureml training -t Isaac-Cartpole-Direct --compute gpu-a100\n  submit azureml status JOB")
def azureml() -> None:
    """Azure ML command jobs."""


@azureml.command("training", epilog=EXAMPLE)
@options.rl_job
@reference.run_smoke_test(SMOKE_TEST_HELP)
@options.checkpoint
@options.registration
@options.tracking
@options.resources
@options.naming
@options.azure
@options.output
@reference.azureml_gone
def training(**params: Any) -> None:
    """Train an Isaac Lab task with skrl on Azure ML."""
    from submit.build import build  # lazy: keeps --help free of pydantic
    from submit.settings import AzureMLTrainingSettings

    ctx = click.get_current_context()
    params = resolve.finish(reference.smoke_test_mode(params, ctx))
    settings = build(AzureMLTrainingSettings, params, ctx.command)
    if ctx.params["run_smoke_test"] and settings.job.mode == "smoke-test":
        say(SMOKE_TEST_NOTE)
    _render_and_submit(settings, params)


@azureml.command("lerobot-training", epilog=LEROBOT_EXAMPLE)
@options.lerobot_job
@options.lerobot_data
@options.lerobot_args
@options.checkpoint
@options.lerobot_registration
@options.lerobot_tracking
@options.resources
@options.naming
@options.azure
@options.output
@reference.azureml_gone
@reference.lerobot_gone
def lerobot_training(**params: Any) -> None:
    """Train a LeRobot policy (ACT, Diffusion) on Azure ML."""
    from submit.build import build  # lazy: keeps --help free of pydantic
    from submit.settings import AzureMLLeRobotSettings

    ctx = click.get_current_context()
    params = resolve.finish(params)
    params["blob_urls"] = options.blob_dataset_urls(params, ctx)
    settings = build(AzureMLLeRobotSettings, {k: v for k, v in params.items() if k not in options.BLOB_FLAGS}, ctx.command)
    reference.note_unread_env(ctx, "IMAGE", "JOB_NAME", "POLICY_REPO_ID")
    _render_and_submit(settings, params)


def _render_and_submit(settings: Any, params: dict[str, Any]) -> None:
    from submit import snapshot
    from submit.render.azureml import render_azureml

    spec_dir = Path(params["output_file"]).parent if params["output_file"] else Path.cwd()
    root = snapshot.snapshot_root()
    code = snapshot.collect(root)
    spec = render_azureml(settings, code_path=snapshot.relative_code_path(root, spec_dir))
    size_note = f"code snapshot: {len(code.files)} files, {code.size:,} bytes (training/ only)"
    if params["dry_run"]:
        # The note after the spec is written: an -o that cannot be written is then the only line.
        emit("azureml", spec, output_format=params["output_format"], output_file=params["output_file"])
        say(size_note)
        return
    say(size_note)
    from submit.backends import azureml as backend

    result = backend.submit(spec, settings, spec_dir=spec_dir, preflight=params["preflight"])
    emit("azureml", spec, output_format=params["output_format"], output_file=params["output_file"], job_id=result.job_id, url=result.url)
    if params["output_format"] == "text":
        say(f"submitted {result.job_id}\n{result.url}")
    if params["stream"]:
        backend.logs(result.job_id, settings.target, to_stderr=params["output_format"] == "json")


jobs.attach_azureml(azureml)  # status | logs | cancel

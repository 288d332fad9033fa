"""NVIDIA OSMO workflows: the backend object (the contract of backends/base.py).

Layout: fields.py (its target's settings), flags.py (its commands' flags), target.py (the target model and
OSMO's rules for a job), render.py (the workflow, pure), spec.py + rules.py + messages.py (our model of
OSMO's server-side checks), template.py (a workflow file read as the server reads it), code.py (the
trainer shipped in the spec), client.py (the osmo CLI), preflight.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from submit.backends.base import Backend, Rendered, Submitted, Texts
from submit.errors import BadInput

TRACK_EXAMPLE = """
\b
Example:
  submit osmo {name} isaaclab-training-12
"""


class Osmo(Backend):
    name = "osmo"
    texts = Texts(
        group="NVIDIA OSMO workflows.",
        group_epilog="\b\nExamples:\n  submit osmo training -t Isaac-Cartpole-Direct --pool h100\n  submit osmo logs WORKFLOW_ID",
        commands={
            "training": "Train an Isaac Lab task with skrl on OSMO.",
            "lerobot-training": "Train a LeRobot ACT or Diffusion policy on OSMO (one GPU).",
            "evaluation": "Evaluate a trained model on OSMO; --promote sets an MLflow alias when every --gate holds.",
            "status": "Show the status of OSMO workflow WORKFLOW_ID and of its tasks.",
            "logs": "Stream the logs of OSMO workflow WORKFLOW_ID.",
            "cancel": "Cancel OSMO workflow WORKFLOW_ID.",
        },
        examples={
            "training": "\n\b\nExample:\n  submit-osmo-training -t Isaac-Cartpole-Direct -n 512 -m 300 --pool h100 --dry-run\n",
            "lerobot-training": "\n\b\nExample:\n  submit-osmo-lerobot-training -d lerobot/aloha_sim_insertion_human -p act --steps 20000 --dry-run\n",
            "evaluation": (
                "\n\b\nExample:\n  submit osmo evaluation --model models:/cartpole-v1/3 --gate mean_return>=450 "
                "--promote champion --pool h100 -i IMAGE --wait\n"
            ),
            **{verb: TRACK_EXAMPLE.format(name=verb) for verb in ("status", "logs", "cancel")},
        },
        job_word="WORKFLOW_ID",
        spec_kind="OSMO",
        spec_name="an OSMO workflow",
        spec_marker="workflow:",
        preflight="the pool's free GPUs and the stored credentials the workflow names",
        terraform="LeRobot --from-blob's storage account",
    )
    unread_env = {  # noqa: RUF012
        "training": ("IMAGE", "SLEEP_AFTER_UNPACK"),
        "lerobot-training": ("IMAGE", "JOB_NAME", "POLICY_REPO_ID"),
    }
    # Read files (code_dir).
    command_only = frozenset({"code_dir"})
    recognition_order = 0

    def settings_model(self, command: str) -> type:
        from submit.backends.osmo.target import OsmoSubmission

        return OsmoSubmission

    def after_build(self, command: str, ctx: click.Context, settings: Any) -> None:
        _workspace_given(ctx, settings.target)
        # Before anything is rendered or said: a submission must name an image a cluster can pull.
        if not ctx.params.get("dry_run") and not settings.job.image:
            raise BadInput(f"--image: {_no_image(settings)}")

    def render(self, settings: Any, params: dict[str, Any]) -> Rendered:
        from submit.backends.osmo.render import render_osmo
        from submit.backends.osmo.spec import fail_if_invalid

        code, code_notes = _code(settings, params["code_dir"])
        spec = render_osmo(settings, code=code)
        fail_if_invalid(spec)
        return Rendered(spec, [*code_notes, *_notes(settings)])

    def check(self, text: str, file: Path, values: tuple[str, ...]) -> list[str]:
        from submit.backends.base import Advice
        from submit.backends.osmo import rules, template
        from submit.backends.osmo.spec import check_osmo  # lazy: pydantic models

        spec = template.render(text, values, source=str(file))
        advice = [
            Advice(f"{path}: {message}", submission_only=path == rules.POOL_PATH) for path, message in rules.advice(spec)
        ]
        return [*check_osmo(spec), *advice]

    def recognises(self, text: str, file: Path) -> bool:
        from submit import yamlio
        from submit.backends.osmo import template

        if template.looks_like_osmo(text):
            return True
        spec = yamlio.load(text, str(file))
        return isinstance(spec, dict) and "workflow" in spec  # JSON or flow style: {"workflow": ...}

    def submit(self, rendered: Rendered, settings: Any, *, preflight: bool) -> Submitted:
        from submit.backends.osmo import client  # lazy: a dry run needs no osmo CLI plumbing

        return client.submit(rendered.spec, settings, preflight=preflight)

    def status(self, job_id: str, target: Any) -> dict[str, Any]:
        from submit.backends.osmo import client

        return client.status(job_id)

    def outcome(self, status: str) -> str | None:
        # OSMO's final workflow statuses: COMPLETED, and FAILED with its reasons (FAILED_CANCELED, FAILED_PREEMPTED...).
        if status == "COMPLETED":
            return "succeeded"
        return "failed" if status.startswith("FAILED") else None

    def gate_not_met(self, result: dict[str, Any]) -> bool:
        # A plain FAILED (not cancelled, preempted...) with the evaluation task's own exit code 3 (OSMO's query
        # gives each task's exit code; codes above 255 are OSMO's own).
        from submit.errors import GateFailed

        return result.get("status") == "FAILED" and any(task.get("exit_code") == GateFailed.exit_code for task in result.get("tasks") or [])

    def logs(self, job_id: str, target: Any, *, to_stderr: bool = False) -> None:
        from submit.backends.osmo import client

        client.logs(job_id, to_stderr=to_stderr)

    def cancel(self, job_id: str, target: Any) -> dict[str, Any]:
        from submit.backends.osmo import client

        return client.cancel(job_id)


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
    from submit.backends.osmo import code

    files = code.collect_local_code(code_dir)
    return files, [code.check_limits(files, settings.job.resources.num_nodes)]


def _workspace_given(ctx: Any, target: Any) -> None:
    """The Azure ML workspace counts with all three coordinates. Some of them typed (or in a profile) but not all is
    bad input naming the first missing flag; some only in the environment (AZURE_SUBSCRIPTION_ID is often set for
    other tools) are left alone, with a note."""
    import os

    from submit.backends.osmo import fields as o
    from submit.errors import BadInput
    from submit.output import say

    given = [s for s in o.WORKSPACE if getattr(target, s.name)]
    if not given or len(given) == len(o.WORKSPACE):
        if given and target.mlflow_tracking_uri:
            say("note: --mlflow-tracking-uri is given, so the Azure ML workspace's tracking URI is not looked up")
        return
    missing = [s for s in o.WORKSPACE if s not in given]
    from_env = all(s.envvar in os.environ and ctx.get_parameter_source(s.name).name == "ENVIRONMENT" for s in given)
    if from_env:
        say(f"note: {', '.join(str(s.envvar) for s in given)} set but not {', '.join(str(s.envvar) for s in missing)}: "
            "no Azure ML workspace is looked up for MLflow")
        return
    raise BadInput(
        f"{missing[0].flags[0]}: the Azure ML workspace for MLflow needs --azure-subscription-id, "
        "--azure-resource-group and --azure-workspace-name together"
    )


def _no_image(settings: Any) -> str:
    """OSMO has no build service: the image must be in a registry the cluster pulls from."""
    from submit.models.jobs import image_kind
    from submit.trainer_contract import trainer_image

    kind = image_kind(settings.job)
    return (
        f"no image is configured and OSMO only pulls from a registry ({trainer_image(kind)} is a local tag); "
        f"run `submit image build {kind} --push REGISTRY` and pass the reference it prints as -i/--image "
        "or `image = ...` in submit.toml"
    )


def _notes(settings: Any) -> list[str]:
    job, target = settings.job, settings.target
    if job.image:
        notes = [f"image: the cluster pulls {job.image}"]
    else:
        notes = [f"note: {_no_image(settings)}; a submission without one is refused"]
    if job.tracking.mlflow and target.workspace:
        notes.append(
            f"note: the job looks up the MLflow tracking URI of Azure ML workspace {target.azure_workspace_name} with "
            "its Azure identity (the pool's workload identity or AZURE_CLIENT_* credentials)"
        )
    elif job.tracking.mlflow and not target.mlflow_tracking_uri:
        notes.append("note: MLflow is on but no --mlflow-tracking-uri is set; runs stay inside the container")
    if target.priority == "LOW":
        notes.append("note: priority LOW workflows can be preempted; outputs are uploaded only when a task succeeds")
    return notes


BACKEND = Osmo()

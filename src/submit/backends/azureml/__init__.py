"""Azure ML command jobs: the backend object (the contract of backends/base.py).

Layout: fields.py (its target's settings), flags.py (its commands' flags), target.py (the target model
and Azure ML's rules for a job), render.py (the spec, pure), client.py (azure-ai-ml: offline check,
submission, status, logs, cancel), environment.py (the job's registered environment), preflight.py,
workspace.py (the coordinates a command needs). azure-ai-ml is imported only inside client calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from submit.backends.base import Backend, Rendered, Submitted, Texts
from submit.output import say

SMOKE_TEST_NOTE = (
    "note: -s/RUN_AZURE_SMOKE_TEST submits a smoke-test job instead of training "
    "(the reference ran the smoke test here, then trained; --preflight checks the workspace before submitting)"
)
TRACK_EXAMPLE = """
\b
Example:
  submit azureml {name} sharp_tail_4ks8v1 --workspace-name robots --resource-group rg-robots
"""


class AzureML(Backend):
    name = "azureml"
    texts = Texts(
        group="Azure ML command jobs.",
        group_epilog="\b\nExamples:\n  submit azureml training -t Isaac-Cartpole-Direct --compute gpu-a100\n  submit azureml status JOB",
        commands={
            "training": "Train an Isaac Lab task with skrl on Azure ML.",
            "lerobot-training": "Train a LeRobot policy (ACT, Diffusion) on Azure ML.",
            "evaluation": "Evaluate a trained model on Azure ML; --promote sets an MLflow alias when every --gate holds.",
            "status": "Show the status and studio URL of Azure ML job JOB.",
            "logs": "Stream the logs of Azure ML job JOB until it ends; exit 1 if it fails.",
            "cancel": "Cancel Azure ML job JOB and show its status.",
        },
        examples={
            "training": "\n\b\nExample:\n  submit-azureml-training -t Isaac-Cartpole-Direct -n 512 -m 300 --compute gpu-a100 --dry-run\n",
            "lerobot-training": "\n\b\nExample:\n  submit-azureml-lerobot-training -d lerobot/aloha_sim_insertion_human -p act --steps 20000 --compute gpu-a100 --dry-run\n",
            "evaluation": (
                "\n\b\nExample:\n  submit azureml evaluation --model models:/cartpole-v1@candidate --episodes 50 "
                "--gate mean_return>=@champion --promote champion --compute gpu-a100 --wait\n"
            ),
            **{verb: TRACK_EXAMPLE.format(name=verb) for verb in ("status", "logs", "cancel")},
        },
        job_word="JOB",
        spec_kind="Azure ML",
        spec_name="an Azure ML job",
        spec_marker="command:",
    )
    unread_env = {"lerobot-training": ("IMAGE", "JOB_NAME", "POLICY_REPO_ID")}  # noqa: RUF012
    recognition_order = 1  # after OSMO, whose templates are not YAML before they are rendered
    tracking_keys = ("subscription_id", "resource_group", "workspace_name")

    def settings_model(self, command: str) -> type:
        from submit.backends.azureml.target import AzureMLSubmission

        return AzureMLSubmission

    def after_build(self, command: str, ctx: click.Context, settings: Any) -> None:
        if ctx.params.get("run_smoke_test") and settings.job.mode == "smoke-test":
            say(SMOKE_TEST_NOTE)

    def render(self, settings: Any, params: dict[str, Any]) -> Rendered:
        from submit import snapshot
        from submit.backends.azureml.render import render_azureml

        spec_dir = Path(params["output_file"]).parent if params["output_file"] else Path.cwd()
        root = snapshot.snapshot_root()
        files = snapshot.build_files(root)
        spec = render_azureml(settings, code_path=snapshot.relative_code_path(root, spec_dir))
        size = sum(path.stat().st_size for path in files)
        note = f"code snapshot: {len(files)} files, {size:,} bytes (training/, and workflows/images/ to build images from)"
        return Rendered(spec, [note, _environment_note(spec["environment"])], spec_dir)

    def check(self, text: str, file: Path, values: tuple[str, ...]) -> list[str]:
        from submit import yamlio
        from submit.backends.azureml import client
        from submit.errors import BadInput, SpecError, UnreadableSpec

        try:
            spec = yamlio.load(text, str(file))
        except SpecError as exc:
            raise UnreadableSpec(f"{file}: not a valid Azure ML spec: {str(exc).removeprefix(f'{file}: ')}") from None
        if values:
            raise BadInput("--set: only OSMO templates take values")
        from submit.backends.base import Advice
        from submit.spec_advice import code_advice, delete_advice

        spec = spec if isinstance(spec, dict) else {}
        command = spec.get("command")
        advice = [*delete_advice("command", command if isinstance(command, str) else ""), *code_advice(spec.get("code"), file.parent)]
        return [*client.check(spec, file.parent), *(Advice(f"{path}: {message}") for path, message in advice)]

    def recognises(self, text: str, file: Path) -> bool:
        from submit import yamlio

        spec = yamlio.load(text, str(file))
        return isinstance(spec, dict) and ("command" in spec or "azureml" in str(spec.get("$schema", "")))

    def submit(self, rendered: Rendered, settings: Any, *, preflight: bool) -> Submitted:
        from submit.backends.azureml import client

        return client.submit(rendered.spec, settings, spec_dir=rendered.spec_dir, preflight=preflight)

    def tracking_model(self) -> type:
        from submit.backends.azureml.target import Workspace

        return Workspace

    def status(self, job_id: str, target: Any) -> dict[str, Any]:
        from submit.backends.azureml import client

        return client.status(job_id, target)

    def outcome(self, status: str) -> str | None:
        # Azure ML's final job statuses (azure.ai.ml.entities JobStatus); CancelRequested is not final yet.
        if status == "Completed":
            return "succeeded"
        return "failed" if status in ("Failed", "Canceled", "NotResponding") else None

    def gate_not_met(self, result: dict[str, Any]) -> bool:
        # The job's run is the evaluation's MLflow run; its tags are the job's tags (gate_passed, set by the trainer).
        return result.get("status") == "Failed" and result.get("gate_passed") == "false"

    def logs(self, job_id: str, target: Any, *, to_stderr: bool = False) -> None:
        from submit.backends.azureml import client

        client.logs(job_id, target, to_stderr=to_stderr)

    def cancel(self, job_id: str, target: Any) -> dict[str, Any]:
        from submit.backends.azureml import client

        return client.cancel(job_id, target)


def _environment_note(environment: Any) -> str:
    """What the job will run in, said offline: the image it pulls, or what Azure ML builds and from which base."""
    if isinstance(environment, dict) and "build" in environment:
        from submit import images

        dockerfile = environment["build"]["dockerfile_path"]
        return (
            f"environment: Azure ML builds {dockerfile} from the code snapshot's folder on first submission "
            f"(FROM {images.default_base(dockerfile)}); -i/--image or --environment-name to use a published one"
        )
    if isinstance(environment, dict):
        return f"environment: the job pulls {environment['image']}"
    return f"environment: {environment}, registered in the workspace (registered from the image or build context if missing)"


BACKEND = AzureML()

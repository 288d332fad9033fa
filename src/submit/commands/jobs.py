"""`submit azureml|osmo status|logs|cancel ID`: follow a submitted job. Attached to the backend groups."""

from __future__ import annotations

import json
import re
from typing import Any

import click

from submit import options
from submit.output import say

AZUREML_EXAMPLE = """
\b
Example:
  submit azureml {name} sharp_tail_4ks8v1 --workspace-name robots --resource-group rg-robots
"""

OSMO_EXAMPLE = """
\b
Example:
  submit osmo {name} isaaclab-training-12
"""

_format = click.option(
    "--output-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object on stdout.",
)


def _job_id(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A job or workflow id is handed to azure-ai-ml or the osmo CLI: never something they read as a flag."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,254}", value):
        raise click.BadParameter(  # the value is not shown: it may be anything, a token included
            "not a job id (letters, digits, '.', '_', ':', '-'; starting with a letter or digit)"
        )
    return value


def attach_azureml(group: click.Group) -> None:
    for command in (_azureml_status, _azureml_logs, _azureml_cancel):
        group.add_command(command)


def attach_osmo(group: click.Group) -> None:
    for command in (_osmo_status, _osmo_logs, _osmo_cancel):
        group.add_command(command)


def print_result(result: dict[str, Any], output_format: str) -> None:
    """The result on stdout: one JSON object, or `key: value` lines."""
    if output_format == "json":
        click.echo(json.dumps(result))
        return
    for key, value in result.items():
        if key == "tasks":
            for task in value:
                click.echo(f"task {task['name']}: {task['status']}")
        elif value not in (None, ""):
            click.echo(f"{key}: {value}")


# ---- Azure ML ---------------------------------------------------------------------------------

azureml_job = options.group(
    click.argument("job_id", metavar="JOB", callback=_job_id),
    options.azure_workspace,
    options.resolution,
)


@click.command("status", epilog=AZUREML_EXAMPLE.format(name="status"))
@azureml_job
@_format
def _azureml_status(**params: Any) -> None:
    """Show the status and studio URL of Azure ML job JOB."""
    from submit.backends import azureml as backend

    print_result(backend.status(params["job_id"], _azureml_target(params)), params["output_format"])


@click.command("logs", epilog=AZUREML_EXAMPLE.format(name="logs"))
@azureml_job
def _azureml_logs(**params: Any) -> None:
    """Stream the logs of Azure ML job JOB until it ends; exit 1 if it fails."""
    from submit.backends import azureml as backend

    backend.logs(params["job_id"], _azureml_target(params))


@click.command("cancel", epilog=AZUREML_EXAMPLE.format(name="cancel"))
@azureml_job
@_format
def _azureml_cancel(**params: Any) -> None:
    """Cancel Azure ML job JOB and show its status."""
    from submit.backends import azureml as backend

    result = backend.cancel(params["job_id"], _azureml_target(params))
    say(f"cancel requested for {params['job_id']}")
    print_result(result, params["output_format"])


def _azureml_target(params: dict[str, Any]) -> Any:
    """The workspace coordinates, resolved like every other command's and validated by the settings model;
    missing ones are bad input naming their flags."""
    from submit import resolve
    from submit.backends import azureml as backend
    from submit.build import build
    from submit.settings import AzureMLTarget, Strict

    class WorkspaceSettings(Strict):
        job: dict = {}  # noqa: RUF012 - pydantic copies defaults
        target: AzureMLTarget | None = None  # none of its values given

    ctx = click.get_current_context()
    params = resolve.complete(ctx, params, set(resolve.WORKSPACE_KEYS))
    settings = build(WorkspaceSettings, {k: v for k, v in params.items() if k in options.PATHS}, ctx.command)
    backend.workspace(settings.target)
    return settings.target


# ---- OSMO -------------------------------------------------------------------------------------

_workflow_id = click.argument("workflow_id", metavar="WORKFLOW_ID", callback=_job_id)


@click.command("status", epilog=OSMO_EXAMPLE.format(name="status"))
@_workflow_id
@_format
def _osmo_status(workflow_id: str, output_format: str) -> None:
    """Show the status of OSMO workflow WORKFLOW_ID and of its tasks."""
    from submit.backends import osmo as backend

    print_result(backend.status(workflow_id), output_format)


@click.command("logs", epilog=OSMO_EXAMPLE.format(name="logs"))
@_workflow_id
def _osmo_logs(workflow_id: str) -> None:
    """Stream the logs of OSMO workflow WORKFLOW_ID."""
    from submit.backends import osmo as backend

    backend.logs(workflow_id)


@click.command("cancel", epilog=OSMO_EXAMPLE.format(name="cancel"))
@_workflow_id
@_format
def _osmo_cancel(workflow_id: str, output_format: str) -> None:
    """Cancel OSMO workflow WORKFLOW_ID."""
    from submit.backends import osmo as backend

    result = backend.cancel(workflow_id)
    say(f"cancel requested for {workflow_id}")
    print_result(result, output_format)

"""The command group of every backend, built from the registry: training, lerobot-training, status, logs,
cancel. One body for every job command (flags -> settings -> render -> print or submit), one for each of
status, logs and cancel; a backend supplies its flags, its model and its calls (backends/base.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import click

from submit import flags, reference, sources
from submit.backends import registry
from submit.backends.base import Backend
from submit.output import emit, say

# Job command -> the job kind it validates into (models/jobs.py).
JOB_KINDS = {"training": "isaaclab-skrl", "lerobot-training": "lerobot"}
TRACK_VERBS = ("status", "logs", "cancel")


def backend_group(name: str) -> click.Group:
    """`submit NAME`: the backend's job commands and status, logs, cancel."""
    backend = registry.get(name)
    group = click.Group(name, help=backend.texts.group, epilog=backend.texts.group_epilog)
    for command in JOB_KINDS:
        group.add_command(job_command(backend, command))
    for verb in TRACK_VERBS:
        group.add_command(track_command(backend, verb))
    return group


def job_command(backend: Backend, command: str) -> click.Command:
    def run(**params: Any) -> None:
        ctx = click.get_current_context()
        if "run_smoke_test" in params:
            params = reference.smoke_test_mode(params, ctx)
        params = sources.finish(params)
        if command == "lerobot-training":
            params["blob_urls"] = flags.blob_dataset_urls(params, ctx)
        settings = _settings(backend, command, params, ctx)
        backend.after_build(command, ctx, settings)
        reference.note_unread_env(ctx, *backend.unread_env.get(command, ()))
        render_and_submit(backend, settings, params)

    run.__doc__ = backend.texts.commands[command]
    decorated = flags.group(backend.job_flags(command), flags.output, backend.gone_flags(command))(run)
    return click.command(command, epilog=backend.texts.examples[command])(decorated)


def _settings(backend: Backend, command: str, params: dict[str, Any], ctx: click.Context) -> Any:
    from submit.models.build import build  # lazy: keeps --help free of pydantic

    data = {name: value for name, value in params.items() if name not in backend.command_only}
    return build(backend.settings_model(command), data, ctx.command, kind=JOB_KINDS[command])


def render_and_submit(backend: Backend, settings: Any, params: dict[str, Any]) -> None:
    """Print (or write) the spec of a dry run; else submit it, print the result and follow it if asked."""
    rendered = backend.render(settings, params)
    notes = "\n".join(rendered.notes)
    output = {"output_format": params["output_format"], "output_file": params["output_file"]}
    if params["dry_run"]:
        # Notes after the spec is written: an -o that cannot be written is then the only line.
        emit(backend.name, rendered.spec, **output)
        if notes:
            say(notes)
        return
    if notes:
        say(notes)
    result = backend.submit(rendered, settings, preflight=params["preflight"])
    emit(backend.name, rendered.spec, **output, job_id=result.job_id, url=result.url)
    if params["output_format"] == "text":
        say(f"submitted {result.job_id}" + (f"\n{result.url}" if result.url else ""))
    if params["stream"]:
        backend.logs(result.job_id, settings.target, to_stderr=params["output_format"] == "json")


def track_command(backend: Backend, verb: str) -> click.Command:
    def run(**params: Any) -> None:
        job_id = params["job_id"]
        target = backend.tracking_target(params)
        if verb == "logs":
            backend.logs(job_id, target)
            return
        if verb == "cancel":
            result = backend.cancel(job_id, target)
            say(f"cancel requested for {job_id}")
        else:
            result = backend.status(job_id, target)
        print_result(result, params["output_format"])

    run.__doc__ = backend.texts.commands[verb]
    options = [click.argument("job_id", metavar=backend.texts.job_word, callback=_job_id), backend.track_flags()]
    if verb != "logs":
        options.append(flags.output_format)
    return click.command(verb, epilog=backend.texts.examples[verb])(flags.group(*options)(run))


def _job_id(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A job or workflow id is handed to azure-ai-ml or the osmo CLI: never something they read as a flag."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,254}", value):
        raise click.BadParameter(  # the value is not shown: it may be anything, a token included
            "not a job id (letters, digits, '.', '_', ':', '-'; starting with a letter or digit)"
        )
    return value


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

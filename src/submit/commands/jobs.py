"""The command group of every backend, built from the registry: training, lerobot-training, status, logs,
cancel. One body for every job command (flags -> settings -> render -> print or submit), one for each of
status, logs and cancel; a backend supplies its flags, its model and its calls (backends/base.py). And
`build`: flags -> nested settings data -> one validated model, or one `--flag: problem` line."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import click

from submit import flags, reference, sources
from submit.backends import registry
from submit.backends.base import Backend
from submit.errors import BadInput, GateFailed, SubmitError
from submit.output import emit, print_json_result, say
from submit.params import primary_flag

# Job command -> the job kind it validates into (models/jobs.py).
JOB_KINDS = {"training": "isaaclab-skrl", "lerobot-training": "lerobot", "evaluation": "evaluation"}
TRACK_VERBS = ("status", "logs", "cancel")


def backend_group(name: str) -> click.Group:
    """`submit NAME`: the backend's job commands and status, logs, cancel."""
    backend = registry.get(name)
    group = click.Group(name, help=backend.texts.group, epilog=backend.texts.group_epilog)
    for command in backend.job_commands:
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
    decorated = flags.group(
        backend.job_flags(command), flags.output(backend.texts.preflight, backend.texts.terraform), backend.gone_flags(command)
    )(run)
    return click.command(command, epilog=backend.texts.examples[command])(decorated)


def _settings(backend: Backend, command: str, params: dict[str, Any], ctx: click.Context) -> Any:
    data = {name: value for name, value in params.items() if name not in backend.command_only}
    return build(backend.settings_model(command), data, ctx.command, kind=JOB_KINDS[command])


def render_and_submit(backend: Backend, settings: Any, params: dict[str, Any]) -> None:
    """Print (or write) the spec of a dry run; else submit it, print the result and follow it if asked."""
    if params["wait"] and params["dry_run"]:
        raise BadInput("--wait: waits for a submitted job, and --dry-run submits nothing; drop one")
    rendered = backend.render(settings, params)
    notes = "\n".join(rendered.notes)
    json_output = params["output_format"] == "json"
    # With --wait the JSON result comes once the job has ended, with its final status.
    output = {"output_format": "text" if params["wait"] else params["output_format"], "output_file": params["output_file"]}
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
    if not json_output:
        say(f"submitted {result.job_id}" + (f"\n{result.url}" if result.url else ""))
    if params["stream"]:
        backend.logs(result.job_id, settings.target, to_stderr=json_output)
    if params["wait"]:
        _wait(backend, result, rendered.spec, settings, json_output)


def _wait(backend: Backend, submitted: Any, spec: dict[str, Any], settings: Any, json_output: bool) -> None:
    """Follow the job to its end: the JSON result with its final status, then exit 1 unless it succeeded (3 for an
    evaluation that ran but whose gate did not hold)."""
    from submit import waiting

    final = waiting.wait(backend, submitted.job_id, settings.target)
    status = final["status"]
    gate_not_met = settings.job.kind == "evaluation" and backend.gate_not_met(final)
    if json_output:
        extra = {"gate_passed": False} if gate_not_met else {}
        print_json_result(backend.name, spec, job_id=submitted.job_id, url=submitted.url, status=status, **extra)
    if gate_not_met:
        raise GateFailed(f"{backend.name} job {submitted.job_id} ended {status}: the evaluation ran, a --gate did not hold; alias unchanged")
    if backend.outcome(status) != "succeeded":
        raise SubmitError(f"{backend.name} job {submitted.job_id} ended {status}")


def track_command(backend: Backend, verb: str) -> click.Command:
    def run(**params: Any) -> None:
        job_id = params["job_id"]
        target = _tracking_target(backend, params)
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


def _tracking_target(backend: Backend, params: dict[str, Any]) -> Any:
    """What status, logs and cancel reach the job through (a workspace), resolved like a job command's values and
    validated by the backend's model; None for a backend that needs nothing but the id."""
    model = backend.tracking_model()
    if model is None:
        return None
    ctx = click.get_current_context()
    params = sources.complete(ctx, params, set(backend.tracking_keys))
    data = {name: value for name, value in params.items() if name not in ("job_id", "output_format")}
    return build(model, data, ctx.command).target


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
                ended = f" (exit {task['exit_code']})" if "exit_code" in task else ""
                click.echo(f"task {task['name']}: {task['status']}{ended}")
        elif value not in (None, ""):
            click.echo(f"{key}: {value}")


# ---- flags -> one validated model -------------------------------------------------------------

T = TypeVar("T")

_FIELD_PREFIX = re.compile(r"^([a-z_.]+): (.*)$", re.DOTALL)
# The tags of the discriminated job kinds: pydantic puts the tag in an error's location.
_KIND_TAGS = set(JOB_KINDS.values())


def build(model: type[T], params: dict[str, Any], command: click.Command, *, kind: str | None = None) -> T:
    """Validate once; the first problem becomes one line: `--flag: what is wrong`."""
    from pydantic import ValidationError  # lazy: start-up time of --help

    data = nest(params)
    if kind is not None:
        data["job"] = {**data.get("job", {}), "kind": kind}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadInput(_first_problem(exc, command)) from None


def paths() -> dict[str, str]:
    """Click parameter name -> dotted settings path, for every declared setting (job and backend targets)."""
    return {setting.name: setting.path for setting in registry.declarations().values() if setting.path}


def nest(params: dict[str, Any]) -> dict[str, Any]:
    """Flat Click parameters -> nested settings data, leaving out what was not given."""
    known = paths()
    data: dict[str, Any] = {}
    for name, value in params.items():
        if name in flags.NOT_SETTINGS or value is None or value == ():
            continue
        node = data
        *parents, leaf = known[name].split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


def param_for(path: str, command: click.Command) -> click.Parameter | None:
    """The option that fills a settings path, e.g. job.checkpoint.uri -> the --checkpoint-uri option."""
    # A hidden alias (--no-headless) shares its name with the option users see (--headless/--gui): name that one.
    names = {p.name: p for p in sorted(command.params, key=lambda p: not getattr(p, "hidden", False))}
    return next((names[name] for name, dotted in paths().items() if dotted == path and name in names), None)


def _first_problem(exc: Any, command: click.Command) -> str:
    error = exc.errors(include_url=False, include_input=False)[0]
    path = [str(part) for part in error["loc"] if not isinstance(part, int) and part not in _KIND_TAGS]
    message = error["msg"].removeprefix("Value error, ")
    match = _FIELD_PREFIX.match(message)
    if match:
        path.append(match.group(1))
        message = match.group(2)
    dotted = ".".join(path)
    ctx = click.get_current_context(silent=True)
    param = param_for(dotted, command)
    if dotted == "job.blob_urls" and ctx is not None and ctx.params.get("from_blob") and not ctx.params.get("blob_urls"):
        # The only URL is the one --from-blob built: name the flag the user gave.
        param = next(p for p in command.params if p.name == "from_blob")
    # A hidden option is a setting the command takes from a profile only: named by its profile key.
    flag = dotted if param is None else param.name if getattr(param, "hidden", False) else primary_flag(param)
    where = sources.origin(ctx, param.name if param is not None else None)
    return f"{flag}: {_plain(message, error)}{where}"


def _plain(message: str, error: dict[str, Any]) -> str:
    """Pydantic's wording, made to say what is accepted."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        return f"accepted values: {ctx.get('expected', '').replace(' or ', ', ')}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than", "finite_number"):
        return message.replace("Input should be", "must be")
    if kind == "missing":
        return "needed"
    if kind in ("string_too_short", "string_too_long"):
        return message.replace("String should have", "must have")
    return message

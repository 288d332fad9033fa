"""`submit config show`: every resolved value and where it came from (submit.sources)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from submit import flags
from submit.backends import registry
from submit.params import envvars

EXAMPLE = """
\b
Examples:
  submit config show
  submit config show --profile gpu --terraform-dir deploy/001-iac --output-format json
\b
Profiles live in ./submit.toml or ~/.config/robo-submit/submit.toml:
  [default]
  workspace_name = "robots"
  [profile.gpu]
  compute = "a100-cluster"
"""

NOT_SHOWN = {"output_format", "profile", "terraform_dir"}


@click.group("config", epilog="\b\nExample:\n  submit config show --profile gpu")
def config() -> None:
    """Where values come from: flag > environment > submit.toml > .azureml/config.json > Terraform."""


@config.command("show", epilog=EXAMPLE)
@flags.group(*(registry.get(name).config_flags() for name in registry.names()))
@flags.resolution
@flags.output_format
def show(**params: Any) -> None:
    """Print each value a job would use and its source; reads Terraform only for values still missing."""
    from submit import sources

    ctx = click.get_current_context()
    names = [param.name for param in ctx.command.params if param.name not in NOT_SHOWN]
    params = sources.complete(ctx, params, set(names))
    rows = {
        name: {"value": params.get(name), "source": sources.source_of(ctx, name, params.get(name))}
        for name in names
    }
    rows = _without_secrets(rows | _profile_only(ctx, names))
    if params["output_format"] == "json":
        click.echo(json.dumps(rows))
        return
    width = max(map(len, rows))
    for name, row in rows.items():
        value = "-" if row["value"] in (None, ()) else row["value"]
        click.echo(f"{name:<{width}}  {value}  ({row['source']})")


def _profile_only(ctx: click.Context, shown: list[str]) -> dict[str, dict[str, Any]]:
    """Profile settings this command has no flag for (job values such as num_envs), with their source; a job
    command's environment fallback (TASK, NUM_ENVS, ...) wins over the profile, as it would in the job. A
    profile value is checked against the job commands' option, as a job would check it."""
    import os

    from submit import sources

    profile = ctx.params.get("profile")
    values = sources.profile_values(profile, Path.cwd())
    params = _job_params()
    for param in ctx.command.params:  # --terraform-dir: this command's own option
        params[param.name] = [param]  # type: ignore[index]
    rows = {}
    for name, value in sorted(values.items()):
        if name in shown:
            continue
        variable = next((var for var in _envvars(params[name]) if os.environ.get(var)), None)
        if variable:
            rows[name] = {"value": os.environ[variable], "source": f"env {variable}"}
            continue
        sources.checked(params[name][0], value)
        rows[name] = {"value": value.value, "source": value.source}
    return rows


def _without_secrets(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """No secret is printed: a setting named like one is masked whole, a URL carrying credentials (a SAS query
    string, user:password@) keeps its scheme, host and path (submit.secret_rules)."""
    from submit import secret_rules

    named = set(secret_rules.secret_names(rows))

    def shown(name: str, value: Any) -> Any:
        if isinstance(value, (list, tuple)):  # repeatable options, such as --blob-url
            return type(value)(shown(name, entry) for entry in value)
        if name in named and value not in (None, ()):
            return secret_rules.MASK
        return secret_rules.masked(value) if isinstance(value, str) else value

    return {name: {**row, "value": shown(name, row["value"])} for name, row in rows.items()}


def _job_params() -> dict[str, list[click.Parameter]]:
    """Setting name -> its option in each job command that has one."""
    from submit.commands.jobs import backend_group

    found: dict[str, list[click.Parameter]] = {}
    for name in registry.names():
        group = backend_group(name)
        # An evaluation's --task and --num-envs read no environment variable (the version's tags are their defaults):
        # what `config show` says of them is the training commands'.
        for command_name in (c for c in registry.get(name).job_commands if c != "evaluation"):
            for param in group.commands[command_name].params:
                found.setdefault(param.name, []).append(param)  # type: ignore[arg-type]
    return found


def _envvars(params: list[click.Parameter]) -> list[str]:
    """The environment variables every one of these options reads (a variable only some job commands read, such
    as EXPERIMENT_NAME, would not say what the others use)."""
    each = [envvars(param) for param in params]
    return [var for var in each[0] if all(var in others for others in each[1:])]

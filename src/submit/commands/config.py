"""`submit config show`: every resolved value and where it came from (submit.resolve)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from submit import options

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
@options.azure
@options.osmo_placement
@options.resolution
@click.option(
    "--output-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object on stdout.",
)
def show(**params: Any) -> None:
    """Print each value a job would use and its source; reads Terraform only for values still missing."""
    from submit import resolve

    ctx = click.get_current_context()
    names = [param.name for param in ctx.command.params if param.name not in NOT_SHOWN]
    params = resolve.complete(ctx, params, set(names))
    rows = {
        name: {"value": params.get(name), "source": resolve.source_of(ctx, name, params.get(name))}
        for name in names
    }
    rows |= _profile_only(ctx, names)
    if params["output_format"] == "json":
        click.echo(json.dumps(rows))
        return
    width = max(map(len, rows))
    for name, row in rows.items():
        value = "-" if row["value"] in (None, ()) else row["value"]
        click.echo(f"{name:<{width}}  {value}  ({row['source']})")


def _profile_only(ctx: click.Context, shown: list[str]) -> dict[str, dict[str, Any]]:
    """Profile settings this command has no flag for (job values such as num_envs), with their source; a job
    command's environment fallback (TASK, NUM_ENVS, ...) wins over the profile, as it would in the job."""
    import os

    from submit import resolve

    profile = ctx.params.get("profile")
    values = resolve.profile_values(profile, Path.cwd())
    envvars = _job_envvars()
    rows = {}
    for name, value in sorted(values.items()):
        if name in shown:
            continue
        variable = next((var for var in envvars.get(name, ()) if os.environ.get(var)), None)
        rows[name] = (
            {"value": os.environ[variable], "source": f"env {variable}"}
            if variable
            else {"value": value.value, "source": value.source}
        )
    return rows


def _job_envvars() -> dict[str, list[str]]:
    """Setting name -> the environment variables every job command with that setting reads it from (a
    variable only some commands read, such as EXPERIMENT_NAME, would not say what the others use)."""
    from submit.cli import cli

    found: dict[str, list[str]] = {}
    root = click.Context(cli)
    for group_name in ("azureml", "osmo"):
        group = cli.get_command(root, group_name)
        for command_name in ("training", "lerobot-training"):
            for param in group.get_command(root, command_name).params:  # type: ignore[union-attr]
                variables = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
                found[param.name] = [var for var in found.get(param.name, variables) if var in variables]
    return found

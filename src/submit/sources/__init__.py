"""Value resolution, one implementation for every command.

A value comes from the first of these that has it:

  1. a flag on the command line
  2. its environment variable (AZURE_SUBSCRIPTION_ID, AZUREML_COMPUTE, OSMO_POOL, ...)
  3. a profile in `submit.toml` (working directory, then the user's config directory):
     `[default]` always applies, `[profile.NAME]` with `--profile NAME` on top of it
  4. `.azureml/config.json` in the working directory or a parent (the MLClient.from_config convention):
     subscription, resource group and workspace only
  5. `terraform output -json` in `--terraform-dir`, only when a value the command needs is still missing

Click already orders 1 > 2 > default_map, so layers 3 and 4 are a lazy `default_map` (`Defaults`)
that reads its files on first use and never while Click formats `--help`. Layer 5 runs a child
process, so it is a separate step (`finish`) that a command calls after parsing, naming what it needs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click

from submit.params import envvars
from submit.sources.azureml_config import AZUREML_CONFIG_KEYS, azureml_config
from submit.sources.profile import checked, profile_values
from submit.sources.value import Value

# Values that change a rendered spec; a dry run reads Terraform only when one of these is missing.
SPEC_KEYS = ("compute", "key_vault_uri")
WORKSPACE_KEYS = AZUREML_CONFIG_KEYS
SOURCES = "submit.sources.sources"  # ctx.meta key: sources of values filled after parsing


def install(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """Callback of the eager --profile option: profile and config.json become Click's default_map."""
    ctx.default_map = Defaults(ctx)
    return value


class Defaults(Mapping[str, Any]):
    """Layers 3 and 4 as Click's default_map. Files are read on the first lookup, never for --help."""

    def __init__(self, ctx: click.Context) -> None:
        self._ctx = ctx
        self._values: dict[str, Value] | None = None

    def __getitem__(self, name: str) -> Any:
        found = self._layers()[name]
        return checked(next(p for p in self._ctx.command.params if p.name == name), found)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers())

    def __len__(self) -> int:
        return len(self._layers())

    def source(self, name: str) -> str | None:
        found = self._layers().get(name)
        return found.source if found else None

    def _layers(self) -> dict[str, Value]:
        # Click formats --help (and completes) with resilient parsing on: read nothing then.
        if self._ctx.resilient_parsing:
            return {}
        if self._values is None:
            names = {param.name for param in self._ctx.command.params}
            values = azureml_config(Path.cwd()) if names & set(AZUREML_CONFIG_KEYS) else {}
            values |= profile_values(self._ctx.params.get("profile"), Path.cwd())
            self._values = {name: value for name, value in values.items() if name in names}
        return self._values


def finish(params: dict[str, Any]) -> dict[str, Any]:
    """Layer 5 for the current command: what a dry run or a submission still misses, from Terraform."""
    needed = set(SPEC_KEYS)
    if not params.get("dry_run"):
        needed |= set(WORKSPACE_KEYS)
    if params.get("from_blob"):
        needed.add("storage_account")
    return complete(click.get_current_context(), params, needed)


def complete(ctx: click.Context, params: dict[str, Any], needed: set[str]) -> dict[str, Any]:
    """Fill the needed values that are still missing from `terraform output`; run nothing otherwise."""
    directory = params.get("terraform_dir")
    if not directory:
        return params
    from submit.sources import terraform  # lazy: start-up time (it runs a child process)

    missing = [name for name in terraform.KEYS if name in needed and name in params and params[name] is None]
    if not missing:
        return params
    found = terraform.values(Path(directory))
    filled = {name: found[name] for name in missing if name in found}
    ctx.meta.setdefault(SOURCES, {}).update({name: value.source for name, value in filled.items()})
    return {**params, **{name: value.value for name, value in filled.items()}}


def origin(ctx: click.Context | None, name: str | None) -> str:
    """` (from env X)`, ` (from profile ...)`: where a refused value came from when nobody typed it on this
    command line; empty for a flag, a default, or outside a command."""
    if ctx is None or name is None or name not in {p.name for p in ctx.command.params}:
        return ""
    source = source_of(ctx, name, None)
    return "" if source.startswith("flag ") or source in ("default", "not set") else f" (from {source})"


def source_of(ctx: click.Context, name: str, value: Any) -> str:
    """Where a resolved value came from, for `submit config show`."""
    filled = ctx.meta.get(SOURCES, {})
    if name in filled:
        return filled[name]
    kind = ctx.get_parameter_source(name)
    param = next(p for p in ctx.command.params if p.name == name)
    if kind == click.core.ParameterSource.COMMANDLINE:
        return f"flag {max(param.opts, key=len)}"
    if kind == click.core.ParameterSource.ENVIRONMENT:
        names = envvars(param)
        return "env " + next((var for var in names if var in os.environ), "/".join(names))
    if kind == click.core.ParameterSource.DEFAULT_MAP and isinstance(ctx.default_map, Defaults):
        return ctx.default_map.source(name) or "profile"
    return "default" if value not in (None, ()) else "not set"

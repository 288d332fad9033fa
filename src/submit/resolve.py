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

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from submit.errors import BadInput
from submit.options import primary_flag

PROFILE_FILE = "submit.toml"
APP_NAME = "robo-submit"
AZUREML_CONFIG_KEYS = ("subscription_id", "resource_group", "workspace_name")
AZUREML_CONFIG_FILES = (".azureml/config.json", "aml_config/config.json")
PARENT_LEVELS = 20  # as MLClient.from_config
# Values that change a rendered spec; a dry run reads Terraform only when one of these is missing.
SPEC_KEYS = ("compute", "key_vault_uri")
WORKSPACE_KEYS = AZUREML_CONFIG_KEYS
# Not settings fields, but a profile may still set them.
EXTRA_PROFILE_KEYS = ("terraform_dir", "storage_account", "storage_container", "blob_prefix", "preflight")
SOURCES = "submit.resolve.sources"  # ctx.meta key: sources of values filled after parsing


@dataclass(frozen=True)
class Value:
    value: Any
    source: str


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
    from submit import terraform  # lazy: start-up time

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
        envvars = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
        return "env " + next((var for var in envvars if var in os.environ), "/".join(envvars))
    if kind == click.core.ParameterSource.DEFAULT_MAP and isinstance(ctx.default_map, Defaults):
        return ctx.default_map.source(name) or "profile"
    return "default" if value not in (None, ()) else "not set"


# ---- layer 3: submit.toml ---------------------------------------------------------------------


def checked(param: click.Parameter, found: Value) -> Any:
    """A profile value for `param`, refused unless its TOML type fits the option: Click would otherwise truncate
    2.9 to 2, read true as 1, or fail on an array or a date. A repeatable option given one value gets one entry."""
    kind, value = _kind(param), found.value
    if not param.multiple:
        if _fits(kind, value):
            return value
        raise _refused(param, _ACCEPTED[kind], _toml_type(value), found.source)
    accepted = f"{_ACCEPTED[kind]} or a list of {kind}s"
    if not isinstance(value, list):  # `metric_filter = "reward"`, or `= 5` as before: one entry
        if _fits(kind, value) or (kind == "string" and _is_number(value)):
            return [value]
        raise _refused(param, accepted, _toml_type(value), found.source)
    wrong = [entry for entry in value if not _fits(kind, entry)]
    if wrong:
        raise _refused(param, accepted, f"an array holding {_toml_type(wrong[0])}", found.source)
    return value


def _refused(param: click.Parameter, accepted: str, given: str, source: str) -> BadInput:
    # The value itself is not shown: it may be a secret. The wording follows `origin`.
    return BadInput(f"{primary_flag(param)}: must be {accepted}, not {given} (from {source})")


_ACCEPTED = {"integer": "an integer", "number": "a number", "boolean": "true or false", "string": "a string"}


def _kind(param: click.Parameter) -> str:
    if getattr(param, "is_bool_flag", False) or isinstance(param.type, click.types.BoolParamType):
        return "boolean"  # --x/--no-x flags and options.Switch
    if isinstance(param.type, click.types.IntParamType):
        return "integer"
    if isinstance(param.type, click.types.FloatParamType):
        return "number"
    return "string"  # plain strings, choices and paths


def _fits(kind: str, value: Any) -> bool:
    if isinstance(value, str):
        # Text goes on to Click's own conversion and its messages, as the same text in an environment variable
        # would: `num_envs = "512"` is read, `num_envs = "many"` is refused by Click.
        return True
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return _is_number(value)
    return kind == "boolean" and isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _toml_type(value: Any) -> str:
    """The TOML word for a parsed value (tomllib gives bool, int, float, str, list, dict or a date/time)."""
    for python, toml in ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string")):
        if isinstance(value, python):
            return toml
    return {list: "an array", dict: "a table"}.get(type(value), "a date/time")


def profile_files(cwd: Path) -> list[Path]:
    """Profile files, weakest first: the user's, then the working directory's."""
    user = Path(click.get_app_dir(APP_NAME)) / PROFILE_FILE
    return [path for path in (user, cwd / PROFILE_FILE) if path.is_file()]


def profile_values(name: str | None, cwd: Path) -> dict[str, Value]:
    """[default] of every file, then [profile.NAME] of every file; later entries win."""
    files = [(path, _read_profile_file(path)) for path in profile_files(cwd)]
    values: dict[str, Value] = {}
    for path, data in files:
        values |= _profile_table(data.get("default", {}), f"profile default ({_shown(path)})", path)
    if not name:
        return values
    tables = [(path, data.get("profile", {}).get(name)) for path, data in files]
    if not any(table is not None for _, table in tables):
        raise BadInput(f"--profile: {_no_profile(name, files, cwd)}")
    for path, table in tables:
        if table is not None:
            values |= _profile_table(table, f"profile {name} ({_shown(path)})", path)
    return values


def known_profile_keys() -> set[str]:
    from submit.options import PATHS

    return set(PATHS) | set(EXTRA_PROFILE_KEYS)


def _read_profile_file(path: Path) -> dict[str, Any]:
    import tomllib  # lazy: start-up time (most runs have no profile file)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{_shown(path)}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{_shown(path)}: cannot read ({type(exc).__name__})") from None
    unknown = sorted(set(data) - {"default", "profile"})
    if unknown:
        raise BadInput(f"{_shown(path)}: unknown table [{unknown[0]}]; use [default] or [profile.NAME]")
    profiles = data.get("profile", {})
    if not isinstance(profiles, dict) or not all(isinstance(t, dict) for t in profiles.values()):
        raise BadInput(f"{_shown(path)}: profiles are tables named [profile.NAME]")
    return data


def _profile_table(table: Any, source: str, path: Path) -> dict[str, Value]:
    if not isinstance(table, dict):
        raise BadInput(f"{_shown(path)}: [default] must be a table of settings")
    known = known_profile_keys()
    values = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in known:
            raise BadInput(f"{_shown(path)}: unknown setting '{key}'{_did_you_mean(name, known)}")
        if isinstance(value, dict):
            raise BadInput(f"{_shown(path)}: '{key}' must be a value, not a table")
        values[name] = Value(value, source)
    return values


def _no_profile(name: str, files: list[tuple[Path, dict[str, Any]]], cwd: Path) -> str:
    if not files:
        user = Path(click.get_app_dir(APP_NAME)) / PROFILE_FILE
        return f"no profile '{name}': no {PROFILE_FILE} in {cwd} or {user}"
    names = sorted({profile for _, data in files for profile in data.get("profile", {})})
    where = ", ".join(_shown(path) for path, _ in files)
    return f"no profile '{name}' in {where} (profiles: {', '.join(names) or 'none'})"


def _did_you_mean(name: str, known: set[str]) -> str:
    import difflib  # lazy: start-up time

    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _shown(path: Path) -> str:
    try:
        return f"./{path.relative_to(Path.cwd())}"
    except ValueError:
        return str(path)


# ---- layer 4: .azureml/config.json --------------------------------------------------------------


def azureml_config_file(start: Path) -> Path | None:
    """The nearest .azureml/config.json (or aml_config/config.json) in `start` or a parent."""
    folder = start.resolve()
    for _ in range(PARENT_LEVELS + 1):
        for relative in AZUREML_CONFIG_FILES:
            if (folder / relative).is_file():
                return folder / relative
        if folder.parent == folder:
            return None
        folder = folder.parent
    return None


def azureml_config(start: Path) -> dict[str, Value]:
    path = azureml_config_file(start)
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BadInput(f"{_shown(path)}: not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{_shown(path)}: cannot read ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise BadInput(
            f"{_shown(path)}: expected a JSON object with subscription_id, resource_group, workspace_name"
        )
    return {
        key: Value(data[key], _shown(path))
        for key in AZUREML_CONFIG_KEYS
        if isinstance(data.get(key), str) and data[key]
    }

"""Layer 3 of submit.sources: profiles in `submit.toml` (working directory, then the user's config directory).

`[default]` always applies, `[profile.NAME]` with `--profile NAME` on top of it. A key is a declared
setting's parameter name (models/fields.py and each backend's fields.py) or one of EXTRA_PROFILE_KEYS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from submit.backends import registry
from submit.errors import BadInput
from submit.params import primary_flag
from submit.sources.value import Value, shown

PROFILE_FILE = "submit.toml"
APP_NAME = "robo-submit"
# Not settings fields, but a profile may still set them.
EXTRA_PROFILE_KEYS = ("terraform_dir", "storage_account", "storage_container", "blob_prefix", "preflight")



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
        return "boolean"  # --x/--no-x flags and params.Switch
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
        values |= _profile_table(data.get("default", {}), f"profile default ({shown(path)})", path)
    if not name:
        return values
    tables = [(path, data.get("profile", {}).get(name)) for path, data in files]
    if not any(table is not None for _, table in tables):
        raise BadInput(f"--profile: {_no_profile(name, files, cwd)}")
    for path, table in tables:
        if table is not None:
            values |= _profile_table(table, f"profile {name} ({shown(path)})", path)
    return values


def known_profile_keys() -> set[str]:
    declared = {name for name, setting in registry.declarations().items() if setting.path}
    return declared | set(EXTRA_PROFILE_KEYS)


def _read_profile_file(path: Path) -> dict[str, Any]:
    import tomllib  # lazy: start-up time (most runs have no profile file)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{shown(path)}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{shown(path)}: cannot read ({type(exc).__name__})") from None
    unknown = sorted(set(data) - {"default", "profile"})
    if unknown:
        raise BadInput(f"{shown(path)}: unknown table [{unknown[0]}]; use [default] or [profile.NAME]")
    profiles = data.get("profile", {})
    if not isinstance(profiles, dict) or not all(isinstance(t, dict) for t in profiles.values()):
        raise BadInput(f"{shown(path)}: profiles are tables named [profile.NAME]")
    return data


def _profile_table(table: Any, source: str, path: Path) -> dict[str, Value]:
    if not isinstance(table, dict):
        raise BadInput(f"{shown(path)}: [default] must be a table of settings")
    known = known_profile_keys()
    values = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in known:
            raise BadInput(f"{shown(path)}: unknown setting '{key}'{_did_you_mean(name, known)}")
        if isinstance(value, dict):
            raise BadInput(f"{shown(path)}: '{key}' must be a value, not a table")
        values[name] = Value(value, source)
    return values


def _no_profile(name: str, files: list[tuple[Path, dict[str, Any]]], cwd: Path) -> str:
    if not files:
        user = Path(click.get_app_dir(APP_NAME)) / PROFILE_FILE
        return f"no profile '{name}': no {PROFILE_FILE} in {cwd} or {user}"
    names = sorted({profile for _, data in files for profile in data.get("profile", {})})
    where = ", ".join(shown(path) for path, _ in files)
    return f"no profile '{name}' in {where} (profiles: {', '.join(names) or 'none'})"


def _did_you_mean(name: str, known: set[str]) -> str:
    import difflib  # lazy: start-up time

    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""

"""Small helpers about Click parameters, shared by the flags, the value sources and the error boundary.

Nothing here imports pydantic or a backend: `--help` stays fast, and every layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class Switch(click.types.BoolParamType):
    """A yes/no flag whose environment variable takes the reference scripts' words: 1/true/yes/on, 0/false/no/off."""

    TRUE = ("1", "true", "yes", "on")
    FALSE = ("0", "false", "no", "off")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bool:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in self.TRUE or word in self.FALSE:
            return word in self.TRUE
        self.fail(f"{value!r} is not one of {', '.join(self.TRUE + self.FALSE)}", param, ctx)


class AliasedChoice(click.Choice):
    """A choice that also takes other spellings of its values (`aliases`: spelling -> value); the error
    names the values only."""

    def __init__(self, choices: tuple[str, ...], aliases: dict[str, str]) -> None:
        super().__init__(choices, case_sensitive=False)
        self.aliases = aliases

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            value = self.aliases.get(value.strip().lower(), value)
        return super().convert(value, param, ctx)


class ProfileOnly(click.Option):
    """A setting a command takes from a submit.toml profile only: never parsed from the command line (there it
    is "No such option", and never offered as a "did you mean"), so a profile's value still meets the rules."""

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        return None


def group(*decorators: Decorator) -> Decorator:
    """Apply option decorators in the order they are listed (as they appear in --help)."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def from_env(ctx: click.Context, param: click.Parameter) -> bool:
    """Whether the parameter's value came from its environment variable."""
    return param.name is not None and ctx.get_parameter_source(param.name) == click.core.ParameterSource.ENVIRONMENT


def primary_flag(param: click.Parameter) -> str:
    """The first long name an option was declared with: --task for (-t, --task)."""
    return next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])


def envvars(param: click.Parameter) -> list[str]:
    """The environment variables an option reads, in the order Click tries them."""
    return [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())


class FlagValues(click.Option):
    """An option whose values are flags by design (--lerobot-arg --policy.dim_model=64): on the command line it
    takes its value only as `--opt=VALUE`, so it can never swallow the next flag (`refuse_flag_values`)."""


def refuse_flag_values(command: click.Command, args: list[str]) -> None:
    """Refuse a command line where an option's value starts with '--': Click would take the next flag as the value
    (`--metric-filter --dry-run` swallowed --dry-run, and submitted). Runs on the raw arguments, before Click parses
    anything, for every option of the command they reach; the value is never shown (it may be anything)."""
    leaf, rest = _leaf(command, list(args))
    options = {opt: param for param in leaf.params if isinstance(param, click.Option) for opt in param.opts}
    tokens = iter(rest)
    for token in tokens:
        if token == "--":
            return
        if token.startswith("--"):
            name, equals, value = token.partition("=")
            param = options.get(name)
            if param is None or not _takes_value(param):
                continue
            if isinstance(param, FlagValues):
                if not equals:
                    raise click.BadParameter(f"write its value with '=', as {name}=--name.path=value", param=param)
                continue
            if not equals:
                value = next(tokens, "")
            if value.startswith("--"):
                raise click.BadParameter(
                    "its value starts with '--' (not shown): a flag is never taken as a value; "
                    "give the value right after the flag",
                    param=param,
                )
        elif token.startswith("-") and len(token) > 1:
            _short(token, options, tokens)


def _short(token: str, options: dict[str, click.Option], tokens: Any) -> None:
    """`-t VALUE`, `-tVALUE`, or a cluster of short flags ending in one that takes a value."""
    for index, char in enumerate(token[1:], start=1):
        param = options.get(f"-{char}")
        if param is None:
            return
        if not _takes_value(param):
            continue
        value = token[index + 1 :] or next(tokens, "")
        if value.startswith("--"):
            raise click.BadParameter(
                "its value starts with '--' (not shown): a flag is never taken as a value; give the value right after the flag",
                param=param,
            )
        return


def _takes_value(param: click.Option) -> bool:
    return not (param.is_flag or param.count) and param.nargs != 0


def _leaf(command: click.Command, args: list[str]) -> tuple[click.Command, list[str]]:
    """The command the arguments reach through the groups' subcommand names, and the arguments it parses."""
    while isinstance(command, click.Group):
        index = next((i for i, arg in enumerate(args) if not arg.startswith("-")), None)
        if index is None:
            return command, args
        sub = command.get_command(click.Context(command), args[index])
        if sub is None:
            return command, args
        command, args = sub, args[index + 1 :]
    return command, args

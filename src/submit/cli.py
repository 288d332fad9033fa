"""The `submit` group, the console-script aliases, and the one boundary where errors become exit codes."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from submit.backends import registry
from submit.errors import SubmitError
from submit.params import primary_flag, refuse_flag_values


class Boundary:
    """Mixin for the top-level command: bad input exits 2 with one line, failures exit 1 (STYLE.md 6)."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            refuse_flag_values(self, sys.argv[1:] if args is None else list(args))  # type: ignore[arg-type]
            # Without standalone mode Click returns Exit's code (--help, --version) instead of raising it.
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)  # type: ignore[misc]
            code = result if isinstance(result, int) else 0
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except _NO_ARGS_IS_HELP as exc:  # `submit` or `submit azureml` alone: the help, as Click shows it
            exc.show()
            code = 2
        except click.ClickException as exc:  # usage errors: unknown flags, bad choices, bad integers
            click.echo(f"{prog_name or self.name}: error: {_usage_message(exc)}", err=True)
            code = 2 if isinstance(exc, click.UsageError) else exc.exit_code
        except click.Abort:
            click.echo("aborted", err=True)
            code = 130
        except SubmitError as exc:
            click.echo(f"{prog_name or self.name}: error: {exc}", err=True)
            code = exc.exit_code
        except Exception as exc:  # the one place unexpected errors are reported
            if os.environ.get("SUBMIT_DEBUG"):
                import traceback  # lazy: start-up time

                traceback.print_exc()
            click.echo(f"{prog_name or self.name}: error: unexpected {type(exc).__name__}: {exc} (SUBMIT_DEBUG=1 shows the traceback)", err=True)
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code


# Click >= 8.2 raises this for a group called without a subcommand; 8.1 prints the help itself.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _usage_message(exc: click.ClickException) -> str:
    """One line, in the same `--flag: what is wrong` form the settings model uses."""
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        message = _missing(exc.param)
    elif isinstance(exc, click.UsageError) and exc.message.startswith("Got unexpected extra argument"):
        # Never echoed: a reference command line may pass `-- --set TOKEN=...` through to az or osmo.
        renders = exc.ctx is not None and any(param.name == "dry_run" for param in exc.ctx.command.params)
        message = "unexpected arguments after the flags (not shown); " + (
            "nothing is passed through to az or osmo: write the spec with --dry-run -o FILE, edit it, and "
            "submit it (az ml job create -f, osmo workflow submit)"
            if renders
            else "see --help"
        )
    elif isinstance(exc, click.BadParameter) and exc.param is not None and exc.param.opts:
        from submit.secret_rules import mask_urls
        from submit.sources import origin

        name = exc.param.human_readable_name if isinstance(exc.param, click.Argument) else primary_flag(exc.param)
        # Click quotes the refused value: a URL in it keeps no credential (a SAS given to the wrong flag).
        message = f"{name}: {mask_urls(exc.message.rstrip('.'))}{origin(exc.ctx, exc.param.name)}"
    else:
        message = exc.format_message()
    return " ".join(message.split())


def _missing(param: click.Parameter) -> str:
    """`missing argument FILE` or `--flag: missing`, with the accepted values when there is a fixed set.

    Click's MissingParameter has an empty `.message`; its own text is several lines.
    """
    if isinstance(param, click.Argument):
        message = f"missing argument {param.human_readable_name}"
    else:
        message = f"{primary_flag(param)}: missing"
    if isinstance(param.type, click.Choice):
        message += f"; accepted values: {', '.join(map(str, param.type.choices))}"
    return message


class BoundaryGroup(Boundary, click.Group):
    """The `submit` group: its subcommand groups are imported when first asked for (start-up time)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self.get_command(ctx, name) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            command = _load(COMMANDS[cmd_name], cmd_name)
            if command is not None:
                self.add_command(command)
        return self.commands.get(cmd_name)


# Subcommand groups by name: each backend of the registry (built by submit.commands.jobs), then the others by
# module; a missing module (an optional part) is left out.
COMMANDS = {
    **{name: f"submit.commands.jobs:{name}" for name in registry.names()},
    "local": "submit.commands.local",
    "image": "submit.commands.image",
    "validate": "submit.commands.validate",
    "config": "submit.commands.config",
    "completion": "submit.commands.completion",
}


def _load(module: str, name: str) -> click.Command | None:
    if module == f"submit.commands.jobs:{name}":
        from submit.commands.jobs import backend_group  # lazy: start-up time

        return backend_group(name)
    try:
        return getattr(__import__(module, fromlist=[name]), name)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None


def _boundary_command(command: click.Command) -> click.Command:
    """A console-script alias of a subcommand, with the same boundary."""
    if isinstance(command, click.Group):
        return command
    aliased = type("BoundaryCommand", (Boundary, type(command)), {})
    aliased_command = aliased.__new__(aliased)
    aliased_command.__dict__.update(command.__dict__)
    return aliased_command


@click.group(
    "submit",
    cls=BoundaryGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="\b\nExamples:\n  submit azureml training -t Isaac-Cartpole-Direct --compute gpu-a100 --dry-run\n"
    "  submit osmo status isaaclab-training-7\n  submit config show",
)
@click.version_option(package_name="robo-submit")
def cli() -> None:
    """Render, validate, submit and run robot-learning training jobs (Azure ML, OSMO, local)."""


def main() -> None:
    cli.main(prog_name="submit")


# Console-script aliases (pyproject.toml [project.scripts]): program -> (group, command). Completion offers these.
ALIASES = {
    "submit-azureml-training": ("azureml", "training"),
    "submit-azureml-lerobot-training": ("azureml", "lerobot-training"),
    "submit-osmo-training": ("osmo", "training"),
    "submit-osmo-lerobot-training": ("osmo", "lerobot-training"),
}


def _alias(prog: str) -> None:
    group, name = ALIASES[prog]
    command = cli.get_command(click.Context(cli), group).commands[name]  # type: ignore[union-attr]
    command.context_settings.setdefault("help_option_names", ["-h", "--help"])
    _boundary_command(command).main(prog_name=prog)


def azureml_training_main() -> None:
    _alias("submit-azureml-training")


def azureml_lerobot_training_main() -> None:
    _alias("submit-azureml-lerobot-training")


def osmo_training_main() -> None:
    _alias("submit-osmo-training")


def osmo_lerobot_training_main() -> None:
    _alias("submit-osmo-lerobot-training")

"""`submit completion bash|zsh|fish`: print Click's shell-completion script."""

from __future__ import annotations

import click

from submit.cli import ALIASES

# `submit` and its console-script aliases.
PROGRAMS = ("submit", *ALIASES)

EXAMPLE = """
\b
Examples:
  submit completion bash > ~/.local/share/bash-completion/completions/submit
  eval "$(submit completion zsh)"                      (in ~/.zshrc)
  submit completion fish > ~/.config/fish/completions/submit.fish
  submit completion bash --prog-name submit-osmo-training
"""


@click.command("completion", epilog=EXAMPLE)
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.option(
    "--prog-name",
    type=click.Choice(PROGRAMS),
    default="submit",
    show_default=True,
    help="The command to complete.",
)
def completion(shell: str, prog_name: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish) on stdout."""
    from click.shell_completion import get_completion_class

    from submit.cli import cli  # the tree to complete: the group that loaded this command

    complete_var = f"_{prog_name.replace('-', '_').upper()}_COMPLETE"
    script = get_completion_class(shell)(cli, {}, prog_name, complete_var).source()
    click.echo(script)

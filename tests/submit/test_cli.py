"""The CLI's surface: every --help shows an example, completion works, the old script names still work."""

from __future__ import annotations

import subprocess

import click
import pytest

from submit.cli import cli
from tests.submit.conftest import REPO

SHIMS = {
    "submit-azureml-training.sh": ("azureml", "training"),
    "submit-azureml-lerobot-training.sh": ("azureml", "lerobot-training"),
    "submit-osmo-training.sh": ("osmo", "training"),
    "submit-osmo-lerobot-training.sh": ("osmo", "lerobot-training"),
}


def _all_commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):  # the `submit` group loads its groups on demand
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found.extend(_all_commands(command, (*path, name)))
        else:
            found.append((*path, name))
    return found


@pytest.mark.parametrize("path", _all_commands(), ids=lambda path: " ".join(path) or "submit")
def test_every_command_help_shows_an_example(run_cli, path):
    result = run_cli(*path, "--help")
    assert result.exit_code == 0, result.stderr
    assert "Example" in result.stdout
    assert "submit" in result.stdout.split("Example", 1)[1]


@pytest.mark.parametrize("path", [p for p in _all_commands() if len(p) == 2], ids=" ".join)
def test_no_command_declares_a_flag_twice(run_cli, path):
    command = cli.get_command(click.Context(cli), path[0]).get_command(click.Context(cli), path[1])
    flags = [flag for param in command.params for flag in (*param.opts, *param.secondary_opts)]
    assert sorted(flag for flag in set(flags) if flags.count(flag) > 1) == []
    result = run_cli(*path, "--help")
    assert result.stderr == ""  # Click warns on stderr about a duplicate on every invocation


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F"),
        ("zsh", "#compdef submit"),
        ("fish", "complete --no-files --command submit"),
    ],
)
def test_completion_prints_clicks_script_for_the_shell(run_cli, shell, marker):
    result = run_cli("completion", shell)
    assert result.exit_code == 0, result.stderr
    assert marker in result.stdout
    assert "_SUBMIT_COMPLETE" in result.stdout


def test_completion_for_an_alias_uses_its_own_variable(run_cli):
    result = run_cli("completion", "bash", "--prog-name", "submit-osmo-training")
    assert result.exit_code == 0
    assert "_SUBMIT_OSMO_TRAINING_COMPLETE=bash_complete" in result.stdout


def test_the_completion_script_completes_subcommands_and_flags(monkeypatch):
    from click.testing import CliRunner

    runner = CliRunner()
    words = {"COMP_WORDS": "submit azureml tr", "COMP_CWORD": "2", "_SUBMIT_COMPLETE": "bash_complete"}
    result = runner.invoke(cli, [], prog_name="submit", env=words)
    assert result.stdout.split() == ["plain,training"]
    flags = {
        "COMP_WORDS": "submit osmo training --pri",
        "COMP_CWORD": "3",
        "_SUBMIT_COMPLETE": "bash_complete",
    }
    assert runner.invoke(cli, [], prog_name="submit", env=flags).stdout.split() == ["plain,--priority"]


def test_an_unknown_shell_is_bad_input_on_one_line(run_cli):
    result = run_cli("completion", "powershell")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "submit: error: SHELL: 'powershell' is not one of 'bash', 'zsh', 'fish'\n"


@pytest.mark.parametrize("shim", sorted(SHIMS))
def test_old_script_names_exec_the_console_script_with_the_same_arguments(shim):
    result = subprocess.run([REPO / "scripts" / shim, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: {shim.removesuffix('.sh')} [OPTIONS]")


def test_a_shim_passes_arguments_untouched_and_keeps_the_exit_code(run_cli):
    args = ["-t", "Isaac-Cartpole-Direct", "--display-name", "two words; $(not run)", "--dry-run"]
    shim = subprocess.run(
        [REPO / "scripts" / "submit-azureml-training.sh", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert shim.returncode == 0, shim.stderr
    assert shim.stdout == run_cli("azureml", "training", *args, cwd=REPO).stdout
    bad = subprocess.run(
        [REPO / "scripts" / "submit-osmo-training.sh", "--num-env", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert (
        bad.stderr == "submit-osmo-training: error: No such option '--num-env'. "
        "(Did you mean one of: '--num-envs', '--num-nodes'?)\n"
    )


def test_the_alias_table_is_the_console_scripts_of_the_package():
    import tomllib

    from submit.cli import ALIASES

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert set(scripts) == {"submit", *ALIASES}
    for program, (group, command) in ALIASES.items():
        assert scripts[program] == f"submit.cli:{group}_{command.replace('-', '_')}_main"

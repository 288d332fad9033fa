"""A value that looks like a flag is never taken as the value (issue 15, item 1).

Click gives an option the next argument whatever it is, so `--metric-filter --dry-run` took --dry-run as the filter
and submitted. The boundary (submit.params.refuse_flag_values, called by submit.cli) refuses, before anything is
parsed or sent, every option value starting with '--', on every command of the tree; `--lerobot-arg`, whose values
are flags by design, takes them only as `--lerobot-arg=--x=y`. OSMO is replaced at its executable (fake_osmo).
"""

from __future__ import annotations

import click
import pytest

from submit.cli import cli
from submit.params import FlagValues, ProfileOnly, primary_flag
from tests.submit import fake_osmo

REFUSED = "its value starts with '--' (not shown): a flag is never taken as a value; give the value right after the flag"


def _commands(command: click.Command, path: tuple[str, ...] = ()):
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from _commands(command.get_command(ctx, name), (*path, name))
    else:
        yield path, command


def _value_options(command: click.Command):
    for param in command.params:
        if isinstance(param, click.Option) and not isinstance(param, ProfileOnly) and not param.is_flag and not param.count:
            yield param


CASES = [
    (path, opt, param)
    for path, command in _commands(cli)
    for param in _value_options(command)
    for opt in param.opts + param.secondary_opts
]


def test_the_tree_has_the_options_the_issue_names():
    named = {(path, opt) for path, opt, _ in CASES}
    for opt in ("--metric-filter", "--display-name", "--resource-group", "--wandb-project", "--wandb-entity"):
        assert (("azureml", "training"), opt) in named
    assert (("osmo", "lerobot-training"), "--pretrained-path") in named
    assert len(CASES) > 150


@pytest.mark.parametrize(("path", "opt", "param"), CASES, ids=[" ".join((*p, o)) for p, o, _ in CASES])
def test_a_flag_after_an_option_is_refused_naming_the_option(run_cli, path, opt, param):
    if isinstance(param, FlagValues):
        result = run_cli(*path, opt, "--policy.dim_model=8", "--dry-run")
        expected = f"{primary_flag(param)}: write its value with '=', as {opt}=--name.path=value"
    else:
        result = run_cli(*path, opt, "--dry-run")
        expected = f"{primary_flag(param)}: {REFUSED}"
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: {expected}\n"


@pytest.mark.parametrize("form", [["--display-name=--dry-run"], ["-j", "--x"], ["-j--x"], ["--job-name", "--"]])
def test_every_spelling_of_a_flag_like_value_is_refused(run_cli, form):
    result = run_cli("azureml", "training", *form, "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(("submit: error: --display-name: its value", "submit: error: --job-name: its value"))


def test_a_swallowed_dry_run_submits_nothing(run_cli, tmp_path):
    osmo = fake_osmo.install(
        tmp_path, workflow_submit=fake_osmo.submitted(), pool_list=fake_osmo.pools(), credential_list=fake_osmo.credentials()
    )
    result = run_cli("osmo", "training", "--pool", "h100", "--metric-filter", "--dry-run", env=osmo.path_env)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: --metric-filter: {REFUSED}\n"
    assert osmo.calls() == []


def test_the_console_script_aliases_refuse_too():
    from submit.cli import _boundary_command

    group = cli.get_command(click.Context(cli), "osmo")
    command = _boundary_command(group.commands["training"])
    assert command.main(["--wandb-entity", "--dry-run"], prog_name="submit-osmo-training", standalone_mode=False) == 2


def test_lerobot_args_are_taken_in_the_equals_form_and_values_after_a_flag_stay_values(run_cli):
    result = run_cli("osmo", "lerobot-training", "-d", "a/b", "--lerobot-arg=--policy.dim_model=8", "--metric-filter", "-x", "--dry-run")
    # --metric-filter is not a LeRobot flag: Click reports it, proving the scan let the equals form through.
    assert result.stderr == "submit: error: No such option '--metric-filter'.\n"
    ok = run_cli("osmo", "lerobot-training", "-d", "a/b", "--lerobot-arg=--policy.dim_model=8", "--dry-run")
    assert ok.exit_code == 0, ok.stderr
    assert '"--policy.dim_model=8"' in ok.stdout
    negative = run_cli("osmo", "training", "--seed", "-1", "--dry-run")
    assert negative.stderr == "submit: error: --seed: must be greater than or equal to 0\n"

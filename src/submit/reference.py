"""The reference scripts' command lines, here (research/anchor-inventory.md §2 lists their flags).

Their documented flags keep working, or stop with one line naming what to use instead: a flag
robo-submit does not offer is a hidden option that refuses when used, so a migrating command line
exits 2 before anything is written or submitted (never Click's "No such option ... did you mean").
Their environment variables are read where the flag is kept, except names too generic to trust,
which get a note on stderr instead. The migration notes: README.md and docs/osmo.md.
"""

from __future__ import annotations

import os
from typing import Any

import click

from submit.params import Decorator, Switch, group

COMMANDLINE = click.core.ParameterSource.COMMANDLINE


def gone(*flags: str, instead: str, is_flag: bool = False) -> Decorator:
    """A reference flag robo-submit does not offer: hidden, and refused with `instead` when used."""

    def refuse(_ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value not in (None, False):
            raise click.BadParameter(instead)

    # Its own parameter name: a profile value for a kept setting of the same name must not reach it.
    name = "refused_" + flags[-1].lstrip("-").replace("-", "_")
    return click.option(*flags, name, hidden=True, expose_value=False, is_flag=is_flag, callback=refuse)


def noop(*flags: str, note: str, is_flag: bool = False) -> Decorator:
    """A reference flag that did nothing there: hidden, accepted, and one note on stderr when used, so scripts and
    CI pipelines that pass it keep working."""

    def accept(_ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value not in (None, False, ()):
            from submit.output import say

            say(f"note: {flags[-1]} is accepted and ignored: {note}")

    name = "noop_" + flags[-1].lstrip("-").replace("-", "_")
    return click.option(*flags, name, hidden=True, expose_value=False, is_flag=is_flag, callback=accept)


NO_VAL_SPLIT = "the reference only logged it (LeRobot trains on the whole dataset)"

# submit-azureml-training.sh and submit-azureml-lerobot-training.sh
azureml_gone = group(
    gone(
        "--assets-only",
        is_flag=True,
        instead="the job's environment is registered when the job is submitted, only when it is missing "
        "or its image changed; drop --assets-only",
    ),
    gone(
        "-w",
        "--job-file",
        instead="there is no job template: the job is rendered from the flags; drop it "
        "(--dry-run prints the job, -o job.yaml writes it)",
    ),
)

# submit-osmo-training.sh and submit-osmo-lerobot-training.sh
osmo_gone = group(
    gone(
        "-w",
        "--workflow",
        instead="there is no workflow template: the workflow is rendered from the flags; drop it "
        "(--dry-run prints the workflow, -o workflow.yaml writes it)",
    ),
    gone(
        "--use-local-osmo",
        is_flag=True,
        instead="the osmo CLI found on PATH is used; put your development build first on PATH",
    ),
)

# submit-osmo-training.sh only: its code travelled as a zip unpacked in the job.
osmo_rl_gone = group(
    gone(
        "-p",
        "--payload-root",
        instead="no code archive is unpacked: the trainer is in the image, or shipped with --code-source local "
        "or url:...; drop it",
    ),
    gone(
        "--sleep-after-unpack",
        instead="no code archive is unpacked and every workflow trains; --dry-run shows the workflow without running it",
    ),
)

# submit-osmo-lerobot-training.sh and submit-azureml-lerobot-training.sh
lerobot_gone = group(
    gone(
        "--output-dir",
        instead="the trainer owns its output folder (the job's outputs); -o now writes the rendered spec to FILE; "
        "drop --output-dir",
    ),
    gone(
        "--lerobot-version",
        instead="LeRobot comes pinned in the trainer image; another version needs another -i/--image",
    ),
    noop("--val-split", note=NO_VAL_SPLIT),
    noop("--no-val-split", is_flag=True, note=NO_VAL_SPLIT),
    noop(
        "--lr-warmup-steps",
        note="the reference only logged it; LeRobot's own warmup is "
        "--lerobot-arg=--policy.scheduler_warmup_steps=N (diffusion)",
    ),
    noop(
        "--no-system-metrics",
        is_flag=True,
        note="the LeRobot trainer logs no system metrics, so there is nothing to turn off",
    ),
)


def run_smoke_test(help_text: str) -> Decorator:
    """-s/--run-smoke-test, or RUN_AZURE_SMOKE_TEST=1/true/yes/on: --mode smoke-test (smoke_test_mode)."""
    return click.option(
        "-s",
        "--run-smoke-test",
        is_flag=True,
        default=None,
        type=Switch(),
        envvar="RUN_AZURE_SMOKE_TEST",
        help=help_text,
    )


def smoke_test_mode(params: dict[str, Any], ctx: click.Context) -> dict[str, Any]:
    """Fold -s into --mode: a --mode flag beats RUN_AZURE_SMOKE_TEST, and -s with --mode train is refused."""
    from submit.errors import BadInput

    params = dict(params)
    if not params.pop("run_smoke_test"):
        return params
    if ctx.get_parameter_source("mode") == COMMANDLINE and params["mode"] != "smoke-test":
        if ctx.get_parameter_source("run_smoke_test") == COMMANDLINE:
            raise BadInput(f"--run-smoke-test: means --mode smoke-test; drop -s or --mode {params['mode']}")
        return params
    return {**params, "mode": "smoke-test"}


# Reference variables not read, with the flag that would take them and why (a note when one is set).
UNREAD_ENV = {
    "IMAGE": (
        "image",
        "too generic a name to choose what the job runs; pass -i/--image (or image in a submit.toml profile)",
    ),
    "JOB_NAME": (
        "job_name",
        "CI systems set it for their own jobs; pass -j/--job-name (or job_name in a submit.toml profile)",
    ),
    "POLICY_REPO_ID": (
        "policy_repo_id",
        "it named the Hub repo a policy was pushed to; start from a policy with --pretrained-path, "
        "push with --push-to-hub --policy-repo-id",
    ),
    "SLEEP_AFTER_UNPACK": (
        None,
        "no code archive is unpacked and the workflow trains; --dry-run shows it without running it",
    ),
}


def note_unread_env(ctx: click.Context, *names: str) -> None:
    """One note per reference variable that is set but not read (unless its setting came from elsewhere:
    the flag, a profile)."""
    from submit.output import say

    for name in names:
        flag, reason = UNREAD_ENV[name]
        given = flag and ctx.get_parameter_source(flag) not in (None, click.core.ParameterSource.DEFAULT)
        if os.environ.get(name) and not given:
            say(f"note: {name} is set but not read: {reason}")

"""The Click options, made from the settings' declarations (models/fields.py), and shared groups of them.

Commands collect these flags into nested settings data and validate them once (submit.commands.jobs.build).
Nothing here imports pydantic: `--help` stays fast. Each backend's own groups are in backends/<name>/flags.py.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import click

from submit.models import fields as f
from submit.params import Decorator, ProfileOnly, Switch, from_env, group


def rl_job_flags(task: str, num_envs: int) -> Decorator:
    """The RL job's flags; `task` and `num_envs` are the defaults the command applies when they are not given."""
    return group(
        f.TASK.option(help=f.TASK.help.format(default=task)),
        f.NUM_ENVS.option(help=f.NUM_ENVS.help.format(default=num_envs)),
        f.MAX_ITERATIONS.option(),
        f.SEED.option(),
        f.ALGORITHM.option(),
        f.RL_LIBRARY.option(),
        f.HEADLESS.option(),
        click.option("--no-headless", "headless", flag_value=False, hidden=True),
        f.MODE.option(),
        f.PHYSICS.option(),
    )


# A job's flags; a local run has no image (it runs on this machine's environment) and its own defaults.
rl_job = group(rl_job_flags("Isaac-Velocity-Rough-Anymal-C-v0", 2048), f.IMAGE.option())

checkpoint = group(f.CHECKPOINT_URI.option(), f.CHECKPOINT_MODE.option())

registration = group(f.REGISTER_CHECKPOINT.option(), f.SKIP_REGISTER_CHECKPOINT.option())

tracking = group(
    f.MLFLOW.option(),
    f.WANDB.option(),
    f.WANDB_PROJECT.option(),
    f.WANDB_ENTITY.option(),
    f.MLFLOW_LOG_INTERVAL.option(),
    f.METRIC_FILTER.option(),
    f.MLFLOW_TOKEN_RETRIES.option(),
    f.MLFLOW_HTTP_TIMEOUT.option(),
)

resources = group(f.NUM_NODES.option(), f.GPUS_PER_NODE.option())


def lerobot_resources(*more_flags: str, envvar: str | None = None) -> Decorator:
    """A LeRobot job's GPU count and precision; one node (a profile's num_nodes still reaches the model's rule).
    `more_flags` and `envvar`: a backend's own older spelling of the GPU count."""
    help_text = f.LEROBOT_GPUS_HELP.replace("[default", f"[env {envvar}; default") if envvar else f.LEROBOT_GPUS_HELP
    return group(
        f.GPUS_PER_NODE.option(flags=(*f.LEROBOT_GPU_FLAGS, *more_flags), envvar=envvar, help=help_text),
        f.MIXED_PRECISION.option(),
        click.option(*f.NUM_NODES.flags, f.NUM_NODES.name, cls=ProfileOnly, type=int, hidden=True),
    )

naming = group(f.EXPERIMENT_NAME.option(), f.JOB_NAME.option(), f.DISPLAY_NAME.option(), f.CORRELATION_ID.option())

lerobot_policy = group(
    f.DATASET_REPO_ID.option(),
    f.DATASET_REVISION.option(),
    f.POLICY_TYPE.option(),
    f.STEPS.option(),
    f.BATCH_SIZE.option(),
    f.LEARNING_RATE.option(),
    f.SAVE_FREQ.option(),
    f.EVAL_FREQ.option(),
    f.SEED.option(),
    f.PRETRAINED_PATH.option(),
    f.PUSH_TO_HUB.option(),
    f.POLICY_REPO_ID.option(),
)

blob_urls = f.BLOB_URLS.option()

lerobot_job = group(
    lerobot_policy,
    f.IMAGE.option(help="Container image (default: the LeRobot trainer image)."),
    blob_urls,
)

lerobot_data = group(
    click.option("--from-blob", is_flag=True, default=None, help="Download the dataset from Azure Blob Storage (needs --storage-account)."),
    click.option("--storage-account", envvar=["BLOB_STORAGE_ACCOUNT", "AZURE_STORAGE_ACCOUNT_NAME"], help="Storage account of --from-blob. [env BLOB_STORAGE_ACCOUNT, then AZURE_STORAGE_ACCOUNT_NAME; used only with --from-blob]"),
    click.option("--storage-container", envvar="BLOB_STORAGE_CONTAINER", help="Container of --from-blob. [env BLOB_STORAGE_CONTAINER; default datasets]"),
    click.option("--blob-prefix", envvar="BLOB_PREFIX", help="Folder of --from-blob. [env BLOB_PREFIX; default: the dataset repo id]"),
)


def _only_with_wandb(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """WANDB_PROJECT is also wandb's own variable: from the environment it counts only with W&B on."""
    if value is not None and from_env(ctx, param) and not ctx.params.get("wandb"):
        return None
    return value


# The LeRobot reference scripts' spelling first (--mlflow-enable, WANDB_ENABLE, WANDB_PROJECT).
lerobot_tracking = group(
    f.MLFLOW.option(flags=("--mlflow-enable/--mlflow-disable", "--mlflow/--no-mlflow"), help="Log to MLflow. [default on]"),
    f.WANDB.option(
        flags=("--wandb-enable/--wandb-disable", "--wandb/--no-wandb"), type=Switch(), envvar="WANDB_ENABLE",
        help=f"Also log to Weights & Biases (default off; {f.WANDB_KEY}). [env WANDB_ENABLE]",
    ),
    f.WANDB_PROJECT.option(
        envvar="WANDB_PROJECT", callback=_only_with_wandb,
        help="Weights & Biases project (needs --wandb-enable). [env WANDB_PROJECT, read only with --wandb-enable]",
    ),
    f.WANDB_ENTITY.option(help="Weights & Biases entity (needs --wandb-enable)."),
    f.MLFLOW_TOKEN_RETRIES.option(),
    f.MLFLOW_HTTP_TIMEOUT.option(),
)

lerobot_registration = group(
    f.REGISTER_CHECKPOINT.option(
        flags=("-r", "--register-model", "--register-checkpoint"),
        help="Registered model name for the final checkpoint. [env REGISTER_CHECKPOINT; default: from policy and dataset]",
    ),
    f.SKIP_REGISTER_CHECKPOINT.option(),
)

lerobot_args = f.LEROBOT_ARG.option()

# ---- evaluation: a trained model on its task; what the version's tags give is not asked for -------------

evaluation_model = group(
    f.MODEL.option(),
    f.TASK.option(envvar=None, help="Task or gymnasium id. [default: the model version's task tag]"),
    f.EPISODES.option(),
    f.NUM_ENVS.option(envvar=None, help="Parallel environments. [default 1]"),
    f.SEED.option(),
    f.RL_LIBRARY.option(envvar=None, help="RL library that trained it: skrl or rsl_rl. [default: the version's tag]"),
    f.ALGORITHM.option(help="Algorithm that trained it: ppo or sac. [default: the version's tag]"),
    f.HEADLESS.option(),
    f.PHYSICS.option(),
)

promotion = group(f.PROMOTE.option(), f.GATE.option(), f.EXPORT.option(), f.VIDEO_EPISODES.option())

# Any of these makes it a LeRobot policy's evaluation, run in the LeRobot image (the trainer's rule).
evaluation_lerobot = group(
    f.DATASET_REPO_ID.option(envvar=None, help="LeRobot: the dataset whose held-out episodes the policy is evaluated on."),
    f.HELDOUT_EPISODES.option(),
    f.LEROBOT_ENV.option(),
)

evaluation_job = group(
    evaluation_model,
    promotion,
    evaluation_lerobot,
    f.IMAGE.option(help="Container image (default: the trainer image of the model's library: RL, or LeRobot with a LeRobot flag)."),
)

evaluation_tracking = group(
    f.MLFLOW.option(help="Log the evaluation to MLflow and tag the version (default on; needed by --promote)."),
    f.MLFLOW_TOKEN_RETRIES.option(),
    f.MLFLOW_HTTP_TIMEOUT.option(),
)

evaluation_gpus = f.GPUS_PER_NODE.option(help="GPUs: 1, or 0 for a CPU evaluation. [default 1]")

BLOB_FLAGS = ("from_blob", "storage_account", "storage_container", "blob_prefix")


def blob_dataset_urls(params: dict[str, Any], ctx: click.Context) -> tuple[str, ...]:
    """--blob-url values plus the folder --from-blob names. Blob flags mean nothing without --from-blob:
    set on the command line they are an error, from the environment they are ignored (reference defect W9)."""
    from submit.errors import BadInput

    urls = tuple(params.get("blob_urls") or ())
    if not params.get("from_blob"):
        for name in BLOB_FLAGS[1:]:
            if params.get(name) is not None and ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE:
                raise BadInput(f"--{name.replace('_', '-')}: only used with --from-blob; add --from-blob or drop it")
        return urls
    account, container = params.get("storage_account"), params.get("storage_container")
    container = "datasets" if container is None else container
    prefix = params.get("blob_prefix")
    prefix = (params.get("dataset_repo_id") or "" if prefix is None else prefix).strip("/")
    if not account:
        raise BadInput("--from-blob: needs --storage-account (or BLOB_STORAGE_ACCOUNT)")
    if not re.fullmatch(r"[a-z0-9]{3,24}", account):
        raise BadInput("--storage-account: must be 3-24 lower-case letters and digits")
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}", container):
        raise BadInput("--storage-container: must be 3-63 lower-case letters, digits and single '-'")
    if not prefix:
        raise BadInput("--from-blob: needs --blob-prefix or --dataset-repo-id to name the folder")
    if not re.fullmatch(r"[A-Za-z0-9._~/-]+", prefix):
        raise BadInput("--blob-prefix: must be a folder path of letters, digits and . _ ~ - /")
    return (*urls, f"https://{params['storage_account']}.blob.core.windows.net/{container}/{prefix}")


def _install_defaults(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    from submit import sources  # the profile and config files are read on first use, never for --help

    return sources.install(ctx, param, value)


# Where values come from when no flag or environment variable gives them (submit.sources).
profile = group(
    click.option("--profile", envvar="SUBMIT_PROFILE", is_eager=True, callback=_install_defaults, help="Profile [profile.NAME] of submit.toml (cwd or user config dir) on top of its [default]. [env SUBMIT_PROFILE]"),
)

def terraform_dir(values: str = "workspace, compute, Key Vault") -> Decorator:
    return click.option(
        "--terraform-dir", envvar="SUBMIT_TERRAFORM_DIR", type=click.Path(exists=True, file_okay=False),
        help=f"Read values still missing ({values}) from `terraform output` here. [env SUBMIT_TERRAFORM_DIR]",
    )


resolution = group(profile, terraform_dir())

SPEC_SUFFIXES = (".yaml", ".yml")


def _spec_file(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """-o names the spec file; a folder is the reference's -o/--output-dir, refused before anything is written."""
    if value is None:
        return value
    path = Path(value)
    if value.endswith(("/", os.sep)) or path.is_dir():
        problem = f"{value!r} is a folder"
    elif path.suffix.lower() not in SPEC_SUFFIXES:
        problem = f"{value!r} is not a .yaml or .yml file name"
    else:
        return value
    raise click.BadParameter(
        f"{problem}; -o writes the rendered spec to a FILE such as job.yaml "
        "(the trainer owns the job's output folder: the reference's -o/--output-dir is gone)"
    )


output_format = click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="json: one JSON object on stdout.")

def output(checks: str, terraform: str) -> Decorator:
    """How a job command emits and submits; `checks` is what its preflight checks, `terraform` what
    --terraform-dir fills (each backend says its own: Texts.preflight, Texts.terraform)."""
    return group(
        click.option("--dry-run", is_flag=True, help="Print the spec (or write it with -o) and submit nothing (no credentials, no network)."),
        click.option(
            "-o",
            "--output",
            "output_file",
            type=click.Path(writable=True),
            metavar="FILE",
            callback=_spec_file,
            help="Write the spec to FILE (.yaml or .yml) instead of stdout; --output-format json still prints its object.",
        ),
        output_format,
        click.option("--stream", is_flag=True, help="Stream the job's logs after submission."),
        click.option(
            "--wait", is_flag=True,
            help="Wait for the job to end, saying each status change on stderr: exit 0 when it succeeds, 1 when it fails "
            "or is cancelled, 3 when an evaluation ran but a --gate did not hold, 130 on Ctrl-C (the job keeps running).",
        ),
        click.option("--preflight/--no-preflight", default=True, help=f"Check {checks} before submitting. [default on]"),
        profile,
        terraform_dir(terraform),
    )


# Parameters that fill no settings field: how to emit, where values come from, what --from-blob builds.
NOT_SETTINGS = {"dry_run", "output_file", "output_format", "stream", "wait", "preflight", "profile", "terraform_dir", *BLOB_FLAGS}

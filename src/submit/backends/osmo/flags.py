"""The flag groups of OSMO's commands, made from its declarations (fields.py) and the shared groups."""

from __future__ import annotations

from pathlib import Path

import click

from submit import flags, reference
from submit.backends.osmo import fields as o
from submit.models import fields as f
from submit.params import Decorator, group

resources = group(
    f.NUM_NODES.option(help="Nodes; more than one renders a group with one lead and torchrun. [default 1]"),
    f.GPUS_PER_NODE.option(flags=("--gpus-per-node", "--gpu"), envvar="OSMO_GPU", help="GPUs (training processes) per node. [env OSMO_GPU; default 1]"),
)


def naming_flags(experiment_envvar: str | None = None) -> Decorator:
    """The workflow's names; the LeRobot reference script read EXPERIMENT_NAME, the RL one nothing."""
    env = f" [env {experiment_envvar}]" if experiment_envvar else ""
    return group(
        f.EXPERIMENT_NAME.option(envvar=experiment_envvar, help=f"MLflow experiment name.{env}"),
        f.JOB_NAME.option(help="Workflow name (OSMO appends a number). [default isaaclab-training / lerobot-training]"),
        f.CORRELATION_ID.option(help="Id tying the workflow to what started it (a CI run id): an MLflow tag of its run and model version."),
    )


placement = group(o.POOL.option(), o.PRIORITY.option())

target = group(
    placement,
    o.CPU.option(),
    o.MEMORY.option(),
    o.STORAGE.option(),
    o.EXEC_TIMEOUT.option(),
    o.QUEUE_TIMEOUT.option(),
    o.OUTPUT_URL.option(),
    o.MLFLOW_TRACKING_URI.option(),
    *(setting.option() for setting in o.WORKSPACE),
    o.MLFLOW_CREDENTIAL.option(),
    o.WANDB_CREDENTIAL.option(),
    o.CODE_SOURCE.option(),
)

code_dir = click.option(
    "--code-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --code-source local: the folder holding training/ to ship. [default: the trainer of this CLI]",
)

# Each job command's flags, in --help order (the shared output group comes after).
JOB_FLAGS = {
    "training": group(
        flags.rl_job,
        reference.run_smoke_test("Same as --mode smoke-test: the job checks tracking and storage instead of training. [env RUN_AZURE_SMOKE_TEST]"),
        flags.checkpoint,
        flags.registration,
        flags.tracking,
        resources,
        naming_flags(),
        target,
        code_dir,
    ),
    "lerobot-training": group(
        flags.lerobot_job,
        flags.lerobot_args,
        flags.checkpoint,
        flags.lerobot_registration,
        flags.lerobot_tracking,
        flags.lerobot_data,
        naming_flags("EXPERIMENT_NAME"),
        target,
        o.HF_CREDENTIAL.option(),
        # The task's GPU request follows the count; --gpu and OSMO_GPU are the reference's OSMO spelling.
        flags.lerobot_resources("--gpu", envvar="OSMO_GPU"),
        code_dir,
    ),
    "evaluation": group(
        flags.evaluation_job,
        flags.evaluation_tracking,
        flags.evaluation_gpus,
        naming_flags(),
        target,
        o.HF_CREDENTIAL.option(),
        code_dir,
    ),
}
GONE = {
    "training": group(reference.osmo_gone, reference.osmo_rl_gone),
    "lerobot-training": group(reference.osmo_gone, reference.lerobot_gone),
    "evaluation": group(),
}

# status, logs and cancel need nothing but the workflow id (the osmo CLI holds the login).
TRACK_FLAGS = group()
CONFIG_FLAGS = placement

"""Shared option groups, defined once (STYLE.md 7), and the map from flags to settings fields.

Every option names the settings field it fills in `PATHS`; a command collects its flags
into nested data with `nest`, and errors from the settings model are reported against
the flag with `flag_for`. Nothing here imports pydantic: `--help` stays fast.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

CHECKPOINT_MODE_CHOICES = ("from-scratch", "warm-start", "resume", "fresh")

# Click parameter name -> dotted path in the settings model.
PATHS: dict[str, str] = {
    "task": "job.task",
    "num_envs": "job.num_envs",
    "max_iterations": "job.max_iterations",
    "seed": "job.seed",
    "algorithm": "job.algorithm",
    "headless": "job.headless",
    "mode": "job.mode",
    "physics": "job.physics",
    "image": "job.image",
    "checkpoint_uri": "job.checkpoint.uri",
    "checkpoint_mode": "job.checkpoint.mode",
    "register_checkpoint": "job.registration.name",
    "skip_register_checkpoint": "job.registration.skip",
    "mlflow": "job.tracking.mlflow",
    "wandb": "job.tracking.wandb",
    "wandb_project": "job.tracking.wandb_project",
    "wandb_entity": "job.tracking.wandb_entity",
    "mlflow_log_interval": "job.tracking.log_interval",
    "metric_filter": "job.tracking.metric_filter",
    "mlflow_token_retries": "job.tracking.token_retries",
    "mlflow_http_timeout": "job.tracking.http_timeout",
    "num_nodes": "job.resources.num_nodes",
    "gpus_per_node": "job.resources.gpus_per_node",
    "dataset_repo_id": "job.dataset_repo_id",
    "policy_type": "job.policy_type",
    "pretrained_path": "job.pretrained_path",
    "steps": "job.steps",
    "batch_size": "job.batch_size",
    "learning_rate": "job.learning_rate",
    "save_freq": "job.save_freq",
    "eval_freq": "job.eval_freq",
    "push_to_hub": "job.push_to_hub",
    "policy_repo_id": "job.policy_repo_id",
    "lerobot_arg": "job.extra_args",
    "blob_urls": "job.blob_urls",
    "experiment_name": "job.naming.experiment_name",
    "job_name": "job.naming.job_name",
    "display_name": "job.naming.display_name",
    "subscription_id": "target.subscription_id",
    "resource_group": "target.resource_group",
    "workspace_name": "target.workspace_name",
    "compute": "target.compute",
    "instance_type": "target.instance_type",
    "environment_name": "target.environment_name",
    "environment_version": "target.environment_version",
    "key_vault_uri": "target.key_vault_uri",
    # OSMO (submit.commands.osmo)
    "pool": "target.pool",
    "priority": "target.priority",
    "cpu": "target.cpu",
    "memory": "target.memory",
    "storage": "target.storage",
    "exec_timeout": "target.exec_timeout",
    "queue_timeout": "target.queue_timeout",
    "output_url": "target.output_url",
    "mlflow_tracking_uri": "target.mlflow_tracking_uri",
    "mlflow_credential": "target.mlflow_credential",
    "wandb_credential": "target.wandb_credential",
    "hf_credential": "target.hf_credential",
    "code_source": "target.code_source",
}

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


def from_env(ctx: click.Context, param: click.Parameter) -> bool:
    """Whether the parameter's value came from its environment variable."""
    return param.name is not None and ctx.get_parameter_source(param.name) == click.core.ParameterSource.ENVIRONMENT


def group(*decorators: Decorator) -> Decorator:
    """Apply option decorators in the order they are listed (as they appear in --help)."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


rl_job_rest = group(
    click.option("-m", "--max-iterations", type=int, envvar="MAX_ITERATIONS", help="Training iterations. [env MAX_ITERATIONS; default: the agent config's]"),
    click.option("--seed", type=int, help="Random seed. [default 42]"),
    click.option("--algorithm", type=click.Choice(["ppo", "sac"], case_sensitive=False), help="skrl algorithm. [default ppo]"),
    click.option("--headless/--gui", "headless", default=None, help="Run the simulator without a window (default) or with one."),
    click.option("--no-headless", "headless", flag_value=False, hidden=True),
    click.option("--mode", type=click.Choice(["train", "smoke-test"]), help="train (default), or smoke-test: check tracking and storage, then exit."),
    click.option("--physics", help="Isaac Lab 3 preset(s), comma-separated, e.g. newton_mjwarp. [default: the task's own]"),
)


def rl_job_flags(task: str, num_envs: int) -> Decorator:
    """The RL job's flags; `task` and `num_envs` are the defaults the command applies when they are not given."""
    return group(
        click.option("-t", "--task", envvar="TASK", help=f"Isaac Lab task or gymnasium id. [env TASK; default {task}]"),
        click.option("-n", "--num-envs", type=int, envvar="NUM_ENVS", help=f"Parallel environments. [env NUM_ENVS; default {num_envs}]"),
        rl_job_rest,
    )


# A job's flags; a local run has no image (it runs on this machine's environment) and its own defaults.
rl_job = group(
    rl_job_flags("Isaac-Velocity-Rough-Anymal-C-v0", 2048),
    click.option("-i", "--image", help="Container image (default: the backend's trainer image)."),
)

checkpoint = group(
    click.option("-c", "--checkpoint-uri", envvar="CHECKPOINT_URI", help="runs:/<run-id>/<path>, models:/<name>/<version>, models:/<name>@<alias>, or a path. [env CHECKPOINT_URI]"),
    click.option(
        "-M",
        "--checkpoint-mode",
        envvar="CHECKPOINT_MODE",
        type=click.Choice(CHECKPOINT_MODE_CHOICES, case_sensitive=False),
        help="from-scratch (default) and fresh load nothing; warm-start loads weights; resume continues optimizer and timestep. [env CHECKPOINT_MODE]",
    ),
)

registration = group(
    click.option("-r", "--register-checkpoint", "--register-model", "register_checkpoint", envvar="REGISTER_CHECKPOINT", help="Registered model name for the final checkpoint. [env REGISTER_CHECKPOINT; default: derived from the task]"),
    click.option("--skip-register-checkpoint", is_flag=True, default=None, help="Do not register the trained checkpoint."),
)

WANDB_KEY = "the key: the job's secret store, or WANDB_API_KEY / `wandb login` for a local run"

tracking = group(
    click.option("--mlflow/--no-mlflow", "--mlflow-enable/--mlflow-disable", default=None, help="Log to MLflow (default on)."),
    click.option("--wandb/--no-wandb", "--wandb-enable/--wandb-disable", default=None, help=f"Also log to Weights & Biases (default off; {WANDB_KEY})."),
    click.option("--wandb-project", help="Weights & Biases project (needs --wandb)."),
    click.option("--wandb-entity", help="Weights & Biases entity (needs --wandb)."),
    click.option("--mlflow-log-interval", help="step | balanced | rollout | N updates. [default balanced]"),
    click.option("--metric-filter", multiple=True, help="Only log metrics whose name contains this text (repeatable)."),
    click.option("--mlflow-token-retries", type=int, envvar="MLFLOW_TRACKING_TOKEN_REFRESH_RETRIES", help="MLflow token refresh retries. [env MLFLOW_TRACKING_TOKEN_REFRESH_RETRIES; default 3]"),
    click.option("--mlflow-http-timeout", type=int, envvar="MLFLOW_HTTP_REQUEST_TIMEOUT", help="MLflow HTTP timeout in seconds. [env MLFLOW_HTTP_REQUEST_TIMEOUT; default 60]"),
)

resources = group(
    click.option("--num-nodes", type=int, help="Nodes. [default 1]"),
    click.option("--gpus-per-node", type=int, help="GPUs (training processes) per node. [default 1]"),
)

naming = group(
    click.option("--experiment-name", help="Experiment name."),
    click.option("-j", "--job-name", help="Job name (unique in the workspace)."),
    click.option("--display-name", help="Display name."),
)

azure_workspace = group(
    click.option("--subscription-id", envvar="AZURE_SUBSCRIPTION_ID", help="Azure subscription. [env AZURE_SUBSCRIPTION_ID]"),
    click.option("--resource-group", envvar="AZURE_RESOURCE_GROUP", help="Resource group. [env AZURE_RESOURCE_GROUP]"),
    click.option("--workspace-name", envvar="AZUREML_WORKSPACE_NAME", help="Azure ML workspace. [env AZUREML_WORKSPACE_NAME]"),
)

azure = group(
    azure_workspace,
    click.option("--compute", envvar="AZUREML_COMPUTE", help="Compute target. [env AZUREML_COMPUTE]"),
    click.option("--instance-type", help="Instance type on Kubernetes compute, or a VM size without --compute (serverless). [default gpuspot with --compute]"),
    click.option("--environment-name", help="Registered environment name (default: the robo-submit trainer environment, azureml:robo-isaaclab-skrl:0.1.0 or azureml:robo-lerobot:0.1.0)."),
    click.option("--environment-version", help="Version of --environment-name (needs it). [default 1; without --environment-name: the trainer environment's 0.1.0]"),
    click.option("--key-vault-uri", envvar="AZUREML_KEY_VAULT_URI", help="Key Vault the job reads secrets from with its managed identity. [env AZUREML_KEY_VAULT_URI]"),
)

lerobot_policy = group(
    click.option("-d", "--dataset-repo-id", "--dataset", "dataset_repo_id", envvar="DATASET_REPO_ID", help="Dataset repo id on the Hub, e.g. lerobot/aloha_sim_insertion_human. [env DATASET_REPO_ID]"),
    click.option("-p", "--policy-type", "--policy", "policy_type", type=click.Choice(["act", "diffusion"], case_sensitive=False), envvar="POLICY_TYPE", help="Policy. [env POLICY_TYPE; default act]"),
    click.option("--steps", "--training-steps", "steps", type=int, envvar="TRAINING_STEPS", help="Training steps. [env TRAINING_STEPS; default 100000]"),
    click.option("--batch-size", type=int, envvar="BATCH_SIZE", help="Batch size. [env BATCH_SIZE; default 8]"),
    click.option("--learning-rate", type=float, envvar="LEARNING_RATE", help="Learning rate. [env LEARNING_RATE; default: the policy's]"),
    click.option("--save-freq", type=int, envvar="SAVE_FREQ", help="Steps between checkpoints. [env SAVE_FREQ; default 5000]"),
    click.option("--eval-freq", type=int, envvar="EVAL_FREQ", help="Steps between evaluations, 0 for none. [env EVAL_FREQ; default 0]"),
    click.option("--seed", type=int, help="Random seed. [default 42]"),
    click.option("--pretrained-path", help="Pretrained policy to start from (a real warm start: weights, fresh optimizer)."),
    click.option("--push-to-hub/--no-push-to-hub", default=None, help="Push the trained policy to the Hugging Face Hub. [default off]"),
    click.option("--policy-repo-id", help="Hub repo the policy is pushed to; needs --push-to-hub (never pushes on its own)."),
)

blob_urls = click.option("--blob-url", "blob_urls", multiple=True, help="https:// URL of a dataset file or folder to download before training (repeatable).")

lerobot_job = group(
    lerobot_policy,
    click.option("-i", "--image", help="Container image (default: the LeRobot trainer image)."),
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


lerobot_tracking = group(
    click.option("--mlflow-enable/--mlflow-disable", "--mlflow/--no-mlflow", "mlflow", default=None, help="Log to MLflow. [default on]"),
    click.option("--wandb-enable/--wandb-disable", "--wandb/--no-wandb", "wandb", type=Switch(), default=None, envvar="WANDB_ENABLE", help=f"Also log to Weights & Biases (default off; {WANDB_KEY}). [env WANDB_ENABLE]"),
    click.option("--wandb-project", envvar="WANDB_PROJECT", callback=_only_with_wandb, help="Weights & Biases project (needs --wandb-enable). [env WANDB_PROJECT, read only with --wandb-enable]"),
    click.option("--wandb-entity", help="Weights & Biases entity (needs --wandb-enable)."),
    click.option("--mlflow-token-retries", type=int, envvar="MLFLOW_TRACKING_TOKEN_REFRESH_RETRIES", help="MLflow token refresh retries. [env MLFLOW_TRACKING_TOKEN_REFRESH_RETRIES; default 3]"),
    click.option("--mlflow-http-timeout", type=int, envvar="MLFLOW_HTTP_REQUEST_TIMEOUT", help="MLflow HTTP timeout in seconds. [env MLFLOW_HTTP_REQUEST_TIMEOUT; default 60]"),
)

lerobot_registration = group(
    click.option("-r", "--register-model", "--register-checkpoint", "register_checkpoint", envvar="REGISTER_CHECKPOINT", help="Registered model name for the final checkpoint. [env REGISTER_CHECKPOINT; default: from policy and dataset]"),
    click.option("--skip-register-checkpoint", is_flag=True, default=None, help="Do not register the trained checkpoint."),
)

lerobot_args = click.option(
    "--lerobot-arg", multiple=True, help="Extra lerobot-train argument such as --policy.dim_model=64 (repeatable)."
)

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


osmo_resources = group(
    click.option("--num-nodes", type=int, help="Nodes; more than one renders a group with one lead and torchrun. [default 1]"),
    click.option("--gpus-per-node", "--gpu", "gpus_per_node", type=int, envvar="OSMO_GPU", help="GPUs (training processes) per node. [env OSMO_GPU; default 1]"),
)

def osmo_naming_flags(experiment_envvar: str | None = None) -> Decorator:
    """The workflow's names; the LeRobot reference script read EXPERIMENT_NAME, the RL one nothing."""
    env = f" [env {experiment_envvar}]" if experiment_envvar else ""
    return group(
        click.option("--experiment-name", envvar=experiment_envvar, help=f"MLflow experiment name.{env}"),
        click.option("-j", "--job-name", help="Workflow name (OSMO appends a number). [default isaaclab-training / lerobot-training]"),
    )


osmo_naming = osmo_naming_flags()
osmo_lerobot_naming = osmo_naming_flags("EXPERIMENT_NAME")

osmo_placement = group(
    click.option("--pool", envvar="OSMO_POOL", help="OSMO pool. [env OSMO_POOL; default: the osmo profile's pool]"),
    click.option("--priority", type=click.Choice(["HIGH", "NORMAL", "LOW"], case_sensitive=False), callback=lambda _c, _p, v: v.upper() if v else v, help="Workflow priority; LOW can be preempted. [default NORMAL]"),
)

osmo = group(
    osmo_placement,
    click.option("--cpu", type=int, envvar="OSMO_CPU", help="CPUs per node. [env OSMO_CPU; default 30 (RL) / 8 (LeRobot)]"),
    click.option("--memory", envvar="OSMO_MEMORY", help="Memory per node, binary units such as 400Gi. [env OSMO_MEMORY; default 400Gi / 48Gi]"),
    click.option("--storage", envvar="OSMO_STORAGE", help="Disk per node, binary units such as 200Gi. [env OSMO_STORAGE; default 200Gi / 80Gi]"),
    click.option("--exec-timeout", help="Longest run time, one unit: 30m, 23h, 2d. [default 23h / 12h]"),
    click.option("--queue-timeout", help="Longest wait in the queue, e.g. 6h. [default: the pool's]"),
    click.option("--output-url", help="Upload the lead's output folder (checkpoints) here: s3://, gs://, azure://account/container/... ."),
    click.option("--mlflow-tracking-uri", help="MLflow tracking server the job logs to (https://, azureml://, databricks)."),
    click.option("--mlflow-credential", help="Stored OSMO credential with the MLflow token: NAME or NAME:KEY (key mlflow_tracking_token)."),
    click.option("--wandb-credential", help="Stored OSMO credential with the W&B key: NAME or NAME:KEY. [default wandb:wandb_api_key with --wandb]"),
    click.option(
        "--code-source",
        help="image (default): the trainer in the image; local: ship training/ inside the spec (256 KiB per file, "
        "768 KiB in all); url:<storage URL>: a folder holding training/, downloaded as an input.",
    ),
)

def _install_defaults(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    from submit import resolve  # the profile and config files are read on first use, never for --help

    return resolve.install(ctx, param, value)


# Where values come from when no flag or environment variable gives them (submit.resolve).
profile = group(
    click.option("--profile", envvar="SUBMIT_PROFILE", is_eager=True, callback=_install_defaults, help="Profile [profile.NAME] of submit.toml (cwd or user config dir) on top of its [default]. [env SUBMIT_PROFILE]"),
)

resolution = group(
    profile,
    click.option("--terraform-dir", envvar="SUBMIT_TERRAFORM_DIR", type=click.Path(exists=True, file_okay=False), help="Read values still missing (workspace, compute, Key Vault) from `terraform output` here. [env SUBMIT_TERRAFORM_DIR]"),
)

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


output = group(
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
    click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="json: one JSON object on stdout."),
    click.option("--stream", is_flag=True, help="Stream the job's logs after submission."),
    click.option("--preflight/--no-preflight", default=True, help="Check workspace, compute, checkpoint and credentials before submitting. [default on]"),
    resolution,
)

NOT_SETTINGS = {"dry_run", "output_file", "output_format", "stream", "preflight", "profile", "terraform_dir", *BLOB_FLAGS}


def nest(params: dict[str, Any]) -> dict[str, Any]:
    """Flat Click parameters -> nested settings data, leaving out what was not given."""
    data: dict[str, Any] = {}
    for name, value in params.items():
        if name in NOT_SETTINGS or value is None or value == ():
            continue
        node = data
        *parents, leaf = PATHS[name].split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


def param_for(path: str, command: click.Command) -> click.Parameter | None:
    """The option that fills a settings path, e.g. job.checkpoint.uri -> the --checkpoint-uri option."""
    names = {p.name: p for p in command.params}
    return next((names[name] for name, dotted in PATHS.items() if dotted == path and name in names), None)


def flag_for(path: str, command: click.Command) -> str:
    """The flag that fills a settings path, e.g. job.checkpoint.uri -> --checkpoint-uri."""
    param = param_for(path, command)
    return primary_flag(param) if param is not None else path


def primary_flag(param: click.Parameter) -> str:
    """The first long name an option was declared with: --task for (-t, --task)."""
    return next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])

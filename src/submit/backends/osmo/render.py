"""OSMO workflows, as dicts. Pure: the same settings (and code files) give the same dict (STYLE.md 3).

The spec is fully resolved: no Jinja and no `default-values`, so a boolean can never turn
into the truthy text "false" (research §1.7). What remains for the server are OSMO's
special tokens, written without spaces: `{{output}}`, `{{host:TASK}}`, `{{input:0}}`.
"""

from __future__ import annotations

import base64
import copy
import posixpath
from dataclasses import dataclass
from typing import Any

from submit.backends.osmo.target import OsmoSubmission
from submit.models.jobs import image_kind
from submit.templates import load_template
from submit.trainer_contract import trainer_command, trainer_env, trainer_image, trainer_kind

OUTPUT_BINDING = "{{output}}"
# `--code-source local` writes training/ here; PYTHONPATH puts it before the image's copy.
CODE_ROOT = "/opt/robo-submit/code"
MASTER_PORT = "29500"
NODE_TASK = "node"
EVALUATION_TASK = "evaluate"  # an evaluation's one task

# Stored OSMO credential -> (environment variable in the container, default payload key).
CREDENTIALS = {
    "mlflow": ("MLFLOW_TRACKING_TOKEN", "mlflow_tracking_token"),
    "wandb": ("WANDB_API_KEY", "wandb_api_key"),
    "hf": ("HF_TOKEN", "hf_token"),
}
DEFAULT_WANDB_CREDENTIAL = "wandb"

Settings = OsmoSubmission


@dataclass(frozen=True)
class CodeFile:
    """One trainer source file shipped in the spec: its path under training/'s parent, and bytes."""

    path: str
    data: bytes


def render_osmo(settings: OsmoSubmission, *, code: tuple[CodeFile, ...] = ()) -> dict[str, Any]:
    """The workflow of any job kind. `code` is shipped only with --code-source local."""
    job, target = settings.job, settings.target
    kind = trainer_kind(job)
    defaults = load_template("osmo/defaults.yaml")[_defaults_key(job)]
    spec = copy.deepcopy(load_template("osmo/workflow.yaml"))
    workflow = spec["workflow"]
    workflow["name"] = job.naming.job_name or defaults["name"]
    workflow["pool"] = target.pool
    workflow["resources"]["default"] = _resources(settings, defaults)
    workflow["timeout"] = {
        "exec_timeout": target.exec_timeout or defaults["exec_timeout"],
        "queue_timeout": target.queue_timeout,
    }
    nodes = job.resources.num_nodes
    tasks = [_task(settings, kind, code, rank) for rank in range(nodes)]
    if kind == "evaluate":
        tasks[0]["name"] = EVALUATION_TASK
    if nodes == 1:
        workflow["tasks"] = tasks
    else:
        group = copy.deepcopy(load_template("osmo/group.yaml"))
        group["name"] = "training"
        group["tasks"] = tasks
        workflow["groups"] = [group]
    return _prune(spec)


def _defaults_key(job: Any) -> str:
    """The job kind's defaults in osmo/defaults.yaml: rl, lerobot, rl-evaluation, lerobot-evaluation."""
    return image_kind(job) + ("-evaluation" if job.kind == "evaluation" else "")


def task_names(nodes: int) -> list[str]:
    """Task names: one `train` task, or `node-0` (the lead) to `node-N-1`."""
    return ["train"] if nodes == 1 else [f"{NODE_TASK}-{rank}" for rank in range(nodes)]


def code_files(code: tuple[CodeFile, ...]) -> list[dict[str, Any]]:
    """`files:` entries, base64 so that OSMO's Jinja pass and YAML never touch the source text."""
    return [
        {
            "path": f"{CODE_ROOT}/{f.path}",
            "base64": True,
            "contents": base64.b64encode(f.data).decode("ascii"),
        }
        for f in sorted(code, key=lambda f: f.path)
    ]


def _resources(settings: Settings, defaults: dict[str, Any]) -> dict[str, Any]:
    target = settings.target
    return {
        "cpu": target.cpu or defaults["resources"]["cpu"],
        "gpu": settings.job.resources.gpus_per_node,
        "memory": target.memory or defaults["resources"]["memory"],
        "storage": target.storage or defaults["resources"]["storage"],
    }


def _task(settings: Settings, kind: str, code: tuple[CodeFile, ...], rank: int) -> dict:
    job, target = settings.job, settings.target
    nodes = job.resources.num_nodes
    lead = rank == 0
    task = copy.deepcopy(load_template("osmo/task.yaml"))
    task["name"] = task_names(nodes)[rank]
    task["lead"] = True if nodes > 1 and lead else None
    task["image"] = job.image or trainer_image(image_kind(job))
    task["command"] = _command(settings, kind, rank)
    # The image the job runs in, for its run metadata (the trainer tags runs and versions with it).
    task["environment"] = {**task["environment"], **_environment(settings), "ROBO_IMAGE": task["image"]}
    # Rank 0 (on the lead) is the only process that tracks, registers and writes the output folder.
    task["credentials"] = _credentials(settings) if lead else None
    task["outputs"] = [{"url": target.output_url}] if lead and target.output_url else None
    code_url = _code_url(target.code_source)
    task["inputs"] = [{"url": code_url}] if code_url else None
    task["files"] = code_files(code) if target.code_source == "local" and code else None
    return task


def _command(settings: Settings, kind: str, rank: int) -> list[str]:
    """The trainer's one command; torchrun in front of it when more than one process runs."""
    command = trainer_command(kind, OUTPUT_BINDING)
    res = settings.job.resources
    if (res.num_nodes == 1 and res.processes_per_node == 1) or kind == "lerobot":
        return command  # LeRobot: the trainer starts its processes itself (accelerate launch)
    if res.num_nodes == 1:
        launcher = [
            "torchrun",
            "--standalone",
            "--nnodes",
            "1",
            "--nproc_per_node",
            str(res.processes_per_node),
        ]
    else:
        launcher = [
            "torchrun",
            "--nnodes", str(res.num_nodes),
            "--nproc_per_node", str(res.processes_per_node),
            "--node_rank", str(rank),
            "--master_addr", f"{{{{host:{task_names(res.num_nodes)[0]}}}}}",
            "--master_port", MASTER_PORT,
        ]  # fmt: skip
    # `python -m training ...` becomes `torchrun ... -m training ...`: the same module and arguments.
    return [*launcher, *command[1:]]


def _environment(settings: Settings) -> dict[str, str]:
    target = settings.target
    env = trainer_env(settings.job, target)
    if target.mlflow_tracking_uri and settings.job.tracking.mlflow:  # a profile's URI stays out of --no-mlflow jobs
        env["MLFLOW_TRACKING_URI"] = target.mlflow_tracking_uri
    elif target.workspace and settings.job.tracking.mlflow:
        # The job looks the workspace's tracking URI up with its identity (training/workspace.py): a dry run and a
        # submission render the same spec, and no credential of the user's is needed at submission.
        env.update(target.workspace)
    url = _code_url(target.code_source)
    if target.code_source == "local":
        env["PYTHONPATH"] = CODE_ROOT
    elif url:
        # OSMO may place the download in {{input:0}} or in a folder named after the URL's last part.
        env["PYTHONPATH"] = f"{{{{input:0}}}}:{{{{input:0}}}}/{posixpath.basename(url.rstrip('/'))}"
    return env


def _credentials(settings: Settings) -> dict[str, dict[str, str]] | None:
    job, target = settings.job, settings.target
    wanted = {
        "mlflow": target.mlflow_credential if job.tracking.mlflow else None,
        "wandb": target.wandb_credential or (DEFAULT_WANDB_CREDENTIAL if job.tracking.wandb else None),
        "hf": target.hf_credential,
    }
    credentials: dict[str, dict[str, str]] = {}
    for purpose, ref in wanted.items():
        if not ref:
            continue
        name, _, key = ref.partition(":")
        env, default_key = CREDENTIALS[purpose]
        credentials.setdefault(name, {})[env] = key or default_key
    return credentials or None


def _code_url(code_source: str) -> str | None:
    return code_source[len("url:") :] if code_source.startswith("url:") else None


def _prune(value: Any) -> Any:
    """Drop keys still null after filling (template placeholders that do not apply)."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value

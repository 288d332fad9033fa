"""Azure ML command jobs, as dicts. Pure: the same settings give the same dict (STYLE.md 3)."""

from __future__ import annotations

import copy
import re
from typing import Any

from submit.backends.azureml.target import AzureMLSubmission
from submit.models.jobs import AZUREML_MODEL, image_kind
from submit.templates import load_template
from submit.trainer_contract import trainer_command, trainer_dockerfile, trainer_env, trainer_kind

# The job's one output folder, by trainer kind: checkpoints of a training, the episode table, videos and
# exports of an evaluation.
OUTPUT_NAMES = {"rl": "checkpoints", "lerobot": "checkpoints", "evaluate": "evaluation"}
# Workspace assets given as job inputs: mounted, and each folder handed to the trainer on the command line.
MODEL_INPUT = "model"  # the Azure ML model an evaluation reads
DATASET_INPUT = "dataset_"  # dataset_0, dataset_1, ...: --dataset-asset inputs
POLICY_INPUT = "init_policy"  # --init-from-policy-model

DEFAULT_EXPERIMENT = {"rl": "isaaclab-training", "lerobot": "lerobot-training", "evaluate": "robo-evaluation"}
DEFAULT_DISPLAY_NAME = {"rl": "Isaac Lab SKRL training", "lerobot": "LeRobot training"}
DEFAULT_INSTANCE_TYPE = "gpuspot"
# An Azure ML job runs in its code snapshot (training/ only: snapshot.AMLIGNORE), which the trainer must
# import rather than the image's copy; with the safe path (trainer_contract.SAFE_PATH_ENV) the working
# folder is on the path only because PYTHONPATH names it.
STATIC_ENV = {"ACCEPT_EULA": "Y", "PRIVACY_CONSENT": "Y", "PYTHONUNBUFFERED": "1", "PYTHONPATH": "."}


def render_azureml(settings: AzureMLSubmission, *, code_path: str) -> dict[str, Any]:
    """The command-job spec. `code_path` is the snapshot folder, relative to where the spec is written."""
    job, target = settings.job, settings.target
    kind = trainer_kind(job)
    spec = copy.deepcopy(load_template("azureml/command-job.yaml"))
    spec["name"] = job.naming.job_name
    spec["display_name"] = job.naming.display_name or _display_name(job, kind)
    spec["experiment_name"] = job.naming.experiment_name or DEFAULT_EXPERIMENT[kind]
    spec["description"] = f"robo-submit {kind} job"
    spec["tags"] = _tags(settings)
    spec["code"] = code_path
    output = OUTPUT_NAMES[kind]
    spec["command"] = " ".join([*trainer_command(kind, "${{outputs." + output + "}}"), *_input_flags(job, target)])
    spec["inputs"] = _inputs(job, target) or None
    spec["environment"] = _environment(settings, image_kind(job), code_path)
    spec["compute"] = f"azureml:{target.compute}" if target.compute else None
    spec["resources"] = _resources(settings)
    spec["distribution"] = _distribution(settings)
    spec["environment_variables"] = {**STATIC_ENV, **trainer_env(job, target), "ROBO_IMAGE": _image_reference(spec["environment"])}
    if output != "checkpoints":
        spec["outputs"] = {output: spec["outputs"]["checkpoints"]}
    if MODEL_INPUT in (spec["inputs"] or {}):  # the trainer reads the mounted folder, not the azureml: URI
        del spec["environment_variables"]["ROBO_MODEL_URI"]
    if target.init_from_policy_model:  # -M warm-start, from the model input bound on the command line
        spec["environment_variables"]["ROBO_CHECKPOINT_MODE"] = "warm-start"
        spec["tags"]["checkpoint_mode"] = "warm-start"
    return {key: value for key, value in spec.items() if value is not None}


def _inputs(job: Any, target: Any) -> dict[str, Any]:
    """Workspace assets as job inputs, mounted read-only (the model an evaluation reads, data, the model a warm start
    loads). Mounted, never downloaded: on Kubernetes compute a download-mode input is not substituted in the command
    (tests/submit/backends/azureml/test_bindings.py)."""
    inputs: dict[str, Any] = {}
    if job.kind == "evaluation" and re.fullmatch(AZUREML_MODEL, job.model):
        inputs[MODEL_INPUT] = {"type": target.model_input_type or "mlflow_model", "path": job.model, "mode": "ro_mount"}
    for index, asset in enumerate(target.dataset_assets):
        inputs[f"{DATASET_INPUT}{index}"] = {"type": "uri_folder", "mode": "ro_mount", "path": asset}
    if target.init_from_policy_model:
        inputs[POLICY_INPUT] = {"type": "custom_model", "mode": "ro_mount", "path": target.init_from_policy_model}
    return inputs


def _input_flags(job: Any, target: Any) -> list[str]:
    """Where each input lands, as trainer flags after the constant command: Azure ML substitutes ${{inputs.X}} in
    `command:` only (never in environment_variables). The model's flag overrides ROBO_MODEL_URI."""
    flag = {MODEL_INPUT: "--model-uri", POLICY_INPUT: "--checkpoint-uri"}
    return [
        arg for name in _inputs(job, target)
        for arg in (flag.get(name, "--dataset-dirs"), f"${{{{inputs.{name}}}}}")
    ]  # fmt: skip


def _tags(settings: AzureMLSubmission) -> dict[str, str]:
    job = settings.job
    # Free-text values live in environment_variables only (one place each); tags carry choices.
    if job.kind == "evaluation":
        tags = {"robo-submit": "1", "job": "evaluation", "model_family": image_kind(job)}
    else:
        tags = {"robo-submit": "1", "checkpoint_mode": job.checkpoint.mode}
    if job.kind == "isaaclab-skrl":
        tags |= {"algorithm": job.algorithm}
        if job.rl_library != "skrl":  # skrl is the default: its jobs' tags stay as they were
            tags |= {"rl_library": job.rl_library}
    elif job.kind == "lerobot":
        tags |= {"policy_type": job.policy_type}
    if job.naming.correlation_id:  # the one free text a tag carries: what CI pipelines look jobs up by
        tags["correlation_id"] = job.naming.correlation_id
    return tags


def _display_name(job: Any, kind: str) -> str:
    if kind == "evaluate":
        return "LeRobot evaluation" if image_kind(job) == "lerobot" else "Isaac Lab evaluation"
    if kind == "rl" and job.rl_library == "rsl_rl":
        return "Isaac Lab RSL-RL training"
    return DEFAULT_DISPLAY_NAME[kind]


def _environment(settings: AzureMLSubmission, kind: str, code_path: str) -> str | dict[str, Any]:
    """A registered environment or a pinned image wins; else Azure ML builds the kind's image from our build
    context, which is the code snapshot's folder (versioned by content: same files, same environment)."""
    target, image = settings.target, settings.job.image
    if target.environment_name:
        return f"azureml:{target.environment_name}:{target.environment_version or '1'}"
    if image:
        return {"image": image}
    return {"build": {"path": code_path, "dockerfile_path": trainer_dockerfile(kind)}}


def _image_reference(environment: str | dict[str, Any]) -> str:
    """What the job runs in, for its run metadata: the pinned image, the registered environment, or the Dockerfile
    Azure ML builds (its environment version is the build context's content hash, known after submission)."""
    if isinstance(environment, str):
        return environment
    return environment.get("image") or f"build:{environment['build']['dockerfile_path']}"


def _resources(settings: AzureMLSubmission) -> dict[str, Any]:
    resources: dict[str, Any] = {"instance_count": settings.job.resources.num_nodes}
    target = settings.target
    # The reference deployment's Kubernetes instance type. Without --compute the job is serverless, where an
    # instance type is a VM size: none is guessed then.
    instance_type = target.instance_type or (DEFAULT_INSTANCE_TYPE if target.compute else None)
    if instance_type:
        resources["instance_type"] = instance_type
    return resources


def _distribution(settings: AzureMLSubmission) -> dict[str, Any] | None:
    res = settings.job.resources
    if res.num_nodes * res.processes_per_node <= 1 or trainer_kind(settings.job) == "lerobot":
        return None  # LeRobot: the trainer starts its processes itself (accelerate launch, training/lerobot/launch.py)
    # Azure ML starts one process per GPU itself (torchrun-style env), so the command never calls torchrun.
    return {"type": "pytorch", "process_count_per_instance": res.processes_per_node}

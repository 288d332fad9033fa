"""Azure ML command jobs, as dicts. Pure: the same settings give the same dict (STYLE.md 3)."""

from __future__ import annotations

import copy
from typing import Any

from submit.backends.azureml.target import AzureMLSubmission
from submit.templates import load_template
from submit.trainer_contract import trainer_command, trainer_dockerfile, trainer_env, trainer_kind

OUTPUT_BINDING = "${{outputs.checkpoints}}"
DATASET_INPUT = "dataset_"  # dataset_0, dataset_1, ...: --dataset-asset inputs
POLICY_INPUT = "init_policy"  # --init-from-policy-model

DEFAULT_EXPERIMENT = {"rl": "isaaclab-training", "lerobot": "lerobot-training"}
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
    spec["command"] = " ".join([*trainer_command(kind, OUTPUT_BINDING), *_input_flags(target)])
    spec["inputs"] = _inputs(target) or None
    spec["environment"] = _environment(settings, kind, code_path)
    spec["compute"] = f"azureml:{target.compute}" if target.compute else None
    spec["resources"] = _resources(settings)
    spec["distribution"] = _distribution(settings)
    spec["environment_variables"] = {**STATIC_ENV, **trainer_env(job, target)}
    if target.init_from_policy_model:  # -M warm-start, from the model input bound on the command line
        spec["environment_variables"]["ROBO_CHECKPOINT_MODE"] = "warm-start"
        spec["tags"]["checkpoint_mode"] = "warm-start"
    return {key: value for key, value in spec.items() if value is not None}


def _inputs(target: Any) -> dict[str, Any]:
    """Workspace assets as job inputs, mounted read-only (data, and the model a warm start loads)."""
    inputs: dict[str, Any] = {
        f"{DATASET_INPUT}{index}": {"type": "uri_folder", "mode": "ro_mount", "path": asset}
        for index, asset in enumerate(target.dataset_assets)
    }
    if target.init_from_policy_model:
        # Mounted, not downloaded: on Kubernetes compute a download-mode input is not substituted in the command.
        inputs[POLICY_INPUT] = {"type": "custom_model", "mode": "ro_mount", "path": target.init_from_policy_model}
    return inputs


def _input_flags(target: Any) -> list[str]:
    """Where each input lands, as trainer flags after the constant command: Azure ML substitutes
    ${{inputs.X}} in `command:` only (never in environment_variables)."""
    flags = [arg for index in range(len(target.dataset_assets)) for arg in ("--dataset-dirs", f"${{{{inputs.{DATASET_INPUT}{index}}}}}")]
    if target.init_from_policy_model:
        flags += ["--checkpoint-uri", f"${{{{inputs.{POLICY_INPUT}}}}}"]
    return flags


def _tags(settings: AzureMLSubmission) -> dict[str, str]:
    job = settings.job
    tags = {"robo-submit": "1", "checkpoint_mode": job.checkpoint.mode}
    # Free-text values live in environment_variables only (one place each); tags carry choices.
    if job.kind == "isaaclab-skrl":
        tags |= {"algorithm": job.algorithm}
        if job.rl_library != "skrl":  # skrl is the default: its jobs' tags stay as they were
            tags |= {"rl_library": job.rl_library}
    else:
        tags |= {"policy_type": job.policy_type}
    return tags


def _display_name(job: Any, kind: str) -> str:
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

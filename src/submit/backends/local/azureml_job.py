"""An Azure ML command-job spec as one container on this machine, the way Azure ML's compute runs it.

Azure ML runs `command` with bash in the environment's image, in the folder its code snapshot was
uploaded to, with `environment_variables` set and each `${{outputs.NAME}}` bound to a folder it uploads
afterwards. Here: the image is the environment's, the snapshot (the files `.amlignore`, else `.gitignore`,
keeps) is copied to CODE, the output folder is outputs/<job>/. A binding is replaced by a fixed container
path or, for a literal input, by the variable Azure ML sets for it (`${AZURE_ML_INPUT_NAME}`), so no value
from the spec is written into the shell text. What needs the workspace is refused with the field's path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from submit.backends.local.job import (
    CODE,
    INPUTS,
    OUTPUTS,
    ContainerJob,
    ImageBuild,
    Mount,
    Refused,
    check_env_names,
)

SHELL = ("/bin/bash", "-c")  # what Azure ML runs `command` with
_BINDING = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_LITERAL_TYPES = {"string", "integer", "number", "boolean"}
_DATA_TYPES = {"uri_folder", "uri_file", "mltable", "mlflow_model", "custom_model", "triton_model"}
# A job reading Key Vault or tracking to the workspace signs in as its identity; here a service principal
# in these variables stands in for it (azure-identity's EnvironmentCredential).
SERVICE_PRINCIPAL = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
SHM_SIZE = "2g"  # Azure ML's default resources.shm_size
# Said when present: how long it may run in Azure, and the workspace's services (compute and queue settings
# are where it runs: this machine, here).
_NOT_HERE = ("limits", "services")


def container_job(
    spec: dict[str, Any], spec_dir: Path, environ: Mapping[str, str], *, image: str | None = None
) -> ContainerJob:
    """The container for a command-job spec that passed `submit validate`; `image` replaces its environment's."""
    _one_node(spec)
    outputs, output_mount = _outputs(spec.get("outputs"))
    inputs, mounts, input_env = _inputs(spec.get("inputs"), spec_dir)
    env = {name: _text(value) for name, value in (spec.get("environment_variables") or {}).items()}
    check_env_names("environment_variables", env)
    command = _bind(str(spec["command"]), outputs, inputs)
    notes = [f"{key}: not applied on this machine" for key in _NOT_HERE if spec.get(key)]
    notes += [
        f"outputs.{name}.path: {entry['path']} is not uploaded from here; the output stays in outputs/<job>/"
        for name, entry in (spec.get("outputs") or {}).items()
        if isinstance(entry, dict) and entry.get("path")
    ]
    code = _code(spec.get("code"), spec_dir)
    build = None if image else _build(spec.get("environment"), spec_dir)
    return ContainerJob(
        backend="azureml",
        name=spec.get("name"),
        image=image or (_build_tag(build) if build else _image(spec.get("environment"))),
        build=build,
        argv=(*SHELL, command),
        env={**env, **{f"AZURE_ML_OUTPUT_{name}": path for name, path in outputs.items()}, **input_env},
        from_host=(*_identity(env, environ), *_secrets(env, environ)),
        output=output_mount,
        code=code,
        workdir=CODE if code else None,
        inputs=tuple(mounts),
        shm_size=str((spec.get("resources") or {}).get("shm_size") or SHM_SIZE),
        tracking_uri=env.get("MLFLOW_TRACKING_URI"),
        notes=tuple(notes),
    )


def _one_node(spec: dict[str, Any]) -> None:
    resources = spec.get("resources") or {}
    nodes = resources.get("instance_count", 1)
    if isinstance(nodes, int) and nodes > 1:
        raise Refused("resources.instance_count", f"{nodes} nodes; a local run is one node: render it with --num-nodes 1")
    if resources.get("docker_args"):
        raise Refused("resources.docker_args", "not passed to the container engine here; remove it")
    distribution = spec.get("distribution") or {}
    per_node = distribution.get("process_count_per_instance") or distribution.get("worker_count") or 1
    if isinstance(per_node, int) and per_node > 1:
        raise Refused(
            "distribution.process_count_per_instance",
            f"{per_node} processes per node need Azure ML's launcher; a local run starts one: render it with "
            "--gpus-per-node 1",
        )


def _outputs(outputs: Any) -> tuple[dict[str, str], str | None]:
    """Container path of each output, and where outputs/<job>/ is mounted: at the one output itself, or
    above several (outputs/<job>/NAME/ each)."""
    entries = dict(outputs or {})
    for name, entry in entries.items():
        kind = entry.get("type", "uri_folder") if isinstance(entry, dict) else "uri_folder"
        if kind not in _DATA_TYPES - {"uri_file"}:
            raise Refused(f"outputs.{name}.type", f"{kind} outputs are not written by a local run; use uri_folder")
    if len(entries) == 1:
        (name,) = entries
        return {name: f"{OUTPUTS}/{name}"}, f"{OUTPUTS}/{name}"
    return {name: f"{OUTPUTS}/{name}" for name in entries}, (OUTPUTS if entries else None)


def _inputs(inputs: Any, spec_dir: Path) -> tuple[dict[str, str], list[Mount], dict[str, str]]:
    """Each input's replacement in the command, the read-only mounts of local data, and the literals' variables."""
    bound: dict[str, str] = {}
    mounts: list[Mount] = []
    env: dict[str, str] = {}
    for name, entry in dict(inputs or {}).items():
        path = f"inputs.{name}"
        kind = entry.get("type", "uri_folder") if isinstance(entry, dict) else None
        if kind is None or kind in _LITERAL_TYPES:
            value = entry.get("default", entry.get("value")) if isinstance(entry, dict) else entry
            env[f"AZURE_ML_INPUT_{name}"] = _text(value)
            bound[name] = "${AZURE_ML_INPUT_" + name + "}"
            continue
        source = _local_path(entry.get("path"), spec_dir, f"{path}.path", "input")
        if not source.exists():
            raise Refused(f"{path}.path", f"{source} does not exist on this machine")
        target = f"{INPUTS}/{name}" + (f"/{source.name}" if kind == "uri_file" else "")
        mounts.append(Mount(source, target))
        bound[name] = target
        env[f"AZURE_ML_INPUT_{name}"] = target
    return bound, mounts, env


def _bind(command: str, outputs: dict[str, str], inputs: dict[str, str]) -> str:
    if "$[[" in command:
        raise Refused("command", "optional-input blocks $[[...]] are not run by a local run; write the command without them")

    def replace(match: re.Match[str]) -> str:
        section, name = match.groups()
        values = outputs if section == "outputs" else inputs
        if name not in values:  # submit validate refuses these; a spec reaching here has its bindings declared
            raise Refused("command", f"${{{{{section}.{name}}}}} is not declared under {section}:")
        return values[name]

    return _BINDING.sub(replace, command)


def _code(code: Any, spec_dir: Path) -> Path | None:
    if code is None:
        return None
    folder = _local_path(code, spec_dir, "code", "code snapshot")
    if not folder.is_dir():
        raise Refused("code", f"{folder} is not a folder on this machine")
    return folder


def _local_path(value: Any, spec_dir: Path, path: str, what: str) -> Path:
    text = str(value or "")
    if text.startswith("file:"):
        text = text.removeprefix("file://").removeprefix("file:")
    elif "://" in text or text.startswith(("azureml:", "git+", "http:", "https:")):
        raise Refused(path, f"a remote {what} ({text.split(':', 1)[0]}:) cannot be fetched by a local run; use a local path")
    return (spec_dir / text).resolve()


def _image(environment: Any) -> str:
    """The environment's image; Azure ML's own environments cannot be looked up from here (robo-submit
    registers none of its own: without an image, the spec's environment is built, see _build)."""
    if isinstance(environment, dict):
        if environment.get("conda_file"):
            raise Refused("environment.conda_file", "an environment Azure ML makes from conda is not made here; give --image IMAGE")
        if environment.get("image"):
            return str(environment["image"])
        raise Refused("environment", "names no image; give --image IMAGE")
    raise Refused(
        "environment",
        f"{environment} is registered in a workspace, which a local run does not read; give --image IMAGE "
        "or write `environment: {image: IMAGE}`",
    )


def _build(environment: Any, spec_dir: Path) -> ImageBuild | None:
    """The Docker build context and Dockerfile of an environment Azure ML builds (`build: {path, dockerfile_path}`)."""
    build = environment.get("build") if isinstance(environment, dict) else None
    if not build:
        return None
    context = _local_path(build.get("path"), spec_dir, "environment.build.path", "build context")
    if not context.is_dir():
        raise Refused("environment.build.path", f"{context} is not a folder on this machine")
    dockerfile = (context / str(build.get("dockerfile_path") or "Dockerfile")).resolve()
    if not dockerfile.is_file():
        raise Refused("environment.build.dockerfile_path", f"{dockerfile} is not a file on this machine")
    return ImageBuild(context, dockerfile)


def _build_tag(build: ImageBuild) -> str:
    """One tag per context and Dockerfile: a rebuild replaces it and reuses the engine's layer cache."""
    key = hashlib.sha256(f"{build.context}\0{build.dockerfile}".encode()).hexdigest()[:12]
    return f"robo-submit-local/environment:{key}"


def _identity(env: dict[str, str], environ: Mapping[str, str]) -> tuple[str, ...]:
    """The host variables that stand in for the job's identity, when the job needs one."""
    needs = []
    if env.get("ROBO_SECRET_SOURCE") == "keyvault":
        needs.append(("environment_variables.ROBO_KEY_VAULT_URI", "reads its secrets from Key Vault"))
    if env.get("MLFLOW_TRACKING_URI", "").startswith("azureml:"):
        needs.append(("environment_variables.MLFLOW_TRACKING_URI", "tracks to the workspace"))
    if not needs:
        return ()
    missing = [name for name in SERVICE_PRINCIPAL if not environ.get(name)]
    if missing:
        path, why = needs[0]
        raise Refused(
            path,
            f"the job {why} as its Azure identity, which does not exist on this machine; export "
            f"{', '.join(SERVICE_PRINCIPAL)} (a service principal allowed to do the same) or remove it",
        )
    return SERVICE_PRINCIPAL


def _secrets(env: dict[str, str], environ: Mapping[str, str]) -> tuple[str, ...]:
    """The trainer's secrets (W&B key, Hub token) this machine has: an Azure ML job reads them from Key Vault,
    a local run takes this shell's, as `submit local training` does (a value in the environment wins)."""
    from training.secrets import SECRET_NAMES  # the trainer's contract (no torch)

    return tuple(name for name in SECRET_NAMES if environ.get(name) and name not in env)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)

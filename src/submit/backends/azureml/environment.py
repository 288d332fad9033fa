"""The job's Azure ML environment: registered only when it is missing or its image changed.

The reference re-registered the environment on every submission. Here one GET decides:

- `azureml:NAME:VERSION` missing         -> register it with the job's image (or the trainer's default image)
- registered with the same image         -> nothing to do
- registered with another image, no --environment-version given -> register the next version, use it
- registered with another image, version pinned by the user     -> error: registered versions never change
- an inline image (anonymous environment, versioned by content hash) already registered -> reuse it,
  so the SDK does not PUT it again
- no image and no environment name: built by Azure ML from our build context (environment `build:`, the
  code snapshot's folder and a Dockerfile of workflows/images/); azure-ai-ml versions it by the content's
  hash, so the same files are built once
- `NAME:VERSION` missing and no image given -> refused (exit 2): registering it would name an image nobody
  built; give -i IMAGE, or no --environment-name so Azure ML builds from our build context
"""

from __future__ import annotations

from typing import Any

from submit.errors import BadInput, SubmitError
from submit.output import say


def ensure(ml: Any, job: Any, settings: Any) -> None:
    """Make the job's environment exist in the workspace, registering as little as possible."""
    from azure.ai.ml.entities import Environment  # lazy: start-up time

    environment = job.environment
    if isinstance(environment, Environment) and environment.build is not None:
        _reuse_built(ml, job, environment)
    elif isinstance(environment, Environment):
        _reuse_anonymous(ml, job, environment)
    elif isinstance(environment, str) and not environment.startswith("/"):
        # load_job keeps `azureml:NAME:VERSION` as NAME:VERSION; ARM ids and NAME@label are left to the SDK.
        name, _, version = environment.removeprefix("azureml:").partition(":")
        if version and "@" not in environment:
            _ensure_named(ml, job, settings, name, version)


def _ensure_named(ml: Any, job: Any, settings: Any, name: str, version: str) -> None:
    wanted = settings.job.image
    registered = _get(ml, name, version)
    if registered is None and wanted:
        _register(ml, name, version, wanted)
        return
    if registered is None:
        raise BadInput(
            f"--environment-name: {name}:{version} is not registered in the workspace and no --image is given; "
            "give -i IMAGE (e.g. what `submit image build` prints), or leave out --environment-name and Azure ML "
            "builds the environment from our build context"
        )
    if not wanted or registered.image == wanted:
        say(
            f"environment {name}:{version} is registered (image {registered.image}); not registering it again"
        )
        return
    if settings.target.environment_version:
        raise SubmitError(
            f"--environment-version: {name}:{version} is registered with image {registered.image}, "
            f"not {wanted}; "
            "registered versions never change: give a new --environment-version"
        )
    new_version = _next_version(ml, name)
    _register(ml, name, new_version, wanted)
    job.environment = f"azureml:{name}:{new_version}"


def _reuse_anonymous(ml: Any, job: Any, environment: Any) -> None:
    if _get(ml, environment.name, environment.version) is None:
        say(f"environment for image {environment.image} is new; azure-ai-ml registers it with the job")
        return
    say(f"environment for image {environment.image} is registered; not registering it again")
    job.environment = f"azureml:{environment.name}:{environment.version}"


def _reuse_built(ml: Any, job: Any, environment: Any) -> None:
    """An environment built from the same build context (same content hash) is used as it is: no upload."""
    what = f"{environment.build.dockerfile_path} (version {str(environment.version)[:12]}, by content)"
    if _get(ml, environment.name, environment.version) is None:
        say(f"environment: Azure ML builds {what} from the code snapshot's folder, uploaded with the job")
        return
    say(f"environment: {what} is built already; not building it again")
    job.environment = f"azureml:{environment.name}:{environment.version}"


def _get(ml: Any, name: str, version: str) -> Any | None:
    from azure.core.exceptions import ResourceNotFoundError  # lazy: start-up time

    try:
        return ml.environments.get(name=name, version=version)
    except ResourceNotFoundError:
        return None


def _register(ml: Any, name: str, version: str, image: str) -> None:
    from azure.ai.ml.entities import Environment  # lazy: start-up time

    ml.environments.create_or_update(Environment(name=name, version=version, image=image))
    say(f"registered environment {name}:{version} (image {image})")


def _next_version(ml: Any, name: str) -> str:
    versions = [env.version for env in ml.environments.list(name=name)]
    numbers = [int(version) for version in versions if str(version).isdigit()]
    if len(numbers) != len(versions):
        raise SubmitError(
            f"--environment-version: environment {name} has non-numeric versions "
            f"({', '.join(map(str, versions))}); "
            "give the new version explicitly"
        )
    return str(max(numbers, default=0) + 1)

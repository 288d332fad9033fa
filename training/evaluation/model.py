"""The model an evaluation is about: its registered version (when the URI names one), its tags, its files.

`resolve` turns ROBO_MODEL_URI into a `Target` before anything is built or written: `models:/name/N`,
`models:/name@alias` and `models:/name/latest` are looked up in the registry (their tags give the task, the RL
library and the algorithm); `runs:/`, artifact URIs and paths are downloaded or read as they are and have no
tags (then --task is needed). Any URI that does not resolve is a ConfigError naming ROBO_MODEL_URI (exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.checkpoints import CheckpointDownloadError, shown, unfetchable
from training.config import ENV_PREFIX, ConfigError, EvalConfig
from training.exits import first_line
from training.rl.policy_model import AGENT_CONFIG_FILE, ARTIFACTS_DIR, CHECKPOINT_FILE, POLICY_FILE

SOURCE = f"{ENV_PREFIX}MODEL_URI"
_REGISTERED = re.compile(r"models:/(?P<name>[A-Za-z0-9._-]+)(?:/(?P<version>[0-9]+|latest)|@(?P<alias>[A-Za-z0-9_-]+))")


@dataclass(frozen=True)
class Target:
    """A resolved model: where its files are, and, for a registered version, its name, number and tags."""

    uri: str  # as given, without a query or password
    folder: Path
    name: str | None = None
    version: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def registered_uri(self) -> str:
        return f"models:/{self.name}/{self.version}" if self.version else self.uri

    def file(self, name: str) -> Path | None:
        """A file of the model: in its MLflow model's artifacts/, at its top, or None."""
        for candidate in (self.folder / ARTIFACTS_DIR / name, self.folder / name):
            if candidate.is_file():
                return candidate
        return None

    @property
    def checkpoint(self) -> Path | None:
        return self.file(CHECKPOINT_FILE) or (self.folder if self.folder.is_file() else None)

    @property
    def policy(self) -> Path | None:
        return self.file(POLICY_FILE)

    @property
    def agent_config(self) -> Path | None:
        return self.file(AGENT_CONFIG_FILE)


def resolve(config: EvalConfig, download_dir: Path) -> Target:
    """The model of ROBO_MODEL_URI, downloaded into `download_dir`; ConfigError when it does not resolve."""
    uri = config.model_uri
    name = shown(uri)
    problem = unfetchable(uri)
    if problem:
        raise ConfigError(f"{SOURCE}: {name}: {problem}")
    registered = _REGISTERED.fullmatch(uri)
    if registered:
        version = _version(registered)
        folder = _download(f"models:/{version.name}/{version.version}", download_dir, name)
        return Target(name, folder, version.name, str(version.version), dict(version.tags or {}))
    if config.promote:
        raise ConfigError(
            f"{ENV_PREFIX}PROMOTE: an alias is set on a registered version; {name} is none "
            "(use models:/<name>/<version> or models:/<name>@<alias>)"
        )
    if uri.startswith(("runs:/", "mlflow-artifacts:", "azureml:", "s3:", "gs:", "wasbs:", "abfss:", "https:")):
        return Target(name, _download(uri, download_dir, name))
    path = Path(uri.removeprefix("file://")).expanduser()
    if not path.exists():
        raise ConfigError(f"{SOURCE}: {name}: no such file or folder")
    return Target(name, path)


def _version(match: re.Match) -> Any:
    """The registered version a models:/ URI names, or a ConfigError saying which part does not exist."""
    from mlflow import MlflowClient  # lazy: start-up time
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    name, number, alias = match.group("name"), match.group("version"), match.group("alias")
    try:
        if alias:
            return client.get_model_version_by_alias(name, alias)
        if number == "latest":
            versions = client.search_model_versions(f"name='{name}'")
            if not versions:
                raise ConfigError(f"{SOURCE}: {match.group(0)}: registered model {name!r} has no versions")
            return max(versions, key=lambda v: int(v.version))
        return client.get_model_version(name, number)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            raise ConfigError(f"{SOURCE}: {match.group(0)}: not found ({first_line(exc)})") from None
        raise CheckpointDownloadError(f"{SOURCE}: could not look up {match.group(0)}: {first_line(exc)}") from None


def _download(uri: str, download_dir: Path, name: str) -> Path:
    import mlflow  # lazy: start-up time
    from mlflow.exceptions import MlflowException

    download_dir.mkdir(parents=True, exist_ok=True)
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(download_dir)))
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            raise ConfigError(f"{SOURCE}: {name}: not found ({first_line(exc)})") from None
        raise CheckpointDownloadError(f"{SOURCE}: could not download {name}: {first_line(exc)}") from None
    except (FileNotFoundError, OSError) as exc:
        raise ConfigError(f"{SOURCE}: {name}: not found ({first_line(exc)})") from None
    if not local.exists() or (local.is_dir() and not any(local.iterdir())):
        raise ConfigError(f"{SOURCE}: {name}: not found (nothing to download)")
    return local

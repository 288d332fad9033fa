"""The secrets a run needs, put into the environment before the libraries that read them start.

``ROBO_SECRET_SOURCE=env`` (the default): the environment already holds them (an OSMO credential, the
local shell); nothing is read or changed, only a needed secret that is missing stops the run.
``ROBO_SECRET_SOURCE=keyvault`` (Azure ML with ``--key-vault-uri``): every secret the run wants and the
environment lacks is read from ``ROBO_KEY_VAULT_URI`` with the job's identity and set as the variable
wandb or huggingface_hub reads. A value already in the environment wins over the vault.

| variable | Key Vault secret | renamed by | needed when |
|---|---|---|---|
| WANDB_API_KEY | wandb-api-key | ROBO_WANDB_KEY_SECRET_NAME | ROBO_WANDB=true, unless WANDB_MODE=offline |
| HF_TOKEN | hf-token | ROBO_HF_TOKEN_SECRET_NAME | LeRobot with ROBO_PUSH_TO_HUB=true |

Only a needed secret is required. A wanted one is read if the vault has it: the W&B key of an offline
run, the Hub token of any LeRobot run (gated datasets and policies need one).

A needed secret that is missing is bad input (`ConfigError`, exit 2) naming the variable, the secret
and the vault. A vault that cannot be read is a runtime failure (`SecretError`, exit 1). No message
holds a value: the Azure SDK's own messages carry request details, so only the exception type, the HTTP
status and the service's error code are shown.
"""

from __future__ import annotations

import contextlib
import logging
import netrc
import os
import re
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from training.config import ENV_PREFIX, CommonConfig, ConfigError, LeRobotConfig
from training.exits import RunError

log = logging.getLogger("training.secrets")

# variable -> (default Key Vault secret, variable that renames it). Key Vault allows letters, digits, '-'.
SECRET_NAMES: dict[str, tuple[str, str]] = {
    "WANDB_API_KEY": ("wandb-api-key", f"{ENV_PREFIX}WANDB_KEY_SECRET_NAME"),
    "HF_TOKEN": ("hf-token", f"{ENV_PREFIX}HF_TOKEN_SECRET_NAME"),
}
_WANDB_KEYLESS_MODES = ("offline", "dryrun", "disabled")
_VAULT_NAME = re.compile(r"[A-Za-z0-9-]{1,127}")


class SecretError(RunError):
    """The vault could not be read. The message is one line and holds no secret or request detail."""


@dataclass(frozen=True)
class Need:
    """One secret the run wants: the variable a library reads and the Key Vault secret behind it."""

    env: str
    secret: str
    required: bool
    why: str


def needs(config: CommonConfig, environ: MutableMapping[str, str]) -> list[Need]:
    """Which secrets this run wants, and which of them it cannot start without."""
    wanted: list[Need] = []
    vault = config.secret_source == "keyvault"
    if getattr(config, "wandb", False):  # an evaluation logs to MLflow only
        keyless = _wandb_mode(config, environ) in _WANDB_KEYLESS_MODES
        wanted.append(
            _need("WANDB_API_KEY", environ, required=not keyless, why=f"{ENV_PREFIX}WANDB=true", vault=vault)
        )
    if isinstance(config, LeRobotConfig):
        wanted.append(
            _need(
                "HF_TOKEN",
                environ,
                required=config.push_to_hub,
                why=f"{ENV_PREFIX}PUSH_TO_HUB=true",
                vault=vault,
            )
        )
    return wanted


def load(config: CommonConfig, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Fill `environ` (default: os.environ) with the secrets the run needs; returns the variables set.

    Raises ConfigError for a needed secret that is nowhere, SecretError for a vault that cannot be read.
    """
    environ = os.environ if environ is None else environ
    wanted = needs(config, environ)
    filled: list[str] = []
    if config.secret_source == "keyvault":
        filled = _from_vault(config, [need for need in wanted if not environ.get(need.env)], environ)
    for need in wanted:
        if need.required and not environ.get(need.env) and not _signed_in(need.env, environ):
            raise ConfigError(_missing(need, config))
    return filled


def secret_client(vault_uri: str) -> Any:
    """The one place the trainer reaches Key Vault: a SecretClient with the job's identity.

    DefaultAzureCredential covers an Azure ML job's managed identity (a user-assigned one through
    AZURE_CLIENT_ID, else Azure ML's DEFAULT_IDENTITY_CLIENT_ID), AKS workload identity, a service
    principal's AZURE_CLIENT_SECRET and, on a workstation, `az login`. Tests replace this function.
    """
    # lazy: only the Key Vault path needs the Azure SDK, and it is slow to import
    from azure.identity import DefaultAzureCredential
    from azure.keyvault.secrets import SecretClient

    client_id = os.environ.get("AZURE_CLIENT_ID") or os.environ.get("DEFAULT_IDENTITY_CLIENT_ID")
    credential = DefaultAzureCredential(
        managed_identity_client_id=client_id or None, exclude_interactive_browser_credential=True
    )
    return SecretClient(vault_url=vault_uri, credential=credential)


def _wandb_mode(config: CommonConfig, environ: MutableMapping[str, str]) -> str:
    """WANDB_MODE, or LeRobot's --wandb.mode, which LeRobot passes to wandb.init and which wins."""
    mode = environ.get("WANDB_MODE", "")
    for arg in getattr(config, "lerobot_args", ()):
        if arg.startswith("--wandb.mode="):
            mode = arg.split("=", 1)[1]
    return mode.strip().lower()


def _need(env: str, environ: MutableMapping[str, str], *, required: bool, why: str, vault: bool) -> Need:
    default, rename = SECRET_NAMES[env]
    name = environ.get(rename, "").strip() or default
    if vault and not _VAULT_NAME.fullmatch(name):
        raise ConfigError(f"{rename}: {name!r} is not a Key Vault secret name (1-127 letters, digits, '-')")
    return Need(env, name, required, why)


def _from_vault(config: CommonConfig, pending: list[Need], environ: MutableMapping[str, str]) -> list[str]:
    if not pending:
        return []
    vault = (config.key_vault_uri or "").rstrip("/")
    if not vault:
        raise ConfigError(
            f"{ENV_PREFIX}KEY_VAULT_URI: {ENV_PREFIX}SECRET_SOURCE=keyvault needs the vault's URI "
            "(https://<vault>.vault.azure.net); pass --key-vault-uri"
        )
    if not re.fullmatch(r"https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", vault):
        raise ConfigError(
            f"{ENV_PREFIX}KEY_VAULT_URI: {vault!r} is not a Key Vault URI (https://<vault>.vault.azure.net)"
        )
    filled: list[str] = []
    with _quiet_azure_logs():
        client = _client(vault, pending[0])
        for need in pending:
            try:
                value = _read(client, need, vault)
            except SecretError as exc:
                if need.required:
                    raise
                # Optional (a Hub token for a public dataset): the run does not depend on it.
                log.warning("%s; going on without it", exc)
                continue
            if value:
                environ[need.env] = value
                filled.append(need.env)
                log.info("%s: read from Key Vault secret %s", need.env, need.secret)
    return filled


def _client(vault: str, first: Need) -> Any:
    try:
        return secret_client(vault)
    except ImportError:
        raise SecretError(
            f"{first.env}: reading Key Vault secrets needs azure-identity and azure-keyvault-secrets "
            "in the job image (workflows/images/requirements-*.txt pin both)"
        ) from None
    except Exception as exc:  # credential setup; its text may quote request details
        raise SecretError(f"{first.env}: cannot use Key Vault {vault}: {_describe(exc)}") from None


def _read(client: Any, need: Need, vault: str) -> str | None:
    from azure.core.exceptions import ResourceNotFoundError  # lazy: only on the Key Vault path

    try:
        # Stripped: a secret set from a file keeps its trailing newline, which wandb refuses.
        return (client.get_secret(need.secret).value or "").strip() or None
    except ResourceNotFoundError:
        return None
    except Exception as exc:  # reduced to one line: the SDK's text carries request details
        raise SecretError(
            f"{need.env}: cannot read secret '{need.secret}' from Key Vault {vault}: {_describe(exc)}"
        ) from None


def _describe(exc: BaseException) -> str:
    """Type, HTTP status and service error code of an Azure SDK error; never its message."""
    try:
        from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
    except ImportError:  # pragma: no cover - the SDK raised it, so it is importable
        return type(exc).__name__
    status = getattr(exc, "status_code", None)
    if isinstance(exc, ClientAuthenticationError) and status is None:
        return (
            "ClientAuthenticationError: no credential could get a token; give the job a managed identity "
            "(AZURE_CLIENT_ID for a user-assigned one) or sign in with az login"
        )
    if isinstance(exc, HttpResponseError) and status is not None:
        code = str(getattr(getattr(exc, "error", None), "code", None) or "")
        text = f"{type(exc).__name__}: HTTP {status}"
        if code.isalnum():  # the service's error code, e.g. Forbidden, SecretDisabled
            text += f" {code}"
        if status == 403:
            text += "; the job's identity needs the Key Vault Secrets User role on the vault"
        return text
    if isinstance(exc, ServiceRequestError):
        return f"{type(exc).__name__}: the vault could not be reached"
    return type(exc).__name__


def _missing(need: Need, config: CommonConfig) -> str:
    if config.secret_source == "keyvault":
        vault = (config.key_vault_uri or "").rstrip("/")
        return (
            f"{need.env}: {need.why} needs it, and Key Vault {vault} has no secret '{need.secret}'; "
            f"create the secret there, or name another one with {SECRET_NAMES[need.env][1]}"
        )
    sources = {
        "WANDB_API_KEY": "export WANDB_API_KEY or run `wandb login` (a local run), or give the job an OSMO "
        "credential (--wandb-credential), a Key Vault secret 'wandb-api-key' (--key-vault-uri), or WANDB_MODE=offline",
        "HF_TOKEN": "export HF_TOKEN or run `hf auth login` (a local run), or give the job an OSMO credential "
        "(--hf-credential) or a Key Vault secret 'hf-token' (--key-vault-uri)",
    }
    return f"{need.env}: not set, and {need.why} needs it; {sources[need.env]}"


def _signed_in(env: str, environ: MutableMapping[str, str]) -> bool:
    """A login the library itself would use: `wandb login` (netrc) or `hf auth login` (token file)."""
    if env == "WANDB_API_KEY":
        host = urlsplit(environ.get("WANDB_BASE_URL") or "https://api.wandb.ai").hostname or ""
        try:
            return netrc.netrc(environ.get("NETRC") or None).authenticators(host) is not None
        except (OSError, netrc.NetrcParseError):
            return False
    if env == "HF_TOKEN":
        if environ.get("HUGGING_FACE_HUB_TOKEN"):
            return True
        home = Path(environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface")
        return Path(environ.get("HF_TOKEN_PATH") or home / "token").is_file()
    return False


@contextlib.contextmanager
def _quiet_azure_logs() -> Iterator[None]:
    # azure-identity logs every failed credential over several lines; the one-line error says enough.
    logger = logging.getLogger("azure")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)

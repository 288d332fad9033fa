"""An in-memory Azure Key Vault for the trainer's one Key Vault seam, `training.secrets.secret_client`.

Key Vault cannot be reached from the test machine, so `install` replaces that function (and nothing
else): everything above it (which secrets are wanted, names, environment, error messages) and the Azure
SDK's own exception classes are the real ones. `FakeVault.failing` answers every read with an error built
the way azure-core builds it from a Key Vault response, its text holding the value of `leak`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

KEY_VAULT_URI = "https://robo-kv.vault.azure.net"
CANARY = "canary-kv-wandb-5be1c0de"


@dataclass
class _Response:
    """What azure-core reads from an HTTP response to build an HttpResponseError."""

    status_code: int
    reason: str
    body: str

    def text(self) -> str:
        return self.body


def error(kind: str, leak: str) -> Exception:
    """An Azure SDK error as the Key Vault client raises it; `leak` is in its text."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    if kind == "auth":
        return ClientAuthenticationError(
            message=f"DefaultAzureCredential failed to retrieve a token.\nAttempted credentials: {leak}"
        )
    if kind == "forbidden":
        body = {
            "error": {
                "code": "Forbidden",
                "message": f"Caller is not authorized. Caller: appid={leak};oid=00000000\nVault: robo-kv",
                "innererror": {"code": "ForbiddenByRbac"},
            }
        }
        return HttpResponseError(response=_Response(403, "Forbidden", json.dumps(body)))
    if kind == "unreachable":
        return ServiceRequestError(f"Cannot connect to host robo-kv.vault.azure.net {leak}")
    raise ValueError(kind)


@dataclass
class FakeVault:
    """Secrets by name; records every (vault URI, secret name) it was asked for."""

    secrets: dict[str, str] = field(default_factory=dict)
    failing: str | None = None
    leak: str = CANARY
    requested: list[tuple[str, str]] = field(default_factory=list)

    def client(self, vault_uri: str) -> Any:
        vault = self

        class Client:
            def get_secret(self, name: str) -> Any:
                from azure.core.exceptions import ResourceNotFoundError

                vault.requested.append((vault_uri, name))
                if vault.failing:
                    raise error(vault.failing, vault.leak)
                if name not in vault.secrets:
                    raise ResourceNotFoundError(
                        message=f"(SecretNotFound) A secret with (name/id) {name} was not found"
                    )
                return SimpleNamespace(name=name, value=vault.secrets[name])

        return Client()

    def install(self, module: Any) -> None:
        """Replace `module.secret_client` (training.secrets) with this vault."""
        module.secret_client = self.client

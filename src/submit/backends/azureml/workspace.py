"""The workspace a command reaches: its three coordinates, each from a flag, the environment, a profile,
.azureml/config.json or Terraform (submit.sources), and the one error that names every one missing."""

from __future__ import annotations

from typing import Any

from submit.backends.azureml.fields import RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE_NAME
from submit.errors import BadInput

COORDINATES = (SUBSCRIPTION_ID, RESOURCE_GROUP, WORKSPACE_NAME)


def workspace(target: Any) -> tuple[str, str, str]:
    """Subscription, resource group and workspace, or BadInput naming every one missing (target may be None)."""
    missing = [setting for setting in COORDINATES if not getattr(target, setting.name, None)]
    if missing:
        flags = ", ".join(setting.flags[0] for setting in missing)
        envvars = "/".join(str(setting.envvar) for setting in missing)
        flag, it = ("flags", "them") if len(missing) > 1 else ("flag", "it")
        raise BadInput(
            f"{flags}: needed to reach Azure ML; give the {flag}, set {envvars}, "
            f"add {it} to a submit.toml profile or .azureml/config.json, or pass --terraform-dir"
        )
    return target.subscription_id, target.resource_group, target.workspace_name

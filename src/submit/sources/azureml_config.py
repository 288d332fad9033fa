"""Layer 4 of submit.sources: `.azureml/config.json` in the working directory or a parent (the
MLClient.from_config convention): subscription, resource group and workspace only."""

from __future__ import annotations

import json
from pathlib import Path

from submit.errors import BadInput
from submit.sources.value import Value, shown

AZUREML_CONFIG_KEYS = ("subscription_id", "resource_group", "workspace_name")
AZUREML_CONFIG_FILES = (".azureml/config.json", "aml_config/config.json")
PARENT_LEVELS = 20  # as MLClient.from_config



def azureml_config_file(start: Path) -> Path | None:
    """The nearest .azureml/config.json (or aml_config/config.json) in `start` or a parent."""
    folder = start.resolve()
    for _ in range(PARENT_LEVELS + 1):
        for relative in AZUREML_CONFIG_FILES:
            if (folder / relative).is_file():
                return folder / relative
        if folder.parent == folder:
            return None
        folder = folder.parent
    return None


def azureml_config(start: Path) -> dict[str, Value]:
    path = azureml_config_file(start)
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BadInput(f"{shown(path)}: not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{shown(path)}: cannot read ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise BadInput(
            f"{shown(path)}: expected a JSON object with subscription_id, resource_group, workspace_name"
        )
    # Every value as it is: a wrong type (or a blank name) is refused where it is used, as a profile's is
    # (sources.profile.checked, then the settings model), naming the flag and this file.
    return {key: Value(data[key], shown(path)) for key in AZUREML_CONFIG_KEYS if data.get(key) is not None}

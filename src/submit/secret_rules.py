"""Environment variables whose names look like secrets: one rule for every backend's offline check.

Only names are judged and shown; a value is never read into a message (it may be the secret).
"""

from __future__ import annotations

import re
from typing import Any

_SECRET_NAME = re.compile(r"(TOKEN|API_KEY|SECRET|PASSWORD|ACCESS_KEY|ACCOUNT_KEY|CONNECTION_STRING)$", re.I)


def secret_names(environment: Any) -> list[str]:
    """The names in an environment mapping that look like secrets, in file order; [] for a non-mapping."""
    if not isinstance(environment, dict):
        return []
    return [name for name in environment if isinstance(name, str) and _SECRET_NAME.search(name)]

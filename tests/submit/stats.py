"""Counts of what the property tests tried, for docs/reliability.md (written when ROBO_PROPERTY_STATS is set)."""

from __future__ import annotations

import atexit
import json
import os
from collections import Counter

COUNTS: Counter[tuple[str, str, str]] = Counter()


def record(renderer: str, flag: str, outcome: str) -> None:
    COUNTS[(renderer, flag, outcome)] += 1


def _write() -> None:
    path = os.environ.get("ROBO_PROPERTY_STATS")
    if not path or not COUNTS:
        return
    rows = [{"renderer": r, "flag": f, "outcome": o, "count": n} for (r, f, o), n in sorted(COUNTS.items())]
    with open(path, "a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


atexit.register(_write)

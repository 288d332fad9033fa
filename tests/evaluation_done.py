"""What an in-process `python -m training evaluate` left behind, shared by the tiers that run it: its exit code,
stdout and stderr, and the ROBO_RESULT line parsed; and how many MLflow runs a store holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

RESULT = "ROBO_RESULT "


@dataclass
class Done:
    code: int
    out: str
    err: str

    @property
    def result(self) -> dict:
        lines = [line for line in self.out.splitlines() if line.startswith(RESULT)]
        assert len(lines) == 1, (self.out + self.err)[-3000:]
        return json.loads(lines[0].removeprefix(RESULT))


def runs_of(client: Any) -> int:
    return sum(len(client.search_runs([e.experiment_id])) for e in client.search_experiments())

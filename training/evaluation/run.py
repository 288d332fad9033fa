"""Placeholder until the evaluation phases land (issue 16, step c)."""

from __future__ import annotations

from training.config import EvalConfig
from training.exits import RunError


def main(config: EvalConfig) -> int:
    raise RunError("evaluation is not implemented in this build yet; no tag or alias was changed")

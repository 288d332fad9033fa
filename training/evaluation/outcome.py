"""What an evaluation is about and what it produced: the plan, the outcome (the ROBO_RESULT line), the gates'
verdicts and the episode table. Shared by the evaluation's phases (run.py) and its MLflow phase (tracking.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from training import gate as gates
from training.config import EvalConfig
from training.evaluation.model import Target

EPISODES_TABLE = "episodes.json"


@dataclass(frozen=True)
class Plan:
    """What to evaluate: the model and the settings its tags filled in."""

    target: Target
    task: str  # a LeRobot policy's: the dataset it is evaluated on
    rl_library: str | None
    algorithm: str | None
    gates: list[gates.Gate]
    framework: str | None = None  # None: the RL library
    extra: dict[str, Any] = field(default_factory=dict)  # more ROBO_RESULT keys and run tags (LeRobot's)


@dataclass
class Outcome:
    """What the evaluation produced; printed as the ROBO_RESULT line."""

    plan: Plan
    config: EvalConfig
    episodes: list[Any]  # rollout.Episode, or lerobot.HeldOutEpisode: each has row()
    metrics: dict[str, float]
    run_id: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    promoted: str | None = None
    alias_version: str | None = None
    export: dict[str, str] | None = None
    videos: list[Any] = field(default_factory=list)  # local mp4 files
    video_artifact: str | None = None

    @property
    def gate_passed(self) -> bool | None:
        return all(check["holds"] for check in self.checks) if self.checks else None

    def as_dict(self) -> dict[str, Any]:
        target = self.plan.target
        return {
            "status": "gate-failed" if self.gate_passed is False else "evaluated",
            "run_id": self.run_id,
            "model_name": target.name,
            "model_version": target.version,
            "model_uri": target.registered_uri,
            "task": self.plan.task,
            "rl_library": self.plan.rl_library,
            "algorithm": self.plan.algorithm,
            "episodes": len(self.episodes),
            "metrics": self.metrics,
            "gates": self.checks,
            "gate_passed": self.gate_passed,
            "promoted": self.promoted,
            "alias_version": self.alias_version,
            "export": self.export,
            "video": self.video_artifact,
            "correlation_id": self.config.correlation_id,
            **self.plan.extra,
        }


def check(item: gates.Gate, produced: dict[str, float], reference: float | None, holder: str | None) -> dict:
    """One gate's verdict for the ROBO_RESULT line."""
    measured = produced[item.metric]
    return {
        "gate": str(item),
        "holds": item.holds(measured, reference),
        "measured": measured,
        "reference": reference,
        "reference_version": holder,
    }


def table(episodes: list[Any]) -> dict[str, list]:
    """The per-episode table as columns (MLflow's table artifact format)."""
    rows = [e.row() for e in episodes]
    return {key: [row[key] for row in rows] for key in rows[0]}


"""Promotion gates: `METRIC>=VALUE`, or `METRIC>=@ALIAS` against the version that holds ALIAS now.

A gate is a comparison of one metric the evaluation produces with a number, or with the same metric of the
version currently holding an alias (read from that version's `eval.<metric>` tag). Several gates, comma
separated, must all hold. Pure and import-free: the trainer's config parses gates with it, and the CLI can
apply the same rule to its flags.

| gate                     | holds when                                                                   |
|--------------------------|------------------------------------------------------------------------------|
| `mean_return>=450`       | the measured mean_return is at least 450                                     |
| `std_return<30`          | the measured std_return is below 30                                          |
| `mean_return>@champion`  | above the champion's `eval.mean_return` tag; also when no version holds the  |
|                          | alias yet, or it was never evaluated on that metric (nothing to beat)        |
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

# What an RL evaluation produces (success_rate only for a task that reports success), and what a LeRobot
# evaluation on held-out dataset episodes produces; a LeRobot policy evaluated in a gym environment
# produces the RL set.
RL_METRICS = (
    "mean_return", "std_return", "min_return", "max_return", "mean_episode_length", "success_rate",
)  # fmt: skip
OFFLINE_METRICS = ("action_mse", "action_mae")
EVAL_METRICS = RL_METRICS + OFFLINE_METRICS
OPERATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
METRIC_TAG_PREFIX = "eval."  # a version's tag holding an evaluated metric: eval.mean_return

_ALIAS = r"[A-Za-z0-9_-]{1,255}"
_GATE = re.compile(rf"\s*([a-z_]+)\s*(>=|<=|>|<)\s*(?:@({_ALIAS})|([^@\s]+))\s*")


@dataclass(frozen=True)
class Gate:
    """One comparison: `metric op value`, or `metric op <the metric of the version holding alias>`."""

    metric: str
    op: str
    value: float | None = None
    alias: str | None = None

    def __str__(self) -> str:
        right = f"@{self.alias}" if self.alias else _number_text(self.value)
        return f"{self.metric}{self.op}{right}"

    def holds(self, measured: float, reference: float | None = None) -> bool:
        """Whether `measured` passes; `reference` is the alias holder's value (None: nothing to beat)."""
        bound = self.value if self.alias is None else reference
        if bound is None:
            return True
        return bool(OPERATORS[self.op](measured, bound))


def parse_gate(text: str) -> Gate:
    """`mean_return>=450` or `mean_return>@champion` -> Gate; ValueError naming what is wrong."""
    match = _GATE.fullmatch(text)
    if not match:
        raise ValueError(
            f"{text.strip()!r} is not a gate; use METRIC>=VALUE, METRIC<=VALUE, METRIC>VALUE, METRIC<VALUE, "
            "or METRIC>=@ALIAS (against the version holding ALIAS)"
        )
    metric, op, alias, number = match.groups()
    if metric not in EVAL_METRICS:
        raise ValueError(f"{metric!r} is not a metric the evaluation produces; accepted: {', '.join(EVAL_METRICS)}")
    if alias is not None:
        return Gate(metric, op, alias=alias)
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{number!r} in {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{number!r} in {text.strip()!r} is not a finite number")
    return Gate(metric, op, value=value)


def normalise(gates: tuple[str, ...]) -> tuple[str, ...]:
    """Each gate checked and written in its normal form (`mean_return >= 450.0` -> `mean_return>=450`)."""
    return tuple(str(parse_gate(text)) for text in gates)


def gates_of(texts: tuple[str, ...]) -> list[Gate]:
    """The Gate objects of a config's normalised gate texts."""
    return [parse_gate(text) for text in texts]


def _number_text(value: float | None) -> str:
    return repr(value) if value is not None and not value.is_integer() else str(int(value or 0))

"""Reduce everything tracked since the last log to one number per MLflow metric.

A *window* maps a skrl tag to every value tracked under it since the previous log
(`tracking_data` as skrl fills it, possibly across several of skrl's own clears). Per name:

* scalar values (floats, ints, numpy scalars, one-element arrays/tensors) reduce the way
  skrl's TensorBoard writer does: ``(min)`` tags by min, ``(max)`` tags by max, others by
  mean, so MLflow shows what TensorBoard shows;
* a value that is itself a list, tuple, array or tensor of several numbers gives
  ``<name>/mean``, ``/std`` (population), ``/min`` and ``/max`` over all its elements in
  the window;
* a mapping is flattened to ``<name>/<key>`` for `max_depth` levels below the tag;
  deeper levels, None, strings and other objects are skipped and reported.

No torch import: tensors are recognised by their ``detach`` method.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from training.tracking.names import metric_name, reduction

_PLAIN = frozenset({float, int, bool, np.float64, np.float32, np.int64, np.int32})


@dataclass
class _Group:
    rule: str
    scalars: list[float] = field(default_factory=list)
    arrays: list[np.ndarray] = field(default_factory=list)


def reduce_window(
    window: Mapping[str, Sequence[Any]], *, max_depth: int
) -> tuple[dict[str, float], set[str]]:
    """(metrics by MLflow name, names of the tags or keys that had to be skipped)."""
    groups: dict[str, _Group] = {}
    skipped: set[str] = set()
    for tag, values in window.items():
        name, rule = metric_name(tag), reduction(tag)
        if all(type(v) in _PLAIN for v in values):  # skrl's own values: the fast path
            groups.setdefault(name, _Group(rule)).scalars.extend(map(float, values))
            continue
        for value in values:
            _collect(groups, skipped, name, rule, value, max_depth)
    metrics: dict[str, float] = {}
    for name, group in groups.items():
        metrics.update(_summarise(name, group))
    return metrics, skipped


def freeze(values: list[Any]) -> list[Any]:
    """Copy tensors to numpy so a later in-place change cannot alter a queued window."""
    if not any(hasattr(kind, "detach") for kind in set(map(type, values))):
        return values  # skrl's own values: floats and numpy scalars, immutable
    return [_to_numpy(v) if hasattr(v, "detach") else v for v in values]


def _collect(groups: dict, skipped: set, name: str, rule: str, value: Any, depth_left: int) -> None:
    if isinstance(value, Mapping):
        if depth_left <= 0:
            skipped.add(name)
            return
        for key, item in value.items():
            _collect(
                groups, skipped, f"{name}/{metric_name(str(key))}", reduction(str(key)), item, depth_left - 1
            )
        return
    array = _as_array(value)
    if array is None:
        skipped.add(name)
        return
    group = groups.setdefault(name, _Group(rule))
    if array.size == 1:
        group.scalars.append(float(array.reshape(-1)[0]))
    elif array.size > 1:
        group.arrays.append(array.reshape(-1))


def _as_array(value: Any) -> np.ndarray | None:
    if isinstance(value, bool | int | float | np.number | np.bool_):
        return np.asarray(value, dtype=np.float64)
    if hasattr(value, "detach"):
        value = _to_numpy(value)
    if isinstance(value, np.ndarray | list | tuple):
        try:
            return np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):  # ragged or non-numeric
            return None
    return None


def _to_numpy(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().numpy().astype(np.float64, copy=True)


def _summarise(name: str, group: _Group) -> dict[str, float]:
    if not group.arrays:
        if not group.scalars:
            return {}
        return {name: _reduce_scalars(group.rule, group.scalars)}
    values = np.concatenate([*group.arrays, np.asarray(group.scalars, dtype=np.float64)])
    return {
        f"{name}/mean": float(values.mean()),
        f"{name}/std": float(values.std()),
        f"{name}/min": float(values.min()),
        f"{name}/max": float(values.max()),
    }


def _reduce_scalars(rule: str, values: list[float]) -> float:
    if rule == "min":
        return min(values)
    if rule == "max":
        return max(values)
    return sum(values) / len(values)

"""Optional system metrics: CPU, memory, disk (psutil) and GPUs (NVML, when importable).

Sampled on the metric processor thread at each log event, never on the training thread.
A missing library or a failing NVML turns that part off once, with one log line.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

log = logging.getLogger("training.tracking")
_MB = 1024 * 1024
_GB = 1024 * _MB


def system_sampler(disk_path: str) -> Callable[[], dict[str, float]] | None:
    """A function returning `system/...` metrics, or None when psutil is not installed."""
    try:
        import psutil  # lazy: optional dependency
    except ImportError:
        log.warning("system metrics are off: psutil is not installed")
        return None
    process = psutil.Process(os.getpid())
    psutil.cpu_percent(interval=None)  # the first call only starts the measurement window
    gpus = _nvml_handles()

    def sample() -> dict[str, float]:
        memory = psutil.virtual_memory()
        disk = psutil.disk_usage(disk_path)
        metrics = {
            "system/cpu_utilization_percentage": psutil.cpu_percent(interval=None),
            "system/memory_used_megabytes": memory.used / _MB,
            "system/memory_percent": memory.percent,
            "system/process_rss_megabytes": process.memory_info().rss / _MB,
            "system/disk_used_gigabytes": disk.used / _GB,
            "system/disk_percent": disk.percent,
        }
        metrics.update(_gpu_metrics(gpus))
        return metrics

    return sample


def _nvml_handles() -> list[Any]:
    try:
        import pynvml  # lazy: optional, only on GPU machines
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
        return [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
    except Exception as exc:  # no driver, or a container without GPUs
        log.info("GPU metrics are off: %s", exc)
        return []


def _gpu_metrics(handles: list[Any]) -> dict[str, float]:
    if not handles:
        return {}
    import pynvml  # lazy: optional, only on GPU machines

    metrics: dict[str, float] = {}
    for index, handle in enumerate(handles):
        try:
            use = pynvml.nvmlDeviceGetUtilizationRates(handle)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            prefix = f"system/gpu_{index}"
            metrics[f"{prefix}_utilization_percentage"] = float(use.gpu)
            metrics[f"{prefix}_memory_used_megabytes"] = memory.used / _MB
            metrics[f"{prefix}_memory_percent"] = 100.0 * memory.used / max(memory.total, 1)
            metrics[f"{prefix}_power_watts"] = pynvml.nvmlDeviceGetPowerUsage(handle) / 1000.0
        except Exception:  # one device failing must not hide the others
            continue
    return metrics

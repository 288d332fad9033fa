"""Shared pieces of the benchmarks: timing whole processes, statistics, and writing docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks.md"


def time_process(argv: list[str], *, cwd: Path = REPO, env: dict[str, str] | None = None) -> float:
    """Wall time of one whole process, start to exit, in seconds. Fails loudly if the process fails."""
    start = time.perf_counter()
    result = subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{argv[:3]} exited {result.returncode}: {result.stderr.decode()[-500:]}")
    return elapsed


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": statistics.median(ordered),
        "p10": ordered[max(0, int(len(ordered) * 0.1) - 1)] if len(ordered) >= 10 else ordered[0],
        "p90": ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))],
        "n": len(ordered),
    }


def machine_line() -> str:
    load = os.getloadavg()[0]
    cpus = os.cpu_count()
    return (
        f"{platform.node() or 'host'}: {cpus} CPUs, Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}, load average {load:.2f} at start, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def write_section(name: str, body: str, doc: Path = DOC) -> None:
    """Replace (or append) the section between `<!-- bench:NAME -->` markers in `doc` (docs/benchmarks.md)."""
    doc.parent.mkdir(parents=True, exist_ok=True)
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"# {doc.stem.title()}\n"
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    text = (
        pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    )
    doc.write_text(text, encoding="utf-8")

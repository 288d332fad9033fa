"""Run every benchmark; each writes its own marked section of docs/benchmarks.md (and reliability.py
writes docs/reliability.md).

Run from the repository root:
    .venv/bin/python -m benchmarks.run            # the full set (about 10-15 minutes on 2 busy cores)
    .venv/bin/python -m benchmarks.run --quick    # fewer repeats, slow reliability tests skipped
    .venv/bin/python -m benchmarks.run payload delivery   # only the named benchmarks

Benchmarks run one after another, never in parallel, so they do not load the machine for each other.
A benchmark that fails is reported and the others still run; the exit code is 1 if any failed.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable

from benchmarks.common import REPO


def benchmarks(quick: bool) -> dict[str, Callable[[], object]]:
    from benchmarks import (
        cli_startup,
        delivery,
        images,
        payload,
        peers,
        reliability,
        rl_trainer,
        rsl_rl_trainer,
    )

    return {
        "payload": lambda: payload.run(),
        "cli-startup": lambda: cli_startup.run(repeat=5 if quick else 31),
        "delivery": lambda: delivery.run(quick=quick),
        "rl-trainer": lambda: rl_trainer.main(quick=quick),
        "rsl-rl-trainer": lambda: rsl_rl_trainer.main(quick=quick),
        "peers": lambda: peers.main(quick=quick),
        "reliability": lambda: reliability.run(quick=quick),
        "images": lambda: images.run(cold="--cold" in sys.argv),
    }


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    chosen = [a for a in argv if not a.startswith("-")]
    table = benchmarks(quick)
    unknown = set(chosen) - set(table)
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(sorted(unknown))}; choose from {', '.join(table)}",
            file=sys.stderr,
        )
        return 2
    failed = []
    for name, bench in table.items():
        if chosen and name not in chosen:
            continue
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            bench()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"== {name}: {time.perf_counter() - start:.0f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)} (their sections of the docs were not rewritten)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main(sys.argv[1:]))

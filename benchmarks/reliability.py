"""Reliability figures for docs/reliability.md, produced by running the tests that prove them.

pytest runs the property tests (with ROBO_PROPERTY_STATS set, so tests/submit/stats.py
writes how many generated values per flag and renderer were refused or round-tripped) and every test
named in benchmarks/reliability_cases.py; a JUnit XML report gives each test's outcome. The script
then rewrites the marked sections of docs/reliability.md. With --quick, tests marked `slow` are
deselected and their rows say so. tests/lerobot runs under .venv-lerobot/bin/python when that
environment exists (as scripts/test.sh runs it); without it those rows say "skipped".

Run: .venv/bin/python -m benchmarks.reliability [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from benchmarks.common import REPO, machine_line, write_section
from benchmarks.reliability_cases import BOUNDARY, EXIT_CODES, FAULTS, SECRET_TESTS, SURVIVE, UNTESTED

DOC = REPO / "docs" / "reliability.md"
PROPERTY_TEST = "test_free_text_flag_is_refused_or_round_trips_to_its_one_place"
PROPERTY_FILES = ["tests/submit/backends/azureml/test_render_property.py", "tests/submit/backends/osmo/test_render_property.py"]


def run(quick: bool = False) -> dict[str, object]:
    header = machine_line()
    cited = sorted({t for _, t in SECRET_TESTS} | {t for row in FAULTS for t in row[3]}
                   | {t for row in SURVIVE for t in row[3]} | {t for row in EXIT_CODES for t in row[3]}
                   | _boundary_targets())  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        # A node id inside a file that runs whole would run (and count its examples) twice.
        targets = [*PROPERTY_FILES, *(t for t in cited if t.split("::")[0] not in PROPERTY_FILES)]
        stats, outcomes, seconds = _pytest(Path(tmp), targets, quick)
        counts = _case_counts(Path(tmp))
    write_section("inputs", _inputs(stats, outcomes, header, seconds, quick), DOC)
    write_section("secrets", _secrets(stats, outcomes), DOC)
    write_section("faults", _faults(outcomes), DOC)
    write_section("survive", _survive(outcomes), DOC)
    write_section("exit-codes", _exit_codes(outcomes), DOC)
    write_section("boundary", _boundary(outcomes, counts), DOC)
    failed = sorted(t for t, o in outcomes.items() if o == "failed")
    print(f"reliability: {len(outcomes)} tests, {len(failed)} failed, {seconds:.0f} s; wrote {DOC}")
    return {"outcomes": outcomes, "failed": failed}


def _pytest(tmp: Path, targets: list[str], quick: bool) -> tuple[list[dict], dict[str, str], float]:
    """One pytest process per group (see _groups); counters from all of them, outcomes merged."""
    stats_path = tmp / "stats.jsonl"
    env = {**os.environ, "ROBO_PROPERTY_STATS": str(stats_path)}
    outcomes: dict[str, str] = {}
    start = time.perf_counter()
    for i, group in enumerate(_groups(targets)):
        junit = tmp / f"junit{i}.xml"
        argv = [_python(group), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *group]
        if quick:
            argv += ["-m", "not slow"]
        subprocess.run(
            argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        outcomes.update(_outcomes(junit))
    seconds = time.perf_counter() - start
    rows = [json.loads(x) for x in stats_path.read_text().splitlines()] if stats_path.exists() else []
    return rows, outcomes, seconds


def _python(group: list[str]) -> str:
    """tests/lerobot runs in .venv-lerobot when it exists, as scripts/test.sh runs it (tier 2)."""
    lerobot = REPO / ".venv-lerobot" / "bin" / "python"
    return str(lerobot) if group[0].startswith("tests/lerobot/") and lerobot.exists() else sys.executable


def _groups(targets: list[str]) -> list[list[str]]:
    """One group per test folder, but one per file under tests/lerobot: tests/lerobot/test_train.py
    skips at module level without .venv-lerobot, and pytest then refuses every node id in its process."""
    groups: dict[str, list[str]] = defaultdict(list)
    for target in targets:
        path = target.split("::")[0]
        key = path if path.startswith("tests/lerobot/") else str(Path(path).parent)
        groups[key].append(target)
    return list(groups.values())


def _outcomes(junit: Path) -> dict[str, str]:
    """'path::function' -> passed / failed / skipped (a parametrized function fails if any case fails)."""
    result: dict[str, str] = {}
    if not junit.exists():
        return result
    for case in ET.parse(junit).iter("testcase"):
        if not case.get("classname"):  # a whole module skipped at collection: every test in it
            result[case.get("name", "").replace(".", "/") + ".py::*"] = "skipped"
            continue
        path = case.get("classname", "").replace(".", "/") + ".py"
        key = f"{path}::{case.get('name', '').split('[')[0]}"
        state = "failed" if case.find("failure") is not None or case.find("error") is not None else (
            "skipped" if case.find("skipped") is not None else "passed")  # fmt: skip
        if result.get(key) != "failed" and not (result.get(key) == "passed" and state == "skipped"):
            result[key] = state
    return result


def _mark(tests: list[str], outcomes: dict[str, str]) -> str:
    states = [outcomes.get(t) or outcomes.get(t.split("::")[0] + "::*", "not run") for t in tests]
    if "failed" in states:
        return "**FAILED**"
    if all(s == "passed" for s in states):
        return "passed"
    return ", ".join(sorted(set(states)))


def _cite(tests: list[str]) -> str:
    return "<br>".join(f"`{t}`" for t in tests)


def _inputs(stats: list[dict], outcomes: dict[str, str], header: str, seconds: float, quick: bool) -> str:
    table: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"refused": 0, "round-tripped": 0})
    for row in stats:
        table[(row["renderer"], row["flag"])][row["outcome"]] += row["count"]
    lines = [
        "## Inputs tried (property tests)",
        "",
        f"Machine: {header}. Running the cited tests (one pytest process per test folder) took "
        f"{seconds:.0f} s{' (--quick: slow tests deselected)' if quick else ''}. "
        "Produced by `benchmarks/reliability.py` from the counters in tests/submit/stats.py.",
        "",
        "Every generated value (hypothesis: nasty strings, arbitrary unicode, plausible names) was either "
        "refused with exit 2 and one stderr line, or round-tripped to exactly its one place in the spec with "
        "the container command, the set of keys and (OSMO) the credential mappings unchanged, and the spec "
        "passing the backend's own check. A change to a command, key or credential mapping fails the test, "
        "so a passing run means **0** such changes.",
        "",
        "| renderer | flag | generated | refused (exit 2) | round-tripped | changed command/key/credential "
        "| test |",
        "|---|---|---|---|---|---|---|",
    ]
    totals = {"refused": 0, "round-tripped": 0}
    for (renderer, flag), counts in sorted(table.items()):
        test = f"tests/submit/test_{renderer}_property.py::{PROPERTY_TEST}"
        zero = "0" if outcomes.get(test) == "passed" else "not proven"
        generated = counts["refused"] + counts["round-tripped"]
        totals = {k: totals[k] + counts[k] for k in totals}
        cells = [renderer, f"`{flag}`", generated, counts["refused"], counts["round-tripped"], zero]
        lines.append("| " + " | ".join(map(str, cells)) + f" | {_mark([test], outcomes)} |")
    everything = sum(totals.values())
    lines.append(f"| **all** | {len(table)} flag/renderer pairs | {everything} | {totals['refused']} | "
                 f"{totals['round-tripped']} | - | - |")  # fmt: skip
    if not table:
        lines.append("| - | no counts were written: the property tests did not run | | | | | |")
    return "\n".join(lines)


def _secrets(stats: list[dict], outcomes: dict[str, str]) -> str:
    osmo_examples = sum(r["count"] for r in stats if r["renderer"] == "osmo")
    lines = [
        "## Secrets (canary values)",
        "",
        f"The OSMO property test alone rendered {osmo_examples} specs with four canary secrets in the "
        "environment and checked that none appears in stdout or stderr.",
        "",
        "| what is checked | test | result |",
        "|---|---|---|",
    ]
    lines += [f"| {what} | `{test}` | {_mark([test], outcomes)} |" for what, test in SECRET_TESTS]
    return "\n".join(lines)


def _faults(outcomes: dict[str, str]) -> str:
    return _case_table("## Faults survived", [], "fault", FAULTS, outcomes)


def _survive(outcomes: dict[str, str]) -> str:
    tests = sorted({t for row in SURVIVE for t in row[3]})
    passed = sum(outcomes.get(t) == "passed" for t in tests)
    intro = [
        f"{len(SURVIVE)} cases, proven by {len(tests)} tests ({passed} passed in this run): what a cluster or a "
        "user's machine throws at a run (issue 15, items 9-15, 17-19).",
        "",
    ]
    return _case_table("## Runs that survive", intro, "case", SURVIVE, outcomes)


def _case_table(title: str, intro: list[str], first: str, rows: list, outcomes: dict[str, str]) -> str:
    lines = [title, "", *intro, f"| {first} | what the user sees | what is kept | proven by | result |",
             "|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {f} | {sees} | {kept} | {_cite(t)} | {_mark(t, outcomes)} |" for f, sees, kept, t in rows]
    return "\n".join(lines)


def _exit_codes(outcomes: dict[str, str]) -> str:
    lines = [
        "## Exit codes",
        "",
        "One boundary (src/submit/cli.py) turns errors into codes: bad input (`BadInput`, Click usage "
        "errors) "
        "exits 2 with one `submit: error: ...` line and nothing on stdout; every other failure "
        "(`SubmitError`: auth, remote, spec, training) exits 1; Ctrl-C exits 130. The trainer "
        "(training/__main__.py) exits 0, 2 (settings), 1 (failure) or 128 + signal.",
        "",
        "| command | outcome | exit code | proven by | result |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| `{c}` | {o} | {code} | {_cite(t)} | {_mark(t, outcomes)} |" for c, o, code, t in EXIT_CODES]
    if UNTESTED:
        lines += ["", "Not covered by a test of its own:", ""] + [f"- {u}" for u in UNTESTED]
    else:
        lines += ["", "Every outcome above is proven by the tests it cites."]
    return "\n".join(lines)


def _boundary_targets() -> set[str]:
    """BOUNDARY's tests; a node id is dropped when its whole file runs anyway."""
    tests = {t for _, row in BOUNDARY for t in row}
    return {t for t in tests if "::" not in t or t.split("::")[0] not in tests}


def _case_counts(tmp: Path) -> dict[str, int]:
    """'path' and 'path::function' -> the number of test cases (parametrized ones each) the JUnit reports hold."""
    counts: dict[str, int] = defaultdict(int)
    for junit in tmp.glob("junit*.xml"):
        for case in ET.parse(junit).iter("testcase"):
            path = case.get("classname", "").replace(".", "/") + ".py"
            counts[path] += 1
            counts[f"{path}::{case.get('name', '').split('[')[0]}"] += 1
    return counts


def _boundary(outcomes: dict[str, str], counts: dict[str, int]) -> str:
    lines = [
        "## Boundary and specs",
        "",
        "What a command line or a hand-written spec cannot trick, and what the job servers would refuse (issue 15). "
        "Cases: the test cases run for the row (each parametrized case counted).",
        "",
        "| claim | cases | proven by | result |",
        "|---|---|---|---|",
    ]
    for claim, tests in BOUNDARY:
        states = [o for key, o in outcomes.items() for t in tests if key == t or ("::" not in t and key.startswith(f"{t}::"))]
        result = "**FAILED**" if "failed" in states else "passed" if states and set(states) == {"passed"} else (
            ", ".join(sorted(set(states))) or "not run")  # fmt: skip
        lines.append(f"| {claim} | {sum(counts.get(t, 0) for t in tests)} | {_cite(tests)} | {result} |")
    lines += ["", f"In all: **{sum(counts.get(t, 0) for _, row in BOUNDARY for t in row)}** cases."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    run(quick="--quick" in sys.argv)

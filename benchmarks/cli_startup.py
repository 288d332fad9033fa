"""CLI start-up: --help and a full --dry-run as whole cold processes, against `python -c "import click, yaml"`
(the floor).

Targets: --help within 2x of that floor, a dry run within 3x. Runs are interleaved (floor, help, dry-run, ...)
so drifting machine load hits every command alike; the median of each is reported.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks.common import REPO, machine_line, summary, time_process, write_section

BIN = Path(sys.executable).parent
TARGETS = {"help": 2.0, "dry-run": 3.0}
PYDANTIC_IMPORT = "import click, yaml; from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator"
SMALLEST_MODEL = (
    "import click, yaml\nfrom pydantic import BaseModel, ConfigDict\n"
    "class One(BaseModel):\n    model_config = ConfigDict(strict=True, extra='forbid')\n    x: int = 0\n"
    "One.model_validate({'x': 1})"
)
SETTINGS_BUILT = (
    "import click, yaml; from submit.backends.azureml.target import AzureMLSubmission as S; "
    "S.model_validate({'job': {'kind': 'isaaclab-skrl', 'task': 'Isaac-Cartpole-Direct'}})"
)


def commands(tmp: Path) -> dict[str, tuple[str, list[str]]]:
    py = sys.executable
    return {
        "floor": ("floor", [py, "-c", "import click, yaml"]),
        # Reference, no target: what the settings library costs before any robo-submit code runs.
        "floor + pydantic": ("reference", [py, "-c", PYDANTIC_IMPORT]),
        "floor + pydantic, a one-field model validated": ("reference", [py, "-c", SMALLEST_MODEL]),
        "floor + pydantic, our settings models, one job validated": ("reference", [py, "-c", SETTINGS_BUILT]),
        "submit-azureml-training --help": ("help", [str(BIN / "submit-azureml-training"), "--help"]),
        "submit-osmo-training --help": ("help", [str(BIN / "submit-osmo-training"), "--help"]),
        "submit-azureml-training --dry-run": (
            "dry-run",
            [
                str(BIN / "submit-azureml-training"),
                "-t",
                "Isaac-Cartpole-Direct",
                "--dry-run",
                "-o",
                str(tmp / "a.yaml"),
            ],
        ),
        "submit-osmo-training --dry-run": (
            "dry-run",
            [
                str(BIN / "submit-osmo-training"),
                "-t",
                "Isaac-Cartpole-Direct",
                "--dry-run",
                "-o",
                str(tmp / "o.yaml"),
            ],
        ),
    }


def run(repeat: int = 31) -> dict[str, dict[str, float]]:
    header = machine_line()  # load average before this benchmark adds its own
    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(Path(tmp))
        samples: dict[str, list[float]] = {name: [] for name in cmds}
        for _name, (_, argv) in cmds.items():  # warm the page cache once; cold means a new process
            time_process(argv)
        for _ in range(repeat):
            for name, (_, argv) in cmds.items():
                samples[name].append(time_process(argv))
    stats = {name: summary(values) for name, values in samples.items()}
    _write(stats, cmds, header)
    return stats


def _write(stats: dict[str, dict[str, float]], cmds: dict[str, tuple[str, list[str]]], header: str) -> None:
    floor = stats["floor"]["median"]
    lines = [
        "## CLI start-up",
        "",
        f"Machine: {header}. Whole processes, {stats['floor']['n']} interleaved runs each after one warm-up.",
        "",
        "| command | median (ms) | p10-p90 (ms) | ratio to floor | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in stats.items():
        kind = cmds[name][0]
        ratio = s["median"] / floor
        target = TARGETS.get(kind)
        met = "-" if target is None else ("yes" if ratio <= target else "no")
        target_text = "-" if target is None else f"<= {target:g}x"
        lines.append(
            f"| `{name}` | {s['median'] * 1000:.0f} | {s['p10'] * 1000:.0f}-{s['p90'] * 1000:.0f} "
            f"| {ratio:.2f}x | {target_text} | {met} |"
        )
    lines.append("")
    lines.append('Floor: `python -c "import click, yaml"` in the same virtual environment.')
    lines.append(
        "References (no target): the floor plus importing pydantic; plus defining and validating a one-field "
        "strict model (the least any pydantic-validated command pays: the import, pydantic's field and type "
        "modules, its plugin discovery and one validator build); plus importing robo-submit's settings models "
        "and validating one Azure ML job. A dry run cannot be faster than the one-field model: the STYLE.md "
        "choice of strict pydantic models alone costs that much of the 3x budget."
    )
    write_section("cli-startup", "\n".join(lines))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    run()

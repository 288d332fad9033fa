"""`submit local run SPEC` before any container starts: what it refuses, and that a refusal writes nothing.

These need no container engine (a refusal comes before the engine is asked); the runs themselves are in
the image tier (tests/images/test_local_run.py), with real Docker.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from submit import yamlio
from tests.submit.conftest import REPO

GOLDEN = REPO / "tests" / "golden"


def _spec(run_cli, name: str, change: dict | None = None) -> Path:
    """A golden spec copied next to the run (its `code: .` is then the run's folder), changed as given."""
    spec = yamlio.load_file(GOLDEN / name) | (change or {})
    target = run_cli.cwd / Path(name).name
    target.write_text(yamlio.dump(spec), encoding="utf-8")
    return target


def _nothing_written(run_cli) -> bool:
    return not (run_cli.cwd / "outputs").exists() and not (run_cli.cwd / "mlruns.db").exists()


@pytest.mark.parametrize(
    ("golden", "line"),
    [
        (
            "azureml/multi-node.yaml",
            "submit: error: resources.instance_count: 4 nodes; a local run is one node: render it with --num-nodes 1",
        ),
        (
            "osmo/multi-node.yaml",
            "submit: error: workflow.groups[0].tasks: 4 tasks (several nodes); a local run is one node: "
            "render it with --num-nodes 1",
        ),
        (
            "osmo/url-code.yaml",
            "submit: error: workflow.tasks[0].inputs[0].url: a local run fetches no inputs (OSMO downloads them from "
            "storage or an earlier task); ship the code with --code-source local, or run the data on this machine",
        ),
    ],
)
def test_a_spec_that_cannot_run_here_is_refused_in_one_line_naming_its_field(run_cli, golden, line):
    result = run_cli("local", "run", str(_spec(run_cli, golden)))

    assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n")
    assert _nothing_written(run_cli)


def test_a_spec_its_backend_refuses_lists_every_problem_and_runs_nothing(run_cli):
    spec = _spec(run_cli, "osmo/single-gpu.yaml")
    data = yamlio.load_file(spec)
    data["workflow"]["resources"]["default"]["memory"] = "32k"
    data["workflow"]["tasks"][0]["exitActions"] = {"RESTART": "1"}
    spec.write_text(yamlio.dump(data), encoding="utf-8")

    result = run_cli("local", "run", str(spec))

    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[-1] == f"submit: error: {spec}: 2 problem(s); not a valid OSMO spec, nothing was run"
    assert lines[:2] == [
        "workflow.tasks[0].exitActions.RESTART: unknown exit action 'RESTART'; accepted: COMPLETE, FAIL, RESCHEDULE",
        "workflow.resources.default.memory: lowercase k is not an OSMO unit; write Ki (all units are binary)",
    ]
    assert _nothing_written(run_cli)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--gpus", "0,x"], "submit: error: --gpus: '0,x' is not all, a count (2) or device indices (0,1); accepted values: all, a count (2), device indices (0,1)"),
        (["--job-name", "../up"], "submit: error: --job-name: '../up' cannot name an outputs folder; use letters, digits, '_', '.', '-'"),
        (["--build-arg", "BASE=x"], "submit: error: --build-arg: the job's image is given, not built (only an Azure ML environment.build is built here)"),
        (["--build-arg", "=x"], "submit: error: --build-arg: '' is not KEY=VALUE"),
        (["--output-root", "/proc/x"], "submit: error: --output-root: cannot write /proc/x (No such file or directory)"),
    ],
)
def test_bad_flags_are_one_line(run_cli, args, line):
    result = run_cli("local", "run", str(_spec(run_cli, "osmo/single-gpu.yaml")), *args)

    assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n")
    assert _nothing_written(run_cli)


@pytest.mark.skipif(Path("/dev/nvidiactl").exists(), reason="this machine has an NVIDIA GPU to pass through")
def test_gpus_asked_for_on_a_machine_without_any_are_refused(run_cli):
    result = run_cli("local", "run", str(_spec(run_cli, "osmo/single-gpu.yaml")), "--gpus", "all")

    assert (result.exit_code, result.stderr) == (
        2, "submit: error: --gpus: this machine has no NVIDIA GPU (no /dev/nvidiactl); drop --gpus to run on the CPU\n",
    )  # fmt: skip


def test_an_earlier_runs_outputs_are_never_mixed_with_a_new_run(run_cli):
    (run_cli.cwd / "outputs" / "cartpole-1").mkdir(parents=True)

    result = run_cli("local", "run", str(_spec(run_cli, "azureml/single-gpu.yaml")))

    assert (result.exit_code, result.stderr) == (
        2,
        f"submit: error: name: {Path('outputs/cartpole-1')} exists (an earlier run's outputs); rename the job or "
        "give --job-name, or remove it\n",
    )


def test_no_container_engine_is_one_line_and_nothing_is_written(run_cli, tmp_path):
    bare = tmp_path / "bin"  # a PATH with python's folder only: no docker, no podman
    bare.mkdir()
    result = run_cli("local", "run", str(_spec(run_cli, "osmo/single-gpu.yaml")), env={"PATH": str(bare)})

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines()[-1] == (
        "submit: error: no container engine: docker or podman is not on PATH; install Docker (scripts/setup-docker.sh) or Podman"
    )
    assert _nothing_written(run_cli)
    assert shutil.which("docker", path=str(bare)) is None

"""Job images: size, build time (cold with --cold, warm always), container start against installing the
requirements at job start, and `submit local run` over `python -m training` in the venv.

Needs the image tier's images (tests/images builds them: robo-submit-ci/<name>:built, on the stand-in bases
of scripts/make-base-images.sh) and a Docker engine (scripts/setup-docker.sh).

- size: `docker image inspect` of each built image.
- warm build: `submit image build NAME --base <stand-in>` again, nothing changed (every layer cached), and
  after a change under training/ (a comment appended to a copy of the tree: only the layers after the lock
  rebuild). --cold also builds with --no-cache into a scratch tag, removed afterwards (minutes and ~15 GB).
- start: to the trainer's first line of work, in the warm image (`python -c` importing what the trainer
  imports before its first step), against the reference scripts' way: the stock base, `pip install` of the
  same requirements at job start, then the same imports.
- local run: the same tiny gymnasium training (CartPole-v1, MLflow off) as `python -m training rl` in the
  venv, and as the rendered Azure ML spec run by `submit local run` in the kit-less Isaac Lab 3 image.

Run: .venv/bin/python -m benchmarks.images [--cold]   (writes its section of docs/benchmarks.md)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, machine_line, time_process, write_section

BASES = {"isaaclab3": "robo-submit/base-python:3.12", "lerobot": "robo-submit/base-python:3.11"}
BUILT = {"isaaclab3": "robo-submit-ci/isaaclab3:built", "lerobot": "robo-submit-ci/lerobot:built"}
SUBMIT = str(REPO / ".venv" / "bin" / "submit")
IMPORTS = {
    "lerobot": "import lerobot.scripts.lerobot_train, torch, mlflow, azureml.mlflow",
    "trainer": "import skrl, mlflow, wandb, azure.keyvault.secrets",
}
CARTPOLE = {"ROBO_TASK": "CartPole-v1", "ROBO_NUM_ENVS": "4", "ROBO_MAX_ITERATIONS": "2", "ROBO_MLFLOW": "false",
            "ROBO_REGISTER": "false"}  # fmt: skip


def run(cold: bool = False) -> dict:
    docker = shutil.which("docker") or "docker"
    rows = []
    for name in BUILT:
        rows.append({"name": name, "size": _size(docker, BUILT[name]), **_builds(docker, name, cold)})
    start = _start(docker)
    local = _local_run()
    _write(rows, start, local, cold)
    return {"rows": rows, "start": start, "local": local}


def _size(docker: str, image: str) -> int:
    return int(_out([docker, "image", "inspect", "--format", "{{.Size}}", image]))


def _builds(docker: str, name: str, cold: bool) -> dict:
    figures = {"warm": _build(REPO, name, BUILT[name])}
    with tempfile.TemporaryDirectory(prefix="robo-bench-") as tmp:
        tree = Path(tmp) / "repo"
        for part in ("training", "workflows", ".dockerignore", "pyproject.toml", "src"):
            source = REPO / part
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, tree / part)
        (tree / "training" / "__init__.py").open("a", encoding="utf-8").write("# benchmark: a trainer change\n")
        figures["changed"] = _build(tree, name, f"robo-submit-ci/{name}:bench-changed")
        if cold:
            figures["cold"] = _build(REPO, name, f"robo-submit-ci/{name}:bench-cold", "--no-cache")
    for tag in (f"robo-submit-ci/{name}:bench-changed", f"robo-submit-ci/{name}:bench-cold"):
        subprocess.run([docker, "image", "rm", tag], capture_output=True, check=False)
    return figures


def _build(tree: Path, name: str, tag: str, *extra: str) -> float:
    from submit import images

    image = images.job_image(name)
    client, env = images.engine_for_build(os.environ)
    argv = images.build_argv(client, image, tag, base=BASES[name], context=tree)
    argv[-1:-1] = list(extra)
    argv[argv.index("-f") + 1] = str(tree / "workflows" / "images" / image.dockerfile.name)
    return time_process(argv, env=env)


def _start(docker: str) -> dict:
    run_ = [docker, "run", "--rm", "--network", "host"]
    mount = ["--mount", f"type=bind,source={REPO / 'workflows' / 'images'},target=/req,readonly"]
    pip = "python -m pip install -q pip==26.0.1 && python -m pip install -q"
    return {
        "lerobot_warm": time_process([*run_, BUILT["lerobot"], "python", "-c", IMPORTS["lerobot"]]),
        "lerobot_install": time_process([*run_, *mount, BASES["lerobot"], "sh", "-c",
            f"{pip} --no-deps -r /req/requirements-lerobot.txt && python -c '{IMPORTS['lerobot']}'"]),
        "trainer_warm": time_process([*run_, BUILT["isaaclab3"], "python", "-c", IMPORTS["trainer"]]),
        "trainer_install": time_process([*run_, *mount, BASES["lerobot"], "sh", "-c",
            f"{pip} -r /req/requirements-trainer.txt && python -c '{IMPORTS['trainer']}'"]),
    }


def _local_run() -> dict:
    env = {**os.environ, **CARTPOLE}
    venv = time_process([str(REPO / ".venv" / "bin" / "python"), "-m", "training", "rl", "--output-dir", "/tmp/robo-bench-out"], env=env)
    shutil.rmtree("/tmp/robo-bench-out", ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="robo-bench-run-") as tmp:
        spec = Path(tmp) / "job.yaml"
        render = [SUBMIT, "azureml", "training", "-t", "CartPole-v1", "-n", "4", "-m", "2", "--no-mlflow",
                  "--skip-register-checkpoint", "-i", BUILT["isaaclab3"], "--dry-run", "-o", str(spec)]  # fmt: skip
        subprocess.run(render, check=True, capture_output=True)
        local = time_process([SUBMIT, "local", "run", str(spec)], cwd=Path(tmp))
    return {"venv": venv, "local_run": local}


def _out(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def _write(rows: list[dict], start: dict, local: dict, cold: bool) -> None:
    def seconds(value: float | None) -> str:
        return f"{value:.0f} s" if value is not None and value >= 10 else (f"{value:.1f} s" if value is not None else "not run (--cold)")

    lines = [
        "## Job images (benchmarks/images.py)",
        "",
        f"Machine: {machine_line()}. Docker 20.10 (BuildKit), stand-in bases (scripts/make-base-images.sh); one run each.",
        "",
        "| image | size | cold build | rebuild, nothing changed | rebuild after a training/ change |",
        "|---|---|---|---|---|",
        *[f"| {r['name']} | {r['size'] / 1e9:.2f} GB | {seconds(r.get('cold'))} | {seconds(r['warm'])} | "
          f"{seconds(r['changed'])} |" for r in rows],
        "",
        "| before the first training step | time |",
        "|---|---|",
        f"| LeRobot image: start the container, import what the trainer imports | {seconds(start['lerobot_warm'])} |",
        f"| stock base: `pip install` the LeRobot lock at job start, then the same imports | {seconds(start['lerobot_install'])} |",
        f"| kit-less Isaac Lab 3 image: start, import the trainer's requirements | {seconds(start['trainer_warm'])} |",
        f"| stock Python 3.11 base: `pip install -r requirements-trainer.txt` at job start (the reference scripts' way), then the same imports | {seconds(start['trainer_install'])} |",
        "",
        "| CartPole-v1, 2 iterations, 4 envs, MLflow off | wall |",
        "|---|---|",
        f"| `python -m training rl` in .venv | {seconds(local['venv'])} |",
        f"| the rendered Azure ML spec, `submit local run` in the kit-less Isaac Lab 3 image | {seconds(local['local_run'])} |",
        f"| overhead of `submit local run` (container, engine, spec handling; other Python and torch build) | {seconds(local['local_run'] - local['venv'])} |",
    ]
    body = "\n".join(lines)
    write_section("images", body)
    print(body)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()
    run(cold="--cold" in sys.argv[1:])
    print(f"images: {time.perf_counter() - started:.0f} s", file=sys.stderr)

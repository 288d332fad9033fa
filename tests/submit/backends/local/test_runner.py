"""`submit local training` that does not finish: the trainer fails mid-training, or the user presses Ctrl-C.

Nothing is replaced: the CLI runs as its own process (as from a shell), starts the real trainer, and
skrl trains CartPole on the CPU, tracked in `mlruns.db` in the working directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.submit.conftest import REPO

TINY = REPO / "tests" / "training" / "data" / "tiny_ppo_cartpole.yaml"
INTERRUPTED = re.compile(
    r"submit: error: interrupted at timestep (\d+); nothing was registered; last checkpoint (\S+) "
    r"\(resume with --checkpoint-mode resume --checkpoint-uri runs:/(\w+)/checkpoints/(agent_\d+\.pt)\)"
)


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "submit.cli_entry", "local", "training", "-n", "4", *args]


def _store(tmp_path: Path) -> Any:
    # lazy, as in commands/test_local.py: the rest of tests/submit never loads mlflow
    from mlflow import MlflowClient

    return MlflowClient(f"sqlite:///{tmp_path / 'mlruns.db'}")


def _runs(client: Any) -> list:
    return client.search_runs([e.experiment_id for e in client.search_experiments()])


@pytest.mark.slow
def test_a_trainer_failing_mid_training_exits_1_with_one_line_and_registers_nothing(tmp_path):
    # 1000 mini-batches of a 32-sample rollout: skrl's first update fails, after training has started.
    broken = tmp_path / "broken.yaml"
    broken.write_text(TINY.read_text(encoding="utf-8").replace("mini_batches: 2", "mini_batches: 1000"))
    args = ("--agent-config", str(broken), "--timesteps", "200", "--job-name", "fails")
    result = subprocess.run(
        _command(*args), cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert "error: training failed; nothing was registered" in lines  # the trainer's own last word
    outputs = (tmp_path / "outputs" / "fails").resolve()
    assert lines[-1] == (
        f"submit: error: training failed (trainer exit 1); nothing was registered. Outputs: {outputs}"
    )
    client = _store(tmp_path)
    assert client.search_registered_models() == []
    [run] = _runs(client)
    assert (run.info.status, run.data.tags["training_outcome"]) == ("FAILED", "failed")


def _stop_mid_training(tmp_path: Path, name: str, stop: Any) -> tuple[int, str, str, list, Path]:
    """Start `submit local training` as a shell would, call `stop(cli)` once training is under way,
    wait for the CLI: (exit code, stdout, stderr, the trainer processes seen, the metrics ledger)."""
    args = ("--agent-config", str(TINY), "--timesteps", "1000000", "--job-name", name)
    with open(tmp_path / "stdout.txt", "w") as out, open(tmp_path / "stderr.txt", "w") as err:
        # Its own process group, as a shell gives a foreground job.
        cli = subprocess.Popen(
            _command(*args, "--mlflow-log-interval", "step"),
            cwd=tmp_path, env=_env(tmp_path), stdout=out, stderr=err, start_new_session=True,
        )  # fmt: skip
    trainers: list = []
    try:
        ledger = tmp_path / "outputs" / name / "metrics.jsonl"
        deadline = time.monotonic() + 300
        while not (ledger.exists() and ledger.read_text().count("\n") >= 2):  # training is under way
            assert cli.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        [trainer] = psutil.Process(cli.pid).children()
        assert trainer.cmdline()[1:4] == ["-m", "training", "rl"]
        # Below it, the MLflow store process of the local sqlite store (training/tracking/store_process.py).
        assert [p.cmdline()[1:3] for p in trainer.children()] == [["-m", "training.tracking.store_process"]]
        trainers = [trainer, *trainer.children()]
        stop(cli)
        code = cli.wait(300)
    except BaseException:
        # The trainer runs in a process group of its own: a test failing here would leave it training its
        # 1,000,000-step budget beside the rest of the tier. (On success the caller checks they are gone.)
        _kill_all([*_descendants(cli), *trainers])
        raise
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)  # the group this test started, by its id
            cli.wait()
    stdout, stderr = (tmp_path / "stdout.txt").read_text(), (tmp_path / "stderr.txt").read_text()
    return code, stdout, stderr, trainers, ledger


def _descendants(cli: subprocess.Popen) -> list:
    try:
        return psutil.Process(cli.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _kill_all(processes: list) -> None:
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


def _assert_stopped_cleanly(tmp_path: Path, stderr: str, trainers: list, ledger: Path, signame: str) -> None:
    """No trainer (nor its store process) left, one last line naming the checkpoint, which is uploaded; flushed; nothing registered."""
    import torch  # lazy: only these tests read a checkpoint

    assert "Traceback" not in stderr
    assert not [p.pid for p in trainers if psutil.pid_exists(p.pid)]  # the CLI waited for its trainer
    lines = stderr.splitlines()
    match = INTERRUPTED.fullmatch(lines[-1])
    assert match, lines[-1]
    step, checkpoint, run_id, name = int(match[1]), Path(match[2]), match[3], match[4]
    assert (
        f"training stopped by {signame} after timestep {step}; last checkpoint written, nothing registered"
        in lines
    )
    assert 0 < step < 1_000_000 and checkpoint.name == name == f"agent_{step}.pt"
    assert torch.load(checkpoint, weights_only=True)["trainer_state"]["timestep"] == step

    client = _store(tmp_path)
    assert client.search_registered_models() == []
    run = client.get_run(run_id)
    assert (run.info.status, run.data.tags["training_outcome"]) == ("KILLED", "interrupted")
    assert f"checkpoints/{name}" in {f.path for f in client.list_artifacts(run_id, "checkpoints")}
    logged = {m.step for m in client.get_metric_history(run_id, "timesteps")}
    assert logged == {json.loads(line)["step"] for line in ledger.read_text().splitlines()}  # flushed


@pytest.mark.slow
@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(lambda cli: os.killpg(cli.pid, signal.SIGINT), id="Ctrl-C"),  # to the foreground group
        pytest.param(lambda cli: os.kill(cli.pid, signal.SIGINT), id="kill -INT PID"),  # the CLI alone
    ],
)
def test_ctrl_c_keeps_the_last_checkpoint_registers_nothing_leaves_no_trainer_and_exits_130(tmp_path, stop):
    code, stdout, stderr, trainers, ledger = _stop_mid_training(tmp_path, "ctrl-c", stop)
    assert (code, stdout) == (130, "")
    _assert_stopped_cleanly(tmp_path, stderr, trainers, ledger, "SIGINT")


@pytest.mark.slow
@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(
            lambda cli: os.kill(cli.pid, signal.SIGTERM), id="the CLI alone"
        ),  # kill PID, a CI cancel
        pytest.param(lambda cli: os.killpg(cli.pid, signal.SIGTERM), id="its process group"),  # both get it
    ],
)
def test_sigterm_stops_the_trainer_too_keeps_its_checkpoint_and_exits_143(tmp_path, stop):
    code, stdout, stderr, trainers, ledger = _stop_mid_training(tmp_path, "sigterm", stop)
    assert (code, stdout) == (143, "")
    _assert_stopped_cleanly(tmp_path, stderr, trainers, ledger, "SIGTERM")


def _sigterm_the_trainer(cli: subprocess.Popen) -> None:
    [trainer] = psutil.Process(cli.pid).children()
    os.kill(trainer.pid, signal.SIGTERM)  # what a cluster sends: to the trainer, not to the CLI


@pytest.mark.slow
def test_sigterm_to_the_trainer_itself_is_a_preemption_reported_as_the_clis_own(tmp_path):
    code, stdout, stderr, trainers, ledger = _stop_mid_training(tmp_path, "preempted", _sigterm_the_trainer)
    assert (code, stdout) == (143, "")
    _assert_stopped_cleanly(tmp_path, stderr, trainers, ledger, "SIGTERM")

"""`submit local run SPEC` with real Docker: rendered specs, their command changed to a small probe.

The specs are what `submit azureml training` and `submit osmo training` write with --dry-run; only the
command (and the image: the stand-in base of scripts/make-base-images.sh, which has Python but not the
trainer) is changed, with a YAML library. The probe reports what reached it (its environment, its
working directory's files, the tracking server) into the output binding and exits as it is told. The
CLI runs as its own process, as from a shell; the MLflow servers are real. Runs of the real trainer in
the real job images are in the image tier's other modules.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from submit import yamlio
from tests.images.conftest import SUBMIT

pytestmark = pytest.mark.images

PROBE = r"""
import json, os, signal, sys, time, urllib.request

out = sys.argv[1]
uri = os.environ.get("MLFLOW_TRACKING_URI", "")
seen = {
    "argv": sys.argv[1:],
    "env": {k: v for k, v in os.environ.items() if k.startswith(("ROBO_", "PROBE_", "AZURE_ML_", "WANDB_", "MLFLOW_TRACKING_URI"))},
    "cwd": os.getcwd(),
    "files": sorted(os.listdir(".")),
}
if uri.startswith("http"):
    request = urllib.request.Request(
        uri + "/api/2.0/mlflow/experiments/create", data=json.dumps({"name": os.environ["PROBE_EXPERIMENT"]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    experiment = json.load(urllib.request.urlopen(request, timeout=30))["experiment_id"]
    with urllib.request.urlopen(uri + "/api/2.0/mlflow/experiments/get?experiment_id=" + experiment, timeout=30) as got:
        location = json.load(got)["experiment"]["artifact_location"]
    if location.startswith("/"):  # the local store: its artifacts folder is mounted at the same path
        os.makedirs(location, exist_ok=True)
        open(os.path.join(location, "from-the-container.txt"), "w").write("ok")
    seen["artifact_location"] = location
with open(os.path.join(out, "probe.json"), "w") as handle:
    json.dump(seen, handle)
if os.environ.get("PROBE_WAIT"):
    def stop(signum, frame):
        open(os.path.join(out, "agent_5.pt"), "w").write("checkpoint")
        print("ROBO_RESULT " + json.dumps({"status": "interrupted", "timesteps": 5, "run_id": "abc123", "checkpoint": out + "/agent_5.pt"}), flush=True)
        sys.exit(128 + signum)
    def stubborn(signum, frame):
        print("probe goes on", file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, stubborn if os.environ.get("PROBE_STUBBORN") else stop)
    print("probe ready", file=sys.stderr, flush=True)
    time.sleep(120)
sys.exit(int(os.environ.get("PROBE_EXIT", "0")))
"""


@pytest.fixture
def base_image(bases: dict[str, str]) -> str:
    """The stand-in Python 3.12 base, the job images' (tests/images/conftest.py: Docker answering, the bases made once)."""
    return bases["lerobot"]


def _submit(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([SUBMIT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "SUBMIT_CONTAINER_ENGINE")}
    return {**keep, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / ".cache"), **extra}


def _render(backend: str, tmp_path: Path, name: str) -> dict[str, Any]:
    done = _submit(backend, "training", "-t", "CartPole-v1", "-n", "4", "--dry-run", "-o", name, cwd=tmp_path, env=_env(tmp_path))
    assert done.returncode == 0, done.stderr
    return yamlio.load_file(tmp_path / name)


def _write(spec: dict[str, Any], path: Path) -> Path:
    path.write_text(yamlio.dump(spec), encoding="utf-8")
    return path


def _probe(output_dir: Path) -> dict[str, Any]:
    return json.loads((output_dir / "probe.json").read_text())


def _client(uri: str):
    from mlflow.tracking import MlflowClient  # lazy: heavy, and only these tests need it

    return MlflowClient(tracking_uri=uri)


def test_an_azureml_job_gets_its_environment_code_snapshot_and_output_and_returns_the_exit_status(tmp_path, base_image, mlflow_server):
    code = tmp_path / "code"
    code.mkdir()
    (code / "probe.py").write_text(PROBE)
    (code / "kept.txt").write_text("kept")
    (code / "secret.txt").write_text("left out by .amlignore")
    (code / ".amlignore").write_text("secret.txt\n")
    spec = _render("azureml", tmp_path, "job.yaml")
    spec["code"] = "code"
    spec["command"] = "python probe.py ${{outputs.checkpoints}}"
    spec["environment"] = {"image": base_image}
    spec["environment_variables"] |= {"PROBE_EXIT": "7", "PROBE_EXPERIMENT": "probe-azureml", "ROBO_NOTE": "a b; $(exit 3)"}

    done = _submit("local", "run", str(_write(spec, tmp_path / "job.yaml")), cwd=tmp_path, env=_env(tmp_path, MLFLOW_TRACKING_URI=mlflow_server.uri))

    output = tmp_path / "outputs" / "isaaclab-training-1"  # no job name: its experiment, numbered
    assert done.returncode == 7, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == f"submit: error: isaaclab-training-1 exited 7 in its container; outputs: {output}"
    seen = _probe(output)
    assert seen["argv"] == ["/job/outputs/checkpoints"]
    assert seen["env"]["ROBO_TASK"] == "CartPole-v1" and seen["env"]["ROBO_NUM_ENVS"] == "4"
    assert seen["env"]["ROBO_NOTE"] == "a b; $(exit 3)"  # a value, never shell text
    assert seen["env"]["AZURE_ML_OUTPUT_checkpoints"] == "/job/outputs/checkpoints"
    assert seen["env"]["MLFLOW_TRACKING_URI"] == mlflow_server.uri
    assert (seen["cwd"], seen["files"]) == ("/job/code", [".amlignore", "kept.txt", "probe.py"])
    assert _client(mlflow_server.uri).get_experiment_by_name("probe-azureml") is not None  # reached from the container
    assert not (code / "__pycache__").exists()  # the job ran in a copy of the snapshot


def test_an_osmo_workflow_gets_its_files_credentials_and_output_and_tracks_to_the_local_store(tmp_path, base_image):
    spec = _render("osmo", tmp_path, "wf.yaml")
    task = spec["workflow"]["tasks"][0]
    task["command"] = ["python", "/opt/probe/probe.py"]
    task["args"] = ["{{output}}", "{{workflow_id}}"]
    task["files"] = [{"path": "/opt/probe/probe.py", "contents": PROBE}]
    task["credentials"] = {"wandb": {"WANDB_API_KEY": "wandb_api_key"}}
    task["environment"]["PROBE_EXPERIMENT"] = "probe-osmo"

    done = _submit(
        "local", "run", str(_write(spec, tmp_path / "wf.yaml")), "--image", base_image,
        cwd=tmp_path, env=_env(tmp_path, WANDB_API_KEY="w" * 40),
    )  # fmt: skip

    output = tmp_path / "outputs" / "isaaclab-training-1"  # OSMO's numbering of the workflow's name
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == f"isaaclab-training-1 finished (exit 0); outputs: {output}"
    seen = _probe(output)
    assert seen["argv"] == ["/job/outputs", "isaaclab-training-1"]
    assert seen["env"]["ROBO_TASK"] == "CartPole-v1" and seen["env"]["WANDB_API_KEY"] == "w" * 40
    assert seen["env"]["MLFLOW_TRACKING_URI"].startswith("http://127.0.0.1:")  # the local store, served for the run
    store = _client(f"sqlite:///{tmp_path / 'mlruns.db'}")
    experiment = store.get_experiment_by_name("probe-osmo")
    assert experiment is not None and experiment.artifact_location == seen["artifact_location"]
    assert (Path(experiment.artifact_location) / "from-the-container.txt").read_text() == "ok"
    assert Path(experiment.artifact_location).is_relative_to(tmp_path / "mlruns")  # where local training keeps them


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_reaches_the_job_as_a_preemption_and_its_resume_hint_names_the_local_checkpoint(tmp_path, base_image, signum):
    spec = _render("osmo", tmp_path, "wf.yaml")
    task = spec["workflow"]["tasks"][0]
    task["command"] = ["python", "/opt/probe/probe.py", "{{output}}"]
    task["files"] = [{"path": "/opt/probe/probe.py", "contents": PROBE}]
    task["environment"] |= {"PROBE_WAIT": "1", "ROBO_MLFLOW": "false"}
    command = [SUBMIT, "local", "run", str(_write(spec, tmp_path / "wf.yaml")), "--image", base_image]

    cli = subprocess.Popen(command, cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in cli.stderr:  # the job's own stderr streams through
        lines.append(line)
        if line.startswith("probe ready"):
            break
    cli.send_signal(signum)
    rest, _ = cli.communicate(timeout=120)[::-1]
    lines += rest.splitlines(keepends=True)

    output = tmp_path / "outputs" / "isaaclab-training-1"
    assert cli.returncode == 143, "".join(lines)  # SIGTERM, as a cluster preempts, whichever signal came
    assert lines[-1] == (
        f"submit: error: interrupted at timestep 5; nothing was registered; last checkpoint {output / 'agent_5.pt'} "
        "(resume with --checkpoint-mode resume --checkpoint-uri runs:/abc123/checkpoints/agent_5.pt)\n"
    )
    assert (output / "agent_5.pt").read_text() == "checkpoint"
    containers = subprocess.run(["docker", "ps", "-aq", "--filter", "name=robo-submit-isaaclab-training-1"], capture_output=True, text=True, check=True)
    assert containers.stdout == ""  # none left behind


def test_an_environment_the_spec_has_built_is_built_here_with_the_engine_and_run(tmp_path, base_image):
    context = tmp_path / "env"
    (context / "images").mkdir(parents=True)
    (context / "probe.py").write_text(PROBE)
    (context / "images" / "Dockerfile").write_text("ARG BASE=python:3.11-slim\nFROM ${BASE}\nCOPY probe.py /opt/probe/probe.py\n")
    spec = _render("azureml", tmp_path, "job.yaml")
    spec.pop("code")
    spec["command"] = "python /opt/probe/probe.py ${{outputs.checkpoints}}"
    spec["environment"] = {"build": {"path": "env", "dockerfile_path": "images/Dockerfile"}}
    spec["environment_variables"]["ROBO_MLFLOW"] = "false"
    job = _write(spec, tmp_path / "job.yaml")

    done = _submit("local", "run", str(job), "--build-arg", f"BASE={base_image}", cwd=tmp_path, env=_env(tmp_path))

    assert done.returncode == 0, done.stderr
    assert _probe(tmp_path / "outputs" / "isaaclab-training-1")["argv"] == ["/job/outputs/checkpoints"]
    assert "building the job's environment from " in done.stderr
    tag = next(line.split(" as ")[-1] for line in done.stderr.splitlines() if line.startswith("building the job's environment"))
    subprocess.run(["docker", "image", "rm", tag], capture_output=True, check=False)  # made by this test


def test_a_default_image_not_built_here_names_the_command_that_builds_it_and_nothing_is_written(tmp_path, engine):
    # The Kit image (rl) cannot be built on this machine kind (its base, Isaac Sim, is not reachable), so it is absent.
    from submit.trainer_contract import trainer_image

    spec = _render("osmo", tmp_path, "wf.yaml")
    assert spec["workflow"]["tasks"][0]["image"] == trainer_image("rl")

    done = _submit("local", "run", str(tmp_path / "wf.yaml"), cwd=tmp_path, env=_env(tmp_path))

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines()[-1] == (
        f"submit: error: image {trainer_image('rl')} is not on this machine and docker could not pull it (its error "
        "above); build it with `submit image build rl`"
    )
    assert not (tmp_path / "outputs").exists() and not (tmp_path / "mlruns.db").exists()


def test_a_job_that_goes_on_after_the_preemption_is_killed_by_a_second_stop(tmp_path, base_image):
    spec = _render("osmo", tmp_path, "wf.yaml")
    task = spec["workflow"]["tasks"][0]
    task["command"] = ["python", "/opt/probe/probe.py", "{{output}}"]
    task["files"] = [{"path": "/opt/probe/probe.py", "contents": PROBE}]
    task["environment"] |= {"PROBE_WAIT": "1", "PROBE_STUBBORN": "1", "ROBO_MLFLOW": "false"}
    command = [SUBMIT, "local", "run", str(_write(spec, tmp_path / "wf.yaml")), "--image", base_image]

    cli = subprocess.Popen(command, cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for expected, then in (("probe ready", signal.SIGTERM), ("probe goes on", signal.SIGINT)):
        assert any(line.startswith(expected) for line in cli.stderr), expected
        cli.send_signal(then)
    rest = cli.communicate(timeout=120)[1]

    output = tmp_path / "outputs" / "isaaclab-training-1"
    assert cli.returncode == 137, rest  # SIGKILL
    assert rest.splitlines()[-1] == (
        f"submit: error: isaaclab-training-1 stopped (exit 137; the stop was passed on as SIGTERM, a preemption); outputs: {output}"
    )

"""An OSMO workflow spec as the container `submit local run` starts: pure, no engine involved."""

from __future__ import annotations

import base64
import copy

import pytest

from submit import yamlio
from submit.backends.local.job import Refused, SpecFile
from submit.backends.local.osmo_job import container_job
from tests.submit.conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "osmo"


def _golden(name: str) -> dict:
    return yamlio.load_file(GOLDEN / f"{name}.yaml")


def _job(spec: dict, environ: dict | None = None, **kwargs):
    return container_job(spec, GOLDEN, environ or {}, job_id=kwargs.pop("job_id", "cartpole-1-3"), **kwargs)


def _refusal(spec: dict, environ: dict | None = None) -> str:
    with pytest.raises(Refused) as refused:
        _job(spec, environ)
    return str(refused.value)


def test_a_rendered_workflow_runs_its_command_as_the_entrypoint_with_output_bound_to_the_outputs_folder():
    spec = _golden("single-gpu")
    job = _job(spec)

    assert job.image == spec["workflow"]["tasks"][0]["image"]
    assert job.argv == ("python", "-m", "training", "rl", "--output-dir", "/job/outputs")  # no shell, as OSMO runs it
    assert job.output == "/job/outputs"
    assert job.env["ROBO_TASK"] == "Isaac-Cartpole-Direct" and job.env["ROBO_JOB_NAME"] == "cartpole-1"
    assert (job.name, job.gpus, job.code, job.workdir, job.files, job.from_host) == ("cartpole-1", 1, None, None, (), ())


def test_shipped_code_becomes_files_at_their_paths():
    spec = _golden("local-code")
    job = _job(spec)

    first = spec["workflow"]["tasks"][0]["files"][0]
    assert job.files[0] == SpecFile(first["path"], base64.b64decode(first["contents"]))
    assert len(job.files) == len(spec["workflow"]["tasks"][0]["files"])
    assert job.env["PYTHONPATH"] == "/opt/robo-submit/code"


def test_special_tokens_are_substituted_everywhere_in_the_task_and_plain_files_are_kept_as_text():
    spec = _golden("single-gpu")
    task = spec["workflow"]["tasks"][0]
    task["args"] = ["{{workflow_id}}", "{{host:train}}", 3, True]
    task["environment"]["OUT"] = "{{output}}/x"
    task["files"] = [{"path": "/opt/run.sh", "contents": "echo {{workflow_id}}\n"}]

    job = _job(spec, job_id="cartpole-1-7")

    assert job.argv[-4:] == ("cartpole-1-7", "127.0.0.1", "3", "True")  # values coerced as the server does
    assert job.env["OUT"] == "/job/outputs/x"
    assert job.files == (SpecFile("/opt/run.sh", b"echo cartpole-1-7\n"),)


def test_a_stored_credential_mapped_to_a_variable_is_taken_from_this_shell_by_name():
    spec = _golden("lerobot-hub")

    assert _job(spec, {"HF_TOKEN": "hf_" + "x" * 30}).from_host == ("HF_TOKEN",)
    assert _refusal(spec) == (
        "workflow.tasks[0].credentials.huggingface.HF_TOKEN: OSMO sets HF_TOKEN from stored credential 'huggingface'; "
        "export HF_TOKEN on this machine to stand in for it, or remove the mapping"
    )


def test_output_urls_and_checkpoint_uploads_are_named_as_not_done_here():
    spec = _golden("single-gpu")
    spec["workflow"]["tasks"][0] |= {
        "outputs": [{"url": "azure://robostore/runs/x"}],
        "checkpoint": [{"path": "/job/outputs", "url": "azure://robostore/ck", "frequency": "10m"}],
    }

    assert _job(spec).notes == (
        "workflow.tasks[0].checkpoint: no periodic upload here; checkpoints stay in outputs/<job>/",
        "workflow.tasks[0].outputs[0].url: azure://robostore/runs/x is not uploaded from here; the output stays in outputs/<job>/",
    )


def _with_task(**fields) -> dict:
    spec = copy.deepcopy(_golden("single-gpu"))
    spec["workflow"]["tasks"][0] |= fields
    return spec


@pytest.mark.parametrize(
    ("spec", "line"),
    [
        (
            _golden("multi-node"),
            "workflow.groups[0].tasks: 4 tasks (several nodes); a local run is one node: render it with --num-nodes 1",
        ),
        (
            _golden("url-code"),
            "workflow.tasks[0].inputs[0].url: a local run fetches no inputs (OSMO downloads them from storage or an "
            "earlier task); ship the code with --code-source local, or run the data on this machine",
        ),
        (
            {"workflow": {"name": "w", "tasks": [_golden("single-gpu")["workflow"]["tasks"][0]] * 2}},
            "workflow.tasks: 2 tasks; a local run runs a workflow of one task",
        ),
        (_with_task(volumeMounts=["/dev/shm"]), "workflow.tasks[0].volumeMounts: host mounts are not made by a local run; remove them"),
        (_with_task(privileged=True), "workflow.tasks[0].privileged: a local run starts no privileged container; remove it"),
        (
            _with_task(credentials={"wandb": "/etc/wandb"}),
            "workflow.tasks[0].credentials.wandb: a credential mounted as files cannot be stood in for here; map it to variables",
        ),
    ],
)
def test_what_cannot_run_here_is_refused_naming_the_spec_field(spec, line):
    assert _refusal(spec) == line

"""`--wait` on the cloud job commands: status changes on stderr, the exit status of the job, Ctrl-C leaves it running.

Azure ML and OSMO are replaced at their seams only: the azure-core transport of tests/submit/fake_azure.py (the
real azure-ai-ml asks for the job; the fake workspace answers a sequence of statuses) and the `osmo` executable of
tests/submit/fake_osmo.py (a sequence of `workflow query` answers). The poll interval is set to 0 here.
"""

from __future__ import annotations

import json
import signal

import pytest

from submit import waiting
from submit.backends.azureml import client as azureml_client
from tests.submit import fake_osmo
from tests.submit.fake_azure import WORKSPACE_FLAGS, FakeAzureML, FakeCredential, Workspace
from tests.submit.fake_osmo import WORKFLOW_ID

AZUREML_JOB = ("azureml", "training", "-t", "Isaac-Cartpole-Direct", "--compute", "gpu-a100", "--job-name", "cartpole-1", *WORKSPACE_FLAGS)
IMAGE = "robots.azurecr.io/robo-submit/isaaclab@sha256:" + "ab" * 32
OSMO_JOB = ("osmo", "training", "-t", "Isaac-Cartpole-Direct", "--pool", "h100", "-i", IMAGE, "--no-preflight")


@pytest.fixture(autouse=True)
def no_poll_interval(monkeypatch):
    monkeypatch.setattr(waiting, "POLL_SECONDS", 0)


@pytest.fixture
def azure(monkeypatch):
    fake = FakeAzureML(Workspace())
    monkeypatch.setattr(azureml_client, "connection", lambda: azureml_client.Connection(FakeCredential(), fake))
    return fake


@pytest.fixture
def osmo(tmp_path):
    return fake_osmo.install(tmp_path, workflow_submit=fake_osmo.submitted())


def _status_lines(stderr: str, job_id: str) -> list[str]:
    return [line.removeprefix(f"{job_id}: ") for line in stderr.splitlines() if line.startswith(f"{job_id}: ")]


def test_azureml_wait_says_each_status_change_once_and_exits_0_when_the_job_completes(run_cli, azure):
    azure.workspace.job_statuses = ["Queued", "Running", "Running", "Running", "Completed"]
    result = run_cli(*AZUREML_JOB, "--wait")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert _status_lines(result.stderr, "cartpole-1") == ["Queued", "Running", "Completed"]
    assert result.stderr.index("submitted cartpole-1") < result.stderr.index("cartpole-1: Queued")
    assert len(azure.calls("GET", "/jobs/cartpole-1$")) == 5


@pytest.mark.parametrize("final", ["Failed", "Canceled"])
def test_azureml_wait_exits_1_when_the_job_fails_or_is_cancelled_after_the_json_result_with_its_status(run_cli, azure, final):
    azure.workspace.job_statuses = ["Running", final]
    result = run_cli(*AZUREML_JOB, "--wait", "--output-format", "json")
    assert result.exit_code == 1
    answer = json.loads(result.stdout)  # one object, printed once the job ended
    assert (answer["backend"], answer["job_id"], answer["status"]) == ("azureml", "cartpole-1", final)
    assert answer["spec"]["command"] == "python -m training rl --output-dir ${{outputs.checkpoints}}"
    assert result.stderr.splitlines()[-1] == f"submit: error: azureml job cartpole-1 ended {final}"


def test_azureml_json_result_with_wait_carries_the_final_status(run_cli, azure):
    azure.workspace.job_statuses = ["Completed"]
    result = run_cli(*AZUREML_JOB, "--wait", "--output-format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "Completed"
    assert result.stdout.count("\n") == 1


def test_osmo_wait_follows_the_workflow_query_answers_to_completed(run_cli, osmo):
    osmo.answer(workflow_query=[fake_osmo.queried("PENDING"), fake_osmo.queried("RUNNING"), fake_osmo.queried("COMPLETED")])
    result = run_cli(*OSMO_JOB, "--wait", "--output-format", "json", env=osmo.path_env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "COMPLETED"
    assert _status_lines(result.stderr, WORKFLOW_ID) == ["PENDING", "RUNNING", "COMPLETED"]
    assert [call[:2] for call in osmo.calls()].count(["workflow", "query"]) == 3


@pytest.mark.parametrize("final", ["FAILED", "FAILED_CANCELED", "FAILED_PREEMPTED"])
def test_osmo_wait_exits_1_on_every_failed_status(run_cli, osmo, final):
    osmo.answer(workflow_query=[fake_osmo.queried("RUNNING"), fake_osmo.queried(final)])
    result = run_cli(*OSMO_JOB, "--wait", env=osmo.path_env)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"submit: error: osmo job {WORKFLOW_ID} ended {final}"


AZUREML_EVALUATION = ("azureml", "evaluation", "--model", "models:/cartpole/3", "-t", "CartPole-v1", "--compute", "gpu-a100",
                      "--job-name", "cartpole-eval-1", "--gate", "mean_return>=400", "--promote", "champion", "--no-preflight",
                      *WORKSPACE_FLAGS)  # fmt: skip
OSMO_EVALUATION = ("osmo", "evaluation", "--model", "models:/cartpole/3", "-t", "CartPole-v1", "--pool", "h100", "-i", IMAGE,
                   "--gate", "mean_return>=400", "--promote", "champion", "--no-preflight")  # fmt: skip
GATE_LINE = "the evaluation ran, a --gate did not hold; alias unchanged"


def test_azureml_evaluation_whose_gate_did_not_hold_exits_3_not_1(run_cli, azure):
    # The trainer tags its run gate_passed=false and exits 3; on Azure ML the run's tags are the job's tags.
    azure.workspace.job_statuses = ["Running", "Failed"]
    azure.workspace.job_tags = {"gate_passed": "false"}
    result = run_cli(*AZUREML_EVALUATION, "--wait", "--output-format", "json")
    assert result.exit_code == 3, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["status"], answer["gate_passed"]) == ("Failed", False)
    assert result.stderr.splitlines()[-1] == f"submit: error: azureml job cartpole-eval-1 ended Failed: {GATE_LINE}"


@pytest.mark.parametrize("tags", [{}, {"gate_passed": "true"}])
def test_azureml_evaluation_that_failed_for_another_reason_exits_1(run_cli, azure, tags):
    azure.workspace.job_statuses = ["Failed"]
    azure.workspace.job_tags = tags
    result = run_cli(*AZUREML_EVALUATION, "--wait")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "submit: error: azureml job cartpole-eval-1 ended Failed"


def test_a_training_job_tagged_gate_passed_false_is_still_a_plain_failure(run_cli, azure):
    azure.workspace.job_statuses = ["Failed"]
    azure.workspace.job_tags = {"gate_passed": "false"}
    assert run_cli(*AZUREML_JOB, "--wait").exit_code == 1


def test_osmo_evaluation_whose_task_exited_3_exits_3(run_cli, osmo):
    osmo.answer(workflow_query=[fake_osmo.queried("RUNNING"), fake_osmo.queried("FAILED", exit_code=3)])
    result = run_cli(*OSMO_EVALUATION, "--wait", "--output-format", "json", env=osmo.path_env)
    assert result.exit_code == 3, result.stderr
    assert json.loads(result.stdout)["gate_passed"] is False
    assert result.stderr.splitlines()[-1] == f"submit: error: osmo job {WORKFLOW_ID} ended FAILED: {GATE_LINE}"


@pytest.mark.parametrize(("final", "exit_code"), [("FAILED", 1), ("FAILED", None), ("FAILED_PREEMPTED", 3006), ("FAILED_CANCELED", 3)])
def test_osmo_evaluation_failed_otherwise_exits_1(run_cli, osmo, final, exit_code):
    osmo.answer(workflow_query=fake_osmo.queried(final, exit_code=exit_code))
    result = run_cli(*OSMO_EVALUATION, "--wait", env=osmo.path_env)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"submit: error: osmo job {WORKFLOW_ID} ended {final}"


def test_a_failed_status_query_is_asked_again_then_the_wait_goes_on(run_cli, osmo):
    osmo.answer(workflow_query=[fake_osmo.error("Service unavailable", 503, 10), fake_osmo.queried("COMPLETED")])
    result = run_cli(*OSMO_JOB, "--wait", env=osmo.path_env)
    assert result.exit_code == 0, result.stderr
    assert "note: osmo workflow query failed (exit 10): Service unavailable; asking again" in result.stderr


def test_a_status_query_failing_every_time_ends_the_wait_with_exit_1_saying_the_job_may_run_on(run_cli, osmo):
    osmo.answer(workflow_query=fake_osmo.error("Service unavailable", 503, 10))
    result = run_cli(*OSMO_JOB, "--wait", env=osmo.path_env)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "submit: error: osmo workflow query failed (exit 10): Service unavailable; "
        f"stopped waiting for {WORKFLOW_ID}, which may still be running"
    )


def test_ctrl_c_while_waiting_exits_130_on_one_line_and_cancels_nothing(run_cli, osmo, monkeypatch):
    osmo.answer(workflow_query=fake_osmo.queried("RUNNING"))
    # A real SIGINT to this process, delivered while the wait sleeps between two queries.
    monkeypatch.setattr("time.sleep", lambda _seconds: signal.raise_signal(signal.SIGINT))
    result = run_cli(*OSMO_JOB, "--wait", env=osmo.path_env)
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == (
        f"submit: error: stopped waiting; osmo job {WORKFLOW_ID} keeps running (`submit osmo status {WORKFLOW_ID}` "
        f"follows it, `submit osmo cancel {WORKFLOW_ID}` stops it)"
    )
    assert ["workflow", "cancel", WORKFLOW_ID, "-t", "json"] not in osmo.calls()


@pytest.mark.parametrize("backend", ["azureml", "osmo"])
def test_wait_with_a_dry_run_is_bad_input_on_one_line(run_cli, backend):
    result = run_cli(backend, "training", "--dry-run", "--wait")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "submit: error: --wait: waits for a submitted job, and --dry-run submits nothing; drop one\n"

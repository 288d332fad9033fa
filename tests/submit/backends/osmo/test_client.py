"""OSMO submission and tracking through the `osmo` CLI.

The one thing replaced is the `osmo` executable: tests/submit/fake_osmo.py writes one onto PATH
that records its argv and answers with the real CLI's JSON shapes (including its error object).
Everything on our side (rendering, preflight, the subprocess call, JSON parsing) is the real code.
"""

from __future__ import annotations

import json

import pytest

from tests.submit import fake_osmo
from tests.submit.fake_osmo import OVERVIEW, WORKFLOW_ID

IMAGE = "robots.azurecr.io/robo-submit/isaaclab@sha256:" + "ab" * 32  # what `submit image build rl --push` prints
JOB = ("osmo", "training", "-t", "Isaac-Cartpole-Direct", "-n", "64", "--pool", "h100", "-i", IMAGE)
TRACKED = ("--mlflow-tracking-uri", "https://mlflow.example.com", "--mlflow-credential", "mlflow-token")


@pytest.fixture
def osmo(tmp_path):
    return fake_osmo.install(
        tmp_path,
        workflow_submit=fake_osmo.submitted(),
        credential_list=fake_osmo.credentials("mlflow-token", "wandb"),
        pool_list=fake_osmo.pools(),
        workflow_query=fake_osmo.queried(),
    )


def test_workflow_id_comes_from_the_json_answer_and_the_file_sent_is_the_dry_run(run_cli, osmo):
    dry = run_cli(*JOB, *TRACKED, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    result = run_cli(*JOB, *TRACKED, "--output-format", "json", env=osmo.path_env)
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["backend"], answer["job_id"], answer["url"]) == ("osmo", WORKFLOW_ID, OVERVIEW)
    assert osmo.submitted_spec() == dry.stdout
    calls = osmo.calls()
    assert calls[:2] == [
        ["credential", "--format-type", "json", "list"],
        ["pool", "list", "--format-type", "json"],
    ]
    assert calls[2][:2] == ["workflow", "submit"]
    assert calls[2][3:] == ["-t", "json", "--priority", "NORMAL", "--pool", "h100"]
    assert "preflight: credentials mlflow-token, pool h100 (1 GPU) ok" in result.stderr


def test_text_output_names_the_workflow_and_its_overview(run_cli, osmo):
    result = run_cli(*JOB, "--priority", "high", env=osmo.path_env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"submitted {WORKFLOW_ID}\n{OVERVIEW}" in result.stderr
    assert osmo.calls()[-1][-4:] == ["--priority", "HIGH", "--pool", "h100"]


def test_a_submission_error_is_reported_on_one_line_with_exit_1(run_cli, osmo):
    osmo.answer(
        workflow_submit=fake_osmo.error(
            "Workflow isaaclab-training submit failed:\nPool h100 is in maintenance"
        )
    )
    result = run_cli(*JOB, env=osmo.path_env)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "submit: error: osmo workflow submit failed (exit 1): "
        "Workflow isaaclab-training submit failed: Pool h100 is in maintenance"
    )


def test_no_login_is_a_clear_error_naming_osmo_login(run_cli, osmo):
    osmo.answer(credential_list=fake_osmo.NOT_LOGGED_IN, workflow_submit=fake_osmo.NOT_LOGGED_IN)
    for extra in ((), ("--no-preflight",)):
        result = run_cli(*JOB, *extra, env=osmo.path_env)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[-1] == (
            'submit: error: osmo is not logged in (Must login first with "login" command); '
            "run `osmo login <service-url>` (see `osmo login --help`) and try again"
        )


def test_a_missing_osmo_binary_names_the_fix(run_cli, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = run_cli(*JOB, env={"PATH": str(empty)})
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "submit: error: the `osmo` CLI is not on PATH; "
        "install the OSMO CLI so that `osmo` is on PATH, then run `osmo login <service-url>`"
    )


@pytest.mark.parametrize(("command", "osmo_command"), [("status", "query"), ("logs", "logs"), ("cancel", "cancel")])
def test_an_osmo_binary_that_cannot_start_is_one_line_for_every_jobs_command(run_cli, tmp_path, command, osmo_command):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    broken = bin_dir / "osmo"
    broken.write_text("#!/nonexistent/interpreter\n")
    broken.chmod(0o755)
    result = run_cli("osmo", command, "wf-1", env={"PATH": str(bin_dir)})
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"submit: error: osmo workflow {osmo_command}: cannot run the osmo CLI (No such file or directory); "
        "install the OSMO CLI so that `osmo` is on PATH, then run `osmo login <service-url>`\n"
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            fake_osmo.text("Workflow submit successful.\nWorkflow ID        - isaaclab-training-7\n"),
            "osmo workflow submit answered with text, not JSON: Workflow submit successful.",
        ),
        (fake_osmo.text(""), "osmo workflow submit answered with text, not JSON: (nothing)"),
        (
            fake_osmo.text('{"overview": "https://osmo.example.com/workflows/x"}'),
            'osmo workflow submit answered without a workflow id: {"overview": "https://osmo.example.com/workflows/x"}',
        ),
        (fake_osmo.text("[]"), "osmo workflow submit answered without a workflow id: []"),
    ],
    ids=["text", "empty", "no-name", "not-an-object"],
)
def test_an_answer_without_a_workflow_id_is_never_taken_for_success(run_cli, osmo, answer, expected):
    osmo.answer(workflow_submit=answer)
    result = run_cli(*JOB, "--output-format", "json", env=osmo.path_env)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"submit: error: {expected}"


def test_preflight_refuses_a_credential_the_spec_names_but_osmo_lacks(run_cli, osmo):
    osmo.answer(credential_list=fake_osmo.credentials("wandb"))
    result = run_cli(*JOB, *TRACKED, env=osmo.path_env)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "submit: error: OSMO credential(s) mlflow-token named in the spec do not exist; "
        "create them with `osmo credential set mlflow-token --type GENERIC --payload KEY=VALUE`"
    )
    assert all(call[:2] != ["workflow", "submit"] for call in osmo.calls())


@pytest.mark.parametrize(
    ("pools", "args", "expected"),
    [
        (fake_osmo.pools("a100"), (), "--pool: h100 is not an OSMO pool you can use (pools: a100)"),
        (
            fake_osmo.pools(capacity="8"),
            ("--num-nodes", "2", "--gpus-per-node", "8"),
            "--gpus-per-node: the job asks for 16 GPUs; pool h100 has 8 in all",
        ),
    ],
    ids=["unknown-pool", "too-many-gpus"],
)
def test_preflight_refuses_a_pool_that_cannot_hold_the_job(run_cli, osmo, pools, args, expected):
    osmo.answer(pool_list=pools)
    result = run_cli(*JOB, *args, env=osmo.path_env)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"submit: error: {expected}"


def test_no_preflight_asks_osmo_for_nothing_but_the_submission(run_cli, osmo):
    osmo.answer(credential_list=fake_osmo.credentials(), pool_list=fake_osmo.pools("a100"))
    result = run_cli(*JOB, *TRACKED, "--no-preflight", env=osmo.path_env)
    assert result.exit_code == 0, result.stderr
    assert [call[:2] for call in osmo.calls()] == [["workflow", "submit"]]


def test_status_reports_the_workflow_and_its_tasks(run_cli, osmo):
    result = run_cli("osmo", "status", WORKFLOW_ID, "--output-format", "json", env=osmo.path_env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "backend": "osmo",
        "job_id": WORKFLOW_ID,
        "status": "RUNNING",
        "url": OVERVIEW,
        "pool": "h100",
        "tasks": [{"name": "train", "status": "RUNNING"}],
    }
    assert osmo.calls() == [["workflow", "query", WORKFLOW_ID, "-t", "json"]]
    text = run_cli("osmo", "status", WORKFLOW_ID, env=osmo.path_env)
    assert text.stdout.splitlines()[:3] == ["backend: osmo", f"job_id: {WORKFLOW_ID}", "status: RUNNING"]
    assert text.stdout.splitlines()[-1] == "task train: RUNNING"


def test_status_of_an_ended_workflow_gives_each_tasks_exit_code(run_cli, osmo):
    osmo.answer(workflow_query=fake_osmo.queried("FAILED", exit_code=3))
    result = run_cli("osmo", "status", WORKFLOW_ID, "--output-format", "json", env=osmo.path_env)
    assert json.loads(result.stdout)["tasks"] == [{"name": "train", "status": "FAILED", "exit_code": 3}]
    text = run_cli("osmo", "status", WORKFLOW_ID, env=osmo.path_env)
    assert text.stdout.splitlines()[-1] == "task train: FAILED (exit 3)"


def test_status_of_an_unknown_workflow_reports_osmos_error(run_cli, osmo):
    osmo.answer(workflow_query=fake_osmo.error("Workflow nope-1 not found.", code=404, exit_code=2))
    result = run_cli("osmo", "status", "nope-1", env=osmo.path_env)
    assert result.exit_code == 1
    assert result.stderr == "submit: error: osmo workflow query failed (exit 2): Workflow nope-1 not found.\n"


def test_cancel_confirmed_by_json_and_a_refusal_printed_as_text_is_an_error(run_cli, osmo):
    osmo.answer(workflow_cancel=fake_osmo.text(json.dumps({"name": WORKFLOW_ID})))
    done = run_cli("osmo", "cancel", WORKFLOW_ID, "--output-format", "json", env=osmo.path_env)
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) == {"backend": "osmo", "job_id": WORKFLOW_ID, "status": "cancel requested"}
    # The real CLI prints a refused cancel as text and still exits 0.
    osmo.answer(
        workflow_cancel=fake_osmo.text(
            f"Workflow cancelation failed for workflow {WORKFLOW_ID}: already COMPLETED\n"
        )
    )
    refused = run_cli("osmo", "cancel", WORKFLOW_ID, env=osmo.path_env)
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"submit: error: osmo workflow cancel answered with text, not JSON: "
        f"Workflow cancelation failed for workflow {WORKFLOW_ID}: already COMPLETED\n"
    )


def test_logs_pass_through_and_a_failed_stream_is_an_error(run_cli, osmo):
    osmo.answer(
        workflow_logs=fake_osmo.text(f"Workflow {WORKFLOW_ID} has logs:\ntrain: iteration 1 reward 1.0\n")
    )
    shown = run_cli("osmo", "logs", WORKFLOW_ID, env=osmo.path_env)
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout == f"Workflow {WORKFLOW_ID} has logs:\ntrain: iteration 1 reward 1.0\n"
    osmo.answer(
        workflow_logs=fake_osmo.text(
            "Error message: Workflow nope-1 not found.\nError code: 404\n", exit_code=2
        )
    )
    failed = run_cli("osmo", "logs", "nope-1", env=osmo.path_env)
    assert failed.exit_code == 1
    assert failed.stderr == "submit: error: osmo workflow logs failed (exit 2): Workflow nope-1 not found.\n"


def test_stream_after_a_json_submission_keeps_stdout_to_the_result(run_cli, osmo):
    osmo.answer(workflow_logs=fake_osmo.text("train: iteration 1 reward 1.0\n"))
    result = run_cli(*JOB, "--output-format", "json", "--stream", env=osmo.path_env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["job_id"] == WORKFLOW_ID
    assert "train: iteration 1 reward 1.0" in result.stderr
    assert osmo.calls()[-1] == ["workflow", "logs", WORKFLOW_ID]


def test_a_failing_preflight_call_names_the_osmo_command(run_cli, osmo):
    osmo.answer(credential_list=fake_osmo.error("Status Code: 502 Bad Gateway", code=502, exit_code=10))
    result = run_cli(*JOB, *TRACKED, env=osmo.path_env)
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[-1]
        == "submit: error: osmo credential list failed (exit 10): Status Code: 502 Bad Gateway"
    )


def test_a_submission_without_an_image_is_refused_naming_submit_image_build(run_cli, osmo):
    osmo.answer(credential_list=fake_osmo.credentials(), pool_list=fake_osmo.pools("a100"))
    no_image = JOB[: JOB.index("-i")]
    result = run_cli(*no_image, *TRACKED, env=osmo.path_env)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "submit: error: --image: no image is configured and OSMO only pulls from a registry "
        "(robo-submit/isaaclab:0.1.0 is a local tag); run `submit image build rl --push REGISTRY` and pass the "
        "reference it prints as -i/--image or `image = ...` in submit.toml"
    ]
    assert osmo.calls() == []  # refused before anything is asked or sent
    dry = run_cli(*no_image, *TRACKED, "--dry-run", env=osmo.path_env)
    assert dry.exit_code == 0 and "image: robo-submit/isaaclab:0.1.0" in dry.stdout  # the dry run still works

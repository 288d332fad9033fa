"""Following a job without being signed in: `submit azureml|osmo status|cancel|logs` exit 1 with one line.

The same seams as the submission auth tests, and nothing else replaced: for Azure ML,
`submit.backends.azureml.connection` hands the real MLClient a credential that refuses as
DefaultAzureCredential does with no sign-in (tests/submit/fake_azure.py); for OSMO, the `osmo`
executable on PATH answers as the real CLI does with no login (tests/submit/fake_osmo.py).
"""

from __future__ import annotations

import pytest

from submit.backends.azureml import client as backend
from tests.submit import fake_osmo
from tests.submit.fake_azure import WORKSPACE_FLAGS, FakeAzureML, RefusingCredential, Workspace
from tests.submit.fake_osmo import WORKFLOW_ID

FOLLOW = ["status", "cancel", "logs"]

AZURE_SIGN_IN = (
    "submit: error: Azure sign-in failed "
    "(DefaultAzureCredential failed to retrieve a token from the included credentials.); "
    "sign in with `az login`, set AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET "
    "for a service principal, or run where a managed identity is available\n"
)
OSMO_LOGIN = (
    'submit: error: osmo is not logged in (Must login first with "login" command); '
    "run `osmo login <service-url>` (see `osmo login --help`) and try again\n"
)
# `osmo workflow logs` has no JSON output: the real CLI prints its error as text, on stdout, exit 2.
OSMO_LOGS_NOT_LOGGED_IN = fake_osmo.text(
    'Error message: Must login first with "login" command\nError code: 1\n', exit_code=2
)


@pytest.mark.parametrize("command", FOLLOW)
def test_azureml_without_sign_in_is_one_line_naming_az_login_and_nothing_on_stdout(
    run_cli, monkeypatch, command
):
    azure = FakeAzureML(Workspace())
    monkeypatch.setattr(backend, "connection", lambda: backend.Connection(RefusingCredential(), azure))
    result = run_cli("azureml", command, "cartpole-1", *WORKSPACE_FLAGS)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == AZURE_SIGN_IN
    assert azure.requests == []  # the token is asked for before any request leaves


@pytest.mark.parametrize("command", FOLLOW)
def test_osmo_without_login_is_one_line_naming_osmo_login_and_nothing_on_stdout(run_cli, tmp_path, command):
    osmo = fake_osmo.install(
        tmp_path,
        workflow_query=fake_osmo.NOT_LOGGED_IN,
        workflow_cancel=fake_osmo.NOT_LOGGED_IN,
        workflow_logs=OSMO_LOGS_NOT_LOGGED_IN,
    )
    result = run_cli("osmo", command, WORKFLOW_ID, env=osmo.path_env)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == OSMO_LOGIN
    assert len(osmo.calls()) == 1 and osmo.calls()[0][:3] == ["workflow", _osmo_verb(command), WORKFLOW_ID]


def test_osmo_logs_hold_back_only_the_clis_error_and_print_it_as_log_text_on_success(run_cli, tmp_path):
    log = "train: iteration 1 reward 1.0\nError message: a line a task printed\ntrain: iteration 2\n"
    osmo = fake_osmo.install(tmp_path, workflow_logs=fake_osmo.text(log))
    shown = run_cli("osmo", "logs", WORKFLOW_ID, env=osmo.path_env)
    assert (shown.exit_code, shown.stdout, shown.stderr) == (0, log, "")
    relogin = 'Error message: Please re-login with "osmo login"\nError code: 1\n'
    osmo.answer(workflow_logs=fake_osmo.text(log + relogin, exit_code=2))
    failed = run_cli("osmo", "logs", WORKFLOW_ID, env=osmo.path_env)
    assert failed.exit_code == 1
    assert failed.stdout == log  # the task's own `Error message:` line is log text, not the CLI's error
    assert failed.stderr == (
        'submit: error: osmo is not logged in (Please re-login with "osmo login"); '
        "run `osmo login <service-url>` (see `osmo login --help`) and try again\n"
    )


def _osmo_verb(command: str) -> str:
    return {"status": "query"}.get(command, command)

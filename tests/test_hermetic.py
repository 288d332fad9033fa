"""The suite is hermetic: in-process connections off this machine are refused before a packet is sent,
and run_cli sees neither the developer's environment nor the repository as its working directory."""

from __future__ import annotations

import os
import socket

import pytest
import yaml

from tests.conftest import NetworkRefused
from tests.submit.conftest import CLI_ENV, REPO, run_cli  # noqa: F401 (its fixture, out of this folder's reach)


def test_a_connection_off_this_machine_is_refused_before_it_is_tried(network_guard):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)  # were a packet sent, this unroutable address would hang, not raise at once
        with pytest.raises(NetworkRefused) as refused:
            sock.connect(("10.255.255.1", 9))
        with pytest.raises(NetworkRefused):
            sock.connect_ex(("10.255.255.1", 9))
    with pytest.raises(NetworkRefused):
        socket.create_connection(("example.com", 80), timeout=30)  # refused before the name is looked up
    message = "connection to 10.255.255.1:9 refused: tests reach only loopback (127.0.0.0/8, ::1, localhost)"
    assert str(refused.value) == message
    assert network_guard == ["10.255.255.1:9", "10.255.255.1:9", "example.com:80"]
    network_guard.clear()  # provoked on purpose: the guard's teardown would fail the test otherwise


def test_a_refusal_the_code_swallows_still_fails_the_test(network_guard):
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock, pytest.raises(NetworkRefused):
        sock.sendto(b"x", ("2001:db8::1", 9))
    assert network_guard == ["2001:db8::1:9"]  # the autouse fixture fails the test on a non-empty list
    network_guard.clear()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost"])
def test_loopback_is_allowed(host):
    with socket.socket() as server:
        server.bind(("127.0.0.1" if host == "localhost" else host, 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection((host, port), timeout=10):
            pass
        with socket.socket() as client:
            assert client.connect_ex((server.getsockname()[0], port)) == 0


def test_ipv6_loopback_and_unix_sockets_are_allowed(tmp_path):
    if socket.has_ipv6:
        with socket.socket(socket.AF_INET6) as server:
            try:
                server.bind(("::1", 0))
            except OSError:
                pytest.skip("no IPv6 loopback on this machine")
            server.listen()
            with socket.socket(socket.AF_INET6) as client:
                client.connect(("::1", server.getsockname()[1]))
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)


def test_the_cli_environment_names_the_click_fallbacks_and_the_direct_reads():
    assert {"TASK", "AZUREML_COMPUTE", "OSMO_POOL", "SUBMIT_PROFILE"} <= set(CLI_ENV)  # option envvars
    assert {"IMAGE", "JOB_NAME", "SLEEP_AFTER_UNPACK"} <= set(CLI_ENV)  # the reference's, only noted
    assert {"SUBMIT_DEBUG", "MLFLOW_TRACKING_URI", "ROBO_LEROBOT_PYTHON"} <= set(CLI_ENV)  # os.environ reads


def test_run_cli_clears_the_shell_environment_and_runs_outside_the_repository(run_cli, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TASK", "Isaac-Foo-Direct-v0")
    monkeypatch.setenv("AZUREML_COMPUTE", "x")
    result = run_cli("azureml", "training", "--dry-run")
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    assert spec["environment_variables"]["ROBO_TASK"] != "Isaac-Foo-Direct-v0"  # the default task, not TASK
    assert "compute" not in spec  # AZUREML_COMPUTE would have given `compute: azureml:x`
    assert os.environ["TASK"] == "Isaac-Foo-Direct-v0"  # unset only for the call
    cwd = os.path.realpath(os.getcwd())
    assert not cwd.startswith(os.path.realpath(REPO))
    assert os.path.realpath(os.environ["HOME"]) == os.path.dirname(os.path.realpath(os.environ["XDG_CONFIG_HOME"]))
    assert os.path.dirname(os.environ["HOME"]) == os.path.dirname(cwd)  # one temporary folder holds both


def test_run_cli_passes_what_the_test_gives_in_env(run_cli):  # noqa: F811
    result = run_cli("azureml", "training", "--dry-run", env={"TASK": "Isaac-Foo-Direct-v0"})
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout)["environment_variables"]["ROBO_TASK"] == "Isaac-Foo-Direct-v0"

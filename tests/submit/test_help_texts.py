"""What --help says fits the backend (issue 15, item 19): OSMO's job commands shared Azure ML's help for
--preflight ("workspace, compute, checkpoint and Key Vault") and --terraform-dir; OSMO has neither."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("command", ["training", "lerobot-training"])
def test_osmo_help_names_no_azure_workspace_check_or_key_vault(run_cli, command):
    result = run_cli("osmo", command, "--help")
    text = " ".join(result.stdout.split())
    assert "Key Vault" not in text and "Check workspace" not in text and "(workspace, compute" not in text
    assert "Check the pool's free GPUs and the stored credentials the workflow names before submitting." in text


@pytest.mark.parametrize("command", ["training", "lerobot-training"])
def test_azure_ml_help_still_names_its_checks(run_cli, command):
    text = " ".join(run_cli("azureml", command, "--help").stdout.split())
    assert "Check workspace, compute, checkpoint and Key Vault before submitting." in text

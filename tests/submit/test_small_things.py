"""Small things users see (issue 15, item 19, the CLI's part): a wrong type in `.azureml/config.json` is refused as
a profile's is; blank names are refused. (A local run's refusal naming the flag, not ROBO_*: tests/submit/commands/
test_local.py::test_cuda_on_a_machine_without_it_is_refused_naming_the_flag_before_training.)"""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize(
    ("value", "said"), [(5, "an integer"), (["rg"], "an array"), (True, "a boolean"), ({"a": 1}, "a table")]
)
def test_a_wrong_type_in_azureml_config_json_is_refused_naming_the_flag_and_the_file(run_cli, value, said):
    folder = run_cli.cwd / ".azureml"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"resource_group": value, "workspace_name": "ws1"}))
    result = run_cli("azureml", "training", "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: --resource-group: must be a string, not {said} (from ./.azureml/config.json)\n"


def test_a_blank_name_in_azureml_config_json_is_refused(run_cli):
    folder = run_cli.cwd / ".azureml"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"workspace_name": "  "}))
    result = run_cli("azureml", "training", "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("submit: error: --workspace-name: must be 3-33 letters") and "(from ./.azureml/config.json)" in result.stderr


@pytest.mark.parametrize(
    ("backend", "args"),
    [
        ("azureml", ["--display-name", " "]),
        ("azureml", ["--display-name", ""]),
        ("osmo", ["--wandb", "--wandb-project", "  "]),
        ("osmo", ["--wandb", "--wandb-entity", " "]),
        ("osmo", ["--metric-filter", " "]),
    ],
)
def test_blank_free_text_is_refused(run_cli, backend, args):
    result = run_cli(backend, "training", *args, "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: {args[-2]}: must not be blank\n"

"""Small things users see (issue 15, item 19, the CLI's part): a wrong type in `.azureml/config.json` is refused as
a profile's is; blank names are refused; a local run's refusal names the flag, not the trainer's ROBO_* variable."""

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


def test_a_local_refusal_names_the_flag_and_starts_nothing(run_cli):
    torch = pytest.importorskip("torch")
    if torch.cuda.device_count():
        pytest.skip("this machine has a CUDA device: --device cuda is accepted")
    result = run_cli("local", "training", "-t", "CartPole-v1", "--device", "cuda", "--no-mlflow", "--timesteps", "16")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "submit: error: --device: cuda asked for, but torch finds 0 CUDA device(s) here; use cpu or auto\n"
    assert not (run_cli.cwd / "outputs").exists()

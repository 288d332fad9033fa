"""`submit validate FILE`: OSMO through our spec model (templates rendered as the service would),
Azure ML through load_job."""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml

from tests.submit.conftest import REPO

GOLDEN = REPO / "tests" / "golden"

BROKEN = """\
version: 2
workflow:
  name: train
  resources:
    default: {cpu: 8, gpu: 1, memory: 32k}
  tasks:
  - name: train
    image: nvcr.io/nvidia/isaac-lab:2.3.2
    command: [python, train.py, "{{ output }}"]
    resource: gpu
    environment:
      HF_TOKEN: hf_canary_secret_value
    inputs:
    - dataset: {name: training/code}
"""

# In the style of the reference's workflows/osmo templates: Jinja with default-values.
TEMPLATE = """\
workflow:
  name: {{ workflow_name }}
  resources:
    default:
      cpu: 8
      gpu: {{ gpu }}
      memory: 48Gi
  tasks:
  - name: train
    image: "{{ image }}"
    command: ["python", "-m", "training", "rl", "--output-dir", "{{output}}"]
    environment:
      ROBO_TASK: "{{ task }}"
{% if use_mlflow %}
      ROBO_MLFLOW: "true"
{% endif %}

default-values:
  workflow_name: isaaclab-inline-training
  gpu: 1
  image: nvcr.io/nvidia/isaac-lab:2.3.2
  task: Isaac-Cartpole-Direct
  use_mlflow: false
"""


def _write(tmp_path, text: str, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_an_invalid_osmo_spec_exits_1_listing_every_problem_by_path(run_cli, tmp_path):
    path = _write(tmp_path, BROKEN)
    result = run_cli("validate", str(path))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "workflow.tasks[0].inputs[0]: dataset: inputs and outputs were removed in OSMO 6.4; "
        "put the data in object storage and use url:",
        "workflow.resources.default.memory: lowercase k is not an OSMO unit; write Ki (all units are binary)",
        "workflow.tasks[0].resource: resource 'gpu' is not defined under workflow.resources "
        "(defined: default)",
        "workflow.tasks[0].environment.HF_TOKEN: looks like a secret; "
        "pass secrets with credentials: {NAME: {ENV_VAR: payload_key}}",
        "workflow.tasks[0].command[2]: write {{output}} without spaces; OSMO only substitutes the exact form",
        f"submit: error: {path}: 5 problem(s); not a valid OSMO spec",
    ]
    assert "hf_canary_secret_value" not in result.stderr


def test_duplicate_keys_are_refused_with_both_lines(run_cli, tmp_path):
    path = _write(tmp_path, "workflow:\n  name: a\n  name: b\n")
    result = run_cli("validate", str(path))
    assert result.exit_code == 1
    assert result.stderr == f"submit: error: {path}: duplicate key 'name' at line 3 (first at line 2)\n"


def test_a_template_is_rendered_with_its_default_values_like_the_service(run_cli, tmp_path):
    path = _write(tmp_path, TEMPLATE)
    result = run_cli("validate", str(path))
    assert (result.exit_code, result.stderr) == (0, f"{path}: valid OSMO spec\n")


def test_set_values_are_cast_like_osmo_submit_set(run_cli, tmp_path):
    path = _write(tmp_path, TEMPLATE)
    assert run_cli("validate", str(path), "--set", "gpu=2").exit_code == 0
    fractional = run_cli("validate", str(path), "--set", "gpu=1.5")
    assert fractional.exit_code == 1
    assert fractional.stderr.splitlines()[0] == "workflow.resources.default.gpu: must be a whole number"


def test_an_undefined_template_variable_is_named(run_cli, tmp_path):
    path = _write(tmp_path, TEMPLATE.replace("{{ task }}", "{{ task_name }}"))
    result = run_cli("validate", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"submit: error: {path}: template: 'task_name' is undefined; "
        "add it to default-values or pass --set NAME=VALUE\n"
    )


def test_a_spaced_special_token_in_a_template_gets_the_fix(run_cli, tmp_path):
    path = _write(tmp_path, TEMPLATE.replace('"{{output}}"', '"{{ output }}"'))
    result = run_cli("validate", str(path))
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "'output' is undefined; OSMO tokens are written without spaces, e.g. {{output}}\n"
    )


@pytest.mark.parametrize("bad", ["gpu", "=1"])
def test_set_needs_key_and_value(run_cli, tmp_path, bad):
    result = run_cli("validate", str(_write(tmp_path, TEMPLATE)), "--set", bad)
    assert (result.exit_code, result.stderr) == (2, f"submit: error: --set: {bad!r} is not KEY=VALUE\n")


def test_a_file_that_is_neither_kind_exits_2(run_cli, tmp_path):
    path = _write(tmp_path, "name: x\n")
    result = run_cli("validate", str(path))
    assert result.exit_code == 2
    assert "neither an OSMO workflow (workflow:) nor an Azure ML job" in result.stderr


def test_azure_ml_specs_are_checked_with_load_job(run_cli, tmp_path):
    good = GOLDEN / "azureml" / "single-gpu.yaml"
    result = run_cli("validate", str(good))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", f"{good}: valid Azure ML spec\n")

    broken = _write(
        tmp_path, good.read_text(encoding="utf-8").replace("type: command", "type: commandx"), "job.yaml"
    )
    result = run_cli("validate", str(broken))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "azureml: ValidationException: Unsupported job type: commandx.",
        f"submit: error: {broken}: 1 problem(s); not a valid Azure ML spec",
    ]
    assert run_cli("validate", str(good), "--set", "a=1").exit_code == 2


def test_backend_osmo_forces_the_osmo_model(run_cli, tmp_path):
    # An Azure ML binding is Jinja to the OSMO service, which fails the submission exactly so.
    azure = GOLDEN / "azureml" / "single-gpu.yaml"
    result = run_cli("validate", "--backend", "osmo", str(azure))
    assert (result.exit_code, result.stderr) == (
        1,
        f"submit: error: {azure}: template: 'outputs' is undefined; "
        "add it to default-values or pass --set NAME=VALUE\n",
    )
    plain = _write(tmp_path, "$schema: x\ntype: command\n")
    result = run_cli("validate", "--backend", "osmo", str(plain))
    assert result.stderr.splitlines()[:3] == [
        "workflow: required field is missing",
        "$schema: unknown field '$schema'; allowed: workflow, default-values, version",
        "type: unknown field 'type'; allowed: workflow, default-values, version",
    ]


def test_an_osmo_spec_written_as_json_is_recognised(run_cli, tmp_path):
    golden = GOLDEN / "osmo" / "lerobot-blob.yaml"  # a workflow with no credentials of its own
    spec = yaml.safe_load(golden.read_text(encoding="utf-8"))
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    result = run_cli("validate", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", f"{path}: valid OSMO spec\n")

    spec["workflow"]["tasks"][0]["environment"] = {"HF_TOKEN": "hf_canary_secret_value"}
    path.write_text(json.dumps(spec), encoding="utf-8")
    result = run_cli("validate", str(path))
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (1, f"submit: error: {path}: 1 problem(s); not a valid OSMO spec")
    assert "hf_canary_secret_value" not in result.stderr

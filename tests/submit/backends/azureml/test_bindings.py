"""No rendered Azure ML spec depends on a binding Azure ML does not substitute (issue 15, item 5): `${{inputs.*}}`
and `${{outputs.*}}` are left as they are inside `environment_variables`, and on Kubernetes compute even
`${{inputs.*}}` in the command is not substituted for a download-mode input. So environment values carry no
binding at all, and the command binds the trainer's output folder and read-only mounted inputs only (the model an
evaluation of a workspace model reads, data assets, the warm-start model).

Every golden case is rendered, plus variants that put user text into the environment (flags whose values end up
in environment_variables), with --dry-run: nothing is sent.
"""

from __future__ import annotations

import re

import pytest
import yaml

from tests.submit.conftest import REPO
from tests.submit.golden_cases import SPECS

BINDING = re.compile(r"\$\{\{\s*(inputs|outputs)\.")
VARIANTS = {
    "resume with text everywhere": [
        "azureml", "training", "-M", "resume", "-c", "runs:/sharp_tail_4ks8v1/checkpoints", "--metric-filter", "Loss",
        "--display-name", "run $HOME", "--experiment-name", "exp-1", "-j", "job-1", "--dry-run",
    ],
    "lerobot with hub and blob": [
        "azureml", "lerobot-training", "-d", "a/b", "--blob-url", "https://acct.blob.core.windows.net/c/d",
        "--pretrained-path", "lerobot/act_aloha", "--lerobot-arg=--policy.dim_model=8", "--dry-run",
    ],
}  # fmt: skip
CASES = {**{relative: args for relative, args in SPECS.items() if relative.startswith("azureml/")}, **VARIANTS}


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_spec_depends_on_a_binding_azure_ml_leaves_alone(run_cli, name):
    result = run_cli(*CASES[name], cwd=REPO)
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    for key, value in spec.get("environment_variables", {}).items():
        assert not BINDING.search(str(value)), key
    for match in re.finditer(r"\$\{\{\s*(\w+)\.(\w+)\s*\}\}", spec["command"]):
        kind, name_ = match.groups()
        assert kind in ("outputs", "inputs"), match.group(0)
        assert name_ in spec[kind]
        # An input only when mounted: download mode would not be substituted.
        assert kind == "outputs" or spec["inputs"][name_]["mode"] == "ro_mount", match.group(0)
    for name_, item in (spec.get("inputs") or {}).items():
        assert item.get("mode") != "download" or f"inputs.{name_}" not in spec["command"]

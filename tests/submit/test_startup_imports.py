"""A dry run and --help import neither azure.ai.ml nor mlflow (nor torch, nor the submission plumbing): checked in a clean interpreter."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.submit.conftest import REPO

# What only a submission needs: a dry run renders and checks, it talks to nothing and launches nothing.
PLUMBING = ("submit.backends.azureml.client", "submit.backends.osmo.client", "submit.sources.terraform", "subprocess")
PROBE = f"""
import sys
PLUMBING = {PLUMBING!r}
from submit.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="submit")
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("azure.ai.ml", "mlflow", "torch", "skrl", "pydantic", *PLUMBING) if m in sys.modules)
print("HEAVY=" + ",".join(heavy), "EXIT=" + str(code), file=sys.stderr)
"""


def _heavy_modules(*args: str) -> tuple[str, str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=REPO, capture_output=True, text=True, check=True)
    last = result.stderr.strip().splitlines()[-1]
    heavy, code = last.split(" ")
    return heavy.removeprefix("HEAVY="), code.removeprefix("EXIT=")


def test_dry_run_leaves_azure_ai_ml_and_mlflow_unimported():
    heavy, code = _heavy_modules("azureml", "training", "-t", "Isaac-Cartpole-Direct", "--dry-run")
    assert code == "0"
    assert heavy == "pydantic"  # settings validation only


def test_osmo_dry_run_leaves_the_osmo_cli_plumbing_unimported():
    heavy, code = _heavy_modules("osmo", "training", "-t", "Isaac-Cartpole-Direct", "--dry-run")
    assert code == "0"
    assert heavy == "pydantic"  # settings and spec validation only


def test_help_imports_no_heavy_library_at_all():
    heavy, code = _heavy_modules("azureml", "training", "--help")
    assert code == "0"
    assert heavy == ""


PLUGIN_PROBE = """
import importlib.metadata, sys
calls = []
scan = importlib.metadata.entry_points
importlib.metadata.entry_points = lambda *a, **k: calls.append(k.get("group")) or scan(*a, **k)
from submit.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="submit")
except SystemExit as exc:
    code = exc.code
print("SCANNED=" + ",".join(map(str, calls)), "EXIT=" + str(code), file=sys.stderr)
"""


def test_a_dry_run_skips_pydantic_plugin_discovery():
    # Discovery reads every installed package's entry points on the first validator build (start-up cost).
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    args = ["osmo", "lerobot-training", "-d", "lerobot/aloha_sim_insertion_human", "-p", "act", "--dry-run"]
    result = subprocess.run([sys.executable, "-c", PLUGIN_PROBE, *args], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert result.stderr.strip().splitlines()[-1] == "SCANNED= EXIT=0"
    assert result.stdout.startswith("version: 2\nworkflow:")


def test_a_pydantic_plugin_setting_of_the_user_is_kept():
    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "some-plugin"}
    args = ["azureml", "training", "-t", "Isaac-Cartpole-Direct", "--dry-run"]
    result = subprocess.run([sys.executable, "-c", PLUGIN_PROBE, *args], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert result.stderr.strip().splitlines()[-1] == "SCANNED=pydantic EXIT=0"


ALIAS_PROBE = """
import sys
from submit.cli import azureml_training_main
sys.argv = ["submit-azureml-training", "--help"]
try:
    azureml_training_main()
except SystemExit as exc:
    code = exc.code
backends = sorted(m.split(".")[2] for m in sys.modules if m.startswith("submit.backends.") and m.count(".") == 2 and m.split(".")[2] not in ("base", "registry"))
print("GROUPS=" + ",".join(backends), "EXIT=" + str(code), file=sys.stderr)
"""


def test_a_console_script_alias_imports_only_its_own_backend():
    result = subprocess.run([sys.executable, "-c", ALIAS_PROBE], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stderr.strip().splitlines()[-1] == "GROUPS=azureml EXIT=0"
    assert result.stdout.startswith("Usage: submit-azureml-training [OPTIONS]")

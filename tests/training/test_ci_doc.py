"""The local steps of docs/ci.md, run as written: train CartPole (a tiny budget), evaluate the version it
registered, promote it on a gate that holds; then the same steps with a floor no tiny policy reaches, which
refuses the promotion (exit 3) and leaves the alias where it was.

Real everything: `submit` as installed in this environment, skrl training on the CPU, MLflow's sqlite store
in the working directory. The shell block is read from the doc, so the doc cannot drift from what passes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "training" / "data" / "tiny_ppo_cartpole.yaml"


def _local_steps() -> str:
    doc = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- ci-local-begin -->\n```sh\n(.*?)```\n<!-- ci-local-end -->", doc, re.DOTALL)
    assert block, "docs/ci.md lost its local block"
    return block.group(1)


def _run_steps(cwd: Path, min_return: str) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent  # `submit` and `python` of this environment
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(cwd), "OMP_NUM_THREADS": "1",
        "TIMESTEPS": "200", "AGENT_CONFIG": str(TINY), "MIN_RETURN": min_return, "RUN": "ci-test-1",
    }  # fmt: skip
    return subprocess.run(["bash", "-c", _local_steps()], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)


def _alias_version(cwd: Path, alias: str) -> str | None:
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{cwd / 'mlruns.db'}")
    try:
        return str(client.get_model_version_by_alias("cartpole-v1", alias).version)
    except MlflowException:
        return None


@pytest.mark.slow
def test_the_local_ci_steps_promote_on_a_gate_that_holds_and_refuse_on_one_that_does_not(tmp_path):
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    first = _run_steps(tmp_path, "-1000000")
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.strip().splitlines()[-1] == "promoted version 1"
    evaluated = json.loads((tmp_path / "evaluate.json").read_text(encoding="utf-8"))
    assert (evaluated["promoted"], evaluated["gate_passed"], evaluated["correlation_id"]) == ("champion", True, "ci-test-1")
    assert _alias_version(tmp_path, "champion") == "1"

    second = _run_steps(tmp_path, "1000000")  # a floor no policy of a 200-step budget reaches
    assert second.returncode == 0, second.stderr[-3000:]  # the script's own branch: "not better"
    assert second.stdout.strip().splitlines()[-1] == "version 2 is not better: champion unchanged"
    refused = json.loads((tmp_path / "evaluate.json").read_text(encoding="utf-8"))
    assert (refused["gate_passed"], refused["promoted"]) == (False, None)
    assert _alias_version(tmp_path, "champion") == "1"
    assert "submit: error: gate did not hold: mean_return>=1000000 (measured" in second.stderr

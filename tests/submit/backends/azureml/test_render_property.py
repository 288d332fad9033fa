"""Property: every free-text flag value is refused with exit 2, or lands exactly in its one place.

Whatever the value, the command never changes, no key appears or disappears, and the YAML
parses. Values include shell metacharacters, bindings, YAML specials and arbitrary unicode.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from submit.backends.azureml import client as backend
from tests.submit.golden_cases import RUN_ID
from tests.submit.stats import COUNTS, record

COMMAND = "python -m training rl --output-dir ${{outputs.checkpoints}}"
BASE = ["azureml", "training", "--dry-run", "-r", "fixed-name"]
VAULT = ["--key-vault-uri", "https://robo-kv.vault.azure.net"]  # where --wandb reads its key


def env(name: str) -> Callable[[dict], Any]:
    return lambda spec: spec["environment_variables"].get(name)


# flag -> (extra args the flag needs, where its value must land, how it is written there, a valid value)
FLAGS: dict[str, tuple[list[str], Callable[[dict], Any] | None, Callable[[str], Any], str]] = {
    "--task": ([], env("ROBO_TASK"), str, "Isaac-Cartpole-Direct"),
    "--image": ([], lambda s: s["environment"].get("image") if isinstance(s["environment"], dict) else None, str, "nvcr.io/nvidia/isaac-lab:2.3.2"),
    "--checkpoint-uri": (["-M", "resume"], env("ROBO_CHECKPOINT_URI"), str, f"runs:/{RUN_ID}/checkpoints"),
    "--register-checkpoint": ([], env("ROBO_REGISTER_MODEL"), str, "cartpole"),
    "--wandb-project": (["--wandb", *VAULT], env("ROBO_WANDB_PROJECT"), str, "robots"),
    "--wandb-entity": (["--wandb", *VAULT], env("ROBO_WANDB_ENTITY"), str, "lab"),
    "--metric-filter": ([], env("ROBO_METRIC_FILTER"), lambda v: json.dumps([v]), "Loss"),
    "--mlflow-log-interval": ([], env("ROBO_LOG_INTERVAL"), str, "step"),
    "--experiment-name": ([], lambda s: s.get("experiment_name"), str, "exp-1"),
    "--job-name": ([], lambda s: s.get("name"), str, "job-1"),
    "--display-name": ([], lambda s: s.get("display_name"), str, "My job"),
    # The one free text in two places: the trainer's variable and the job's tag.
    "--correlation-id": (
        [], lambda s: (s["environment_variables"].get("ROBO_CORRELATION_ID"), s["tags"].get("correlation_id")), lambda v: (v, v), "gh-1234",
    ),
    "--compute": ([], lambda s: s.get("compute"), lambda v: f"azureml:{v}", "gpu-a100"),
    "--instance-type": ([], lambda s: s["resources"].get("instance_type"), str, "gpuspot"),
    "--environment-name": (["--environment-version", "7"], lambda s: s["environment"], lambda v: f"azureml:{v}:7", "isaaclab-env"),
    "--environment-version": (["--environment-name", "env"], lambda s: s["environment"], lambda v: f"azureml:env:{v}", "2.3.2"),
    "--key-vault-uri": ([], env("ROBO_KEY_VAULT_URI"), str, "https://robo-kv.vault.azure.net"),
    # Submission-only values: never rendered, so the spec must not change at all.
    "--subscription-id": ([], None, str, "00000000-0000-0000-0000-000000000000"),
    "--resource-group": ([], None, str, "rg-robots"),
    "--workspace-name": ([], None, str, "ws-robots"),
}

NASTY = [
    "", " ", "a b", "x; rm -rf /", "$(id)", "`id`", "${HOME}", "${{inputs.task}}", "{{output}}", "{{host:lead}}",
    "a\nb", "a\rb", "\t", "'", '"', "\\", "yes", "no", "null", "~", "true", "1e3", "0x10", "-", "--", "-rf", "#x", "x: y",
    "[a]", "{a: b}", "&anchor", "*alias", "!!python/object:os.system", "%TAG", "@x", "é", "ロボット", "🤖", "\u2028",
    "a" * 300, "models:/x/1", "runs:/" + RUN_ID + "/a b", "https://x.vault.azure.net", "Isaac-Cartpole-Direct",
]

values = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,30}", fullmatch=True),
)


def key_paths(node: Any, prefix: str = "") -> set[str]:
    if isinstance(node, dict):
        paths = set()
        for key, value in node.items():
            paths |= {f"{prefix}/{key}"} | key_paths(value, f"{prefix}/{key}")
        return paths
    return set()


def render(run_cli, flag: str, value: str):
    extra, _, _, _ = FLAGS[flag]
    return run_cli(*BASE, *extra, f"{flag}={value}")


@pytest.mark.parametrize("flag", sorted(FLAGS))
def test_free_text_flag_is_refused_or_round_trips_to_its_one_place(run_cli, flag):
    _extra, place, written, valid = FLAGS[flag]
    baseline = render(run_cli, flag, valid)
    assert baseline.exit_code == 0, baseline.stderr
    base_spec = yaml.safe_load(baseline.stdout)
    base_keys = key_paths(base_spec)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(value=st.one_of(st.just(valid), values))
    def check(value: str) -> None:
        result = render(run_cli, flag, value)
        if result.exit_code == 2:
            assert result.stdout == ""
            assert result.stderr.startswith("submit: error: ") and result.stderr.count("\n") == 1
            record("azureml", flag, "refused")
            return
        assert result.exit_code == 0, result.stderr
        spec = yaml.safe_load(result.stdout)
        assert spec["command"] == COMMAND
        assert key_paths(spec) == base_keys
        if place is None:
            assert spec == base_spec
        else:
            assert place(spec) == written(value)
        assert backend.check(spec, run_cli.cwd) == []  # every accepted spec also loads with azure.ai.ml.load_job
        record("azureml", flag, "round-tripped")

    check()
    assert COUNTS[("azureml", flag, "round-tripped")] > 0  # the property was not vacuous

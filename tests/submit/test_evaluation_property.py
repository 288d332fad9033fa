"""Property: the evaluation's free-text flags (--correlation-id, --model, --gate, --promote, --lerobot-env,
--dataset-repo-id) are refused with exit 2 on one line, or land exactly in their one place on both backends: the
parsed spec holds the value given, the command never changes, no key appears or disappears, and the spec passes the
backend's own check (azure-ai-ml's load_job; our model of OSMO's server). Values mix shell and YAML specials,
bindings, Jinja and arbitrary unicode with values shaped like each flag's own (gates with spaces and exponents,
model URIs with spaces in a path).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from submit.backends.azureml import client as azureml
from submit.backends.osmo.spec import check_osmo
from tests.submit.backends.azureml.test_render_property import NASTY, key_paths
from tests.submit.golden_cases import RUN_ID
from tests.submit.stats import COUNTS, record
from training.gate import EVAL_METRICS

BASE = {
    "azureml": ["azureml", "evaluation", "--dry-run"],
    "osmo": ["osmo", "evaluation", "--dry-run"],
}
COMMAND = {
    "azureml": "python -m training evaluate --output-dir ${{outputs.evaluation}}",
    "osmo": ["python", "-m", "training", "evaluate", "--output-dir", "{{output}}"],
}


def _env(backend: str, spec: dict) -> dict[str, str]:
    return spec["environment_variables"] if backend == "azureml" else spec["workflow"]["tasks"][0]["environment"]


def _command(backend: str, spec: dict) -> Any:
    return spec["command"] if backend == "azureml" else spec["workflow"]["tasks"][0]["command"]


# flag -> (extra args, what the spec holds for a value, how the value is written there, a valid value, its own shapes)
FLAGS: dict[str, tuple[list[str], Callable[[str, dict], Any], Callable[[str, str], Any], str, Any]] = {
    "--correlation-id": (
        ["--model", "models:/m/1"],
        lambda b, s: (_env(b, s).get("ROBO_CORRELATION_ID"), s["tags"].get("correlation_id") if b == "azureml" else None),
        lambda b, v: (v, v if b == "azureml" else None),
        "gh-1234.1",
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/@+= -]{0,140}", fullmatch=True),
    ),
    "--model": (
        [],
        lambda b, s: _env(b, s).get("ROBO_MODEL_URI"),
        lambda b, v: v,
        "models:/cartpole-v1@champion",
        st.one_of(
            st.from_regex(r"models:/[A-Za-z0-9._-]{1,20}(/[0-9]{1,3}|@[A-Za-z0-9_-]{1,10}|/latest)", fullmatch=True),
            st.from_regex(rf"runs:/{RUN_ID}/[^{{}}\n]{{1,20}}", fullmatch=True),
            st.from_regex(r"(\./|/)[^{}\n]{1,30}", fullmatch=True),
        ),
    ),
    "--gate": (
        ["--model", "models:/m/1"],
        lambda b, s: _env(b, s).get("ROBO_GATE"),
        lambda b, v: json.dumps([v]),
        "mean_return>=450",
        st.builds(
            lambda metric, op, right, pad: f"{pad}{metric}{pad}{op}{pad}{right}{pad}",
            st.sampled_from((*EVAL_METRICS, "reward", "")),
            st.sampled_from([">=", "<=", ">", "<", "=>", "=="]),
            st.one_of(st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?(e[0-9])?", fullmatch=True), st.just("@champion"),
                      st.sampled_from(["inf", "nan", "@", "{{x}}", "1,2"])),
            st.sampled_from(["", " ", "\t", "\n"]),
        ),
    ),
    "--promote": (
        ["--model", "models:/m/1"],
        lambda b, s: _env(b, s).get("ROBO_PROMOTE"),
        lambda b, v: v,
        "champion",
        st.from_regex(r"[A-Za-z0-9_ -]{1,20}|latest|v[0-9]{1,3}", fullmatch=True),
    ),
    "--lerobot-env": (
        ["--model", "models:/act/1"],
        lambda b, s: _env(b, s).get("ROBO_LEROBOT_ENV"),
        lambda b, v: v,
        "pusht",
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,70}", fullmatch=True),
    ),
    "--dataset-repo-id": (
        ["--model", "models:/act/1"],
        lambda b, s: _env(b, s).get("ROBO_DATASET_REPO_ID"),
        lambda b, v: v,
        "lerobot/pusht",
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,40}/[A-Za-z0-9][A-Za-z0-9_.-]{0,40}", fullmatch=True),
    ),
}  # fmt: skip

generic = st.one_of(st.sampled_from(NASTY), st.text(st.characters(exclude_categories=("Cs",)), max_size=40))


@pytest.mark.parametrize("backend", sorted(BASE))
@pytest.mark.parametrize("flag", sorted(FLAGS))
def test_an_evaluation_free_text_flag_is_refused_or_round_trips_to_its_one_place(run_cli, backend, flag):
    extra, place, written, valid, shaped = FLAGS[flag]
    baseline = run_cli(*BASE[backend], *extra, f"{flag}={valid}")
    assert baseline.exit_code == 0, baseline.stderr
    base_keys = key_paths(yaml.safe_load(baseline.stdout))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(value=st.one_of(st.just(valid), shaped, generic))
    def check(value: str) -> None:
        result = run_cli(*BASE[backend], *extra, f"{flag}={value}")
        if result.exit_code == 2:
            assert result.stdout == ""
            assert result.stderr.startswith("submit: error: ") and result.stderr.count("\n") == 1
            record(f"{backend}-evaluation", flag, "refused")
            return
        assert result.exit_code == 0, result.stderr
        spec = yaml.safe_load(result.stdout)
        assert _command(backend, spec) == COMMAND[backend]
        assert key_paths(spec) == base_keys
        assert place(backend, spec) == written(backend, value)
        if backend == "azureml":
            assert azureml.check(spec, run_cli.cwd) == []
        else:
            assert check_osmo(spec) == []
        record(f"{backend}-evaluation", flag, "round-tripped")

    check()
    assert COUNTS[(f"{backend}-evaluation", flag, "round-tripped")] > 0  # the property was not vacuous


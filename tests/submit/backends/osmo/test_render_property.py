"""Property: every free-text flag of the OSMO commands is refused with exit 2, or lands in its one place.

Whatever the value, the command never changes, no key appears or disappears, the credential
mappings stay the same, the spec passes our OSMO model, and canary secret values set in the
environment appear nowhere in the output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from submit.backends.osmo.spec import check_osmo
from tests.submit.backends.osmo.test_render import CANARIES
from tests.submit.golden_cases import RUN_ID
from tests.submit.stats import COUNTS, record
from training.config import log_interval

TRAINING = ["osmo", "training", "--dry-run", "-r", "fixed-name"]
LEROBOT = ["osmo", "lerobot-training", "--dry-run", "-d", "lab/data"]
BLOB = "https://acct1.blob.core.windows.net"


def key_paths(node: Any, prefix: str = "") -> set[str]:
    """Every key path, lists included; stored credential names (chosen by the user) count as one."""
    paths: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}/{'*' if prefix.endswith('/credentials') else key}"
            paths |= {path} | key_paths(value, path)
    elif isinstance(node, list):
        for item in node:
            paths |= key_paths(item, f"{prefix}[]")
    return paths


def task(spec: dict) -> dict:
    return spec["workflow"]["tasks"][0]


def env(name: str) -> Callable[[dict], Any]:
    return lambda spec: task(spec)["environment"].get(name)


def as_json_list(value: str) -> str:
    return json.dumps([value])


def credentials(spec: dict) -> dict:
    return task(spec)["credentials"]


def first_blob_url(spec: dict) -> str:
    return json.loads(task(spec)["environment"]["ROBO_BLOB_URLS"])[-1]


def credential(env_name: str, default_key: str) -> Callable[[str], Any]:
    def written(value: str) -> dict:
        name, _, key = value.partition(":")
        return {name: {env_name: key or default_key}}

    return written


Flag = tuple[list[str], list[str], Callable[[dict], Any], Callable[[str], Any], str]

# flag -> (base command, extra args, where the value lands, how it is written there, a valid value)
FLAGS: dict[str, Flag] = {
    "--task": (TRAINING, [], env("ROBO_TASK"), str, "Isaac-Cartpole-Direct"),
    "--image": (TRAINING, [], lambda s: task(s)["image"], str, "nvcr.io/nvidia/isaac-lab:2.3.2"),
    "--checkpoint-uri": (TRAINING, ["-M", "resume"], env("ROBO_CHECKPOINT_URI"), str, f"runs:/{RUN_ID}/ckpt"),
    "--register-checkpoint": (TRAINING, [], env("ROBO_REGISTER_MODEL"), str, "cartpole"),
    "--wandb-project": (TRAINING, ["--wandb"], env("ROBO_WANDB_PROJECT"), str, "robots"),
    "--wandb-entity": (TRAINING, ["--wandb"], env("ROBO_WANDB_ENTITY"), str, "lab"),
    "--metric-filter": (TRAINING, [], env("ROBO_METRIC_FILTER"), lambda v: json.dumps([v]), "Loss"),
    "--mlflow-log-interval": (TRAINING, [], env("ROBO_LOG_INTERVAL"), log_interval, "step"),
    "--experiment-name": (TRAINING, [], env("ROBO_EXPERIMENT_NAME"), str, "exp-1"),
    "--job-name": (TRAINING, [], lambda s: s["workflow"]["name"], str, "job-1"),
    "--correlation-id": (TRAINING, [], env("ROBO_CORRELATION_ID"), str, "gh-1234"),
    "--pool": (TRAINING, [], lambda s: s["workflow"]["pool"], str, "h100"),
    "--memory": (TRAINING, [], lambda s: s["workflow"]["resources"]["default"]["memory"], str, "64Gi"),
    "--storage": (TRAINING, [], lambda s: s["workflow"]["resources"]["default"]["storage"], str, "1Ti"),
    "--exec-timeout": (TRAINING, [], lambda s: s["workflow"]["timeout"]["exec_timeout"], str, "4h"),
    "--queue-timeout": (TRAINING, [], lambda s: s["workflow"]["timeout"]["queue_timeout"], str, "30m"),
    "--output-url": (TRAINING, [], lambda s: task(s)["outputs"][0]["url"], str, "azure://acct/container/runs"),
    "--mlflow-tracking-uri": (TRAINING, [], env("MLFLOW_TRACKING_URI"), str, "https://mlflow.example.com"),
    "--code-source": (TRAINING, [], lambda s: task(s)["inputs"][0]["url"], lambda v: v[4:], "url:s3://bucket/code"),
    "--mlflow-credential": (
        TRAINING, [], credentials, credential("MLFLOW_TRACKING_TOKEN", "mlflow_tracking_token"), "ml",
    ),
    "--wandb-credential": (
        TRAINING, ["--wandb"], credentials, credential("WANDB_API_KEY", "wandb_api_key"), "wb",
    ),
    "--dataset-repo-id": (LEROBOT, [], env("ROBO_DATASET_REPO_ID"), str, "lerobot/pusht"),
    "--pretrained-path": (LEROBOT, [], env("ROBO_PRETRAINED_PATH"), str, "lerobot/act_aloha"),
    "--policy-repo-id": (
        LEROBOT, ["--push-to-hub", "--hf-credential", "hf"], env("ROBO_POLICY_REPO_ID"), str, "me/policy",
    ),
    "--blob-url": (LEROBOT, [], env("ROBO_BLOB_URLS"), lambda v: json.dumps([v]), f"{BLOB}/datasets/x"),
    "--hf-credential": (LEROBOT, [], credentials, credential("HF_TOKEN", "hf_token"), "hf"),
    "--lerobot-arg": (LEROBOT, [], env("ROBO_LEROBOT_ARGS"), as_json_list, "--policy.dim_model=8"),
    "--storage-account": (
        LEROBOT, ["--from-blob"], first_blob_url,
        lambda v: f"https://{v}.blob.core.windows.net/datasets/lab/data", "acct1",
    ),
    "--storage-container": (
        LEROBOT, ["--from-blob", "--storage-account", "acct1"], first_blob_url,
        lambda v: f"{BLOB}/{v}/lab/data", "data",
    ),
    "--blob-prefix": (
        LEROBOT, ["--from-blob", "--storage-account", "acct1"], first_blob_url,
        lambda v: f"{BLOB}/datasets/{v.strip('/')}", "sets/pick",
    ),
}  # fmt: skip

# Shell and YAML specials, OSMO tokens and Jinja markup, values that nearly fit a field's format.
TRICKY = [
    "",
    " ",
    "a b",
    "x; rm -rf /",
    "$(id)",
    "`id`",
    "${HOME}",
    "${{inputs.task}}",
    "{{output}}",
    "{{ output }}",
    "{{host:node-0}}",
    "{% raw %}",
    "{#",
    "a{%b",
    "#}",
    "a\nb",
    "a\rb",
    "\t",
    "'",
    '"',
    "\\",
    "yes",
    "no",
    "null",
    "~",
    "true",
    "false",
    "1e3",
    "0x10",
    "-",
    "--",
    "--dry-run",
    "#x",
    "x: y",
    "[a]",
    "{a: b}",
    "&a",
    "*a",
    "!!python/object:os.system",
    "%TAG",
    "@x",
    "é",
    "ロボット",
    "🤖",
    "\u2028",
    "a" * 300,
    "32k",
    "512m",
    "10h5m",
    "s3://",
    "azure://acct",
    "x:y",
    "a:b:c",
    "url:",
    "local",
    "image",
    "default-values: {}",
]
values = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,30}", fullmatch=True),
)


def render(run_cli, flag: str, value: str):
    base, extra, _, _, _ = FLAGS[flag]
    if flag == "--code-source" and not value.startswith("url:"):
        value = f"url:{value}"  # the free text of this flag is the URL; image/local are fixed words
    return run_cli(*base, *extra, f"{flag}={value}", env=CANARIES), value


@pytest.mark.parametrize("flag", sorted(FLAGS))
def test_free_text_flag_is_refused_or_round_trips_to_its_one_place(run_cli, flag):
    _, _, place, written, valid = FLAGS[flag]
    baseline, _ = render(run_cli, flag, valid)
    assert baseline.exit_code == 0, baseline.stderr
    base_spec = yaml.safe_load(baseline.stdout)
    base_task = base_spec["workflow"]["tasks"][0]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(value=st.one_of(st.just(valid), values))
    def check(value: str) -> None:
        result, value = render(run_cli, flag, value)
        for secret in CANARIES.values():
            assert secret not in result.stdout and secret not in result.stderr
        if result.exit_code == 2:
            assert result.stdout == ""
            assert result.stderr.startswith("submit: error: ") and result.stderr.count("\n") == 1
            record("osmo", flag, "refused")
            return
        assert result.exit_code == 0, result.stderr
        spec = yaml.safe_load(result.stdout)
        assert check_osmo(spec) == []
        assert task(spec)["command"] == base_task["command"]
        assert key_paths(spec) == key_paths(base_spec)
        if "credential" not in flag:
            assert task(spec).get("credentials") == base_task.get("credentials")
        assert place(spec) == written(value)
        record("osmo", flag, "round-tripped")

    check()
    assert COUNTS[("osmo", flag, "round-tripped")] > 0  # the property was not vacuous

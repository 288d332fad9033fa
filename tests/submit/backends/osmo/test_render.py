"""OSMO workflows: golden files, our spec model on every one, multi-node, credentials, code delivery."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
import yaml

from submit.backends.osmo import code as osmo_code
from submit.backends.osmo.spec import check_osmo
from tests.submit.conftest import REPO
from tests.submit.golden_cases import OSMO_SPECS, RUN_ID

GOLDEN = REPO / "tests" / "golden"
RL_COMMAND = ["python", "-m", "training", "rl", "--output-dir", "{{output}}"]
CANARIES = {
    "WANDB_API_KEY": "canary-wandb-9f2c61e4",
    "HF_TOKEN": "canary-hf-0b7d55aa",
    "MLFLOW_TRACKING_TOKEN": "canary-mlflow-d41d8cd9",
    "AZURE_CLIENT_SECRET": "canary-azure-77e1c0de",
}


def _spec(run_cli, *args, command="training"):
    result = run_cli("osmo", command, *args, "--dry-run")
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    assert check_osmo(spec) == []
    return spec


def _task(spec):
    return spec["workflow"]["tasks"][0]


# ---- golden files -------------------------------------------------------------------------


@pytest.mark.parametrize("relative", sorted(OSMO_SPECS))
def test_rendered_spec_equals_golden_file_byte_for_byte(run_cli, relative):
    result = run_cli(*OSMO_SPECS[relative])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (GOLDEN / relative).read_text(encoding="utf-8")


@pytest.mark.parametrize("relative", sorted(OSMO_SPECS))
def test_every_golden_spec_passes_our_osmo_model_and_submit_validate(run_cli, relative):
    spec = yaml.safe_load((GOLDEN / relative).read_text(encoding="utf-8"))
    assert check_osmo(spec) == []
    result = run_cli("validate", str(GOLDEN / relative))
    assert (result.exit_code, result.stdout) == (0, "")
    pool = spec["workflow"].get("pool")
    warning = (
        f"warning: workflow.pool: ignored by the OSMO server, which takes the pool from the submission: "
        f"osmo workflow submit FILE --pool {pool} (submit osmo training --pool {pool})\n"
    )
    assert result.stderr == (warning if pool else "") + f"{GOLDEN / relative}: valid OSMO spec\n"


def _golden_tasks(relative: str) -> list[dict]:
    workflow = yaml.safe_load((GOLDEN / relative).read_text(encoding="utf-8"))["workflow"]
    return workflow.get("tasks") or [task for group in workflow.get("groups", []) for task in group["tasks"]]


def test_every_golden_file_has_its_case_and_the_files_show_the_six_required_settings():
    on_disk = {f"osmo/{path.name}" for path in (GOLDEN / "osmo").glob("*.yaml")}
    assert on_disk == set(OSMO_SPECS)  # no golden file without the command line that renders it
    env = {relative: _golden_tasks(relative)[0]["environment"] for relative in on_disk}
    assert len(_golden_tasks("osmo/single-gpu.yaml")) == 1
    assert [task.get("lead") for task in _golden_tasks("osmo/multi-node.yaml")][:2] == [True, None]
    assert env["osmo/lerobot-hub.yaml"]["ROBO_DATASET_REPO_ID"] and "ROBO_BLOB_URLS" not in env["osmo/lerobot-hub.yaml"]
    assert env["osmo/lerobot-blob.yaml"]["ROBO_BLOB_URLS"].startswith('["https://')
    assert env["osmo/resume.yaml"]["ROBO_CHECKPOINT_MODE"] == "resume"
    assert _golden_tasks("osmo/local-code.yaml")[0]["files"]


# ---- shape of the spec ------------------------------------------------------------------


def test_single_gpu_spec_is_one_task_with_the_constant_command_and_values_as_environment(run_cli):
    spec = _spec(run_cli, "-t", "Isaac-Lift-Cube-Franka-v0", "-n", "64", "-m", "10", "-M", "resume",
                 "-c", f"runs:/{RUN_ID}/ckpt", "--gpu", "1", "--cpu", "12", "--memory", "64Gi")  # fmt: skip
    task = _task(spec)
    assert task["command"] == RL_COMMAND
    assert "args" not in task
    env = task["environment"]
    assert env["ROBO_TASK"] == "Isaac-Lift-Cube-Franka-v0"
    assert env["ROBO_NUM_ENVS"] == "64"
    assert env["ROBO_MAX_ITERATIONS"] == "10"
    assert env["ROBO_CHECKPOINT_MODE"] == "resume"
    assert env["ROBO_CHECKPOINT_URI"] == f"runs:/{RUN_ID}/ckpt"
    assert spec["workflow"]["resources"] == {
        "default": {"cpu": 12, "gpu": 1, "memory": "64Gi", "storage": "200Gi"}
    }
    assert set(spec) == {"version", "workflow"}  # fully resolved: no default-values, no Jinja


def test_boolean_toggles_are_the_strings_true_and_false_never_yaml_booleans(run_cli):
    result = run_cli("osmo", "training", "--no-mlflow", "--gui", "--dry-run")
    env = yaml.safe_load(result.stdout)["workflow"]["tasks"][0]["environment"]
    assert (env["ROBO_MLFLOW"], env["ROBO_HEADLESS"], env["ROBO_WANDB"]) == ("false", "false", "false")
    assert "ROBO_MLFLOW: 'false'" in result.stdout
    assert all(isinstance(value, str) for value in env.values())


def test_multi_node_is_one_group_of_n_tasks_with_one_lead_and_torchrun_against_the_lead(run_cli):
    spec = _spec(run_cli, "--num-nodes", "3", "--gpu", "4", "--output-url", "s3://bucket/runs",
                 "--wandb", "--mlflow-credential", "mlflow")  # fmt: skip
    workflow = spec["workflow"]
    assert "tasks" not in workflow and len(workflow["groups"]) == 1
    group = workflow["groups"][0]
    assert group["ignoreNonleadStatus"] is False and group["barrier"] is True
    tasks = group["tasks"]
    assert [t["name"] for t in tasks] == ["node-0", "node-1", "node-2"]
    assert [t.get("lead", False) for t in tasks] == [True, False, False]
    assert workflow["resources"]["default"]["gpu"] == 4
    for rank, task in enumerate(tasks):
        assert task["command"] == [
            "torchrun", "--nnodes", "3", "--nproc_per_node", "4", "--node_rank", str(rank),
            "--master_addr", "{{host:node-0}}", "--master_port", "29500",
            "-m", "training", "rl", "--output-dir", "{{output}}",
        ]  # fmt: skip
        assert task["environment"] == tasks[0]["environment"]
    assert tasks[0]["outputs"] == [{"url": "s3://bucket/runs"}]
    assert tasks[0]["credentials"] == {
        "mlflow": {"MLFLOW_TRACKING_TOKEN": "mlflow_tracking_token"},
        "wandb": {"WANDB_API_KEY": "wandb_api_key"},
    }
    assert all("outputs" not in t and "credentials" not in t for t in tasks[1:])


def test_one_node_with_several_gpus_runs_standalone_torchrun(run_cli):
    task = _task(_spec(run_cli, "--gpus-per-node", "8"))
    assert task["command"] == [
        "torchrun", "--standalone", "--nnodes", "1", "--nproc_per_node", "8",
        "-m", "training", "rl", "--output-dir", "{{output}}",
    ]  # fmt: skip


def test_credentials_take_name_or_name_and_key_and_share_one_stored_credential(run_cli):
    task = _task(
        _spec(run_cli, "--wandb", "--wandb-credential", "team:wandb", "--mlflow-credential", "team:mlflow")
    )
    assert task["credentials"] == {"team": {"MLFLOW_TRACKING_TOKEN": "mlflow", "WANDB_API_KEY": "wandb"}}


def test_secrets_in_the_environment_never_reach_the_spec_or_messages(run_cli):
    args = ("--wandb", "--mlflow-credential", "mlflow", "--mlflow-tracking-uri", "https://mlflow.example.com")
    for command, extra in (
        ("training", ()),
        ("lerobot-training", ("-d", "lerobot/pusht", "--hf-credential", "hf")),
    ):
        result = run_cli("osmo", command, *args, *extra, "--dry-run", env=CANARIES)
        assert result.exit_code == 0, result.stderr
        for secret in CANARIES.values():
            assert secret not in result.stdout and secret not in result.stderr
        task = yaml.safe_load(result.stdout)["workflow"]["tasks"][0]
        assert not set(CANARIES) & set(task["environment"])


def test_priority_is_not_a_spec_field_and_low_priority_warns(run_cli):
    result = run_cli("osmo", "training", "--priority", "low", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "priority" not in result.stdout.lower()
    assert "note: priority LOW workflows can be preempted" in result.stderr


def test_smoke_test_flag_of_the_reference_script_sets_the_mode(run_cli):
    assert _task(_spec(run_cli, "-s"))["environment"]["ROBO_MODE"] == "smoke-test"
    assert _task(_spec(run_cli, "-b", "skrl"))["environment"]["ROBO_MODE"] == "train"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--memory", "32k"],
            "submit: error: --memory: lowercase k is not an OSMO unit; write Ki (all units are binary)\n",
        ),
        (
            ["--exec-timeout", "10h5m"],
            "submit: error: --exec-timeout: a duration like 30m, 12h or 2d "
            "(one unit of s, m, h or d, or a number of seconds; 10h5m is not accepted)\n",
        ),
        (
            ["-j", "9lives"],
            "submit: error: --job-name: OSMO names start with a letter, use letters, digits, '-' or '_', "
            "and end with a letter or digit\n",
        ),
        (
            ["--wandb-credential", "wandb"],
            "submit: error: --wandb-credential: the Weights & Biases credential needs --wandb\n",
        ),
        (
            ["--output-url", "https://host/x"],
            "submit: error: --output-url: storage URL must start with s3://, gs://, "
            "azure://, tos://, swift://\n",
        ),
        (
            ["--code-source", "git"],
            "submit: error: --code-source: accepted values: image, local, url:<storage URL>\n",
        ),
        (["--code-dir", "."], "submit: error: --code-dir: only used with --code-source local\n"),
        (
            ["--priority", "URGENT"],
            "submit: error: --priority: 'URGENT' is not one of 'high', 'normal', 'low'\n",
        ),
    ],
)
def test_bad_osmo_flags_exit_2_naming_the_flag_and_write_nothing(run_cli, args, message):
    result = run_cli("osmo", "training", *args, "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == message


# ---- LeRobot ------------------------------------------------------------------------------


def test_lerobot_from_the_hub_needs_no_credential_and_never_pushes_by_default(run_cli):
    task = _task(_spec(run_cli, "-d", "lerobot/pusht", command="lerobot-training"))
    assert task["command"] == ["python", "-m", "training", "lerobot", "--output-dir", "{{output}}"]
    assert task["environment"]["ROBO_PUSH_TO_HUB"] == "false"
    assert "ROBO_POLICY_REPO_ID" not in task["environment"]
    assert "credentials" not in task and "ROBO_BLOB_URLS" not in task["environment"]


def test_policy_repo_id_alone_never_pushes_it_is_refused(run_cli):
    result = run_cli(
        "osmo", "lerobot-training", "-d", "lerobot/pusht", "--policy-repo-id", "me/policy", "--dry-run"
    )
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("submit: error: --policy-repo-id: ")


def test_push_to_hub_needs_the_hugging_face_credential(run_cli):
    args = ("-d", "lerobot/pusht", "--push-to-hub", "--policy-repo-id", "me/policy")
    refused = run_cli("osmo", "lerobot-training", *args, "--dry-run")
    assert refused.exit_code == 2
    assert refused.stderr == (
        "submit: error: --hf-credential: --push-to-hub needs the Hugging Face token: "
        "add --hf-credential NAME\n"
    )
    task = _task(_spec(run_cli, *args, "--hf-credential", "huggingface", command="lerobot-training"))
    assert task["credentials"] == {"huggingface": {"HF_TOKEN": "hf_token"}}


def test_from_blob_builds_the_dataset_url_and_blob_flags_without_it_are_refused(run_cli):
    task = _task(
        _spec(
            run_cli,
            "-d",
            "lab/pick",
            "--from-blob",
            "--storage-account",
            "robodata",
            command="lerobot-training",
        )
    )
    assert (
        task["environment"]["ROBO_BLOB_URLS"]
        == '["https://robodata.blob.core.windows.net/datasets/lab/pick"]'
    )
    result = run_cli(
        "osmo", "lerobot-training", "-d", "lab/pick", "--storage-account", "robodata", "--dry-run"
    )
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        result.stderr
        == "submit: error: --storage-account: only used with --from-blob; add --from-blob or drop it\n"
    )


def test_storage_account_in_the_environment_does_not_switch_to_blob_mode(run_cli):
    """Reference defect W9: a storage account in the shell silently turned every job into a blob download."""
    result = run_cli(
        "osmo", "lerobot-training", "-d", "lab/pick", "--dry-run", env={"BLOB_STORAGE_ACCOUNT": "robodata"}
    )
    assert result.exit_code == 0, result.stderr
    assert "ROBO_BLOB_URLS" not in yaml.safe_load(result.stdout)["workflow"]["tasks"][0]["environment"]


ONE_NODE = "submit: error: num_nodes: LeRobot trains on one node, one process per GPU (--gpus)"


@pytest.mark.parametrize("nodes", ["1", "2"])
def test_lerobot_runs_on_one_node_and_takes_no_num_nodes_flag(run_cli, nodes):
    result = run_cli("osmo", "lerobot-training", "-d", "lab/pick", "--num-nodes", nodes, "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "submit: error: No such option '--num-nodes'. (Did you mean one of: '--gpus-per-node', '--num-gpus'?)\n"


def test_a_profiles_num_nodes_reaches_the_one_node_rule(run_cli):
    """A profile's num_nodes was silently dropped for an OSMO LeRobot job (the command had no such option)."""
    Path("submit.toml").write_text("[default]\nnum_nodes = 2\n", encoding="utf-8")
    result = run_cli("osmo", "lerobot-training", "-d", "lab/pick", "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ONE_NODE + " (from profile default (./submit.toml))\n"
    Path("submit.toml").write_text("[default]\nnum_nodes = 1\n", encoding="utf-8")
    assert run_cli("osmo", "lerobot-training", "-d", "lab/pick", "--dry-run").exit_code == 0


# ---- code delivery -------------------------------------------------------------------------


def _decoded(task) -> dict[str, bytes]:
    prefix = "/opt/robo-submit/code/"
    return {
        f["path"].removeprefix(prefix): base64.b64decode(f["contents"], validate=True) for f in task["files"]
    }


def test_local_code_source_ships_the_current_training_tree_exactly_and_below_the_limits(run_cli):
    result = run_cli("osmo", "training", "--code-source", "local", "--dry-run")
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    assert check_osmo(spec) == []
    task = _task(spec)
    assert all(f["base64"] is True for f in task["files"])
    shipped = _decoded(task)
    expected = {f.path: f.data for f in osmo_code.collect_local_code()}
    assert shipped == expected
    assert "training/__init__.py" in shipped and "training/config.py" in shipped
    assert not any("__pycache__" in path or path.endswith(".pyc") for path in shipped)
    assert task["environment"]["PYTHONPATH"] == "/opt/robo-submit/code"
    assert task["command"] == RL_COMMAND  # the code never travels through the command or one variable
    raw = sum(len(data) for data in expected.values())
    encoded = sum(osmo_code.encoded_size(len(data)) for data in expected.values())
    assert max(len(data) for data in expected.values()) <= osmo_code.MAX_FILE_BYTES
    assert encoded <= osmo_code.MAX_SPEC_CODE_BYTES
    assert (
        f"code source local: training/ is {len(expected)} files, {raw:,} bytes; {encoded:,} bytes of base64 "
        f"in the spec (1 task; limit {osmo_code.MAX_SPEC_CODE_BYTES:,})"
    ) in result.stderr


def _tree(tmp_path, sizes: dict[str, int]):
    for name, size in sizes.items():
        path = tmp_path / "training" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"#" * size)
    return tmp_path


def test_a_file_over_the_per_file_limit_is_refused_with_exit_2(run_cli, tmp_path):
    root = _tree(tmp_path, {"__init__.py": 10, "big.py": osmo_code.MAX_FILE_BYTES + 1})
    result = run_cli("osmo", "training", "--code-source", "local", "--code-dir", str(root), "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"submit: error: --code-source local: training/big.py is {osmo_code.MAX_FILE_BYTES + 1:,} bytes, "
        "above the "
        f"{osmo_code.MAX_FILE_BYTES:,}-byte limit per file (each file becomes one Kubernetes Secret); "
        "upload training/ to object storage and use --code-source url:<storage URL>, or --code-source image\n"
    )


def test_a_tree_over_the_total_limit_is_refused_with_exit_2(run_cli, tmp_path):
    per_file = osmo_code.MAX_FILE_BYTES - 3
    root = _tree(tmp_path, {f"part{i}.py": per_file for i in range(3)})
    result = run_cli("osmo", "training", "--code-source", "local", "--code-dir", str(root), "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(
        f"submit: error: --code-source local: training/ is 3 files, {3 * per_file:,} bytes;"
    )
    assert f"limit {osmo_code.MAX_SPEC_CODE_BYTES:,})" in result.stderr


def test_the_total_limit_counts_the_code_once_per_node(run_cli, tmp_path):
    root = _tree(tmp_path, {"model.py": 200 * 1024})
    one = run_cli("osmo", "training", "--code-source", "local", "--code-dir", str(root), "--dry-run")
    four = run_cli(
        "osmo", "training", "--code-source", "local", "--code-dir", str(root), "--num-nodes", "4", "--dry-run"
    )
    assert one.exit_code == 0, one.stderr
    assert four.exit_code == 2 and "(4 tasks; limit" in four.stderr


def test_code_dir_must_hold_training(run_cli, tmp_path):
    result = run_cli("osmo", "training", "--code-source", "local", "--code-dir", str(tmp_path), "--dry-run")
    assert (result.exit_code, result.stderr) == (
        2,
        f"submit: error: --code-dir: {tmp_path} holds no training/ folder\n",
    )


def test_code_from_a_url_is_an_input_on_every_node_and_on_the_python_path(run_cli):
    spec = _spec(run_cli, "--code-source", "url:gs://bucket/code/v1/", "--num-nodes", "2")
    for task in spec["workflow"]["groups"][0]["tasks"]:
        assert task["inputs"] == [{"url": "gs://bucket/code/v1/"}]
        assert task["environment"]["PYTHONPATH"] == "{{input:0}}:{{input:0}}/v1"
        assert "files" not in task


def test_alias_console_scripts_render_the_same_specs():
    def run(*argv):
        return subprocess.run(
            [str(REPO / ".venv/bin" / argv[0]), *argv[1:], "--dry-run"],
            cwd=REPO, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=False,
        )  # fmt: skip

    for alias, group in (
        (
            ("submit-osmo-training", "-t", "Isaac-Cartpole-Direct"),
            ("submit", "osmo", "training", "-t", "Isaac-Cartpole-Direct"),
        ),
        (
            ("submit-osmo-lerobot-training", "-d", "lerobot/pusht"),
            ("submit", "osmo", "lerobot-training", "-d", "lerobot/pusht"),
        ),
    ):
        a, g = run(*alias), run(*group)
        assert a.returncode == 0, a.stderr
        assert a.stdout == g.stdout


def test_with_mlflow_off_its_server_and_credential_stay_out_of_the_spec(run_cli):
    """Often set once in a profile for every job; a --no-mlflow run neither needs nor mounts them."""
    mlflow = ("--mlflow-credential", "mlflow", "--mlflow-tracking-uri", "https://mlflow.example.com")
    task = _task(_spec(run_cli, *mlflow, "--no-mlflow"))
    assert "MLFLOW_TRACKING_URI" not in task["environment"]
    assert "mlflow" not in (task.get("credentials") or {})
    task = _task(_spec(run_cli, *mlflow))
    assert task["environment"]["MLFLOW_TRACKING_URI"] == "https://mlflow.example.com"
    assert task["credentials"]["mlflow"] == {"MLFLOW_TRACKING_TOKEN": "mlflow_tracking_token"}


def test_a_correlation_id_reaches_the_trainer_on_every_task_and_adds_no_label(run_cli):
    # Workflow labels (and `osmo workflow submit --label`) are newer than OSMO 6.3, whose server refuses an
    # unknown key: the trainer's MLflow tags carry the id instead.
    spec = _spec(run_cli, "--correlation-id", "gh-run-42/3", "--num-nodes", "2")
    tasks = spec["workflow"]["groups"][0]["tasks"]
    assert [t["environment"]["ROBO_CORRELATION_ID"] for t in tasks] == ["gh-run-42/3"] * 2
    assert "labels" not in spec["workflow"]


# ---- evaluation ---------------------------------------------------------------------------


def test_an_evaluation_is_one_task_with_the_constant_command_and_the_model_as_a_variable(run_cli):
    spec = _spec(run_cli, "--model", "models:/cartpole-v1/3", "--gate", "mean_return>=@champion", "--promote", "champion", command="evaluation")
    (task,) = spec["workflow"]["tasks"]
    assert task["name"] == "evaluate" and spec["workflow"]["name"] == "isaaclab-evaluation"
    assert task["command"] == ["python", "-m", "training", "evaluate", "--output-dir", "{{output}}"]
    assert task["image"] == "robo-submit/isaaclab:0.1.0"
    env = task["environment"]
    assert (env["ROBO_MODEL_URI"], env["ROBO_GATE"], env["ROBO_PROMOTE"]) == ("models:/cartpole-v1/3", '["mean_return>=@champion"]', "champion")
    assert spec["workflow"]["timeout"]["exec_timeout"] == "4h"


def test_a_lerobot_evaluation_runs_in_the_lerobot_image_with_its_defaults(run_cli):
    spec = _spec(run_cli, "--model", "models:/act/1", "-d", "lerobot/pusht", "--heldout-episodes", "3,4", command="evaluation")
    (task,) = spec["workflow"]["tasks"]
    assert task["image"] == "robo-submit/lerobot:0.2.0" and spec["workflow"]["name"] == "lerobot-evaluation"
    assert task["environment"]["ROBO_HELDOUT_EPISODES"] == "[3, 4]"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--model", "azureml:m:1", "-t", "CartPole-v1"], "--model: an azureml: model is an Azure ML job input; on OSMO use models:/<name>/<version>"),
        (["--model", "models:/m/1", "--gpus-per-node", "2"], "--gpus-per-node: an evaluation is one process: 0 or 1 GPU"),
    ],
)
def test_an_evaluation_osmo_cannot_run_is_bad_input_on_one_line(run_cli, args, line):
    result = run_cli("osmo", "evaluation", *args, "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: {line}\n"

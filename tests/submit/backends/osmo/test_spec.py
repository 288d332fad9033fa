"""The OSMO spec model: every rule refuses a hand-written spec at the right path."""

from __future__ import annotations

import copy

import pytest

from submit.backends.osmo.spec import OsmoSpec, check_osmo


def base() -> dict:
    """A small valid single-task workflow; each test breaks one thing."""
    return {
        "version": 2,
        "workflow": {
            "name": "train-run",
            "resources": {"default": {"cpu": 8, "gpu": 1, "memory": "32Gi", "storage": "100Gi"}},
            "timeout": {"exec_timeout": "12h", "queue_timeout": "2h"},
            "tasks": [
                {
                    "name": "train",
                    "image": "nvcr.io/nvidia/isaac-lab:2.3.2",
                    "command": ["python", "-m", "training", "rl", "--output-dir", "{{output}}"],
                    "environment": {"ROBO_TASK": "CartPole-v1"},
                    "credentials": {"wandb": {"WANDB_API_KEY": "wandb_api_key"}},
                    "outputs": [{"url": "azure://account/container/runs"}],
                }
            ],
        },
    }


def group_spec(n: int = 2) -> dict:
    spec = base()
    task = spec["workflow"].pop("tasks")[0]
    tasks = []
    for i in range(n):
        t = copy.deepcopy(task)
        t["name"] = f"node-{i}"
        tasks.append(t)
    tasks[0]["lead"] = True
    spec["workflow"]["groups"] = [{"name": "train-group", "ignoreNonleadStatus": False, "tasks": tasks}]
    return spec


def task0(spec: dict) -> dict:
    return spec["workflow"]["tasks"][0]


def paths(spec: dict) -> list[str]:
    return [line.split(": ", 1)[0] for line in check_osmo(spec)]


# ---- positive ---------------------------------------------------------------------------


def test_valid_single_task_spec_has_no_problems():
    assert check_osmo(base()) == []
    assert OsmoSpec.model_validate(base()).workflow.tasks[0].name == "train"


def test_valid_group_spec_with_one_lead_and_host_token_has_no_problems():
    spec = group_spec(3)
    for rank, task in enumerate(spec["workflow"]["groups"][0]["tasks"]):
        task["args"] = ["--node_rank", str(rank), "--rdzv_endpoint", "{{host:node-0}}:29400"]
    assert check_osmo(spec) == []


def test_accepted_value_forms():
    spec = base()
    spec["version"] = "2"
    spec["default-values"] = {"anything": 1}
    spec["workflow"]["timeout"] = {"exec_timeout": "PT10S", "queue_timeout": 3600}
    spec["workflow"]["resources"]["default"].update(memory="32G", storage=1073741824)
    t = task0(spec)
    t["exitActions"] = {"COMPLETE": "0", "reschedule": "1-10,16", "FAIL": 3}
    t["inputs"] = [{"url": "s3://bucket"}, {"url": "swift://host/account/bucket", "regex": r".*\.pt$"}]
    t["files"] = [
        {"path": "/tmp/a.sh", "contents": "echo {{workflow_id}} {{input:1}}"},
        {"path": "/tmp/b", "localpath": "b"},
    ]
    t["credentials"]["hf"] = "/secrets/hf"
    assert check_osmo(spec) == []


def test_single_task_group_needs_no_lead_flag():
    spec = group_spec(1)
    del spec["workflow"]["groups"][0]["tasks"][0]["lead"]
    assert check_osmo(spec) == []


def test_task_input_from_an_earlier_task_and_another_workflow():
    spec = base()
    second = copy.deepcopy(task0(spec))
    second["name"] = "evaluate"
    second["inputs"] = [{"task": "train"}, {"task": "older-run-3:train"}]
    second["args"] = ["{{input:train}}", "{{input:1}}"]
    spec["workflow"]["tasks"].append(second)
    assert check_osmo(spec) == []


# ---- one negative test per rule --------------------------------------------------------


def test_unknown_top_level_key_is_refused():
    spec = base()
    spec["resources"] = {}
    assert check_osmo(spec) == ["resources: unknown field 'resources'; resources: belongs under workflow:"]


def test_only_version_2_exists():
    spec = base()
    spec["version"] = 3
    assert check_osmo(spec) == ["version: only version 2 exists; write version: 2 or leave it out"]


@pytest.mark.parametrize(
    ("where", "expected_path"),
    [
        (lambda s: s["workflow"], "workflow.owner"),
        (lambda s: task0(s), "workflow.tasks[0].owner"),
        (lambda s: s["workflow"]["resources"]["default"], "workflow.resources.default.owner"),
        (lambda s: s["workflow"]["timeout"], "workflow.timeout.owner"),
        (lambda s: task0(s)["outputs"][0], "workflow.tasks[0].outputs[0].owner"),
    ],
)
def test_unknown_fields_are_refused_everywhere(where, expected_path):
    spec = base()
    where(spec)["owner"] = "me"
    assert paths(spec) == [expected_path]


def test_unknown_field_inside_a_task_input_names_the_allowed_fields():
    spec = base()
    task0(spec)["inputs"] = [{"task": "x", "regx": "a"}]
    assert check_osmo(spec)[0] == (
        "workflow.tasks[0].inputs[0].regx: unknown field 'regx' (did you mean 'regex'?); allowed: task, regex"
    )


def test_unknown_group_field_and_misspelt_task_field_suggest_the_right_one():
    spec = group_spec()
    spec["workflow"]["groups"][0]["ignoreNonLeadStatus"] = False
    spec["workflow"]["groups"][0]["tasks"][1]["comand"] = ["x"]
    lines = check_osmo(spec)
    assert lines[0].startswith(
        "workflow.groups[0].tasks[1].comand: unknown field 'comand' (did you mean 'command'?)"
    )
    assert lines[1].startswith(
        "workflow.groups[0].ignoreNonLeadStatus: unknown field 'ignoreNonLeadStatus' "
        "(did you mean 'ignoreNonleadStatus'?)"
    )


def test_task_level_resources_is_refused_with_a_pointer_to_resource():
    spec = base()
    task0(spec)["resources"] = {"gpu": 1}
    assert check_osmo(spec) == [
        "workflow.tasks[0].resources: unknown field 'resources'; a task picks a named resource with "
        "resource: NAME, defined under workflow.resources"
    ]


@pytest.mark.parametrize("name", ["-train", "train-", "9train", "tr ain", "train.v1", ""])
def test_task_name_pattern(name):
    spec = base()
    task0(spec)["name"] = name
    assert paths(spec) == ["workflow.tasks[0].name"]


def test_workflow_and_group_name_pattern():
    spec = group_spec()
    spec["workflow"]["name"] = "my workflow"
    spec["workflow"]["groups"][0]["name"] = "_group"
    assert paths(spec) == ["workflow.name", "workflow.groups[0].name"]


def test_reserved_task_name():
    spec = base()
    task0(spec)["name"] = "OSMO_ctrl"
    assert check_osmo(spec) == [
        "workflow.tasks[0].name: osmo-ctrl is reserved by OSMO; pick another task name"
    ]


def test_tasks_and_groups_together_are_refused():
    spec = group_spec()
    spec["workflow"]["tasks"] = base()["workflow"]["tasks"]
    assert check_osmo(spec) == ["workflow: give tasks: or groups:, not both"]


def test_neither_tasks_nor_groups_is_refused():
    spec = base()
    spec["workflow"]["tasks"] = []
    assert check_osmo(spec) == ["workflow: needs tasks: or groups: (one of them, with at least one task)"]


def test_names_are_unique_ignoring_case_and_dash_underscore():
    spec = group_spec()
    spec["workflow"]["groups"][0]["tasks"][1]["name"] = "Node_0"
    assert check_osmo(spec) == [
        "workflow.groups[0].tasks[1].name: 'Node_0' clashes with workflow.groups[0].tasks[0].name "
        "(names ignore case; - and _ are equal)"
    ]


def test_group_and_task_names_share_one_namespace():
    spec = group_spec()
    spec["workflow"]["groups"][0]["tasks"][1]["name"] = "TRAIN-GROUP"
    assert paths(spec) == ["workflow.groups[0].tasks[1].name"]


@pytest.mark.parametrize("leads", [0, 2])
def test_a_group_needs_exactly_one_lead(leads):
    spec = group_spec(3)
    for i, task in enumerate(spec["workflow"]["groups"][0]["tasks"]):
        task["lead"] = i < leads
    assert check_osmo(spec) == [
        f"workflow.groups[0].tasks: a group needs exactly one lead: true task; found {leads}"
    ]


def test_every_task_resource_must_be_defined():
    spec = base()
    task0(spec)["resource"] = "gpu-large"
    assert check_osmo(spec) == [
        "workflow.tasks[0].resource: resource 'gpu-large' is not defined under workflow.resources "
        "(defined: default)"
    ]


def test_the_default_resource_must_exist_when_resources_are_given():
    spec = base()
    spec["workflow"]["resources"] = {"big": {"gpu": 8}}
    assert paths(spec) == ["workflow.tasks[0].resource"]


@pytest.mark.parametrize("value", [8.5, "8", True, -1])
@pytest.mark.parametrize("field", ["cpu", "gpu"])
def test_cpu_and_gpu_are_whole_numbers(field, value):
    spec = base()
    spec["workflow"]["resources"]["default"][field] = value
    assert paths(spec) == [f"workflow.resources.default.{field}"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("32k", "lowercase k is not an OSMO unit; write Ki (all units are binary)"),
        ("512m", "m means milli here; write Mi for mebibytes"),
        (
            "32GB",
            "unknown unit 'GB'; accepted: B, Ki, Mi, Gi, Ti (also K/KiB, M/MiB, G/GiB, T/TiB; all binary)",
        ),
        ("Gi", "a size like 32Gi (a number followed by a unit)"),
        ("-1Gi", "a size like 32Gi (a number followed by a unit)"),
    ],
)
@pytest.mark.parametrize("field", ["memory", "storage"])
def test_memory_and_storage_units(field, value, message):
    spec = base()
    spec["workflow"]["resources"]["default"][field] = value
    assert check_osmo(spec) == [f"workflow.resources.default.{field}: {message}"]


@pytest.mark.parametrize("value", ["10h5m", "12 h", "12hours", "1w", True, "P"])
def test_timeout_format(value):
    spec = base()
    spec["workflow"]["timeout"]["exec_timeout"] = value
    assert check_osmo(spec) == [
        "workflow.timeout.exec_timeout: a duration like 30m, 12h or 2d "
        "(one unit of s, m, h or d, or a number of seconds; 10h5m is not accepted)"
    ]


def test_unknown_exit_action_is_refused():
    spec = base()
    task0(spec)["exitActions"] = {"RESTART": "1"}  # in OSMO's docs, but not in its code
    assert check_osmo(spec) == [
        "workflow.tasks[0].exitActions.RESTART: unknown exit action 'RESTART'; "
        "accepted: COMPLETE, FAIL, RESCHEDULE"
    ]


@pytest.mark.parametrize("codes", ["1-x", "1,,2", "", "1 2", "-1"])
def test_exit_codes_format(codes):
    spec = base()
    task0(spec)["exitActions"] = {"FAIL": codes}
    assert check_osmo(spec) == ["workflow.tasks[0].exitActions.FAIL: exit codes are a list like 0,1-10,16"]


def test_dataset_inputs_are_refused():
    spec = base()
    task0(spec)["inputs"] = [{"dataset": {"name": "bucket/code"}}]
    assert check_osmo(spec) == [
        "workflow.tasks[0].inputs[0]: dataset: inputs and outputs were removed in OSMO 6.4; "
        "put the data in object storage and use url:"
    ]


def test_dataset_and_task_outputs_are_refused():
    spec = base()
    task0(spec)["outputs"] = [{"update_dataset": {"name": "b/n"}}, {"task": "train"}]
    assert paths(spec) == ["workflow.tasks[0].outputs[0]", "workflow.tasks[0].outputs[1]"]


def test_an_input_is_task_or_url():
    spec = base()
    task0(spec)["inputs"] = [{"path": "/data"}, "s3://bucket"]
    assert check_osmo(spec) == [
        "workflow.tasks[0].inputs[0]: an input is {task: NAME} or {url: URI}",
        "workflow.tasks[0].inputs[1]: an input is {task: NAME} or {url: URI}",
    ]


@pytest.mark.parametrize("url", ["https://host/x", "azure://account", "s3://", "s3://bucket//x", "gs://a,b"])
def test_storage_urls(url):
    spec = base()
    task0(spec)["outputs"] = [{"url": url}]
    assert paths(spec) == ["workflow.tasks[0].outputs[0].url"]


def test_input_task_must_come_from_an_earlier_task():
    spec = base()
    task0(spec)["inputs"] = [{"task": "later"}, {"task": "ghost"}]
    later = copy.deepcopy(task0(base()))
    later["name"] = "later"
    spec["workflow"]["tasks"].append(later)
    assert check_osmo(spec) == [
        "workflow.tasks[0].inputs[0].task: input task 'later' must come from an earlier group",
        "workflow.tasks[0].inputs[1].task: input task 'ghost' names no task of this workflow",
    ]


def test_file_paths_are_unique():
    spec = base()
    task0(spec)["files"] = [{"path": "/tmp/a", "contents": "1"}, {"path": "/tmp/a", "contents": "2"}]
    assert check_osmo(spec) == ["workflow.tasks[0].files[1].path: path already used by files[0]"]


@pytest.mark.parametrize("path", ["/osmo/run.sh", "/osmo", "//osmo/x"])
def test_file_paths_are_not_under_osmo(path):
    spec = base()
    task0(spec)["files"] = [{"path": path, "contents": "x"}]
    assert check_osmo(spec) == [
        "workflow.tasks[0].files[0].path: OSMO reserves /osmo; write the file somewhere else"
    ]


def test_a_file_has_exactly_one_source_and_an_absolute_path():
    spec = base()
    task0(spec)["files"] = [
        {"path": "/a", "contents": "x", "localpath": "y"},
        {"path": "rel", "contents": "x"},
    ]
    assert check_osmo(spec) == [
        "workflow.tasks[0].files[0]: give exactly one of contents: or localpath:",
        "workflow.tasks[0].files[1].path: a file path must be absolute",
    ]


@pytest.mark.parametrize(
    ("credential", "message"),
    [
        ({"WANDB_API_KEY": ""}, "WANDB_API_KEY: the payload key must be a non-empty string"),
        ({"wandb-key": "k"}, "'wandb-key' is not a valid environment variable name"),
        ({}, "a credential is {ENV_VAR: payload_key} or an absolute folder path"),
        (["WANDB_API_KEY"], "a credential is {ENV_VAR: payload_key} or an absolute folder path"),
        ("relative/dir", "a credential mounted as files needs an absolute folder path"),
    ],
)
def test_credential_forms(credential, message):
    spec = base()
    task0(spec)["credentials"] = {"wandb": credential}
    assert check_osmo(spec) == [f"workflow.tasks[0].credentials.wandb: {message}"]


@pytest.mark.parametrize(
    ("text", "token"),
    [("{{ output }}/ckpt", "output"), ("{{host: node-0}}:29400", "host:node-0"), ("{{input:0 }}", "input:0")],
)
def test_special_tokens_must_be_written_without_spaces(text, token):
    spec = group_spec()
    lead = spec["workflow"]["groups"][0]["tasks"][0]
    lead["inputs"] = [{"url": "s3://bucket/code"}]
    lead["args"] = [text]
    assert check_osmo(spec) == [
        f"workflow.groups[0].tasks[0].args[0]: write {{{{{token}}}}} without spaces; "
        "OSMO only substitutes the exact form"
    ]


# ---- further traps the model catches -----------------------------------------------------


def test_secret_looking_environment_variable_is_refused_without_echoing_its_value():
    spec = base()
    task0(spec)["environment"]["HF_TOKEN"] = "hf_canary_value_123"
    lines = check_osmo(spec)
    assert lines == [
        "workflow.tasks[0].environment.HF_TOKEN: looks like a secret; "
        "pass secrets with credentials: {NAME: {ENV_VAR: payload_key}}"
    ]
    assert "hf_canary_value_123" not in "\n".join(lines)


def test_credential_variable_also_in_environment_is_refused():
    spec = base()
    task0(spec)["environment"]["WANDB_API_KEY"] = "x"
    assert "workflow.tasks[0].credentials.wandb.WANDB_API_KEY" in paths(spec)


def test_boolean_environment_value_must_be_quoted():
    spec = base()
    task0(spec)["environment"]["ROBO_MLFLOW"] = False  # would arrive as the text "False"
    assert check_osmo(spec) == [
        "workflow.tasks[0].environment.ROBO_MLFLOW: must be a string; quote the value"
    ]


def test_leftover_template_expressions_are_refused():
    spec = base()
    task0(spec)["args"] = ["{{ task_name }}", "{% if x %}a{% endif %}"]
    assert check_osmo(spec) == [
        "workflow.tasks[0].args[0]: template expression {{ task_name }} is not an OSMO special token "
        "({{output}}, {{input:N}}, {{input:TASK}}, {{host:TASK}}, {{workflow_id}}, {{uuid}})",
        "workflow.tasks[0].args[1]: contains Jinja markup ({% or {#) "
        "that the OSMO server would evaluate at submit",
    ]


def test_host_token_must_name_a_task_of_the_same_group_and_input_index_must_exist():
    spec = group_spec()
    spec["workflow"]["groups"][0]["tasks"][1]["args"] = ["{{host:master}}", "{{input:0}}", "{{input:train}}"]
    assert check_osmo(spec) == [
        "workflow.groups[0].tasks[1].args[0]: {{host:master}}: tasks reach each other only inside one group; "
        "no task 'master' there",
        "workflow.groups[0].tasks[1].args[1]: {{input:0}}: the task has 0 input(s), numbered from 0",
        "workflow.groups[0].tasks[1].args[2]: {{input:train}}: the task has no task: input named 'train'",
    ]


def test_too_many_labels():
    spec = base()
    spec["workflow"]["labels"] = {f"k{i}": "v" for i in range(17)}
    assert check_osmo(spec) == ["workflow.labels: at most 16 entries"]


def test_every_problem_is_listed_at_once():
    spec = base()
    spec["workflow"]["resources"]["default"]["memory"] = "8k"
    task0(spec)["resource"] = "missing"
    task0(spec)["files"] = [{"path": "/osmo/x", "contents": "x"}]
    assert paths(spec) == [
        "workflow.tasks[0].files[0].path",
        "workflow.resources.default.memory",
        "workflow.tasks[0].resource",
    ]


def test_not_a_mapping():
    assert check_osmo(["workflow"]) == [
        "(top): an OSMO workflow file is a mapping with workflow:, default-values: and version:"
    ]


def test_the_model_enforces_cross_rules_alone_and_check_osmo_reports_each_once():
    spec = base()
    task0(spec)["resource"] = "missing"
    assert check_osmo(spec) == [
        "workflow.tasks[0].resource: resource 'missing' is not defined under workflow.resources "
        "(defined: default)"
    ]
    with pytest.raises(ValueError, match=r"not defined under workflow\.resources"):
        OsmoSpec.model_validate(spec)

"""What NVIDIA OSMO's server refuses and our CLI rendered (issue 15, item 4; measured in
research/osmo-and-peers.md §9): refused at exit 2 naming the flag when rendering, and reported by `submit validate`
from the same rule (backends/osmo/rules.py). Nothing is submitted: every render here is a dry run."""

from __future__ import annotations

import textwrap

import pytest

NAME_65 = "a" * 65


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["-j", NAME_65], "--job-name: OSMO names are at most 64 characters; this one has 65"),
        (["--memory", "400"], "--memory: needs a unit such as 400Gi: a bare number is bytes, which OSMO refuses as not above 0"),
        (["--storage", "200"], "--storage: needs a unit such as 200Gi: a bare number is bytes, which OSMO refuses as not above 0"),
        (
            ["--num-nodes", "101"],
            "--num-nodes: one OSMO task per node, and a pool allows at most 100 tasks per workflow (max_num_tasks)",
        ),
    ],
)
def test_what_the_server_refuses_is_refused_at_exit_2_naming_the_flag(run_cli, tmp_path, args, line):
    target = tmp_path / "wf.yaml"
    result = run_cli("osmo", "training", *args, "--dry-run", "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"submit: error: {line}\n")
    assert not target.exists()


def test_the_limits_themselves_render(run_cli):
    result = run_cli("osmo", "training", "-j", "a" * 64, "--memory", "400Gi", "--num-nodes", "100", "--dry-run")
    assert result.exit_code == 0, result.stderr


SPEC = """\
workflow:
  name: {name}
  resources:
    default: {{cpu: 1, gpu: 0, memory: {memory}, storage: 10Gi}}
  tasks:
{tasks}
"""


def _task(name: str, extra: str = "") -> str:
    return textwrap.indent(f"- name: {name}\n  image: ubuntu:24.04\n  command: [echo]\n{extra}", "  ")


def _validate(run_cli, tmp_path, text: str):
    path = tmp_path / "wf.yaml"
    path.write_text(text, encoding="utf-8")
    return path, run_cli("validate", str(path))


@pytest.mark.parametrize(
    ("name", "memory", "tasks", "line"),
    [
        (NAME_65, "4Gi", [_task("t")], "workflow.name: OSMO names are at most 64 characters; this one has 65"),
        ("wf", "4Gi", [_task("t" * 65)], "workflow.tasks[0].name: OSMO names are at most 64 characters; this one has 65"),
        ("wf", "400", [_task("t")], "workflow.resources.default.memory: needs a unit such as 400Gi: a bare number is bytes, which OSMO refuses as not above 0"),
        ("wf", "4Gi", [_task(f"t{i}") for i in range(101)], "workflow: 101 tasks; an OSMO pool allows at most 100 per workflow (max_num_tasks)"),
        ("wf", "4Gi", [_task("OSMO_CTRL")], "workflow.tasks[0].name: osmo-ctrl is reserved by OSMO; pick another task name"),
        ("wf", "4Gi", [_task("t", "  files:\n  - path: /tmp/a\n")], "workflow.tasks[0].files[0]: give exactly one of contents: or localpath:"),
    ],
)
def test_submit_validate_reports_the_same_rules(run_cli, tmp_path, name, memory, tasks, line):
    _, result = _validate(run_cli, tmp_path, SPEC.format(name=name, memory=memory, tasks="".join(tasks)))
    assert (result.exit_code, result.stdout) == (1, "")
    assert line in result.stderr.splitlines()


def test_a_raw_block_that_the_server_renders_again_is_refused(run_cli, tmp_path):
    text = SPEC.format(name="wf", memory="4Gi", tasks=_task("t", "  args: ['{% raw %}{{ x }}{% endraw %}']\n"))
    path, result = _validate(run_cli, tmp_path, text)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"submit: error: {path}: template (as the OSMO server renders it a second time: {{% raw %}} does not survive): "
        "'x' is undefined; add it to default-values or pass --set NAME=VALUE\n"
    )


def test_a_pool_in_the_file_is_a_warning_naming_the_submission_flag(run_cli, tmp_path):
    text = SPEC.format(name="wf", memory="4Gi", tasks=_task("t")).replace("workflow:\n", "workflow:\n  pool: h100\n")
    path, result = _validate(run_cli, tmp_path, text)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (
        "warning: workflow.pool: ignored by the OSMO server, which takes the pool from the submission: "
        f"osmo workflow submit FILE --pool h100 (submit osmo training --pool h100)\n{path}: valid OSMO spec\n"
    )

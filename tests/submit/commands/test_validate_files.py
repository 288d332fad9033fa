"""`submit validate` on files that are no spec, and on specs it only warns about (issue 15, item 16).

A file that is not a spec at all (too big, binary, empty, or neither kind) exits 2 at once, as docs/reliability.md
gives; a spec the server accepts but that deletes outside the job's folders, or whose Azure ML `code:` climbs out of
the spec's folder, passes with a warning line (Advice, src/submit/spec_advice.py).
"""

from __future__ import annotations

import os

import pytest

from submit.yamlio import MAX_SPEC_BYTES

AZUREML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: {command}
code: {code}
environment:
  image: python:3.11-slim
compute: azureml:gpu-a100
"""
OSMO = """\
workflow:
  name: wf
  tasks:
  - name: train
    image: ubuntu:24.04
    command: [bash, -c, {command!r}]
"""


def _write(tmp_path, name: str, data: bytes | str):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_an_oversized_file_is_refused_at_once_by_its_size(run_cli, tmp_path):
    # A valid OSMO workflow, padded past the limit with plain values (no aliases): parsed, a 50 MB one took a
    # minute and 500 MB; the size line proves it is refused before it is read.
    path = _write(tmp_path, "huge.yaml", OSMO.format(command="true") + "# pad\n" * (MAX_SPEC_BYTES // 6 + 1))
    result = run_cli("validate", str(path))
    size = os.path.getsize(path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: {path}: {size:,} bytes; a job spec is at most {MAX_SPEC_BYTES // 2**20} MiB, so this is not one\n"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty, so not a job spec"),
        (b" \n\n", "empty, so not a job spec"),
        (bytes(range(256)) * 4, "not UTF-8 text, so not a job spec"),
        (b"workflow:\x00\x01\x02", "binary data (NUL bytes), so not a job spec"),
    ],
)
def test_binary_garbage_and_an_empty_file_exit_2_like_any_file_that_is_no_spec(run_cli, tmp_path, data, why):
    path = _write(tmp_path, "x.yaml", data)
    result = run_cli("validate", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"submit: error: {path}: {why}\n")
    neither = run_cli("validate", str(_write(tmp_path, "y.yaml", "just: text\n")))
    assert neither.exit_code == 2  # the documented code for a file that is not a spec


@pytest.mark.parametrize(
    ("command", "deleted"),
    [("rm -rf /data && python -m training rl", "/data"), ("rm -rf ~/.cache; python x.py", "~/.cache")],
)
def test_a_command_deleting_outside_the_job_is_a_warning(run_cli, tmp_path, command, deleted):
    (tmp_path / "src").mkdir()
    azure = _write(tmp_path, "job.yaml", AZUREML.format(command=repr(command), code="src"))
    result = run_cli("validate", str(azure), "--backend", "azureml")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.splitlines() == [
        f"warning: command: deletes {deleted!r}, outside the job's folders (its output, inputs, working folder and /tmp)",
        f"{azure}: valid Azure ML spec",
    ]
    osmo = _write(tmp_path, "wf.yaml", OSMO.format(command=command))
    result = run_cli("validate", str(osmo))
    assert (result.exit_code, result.stderr.splitlines()[0]) == (
        0,
        f"warning: workflow.tasks[0].command: deletes {deleted!r}, outside the job's folders (its output, inputs, working folder and /tmp)",
    )


def test_deleting_inside_the_job_is_no_warning(run_cli, tmp_path):
    (tmp_path / "src").mkdir()
    path = _write(tmp_path, "job.yaml", AZUREML.format(command="'rm -rf /tmp/x build && python -m training rl'", code="src"))
    result = run_cli("validate", str(path), "--backend", "azureml")
    assert (result.exit_code, result.stderr) == (0, f"{path}: valid Azure ML spec\n")


def test_azure_ml_code_outside_the_spec_folder_is_a_warning(run_cli, tmp_path):
    spec_dir = tmp_path / "specs"
    spec_dir.mkdir()
    (tmp_path / "code").mkdir()
    path = _write(spec_dir, "job.yaml", AZUREML.format(command="'python -m training rl'", code="../code"))
    result = run_cli("validate", str(path), "--backend", "azureml")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.splitlines() == [
        f"warning: code: '../code' is outside the spec's folder ({spec_dir.resolve()}); all of it is uploaded as the job's code",
        f"{path}: valid Azure ML spec",
    ]

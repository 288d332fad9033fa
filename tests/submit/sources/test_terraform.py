"""What a failing `terraform output` tells the user: Terraform's own error, not its decoration.

Terraform is replaced at its one seam, the `terraform` executable on PATH, by a stub that prints what
Terraform 1.11.4 printed here for a corrupt terraform.tfstate with TF_CLI_CONFIG_FILE pointing at a
missing file: a warning box first, then coloured error boxes.
"""

from __future__ import annotations

import os
import sys

ESC = "\x1b"
TERRAFORM_STDERR = (
    "There are some problems with the CLI configuration:\n"
    "╷\n│ Warning: Unable to open CLI configuration file\n│\n"
    '│ The CLI configuration file at "/root/.terraformrc" does not exist.\n╵\n\n'
    f"{ESC}[31m╷{ESC}[0m{ESC}[0m\n"
    f"{ESC}[31m│{ESC}[0m {ESC}[0m{ESC}[1m{ESC}[31mError: {ESC}[0m{ESC}[0m{ESC}[1mUnsupported state file format{ESC}[0m\n"
    f"{ESC}[31m│{ESC}[0m {ESC}[0m\n"
    f"{ESC}[31m│{ESC}[0m {ESC}[0m{ESC}[0mThe state file could not be parsed as JSON: syntax error at byte offset 2.\n"
    f"{ESC}[31m╵{ESC}[0m{ESC}[0m\n"
)


def _failing_terraform(tmp_path, stderr: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "terraform"
    stub.write_text(f"#!{sys.executable}\nimport sys\nsys.stderr.write({stderr!r})\nsys.exit(1)\n", encoding="utf-8")
    stub.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def test_the_error_terraform_reports_is_the_one_shown(run_cli, tmp_path):
    env = _failing_terraform(tmp_path, TERRAFORM_STDERR)
    result = run_cli("azureml", "training", "--dry-run", "--terraform-dir", str(tmp_path), env=env)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"submit: error: --terraform-dir: terraform output in {tmp_path} failed (exit 1): Unsupported state "
        "file format (The state file could not be parsed as JSON: syntax error at byte offset 2.)\n"
    )


def test_text_without_an_error_line_is_shown_by_its_first_line(run_cli, tmp_path):
    env = _failing_terraform(tmp_path, "\n  something odd happened\nmore\n")
    result = run_cli("azureml", "training", "--dry-run", "--terraform-dir", str(tmp_path), env=env)
    assert result.stderr == (
        f"submit: error: --terraform-dir: terraform output in {tmp_path} failed (exit 1): something odd happened\n"
    )

"""scripts/lib/find-python.sh, the interpreter finder the three setup scripts share, run by real bash."""

from __future__ import annotations

import subprocess
import sys

from tests.submit.conftest import REPO

LIB = REPO / "scripts" / "lib" / "find-python.sh"
THIS = f"sys.version_info[:2] == {tuple(sys.version_info[:2])}"


def _find(check: str, *candidates: str) -> subprocess.CompletedProcess:
    script = f'set -euo pipefail; source "{LIB}"; find_python "no such python; set SOME_PYTHON" "$@"'
    return subprocess.run(["bash", "-c", script, "find", check, *candidates], capture_output=True, text=True, check=False)


def test_the_first_candidate_that_passes_the_check_wins(tmp_path):
    missing = str(tmp_path / "python-that-is-not-there")
    result = _find(THIS, "", missing, sys.executable, "python3")
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, sys.executable, "")


def test_a_candidate_of_another_version_is_passed_over():
    result = _find("sys.version_info[:2] == (2, 7)", sys.executable)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.strip() == "no such python; set SOME_PYTHON"

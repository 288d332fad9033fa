"""An `osmo` executable for tests: records its argv and answers like the real OSMO CLI.

`install(folder, answers)` writes `folder/bin/osmo` (a Python script) and returns a `FakeOsmo`
to read what it was asked. Answers follow the CLI's own shapes (NVIDIA/OSMO src/cli, and
research/osmo-and-peers.md §1.11): `-t json` prints the service's JSON object; an error prints
`{"message": ..., "code": ...}` and exits non-zero (1 submission, 2 user error such as no login,
10 server); `workflow cancel` reports a refused cancel as text with exit 0; `workflow logs` is text.
A submitted spec file is copied aside, so a test can compare it with the dry run.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = """#!{python}
import json, os, shutil, sys
from pathlib import Path

state = Path({state!r})
args = sys.argv[1:]
with open(state / "argv.jsonl", "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
answers = json.loads((state / "answers.json").read_text())
key = " ".join(a for a in args[:3] if not a.startswith("-") and a != "json")
if args[:2] == ["workflow", "submit"]:
    shutil.copy(args[2], state / "submitted.yaml")
    key = "workflow submit"
elif args[:2] in (["workflow", "query"], ["workflow", "cancel"], ["workflow", "logs"]):
    key = " ".join(args[:2])
elif args[:1] == ["credential"]:
    key = "credential list"
answer = answers.get(key)
if isinstance(answer, list):  # a sequence: one answer per call, the last one kept
    counter = state / (key.replace(" ", "_") + ".count")
    calls = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(calls + 1))
    answer = answer[min(calls, len(answer) - 1)]
if answer is None:
    print("osmo: error: argument command: invalid choice", file=sys.stderr)
    sys.exit(2)
sys.stdout.write(answer["stdout"])
sys.stderr.write(answer.get("stderr", ""))
sys.exit(answer.get("exit", 0))
"""

WORKFLOW_ID = "isaaclab-training-7"
OVERVIEW = f"https://osmo.example.com/workflows/{WORKFLOW_ID}"


def submitted(name: str = WORKFLOW_ID) -> dict[str, Any]:
    """`osmo workflow submit -t json`: the SubmitResponse object."""
    return _json(
        {
            "name": name,
            "overview": f"https://osmo.example.com/workflows/{name}",
            "logs": f"https://osmo.example.com/api/workflow/{name}/logs",
            "spec": f"https://osmo.example.com/api/workflow/{name}/spec",
            "dashboard_url": None,
            "warnings": [],
        }
    )


def error(message: str, code: int = 400, exit_code: int = 1) -> dict[str, Any]:
    """Any command with `-t json` that fails: the CLI's error object and a non-zero exit."""
    return {"stdout": json.dumps({"message": message, "code": code}, indent=2) + "\n", "exit": exit_code}


NOT_LOGGED_IN = error('Must login first with "login" command', code=1, exit_code=2)


def queried(status: str = "RUNNING", exit_code: int | None = None) -> dict[str, Any]:
    """`osmo workflow query -t json`: a WorkflowQueryResponse (the fields a reader needs); a task that ended has
    its `exit_code` (TaskQueryResponse, NVIDIA/OSMO src/service/core/workflow/objects.py)."""
    task = {"name": "train", "status": status, "lead": False} | ({} if exit_code is None else {"exit_code": exit_code})
    return _json(
        {
            "name": WORKFLOW_ID,
            "uuid": "5f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f",
            "submitted_by": "robot@example.com",
            "spec": f"https://osmo.example.com/api/workflow/{WORKFLOW_ID}/spec",
            "template_spec": "",
            "logs": f"https://osmo.example.com/api/workflow/{WORKFLOW_ID}/logs",
            "events": "",
            "overview": OVERVIEW,
            "submit_time": "2026-11-22T10:00:00",
            "queued_time": 12.5,
            "status": status,
            "pool": "h100",
            "groups": [
                {
                    "name": "training",
                    "status": status,
                    "tasks": [task],
                }
            ],
        }
    )


def credentials(*names: str) -> dict[str, Any]:
    """`osmo credential --format-type json list`."""
    return _json(
        {"credentials": [{"cred_name": name, "cred_type": "GENERIC", "profile": None} for name in names]}
    )


def pools(
    name: str = "h100", *, capacity: int | str = 16, quota_free: int | str = 8, total_free: int | str = 8
) -> dict[str, Any]:
    """`osmo pool list -t json`: node sets of pools with GPU usage (counts may be strings)."""
    usage = {
        "quota_used": "0",
        "quota_free": quota_free,
        "quota_limit": "16",
        "total_usage": "0",
        "total_capacity": capacity,
        "total_free": total_free,
    }
    pool = {"name": name, "description": "H100 nodes", "status": "ONLINE", "resource_usage": usage}
    return _json({"node_sets": [{"pools": [pool]}], "resource_sum": usage})


def text(output: str, exit_code: int = 0) -> dict[str, Any]:
    return {"stdout": output, "exit": exit_code}


def _json(payload: dict[str, Any]) -> dict[str, Any]:
    return {"stdout": json.dumps(payload, indent=2) + "\n", "exit": 0}


@dataclass
class FakeOsmo:
    bin_dir: Path
    state: Path

    @property
    def path_env(self) -> dict[str, str]:
        """PATH with the fake first (the rest of PATH keeps python and the shell reachable)."""
        return {"PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}

    def calls(self) -> list[list[str]]:
        log = self.state / "argv.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def answer(self, **answers: dict[str, Any] | list[dict[str, Any]]) -> None:
        """Set answers by command: workflow_submit=..., credential_list=..., pool_list=..., ...; a list is a
        sequence, one answer per call, its last kept (workflow_query=[queried("RUNNING"), queried("COMPLETED")])."""
        current = json.loads((self.state / "answers.json").read_text())
        current.update({key.replace("_", " "): value for key, value in answers.items()})
        (self.state / "answers.json").write_text(json.dumps(current))

    def submitted_spec(self) -> str:
        return (self.state / "submitted.yaml").read_text()


def install(folder: Path, **answers: dict[str, Any] | list[dict[str, Any]]) -> FakeOsmo:
    bin_dir, state = folder / "bin", folder / "state"
    bin_dir.mkdir(parents=True)
    state.mkdir(parents=True)
    (state / "answers.json").write_text("{}")
    script = bin_dir / "osmo"
    script.write_text(SCRIPT.format(python=sys.executable, state=str(state)), encoding="utf-8")
    script.chmod(0o755)
    fake = FakeOsmo(bin_dir, state)
    fake.answer(**answers)
    return fake

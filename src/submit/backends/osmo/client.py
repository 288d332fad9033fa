"""OSMO's client: submission and tracking through the `osmo` CLI (the offline check is spec.py).

Every call asks the CLI for JSON (`-t json`, or `--format-type json` where `-t` means something
else) and parses it; text output is never scraped for an id. The CLI reports an error as the JSON
object `{"message", "code"}` with a non-zero exit; anything that is not the JSON expected (an
empty answer, text, an object without a workflow id) is reported as an error, never taken for success.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections import deque
from pathlib import Path
from typing import Any

import click

from submit import yamlio
from submit.backends.base import Submitted
from submit.errors import AuthError, SubmitError
from submit.output import say

INSTALL_FIX = "install the OSMO CLI so that `osmo` is on PATH, then run `osmo login <service-url>`"
LOGIN_FIX = "run `osmo login <service-url>` (see `osmo login --help`) and try again"
# What the CLI says when there is no login, or the stored login no longer works.
LOGIN_MESSAGES = ("Must login first", 'Please re-login with "osmo login"')
ERROR_MARKER = "Error message:"  # how the CLI's text output starts its error (src/cli/cli.py)
ERROR_CODE = "Error code:"  # the line right after it


def submit(spec: dict[str, Any], settings: Any, *, preflight: bool = True) -> Submitted:
    """`osmo workflow submit FILE -t json`; the workflow id is the `name` of the JSON answer."""
    from submit.backends.osmo import preflight as checks

    if preflight:
        checks.check(run_json, spec, settings)
    target = settings.target
    with tempfile.TemporaryDirectory(prefix="robo-submit-osmo-") as folder:
        path = Path(folder) / "workflow.yaml"
        path.write_text(yamlio.dump(spec), encoding="utf-8")
        args = ["workflow", "submit", str(path), "-t", "json", "--priority", target.priority]
        answer = run_json([*args, "--pool", target.pool] if target.pool else args)
    workflow_id = answer.get("name") if isinstance(answer, dict) else None
    if not isinstance(workflow_id, str) or not workflow_id.strip():
        raise SubmitError(f"osmo workflow submit answered without a workflow id: {_brief(answer)}")
    for warning in answer.get("warnings") or []:
        say(f"osmo: warning: {warning}")
    return Submitted(job_id=workflow_id, url=answer.get("overview") or answer.get("dashboard_url"))


def status(workflow_id: str) -> dict[str, Any]:
    """`osmo workflow query ID -t json`, reduced to what a person or a pipeline needs."""
    answer = run_json(["workflow", "query", workflow_id, "-t", "json"])
    if not isinstance(answer, dict) or not isinstance(answer.get("status"), str):
        raise SubmitError(f"osmo workflow query answered without a status: {_brief(answer)}")
    tasks = [
        {"name": task.get("name"), "status": task.get("status")}
        | ({"exit_code": task["exit_code"]} if task.get("exit_code") is not None else {})  # once the task ended
        for group in answer.get("groups") or []
        for task in (group.get("tasks") or [] if isinstance(group, dict) else [])
        if isinstance(task, dict)
    ]
    return {
        "backend": "osmo",
        "job_id": answer.get("name") or workflow_id,
        "status": answer["status"],
        "url": answer.get("overview"),
        "pool": answer.get("pool"),
        "tasks": tasks,
    }


def cancel(workflow_id: str) -> dict[str, Any]:
    """`osmo workflow cancel ID -t json`. A refused cancel prints text with exit 0: that is an error here."""
    answer = run_json(["workflow", "cancel", workflow_id, "-t", "json"])
    if not isinstance(answer, dict):
        raise SubmitError(f"osmo workflow cancel did not confirm: {_brief(answer)}")
    return {"backend": "osmo", "job_id": answer.get("name") or workflow_id, "status": "cancel requested"}


def logs(workflow_id: str, *, to_stderr: bool = False) -> None:
    """`osmo workflow logs ID`: plain text (the CLI has no JSON logs), passed through line by line.

    The CLI prints its own error on stdout too, as `Error message: ...` then `Error code: N`, after
    any log lines. From such a pair on, output is held until the exit code says what it was: the
    error (one line on stderr, nothing on stdout) or, after all, more of the log. A workflow's own
    `Error message:` line without `Error code:` after it is printed as it comes.
    """
    args = ["workflow", "logs", workflow_id]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        try:
            child = subprocess.Popen([_binary(), *args], stdout=subprocess.PIPE, stderr=errors, text=True)
        except OSError as exc:
            raise _cannot_run(args, exc) from None
        with child:
            assert child.stdout is not None
            tail: deque[str] = deque(maxlen=5)  # the last lines, for an error without the marker
            held: list[str] = []
            for line in child.stdout:
                if len(held) == 1 and not line.startswith(ERROR_CODE):
                    # `Error message:` without `Error code:` after it: a log line after all.
                    tail.append(held[0])
                    click.echo(held.pop(), nl=False, err=to_stderr)
                if held or line.startswith(ERROR_MARKER):
                    held.append(line)
                    continue
                tail.append(line)
                click.echo(line, nl=False, err=to_stderr)
        errors.seek(0)
        if child.returncode != 0:
            output = "".join(held or tail) + errors.read()
            raise _failure(["workflow", "logs"], child.returncode, output, None)
        for line in held:
            click.echo(line, nl=False, err=to_stderr)


def run_json(args: list[str]) -> Any:
    """Run `osmo ARGS` and return its JSON answer; an error answer or a non-JSON answer raises."""
    try:
        done = subprocess.run([_binary(), *args], capture_output=True, text=True, check=False)
    except OSError as exc:
        raise _cannot_run(args, exc) from None
    answer = _json(done.stdout)
    if done.returncode != 0:
        raise _failure(args, done.returncode, done.stdout + done.stderr, answer)
    if answer is None:
        raise SubmitError(
            f"osmo {_command(args)} answered with text, not JSON: {_first_line(done.stdout or done.stderr)}"
        )
    return answer


def _cannot_run(args: list[str], exc: OSError) -> SubmitError:
    return SubmitError(f"osmo {_command(args)}: cannot run the osmo CLI ({exc.strerror}); {INSTALL_FIX}")


def _binary() -> str:
    binary = shutil.which("osmo")
    if binary is None:
        raise SubmitError(f"the `osmo` CLI is not on PATH; {INSTALL_FIX}")
    return binary


def _failure(args: list[str], code: int, output: str, answer: Any) -> SubmitError:
    message = (
        answer.get("message") if isinstance(answer, dict) and answer.get("message") else _error_line(output)
    )
    text = " ".join(str(message).split())[:600]
    if any(marker in text for marker in LOGIN_MESSAGES):
        return AuthError(f"osmo is not logged in ({text}); {LOGIN_FIX}")
    return SubmitError(f"osmo {_command(args)} failed (exit {code}): {text}")


def _command(args: list[str]) -> str:
    """`workflow submit`, `credential list`: the subcommand words, without flags or their values."""
    return " ".join([arg for arg in args if not arg.startswith("-") and arg != "json"][:2])


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return None


def _error_line(output: str) -> str:
    """The CLI's text error is 'Error message: ...' then 'Error code: N'; else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    marked = [line.removeprefix(ERROR_MARKER).strip() for line in lines if line.startswith(ERROR_MARKER)]
    return marked[-1] if marked else (lines[-1] if lines else "no message")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0][:300] if lines else "(nothing)"


def _brief(answer: Any) -> str:
    return "(nothing)" if answer is None else json.dumps(answer)[:300]

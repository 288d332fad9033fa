"""What a spec may do that the servers accept but a careful reader should be told: `submit validate` warns of
these (backends.base.Advice), it does not fail. One home for every backend.

- A command that deletes outside the job's own folders (`rm -rf /data`, `rm -rf ~`, `shutil.rmtree('/')`): a job
  runs with the machine's mounts and the user's identity; its folders are its output binding, its inputs, its
  working folder (relative paths) and /tmp.
- Azure ML `code:` that climbs out of the spec's folder: the whole folder it names is uploaded as the job's snapshot.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

_RM = re.compile(r"^(rm|rmdir|shred|unlink)$")
_RMTREE = re.compile(r"""(?:shutil\.rmtree|os\.remove|os\.unlink|os\.rmdir)\(\s*['"]([^'"]+)['"]""")
# The job's own folders, as each backend binds them.
_BINDINGS = re.compile(r"^(\$\{\{\s*outputs\.|\{\{output\}\}|\{\{input:|\$AZUREML_|\$\{AZUREML_)")
_JOB_FOLDERS = ("/tmp/",)


def deletes_outside(command: str) -> list[str]:
    """The paths a shell command (or an inline Python one) deletes outside the job's folders, in order."""
    try:
        words = shlex.split(command, comments=False)
    except ValueError:
        words = command.split()
    found: list[str] = []
    for index, word in enumerate(words):
        if " " in word.strip() and word != command:  # a script inside the command: bash -c '...'
            found += deletes_outside(word)
        elif _RM.match(Path(word).name):
            for arg in words[index + 1 :]:
                if arg in ("&&", "||", ";", "|"):
                    break
                if not arg.startswith("-") and _outside(arg.rstrip(";")):
                    found.append(arg.rstrip(";"))
                if arg.endswith(";"):
                    break
    if not any(" " in word.strip() for word in words):
        found += [path for path in _RMTREE.findall(command) if _outside(path)]
    return found


def delete_advice(where: str, command: str) -> list[tuple[str, str]]:
    return [
        (where, f"deletes {path!r}, outside the job's folders (its output, inputs, working folder and /tmp)")
        for path in dict.fromkeys(deletes_outside(command))
    ]


def code_advice(code: Any, spec_dir: Path) -> list[tuple[str, str]]:
    """Azure ML `code:` that names a folder outside the spec's own (a local path, not a URL or an asset)."""
    if not isinstance(code, str) or "://" in code or code.startswith("azureml:"):
        return []
    folder, target = spec_dir.resolve(), (spec_dir / code).resolve()
    if target == folder or folder in target.parents:
        return []
    return [("code", f"{code!r} is outside the spec's folder ({folder}); all of it is uploaded as the job's code")]


def _outside(path: str) -> bool:
    path = path.strip("'\"")
    if _BINDINGS.match(path):
        return False
    if path.startswith(("~", "$HOME", "${HOME}")) or path in ("*", ".", "..") or path.startswith("../") or "/../" in path:
        return True
    if path.startswith("/"):
        return not path.startswith(_JOB_FOLDERS)
    return path.startswith("$")  # another variable: where it points is not known

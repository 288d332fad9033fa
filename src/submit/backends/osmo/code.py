"""`--code-source local`: the trainer's sources shipped inside the OSMO spec, one `files:` entry each.

The reference scripts zipped the code into one base64 argument and one environment variable,
which Linux caps at 128 KiB (MAX_ARG_STRLEN). Here no value carries more than one file, and
the limits come from where the files end up:

- per file: at most 256 KiB. OSMO mounts each `files:` entry from its own Kubernetes Secret,
  and Kubernetes refuses a Secret over 1 MiB; base64 makes a file a third larger.
- all files, in every task of the spec: at most 768 KiB of base64 text. Our own ceiling: it
  keeps the submitted spec under 1 MiB, the request-body limit common on ingress proxies in
  front of the OSMO service. A multi-node spec carries the files once per node.

Above a limit the command refuses with exit 2; upload training/ and use `--code-source url:`.
"""

from __future__ import annotations

from pathlib import Path

from submit import snapshot
from submit.backends.osmo.render import CodeFile
from submit.errors import BadInput

MAX_FILE_BYTES = 256 * 1024
MAX_SPEC_CODE_BYTES = 768 * 1024
ADVICE = "upload training/ to object storage and use --code-source url:<storage URL>, or --code-source image"


def collect_local_code(root: Path | None = None) -> tuple[CodeFile, ...]:
    """training/ as the Azure ML snapshot sees it (no caches), paths relative to its parent."""
    root = root or snapshot.snapshot_root()
    return tuple(
        CodeFile(path.relative_to(root).as_posix(), path.read_bytes())
        for path in snapshot.collect(root).files
    )


def encoded_size(size: int) -> int:
    return 4 * ((size + 2) // 3)


def check_limits(files: tuple[CodeFile, ...], tasks: int) -> str:
    """A one-line size summary for stderr, or BadInput naming the limit that was crossed."""
    for f in files:
        if len(f.data) > MAX_FILE_BYTES:
            raise BadInput(
                f"--code-source local: {f.path} is {len(f.data):,} bytes, above the {MAX_FILE_BYTES:,}-byte "
                f"limit per file (each file becomes one Kubernetes Secret); {ADVICE}"
            )
    raw = sum(len(f.data) for f in files)
    in_spec = sum(encoded_size(len(f.data)) for f in files) * tasks
    summary = (
        f"training/ is {len(files)} files, {raw:,} bytes; {in_spec:,} bytes of base64 in the spec "
        f"({tasks} task{'s' if tasks > 1 else ''}; limit {MAX_SPEC_CODE_BYTES:,})"
    )
    if in_spec > MAX_SPEC_CODE_BYTES:
        raise BadInput(f"--code-source local: {summary}; {ADVICE}")
    return f"code source local: {summary}"

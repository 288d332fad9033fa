"""Payload: the code each backend ships, measured from the current tree against its limit.

- Azure ML: the code snapshot is what `submit.snapshot.build_files` lists under `snapshot_root()`
  (`training/` and the image build context `workflows/images/`, no caches). Azure ML documents a snapshot limit of 300 MB and 2000 files
  (learn.microsoft.com, "how-to-save-write-experiment-files", storage limits of experiment snapshots).
- OSMO `--code-source local`: `submit.backends.osmo.code.collect_local_code` and the two limits enforced by
  `check_limits`: 256 KiB per file, 768 KiB of base64 text in the whole spec (per task; 1 task here).

Sizes are exact byte counts, not timings, so machine load does not affect them.
Run: .venv/bin/python -m benchmarks.payload   (writes its section of docs/benchmarks.md)
"""

from __future__ import annotations

import sys

from benchmarks.common import REPO, machine_line, write_section

AZUREML_MAX_BYTES = 300 * 1024 * 1024
AZUREML_MAX_FILES = 2000


def run(quick: bool = False) -> dict[str, int]:
    from submit import snapshot
    from submit.backends.osmo import code as osmo_code

    shipped = snapshot.build_files(snapshot.snapshot_root())
    files = osmo_code.collect_local_code()
    largest = max(files, key=lambda f: len(f.data))
    figures = {
        "azureml_bytes": sum(path.stat().st_size for path in shipped),
        "azureml_files": len(shipped),
        "osmo_files": len(files),
        "osmo_raw": sum(len(f.data) for f in files),
        "osmo_base64": sum(osmo_code.encoded_size(len(f.data)) for f in files),
        "osmo_largest": len(largest.data),
        "osmo_largest_path": largest.path,
    }
    _write(figures, osmo_code.MAX_FILE_BYTES, osmo_code.MAX_SPEC_CODE_BYTES)
    return figures


def _write(f: dict, max_file: int, max_spec: int) -> None:
    def row(what: str, size: int, limit: int, unit: str = "bytes") -> str:
        share = 100 * size / limit
        within = "yes" if size <= limit else "no"
        return f"| {what} | {size:,} {unit} | {limit:,} {unit} | {share:.1f}% | {within} |"

    body = "\n".join(
        [
            "## Code payload (benchmarks/payload.py)",
            "",
            f"Machine: {machine_line()}. Exact sizes of the current tree (byte counts, not timings).",
            "",
            "| payload | size | limit | of limit | within |",
            "|---|---|---|---|---|",
            row("Azure ML code snapshot (`training/`, `workflows/images/`)", f["azureml_bytes"], AZUREML_MAX_BYTES),
            row("Azure ML code snapshot, files", f["azureml_files"], AZUREML_MAX_FILES, "files"),
            row(f"OSMO local code, largest file (`{f['osmo_largest_path']}`)", f["osmo_largest"], max_file),
            row(f"OSMO local code, base64 in a 1-task spec ({f['osmo_files']} files, "
                f"{f['osmo_raw']:,} bytes raw)", f["osmo_base64"], max_spec),
            "",
            f"A multi-node OSMO spec carries the files once per node: the 768 KiB ceiling allows "
            f"{max_spec // max(f['osmo_base64'], 1)} node(s) with `--code-source local` at today's size.",
        ]
    )  # fmt: skip
    write_section("payload", body)
    print(body)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    run()

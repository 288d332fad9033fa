"""`--wait`: follow a submitted job until it ends, saying each change of its status on stderr.

The loop asks the backend's `status` (the same call as `submit <backend> status`) every POLL_SECONDS and
stops at a status the backend calls final (`Backend.outcome`). Ctrl-C stops the waiting, not the job.
"""

from __future__ import annotations

import time
from typing import Any

from submit.errors import AuthError, SubmitError
from submit.output import say

# Between two status queries: a job runs for minutes to days, and each query is one request to the service.
POLL_SECONDS = 30.0
# Status queries that may fail in a row (a network blip, a throttled request) before the waiting gives up.
QUERY_ATTEMPTS = 3


class StoppedWaiting(SubmitError):
    """Ctrl-C while waiting: the job keeps running; exit 130 as a shell reports SIGINT."""

    exit_code = 130


def wait(backend: Any, job_id: str, target: Any) -> dict[str, Any]:
    """The job's last status result, once it is final; each new status is one stderr line."""
    last = None
    failures = 0
    try:
        while True:
            try:
                result = backend.status(job_id, target)
            except AuthError:
                raise
            except SubmitError as exc:  # a query that failed, not the job: ask again a few times
                failures += 1
                if failures >= QUERY_ATTEMPTS:
                    raise SubmitError(f"{exc}; stopped waiting for {job_id}, which may still be running") from None
                say(f"note: {exc}; asking again")
                time.sleep(POLL_SECONDS)
                continue
            failures = 0
            status = str(result.get("status"))
            if status != last:
                say(f"{job_id}: {status}")
                last = status
            if backend.outcome(status) is not None:
                return result
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        raise StoppedWaiting(
            f"stopped waiting; {backend.name} job {job_id} keeps running (`submit {backend.name} status {job_id}` follows it, "
            f"`submit {backend.name} cancel {job_id}` stops it)"
        ) from None

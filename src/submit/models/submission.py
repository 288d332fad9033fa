"""One submission model: a job of any kind and a backend's target, checked by the backend's own rules."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import model_validator

from submit.models.base import DEFAULTS, Strict
from submit.models.jobs import IsaacLabSkrlJob, Job, LeRobotJob
from submit.secret_rules import url_secret_problem

TargetT = TypeVar("TargetT", bound="Target")


class Target(Strict):
    """Where a job runs. A backend's target adds its fields and its rules for a job (`check_job`)."""

    def check_job(self, job: IsaacLabSkrlJob | LeRobotJob) -> None:
        """Raise ValueError(`path: problem`) for a job this target cannot run as given."""


class Submission(Strict, Generic[TargetT]):
    """A job and where it runs."""

    job: Job
    target: TargetT = DEFAULTS

    @model_validator(mode="after")
    def _target_rules(self) -> Submission:
        self.target.check_job(self.job)
        return self


class LocalTarget(Target):
    """This machine: the trainer in a local virtual environment (a local run writes no spec, so a SAS URL may be used)."""


def spec_url_rules(job: IsaacLabSkrlJob | LeRobotJob) -> None:
    """URLs a job spec carries hold no secret: the spec is stored and shown by the job system."""
    urls = [("checkpoint.uri", job.checkpoint.uri)]
    if isinstance(job, LeRobotJob):
        urls += [("pretrained_path", job.pretrained_path), *(("blob_urls", url) for url in job.blob_urls)]
    for path, url in urls:
        problem = url and url_secret_problem(url)
        if problem:
            raise ValueError(f"job.{path}: {problem}")

"""One submission model: a job of any kind and a backend's target, checked by the backend's own rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from pydantic import model_validator

from submit.models.base import DEFAULTS, Strict
from submit.models.jobs import AZUREML_MODEL, AnyJob, EvaluationJob, Job
from submit.secret_rules import text_secret_problem

TargetT = TypeVar("TargetT", bound="Target")


class Target(Strict):
    """Where a job runs. A backend's target adds its fields and its rules for a job (`check_job`)."""

    def check_job(self, job: AnyJob) -> None:
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

    def check_job(self, job: AnyJob) -> None:
        import re

        if isinstance(job, EvaluationJob) and re.fullmatch(AZUREML_MODEL, job.model):
            raise ValueError("job.model: an azureml: model is an Azure ML job input; here use models:/<name>/<version> or a path")


def spec_url_rules(job: AnyJob, target: Target | None = None) -> None:
    """No value a job spec carries holds a credential (a URL with user:password@ or a SAS query): the spec is stored
    and shown by the job system. One rule for every text value of the job and the target, flags and free text alike."""
    parts = {"job": job.model_dump(), **({"target": target.model_dump()} if target is not None else {})}
    for path, value in _texts(parts):
        problem = text_secret_problem(value)
        if problem:
            raise ValueError(f"{path}: {problem}")


def _texts(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item, path)

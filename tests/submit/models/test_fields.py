"""Each setting is declared once: every settings field carries its declaration, at the path the declaration
names, and every declaration with a path has its field."""

from __future__ import annotations

import pytest

from submit.backends import registry
from submit.backends.azureml.target import AzureMLSubmission, Workspace
from submit.backends.osmo.target import OsmoSubmission
from submit.models.base import Strict, declaration
from submit.models.jobs import EvaluationJob, IsaacLabSkrlJob, LeRobotJob

# Fields that are structure, not settings: the job kind's tag and the parts themselves.
STRUCTURE = {"job.kind"}


def _leaves(model: type[Strict], prefix: str) -> dict[str, dict]:
    """Dotted path -> the declaration its field carries, for every leaf field of a model and its parts."""
    found: dict[str, dict] = {}
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}"
        part = info.annotation if isinstance(info.annotation, type) and issubclass(info.annotation, Strict) else None
        if part is not None:
            found |= _leaves(part, path)
        else:
            found[path] = declaration(info)
    return found


def _target(submission: type[Strict]) -> type[Strict]:
    return submission.model_fields["target"].annotation


MODELS = {
    "isaaclab-skrl": _leaves(IsaacLabSkrlJob, "job"),
    "lerobot": _leaves(LeRobotJob, "job"),
    "evaluation": _leaves(EvaluationJob, "job"),
    "azureml": _leaves(_target(AzureMLSubmission), "target"),
    "osmo": _leaves(_target(OsmoSubmission), "target"),
}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_settings_field_carries_the_declaration_of_its_own_path(model):
    by_path = {setting.path: setting for setting in registry.declarations().values() if setting.path}
    for path, declared in MODELS[model].items():
        if path in STRUCTURE:
            continue
        assert declared, f"{path}: a settings field without a declaration (models.base.declared)"
        assert declared["flags"] == list(by_path[path].flags), path


def test_every_declaration_with_a_path_has_its_field_in_some_model():
    fields = {path for leaves in MODELS.values() for path in leaves}
    declared = {setting.path for setting in registry.declarations().values() if setting.path}
    assert declared - fields == set()


def test_the_workspace_model_of_status_logs_and_cancel_is_the_azure_ml_target():
    assert Workspace.model_fields["target"].annotation == _target(AzureMLSubmission) | None

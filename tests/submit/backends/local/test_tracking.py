"""Which MLflow a spec run's container gets. Serving the local store to a real container is in the image tier
(tests/images/test_local_run.py); here, the choices that start nothing."""

from __future__ import annotations

import pytest

from submit.backends.local.job import ContainerJob
from submit.backends.local.tracking import Tracking, tracking_for
from submit.errors import BadInput


def _job(**env: str) -> ContainerJob:
    return ContainerJob(backend="osmo", name="w", image="i", argv=("python",), env=env, tracking_uri=env.get("MLFLOW_TRACKING_URI"))


def _tracking(job: ContainerJob, environ: dict[str, str], tmp_path) -> Tracking:
    with tracking_for(job, tmp_path, environ) as tracking:
        return tracking


def test_the_server_a_spec_names_is_kept_and_nothing_is_added(tmp_path):
    tracking = _tracking(_job(MLFLOW_TRACKING_URI="https://mlflow.example"), {"MLFLOW_TRACKING_URI": "http://127.0.0.1:1"}, tmp_path)

    assert tracking == Tracking("https://mlflow.example", {})


def test_this_machines_server_is_passed_on_with_its_client_credentials_by_name(tmp_path):
    environ = {"MLFLOW_TRACKING_URI": "http://127.0.0.1:5000", "MLFLOW_TRACKING_TOKEN": "t" * 20, "MLFLOW_TRACKING_USERNAME": ""}

    assert _tracking(_job(), environ, tmp_path) == Tracking(
        "http://127.0.0.1:5000", {"MLFLOW_TRACKING_URI": "http://127.0.0.1:5000"}, ("MLFLOW_TRACKING_TOKEN",)
    )


def test_a_spec_with_mlflow_off_gets_no_store(tmp_path):
    assert _tracking(_job(ROBO_MLFLOW="false"), {}, tmp_path) == Tracking(None, {})
    assert not (tmp_path / "mlruns").exists()


@pytest.mark.parametrize("uri", ["file:///tmp/mlruns", "./mlruns"])
def test_a_file_store_the_container_cannot_reach_is_refused(tmp_path, uri):
    with pytest.raises(BadInput) as refused:
        _tracking(_job(), {"MLFLOW_TRACKING_URI": uri}, tmp_path)

    assert str(refused.value) == (
        f"MLFLOW_TRACKING_URI: {uri} is a file store, which the container cannot reach; "
        "point it at a tracking server or a sqlite:/// store"
    )

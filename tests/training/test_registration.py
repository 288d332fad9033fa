"""register_checkpoint: the API the RL and LeRobot trainers share, on a real MLflow store."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mlflow import MlflowClient

from training.registration import register_checkpoint, sha256_file


def test_versions_come_from_a_plain_folder_with_tags_and_the_files_sha256(
    tmp_path: Path, sqlite_tracking: str
) -> None:
    client = MlflowClient(sqlite_tracking)
    experiment = client.create_experiment("reg", artifact_location=(tmp_path / "artifacts").as_uri())
    folder = tmp_path / "checkpoint"
    folder.mkdir()
    weights = folder / "model.safetensors"
    weights.write_bytes(b"\x00\x01" * 5000)  # no MLmodel file: mlflow.register_model would refuse this
    versions = []
    for _ in range(2):
        run_id = client.create_run(experiment).info.run_id
        client.log_artifacts(run_id, str(folder), "checkpoint")
        versions.append(
            register_checkpoint(
                client,
                run_id=run_id,
                artifact_path="checkpoint",
                name="act-policy",
                checkpoint_file=weights,
                tags={"policy_type": "act", "step": 20},
            )
        )
    assert [v for _, v in versions] == ["1", "2"]  # the second call reuses the registered model
    second = client.get_model_version("act-policy", "2")
    assert second.source == f"runs:/{run_id}/checkpoint"
    assert second.run_id == run_id
    assert second.tags == {
        "policy_type": "act",
        "step": "20",
        "sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "checkpoint_file": "model.safetensors",
        "source_run_id": run_id,
    }
    downloaded = Path(client.download_artifacts(run_id, "checkpoint", str(tmp_path / "dl")))
    assert sha256_file(downloaded / "model.safetensors") == second.tags["sha256"]

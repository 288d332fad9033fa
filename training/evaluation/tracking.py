"""The MLflow phase of an evaluation: the run, the version's tags, the gates' verdicts, the alias.

Order matters for what a CI pipeline sees: the alias holders the gates compare against are read first, then
the evaluation run is logged (metrics, episode table, export) and the version tagged `evaluated=true` with its
headline metrics, and only when every gate held is the alias moved. A failure on the way ends the run FAILED
and changes no alias.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training import metadata
from training.config import ENV_PREFIX, ConfigError
from training.evaluation.outcome import EPISODES_TABLE, Outcome, check, table
from training.gate import METRIC_TAG_PREFIX
from training.mlflow_run import finish_run, start_run, upload

EXPORT_ARTIFACT, VIDEO_ARTIFACT = "export", "video"


def record(outcome: Outcome, output: Path) -> None:
    """Log the evaluation, tag the version, check the gates and promote; fills the outcome's run and verdicts."""
    from mlflow import MlflowClient  # lazy: start-up time

    client = MlflowClient()
    plan, config, target = outcome.plan, outcome.config, outcome.plan.target
    holders = {g.alias: alias_holder(client, target.name, g.alias) for g in plan.gates if g.alias}
    outcome.checks = [
        check(g, outcome.metrics, _reference(holders.get(g.alias), g.metric), _number(holders.get(g.alias)))
        for g in plan.gates
    ]
    run = start_run(
        experiment=config.experiment_name,
        run_name=config.job_name or f"evaluate-{target.name or 'model'}-{target.version or 'files'}",
        tags=run_tags(outcome),
        params=run_params(outcome),
    )
    outcome.run_id = run.run_id
    try:
        _log(run, outcome, output)
        if target.version:
            tag_version(client, outcome)
        if outcome.gate_passed is not False and config.promote:
            client.set_registered_model_alias(target.name, config.promote, target.version)
            outcome.promoted = config.promote
        if config.promote:
            outcome.alias_version = _number(alias_holder(client, target.name, config.promote))
        verdict = {"gate_passed": str(outcome.gate_passed).lower()} if outcome.checks else {}
        for key, value in {**verdict, **({"promoted": outcome.promoted} if outcome.promoted else {})}.items():
            client.set_tag(run.run_id, key, value)
    except BaseException:
        finish_run(run, "failed")
        raise
    finish_run(run, "succeeded")


def run_params(outcome: Outcome) -> dict[str, Any]:
    config, extra = outcome.config, outcome.plan.extra
    common = {"seed": config.seed, "gate": ",".join(config.gate) or None, "promote": config.promote}
    if "heldout_episodes" in extra:  # held-out dataset episodes: no environments, no sampling switch
        return {"heldout_episodes": json.dumps(extra["heldout_episodes"]), **common}
    if outcome.plan.framework == "lerobot":  # a rollout in LeRobot's environment: its policy acts as deployed
        return {"episodes": config.episodes, "num_envs": config.num_envs, "lerobot_env": extra["lerobot_env"], **common}
    return {"episodes": config.episodes, "num_envs": config.num_envs, "deterministic": config.deterministic,
            **common, "export": config.export}  # fmt: skip


def run_tags(outcome: Outcome) -> dict[str, str]:
    plan, target = outcome.plan, outcome.plan.target
    tags = {
        "kind": "evaluation", "task": plan.task, "rl_library": plan.rl_library, "algorithm": plan.algorithm,
        "framework": plan.framework or plan.rl_library, "model_uri": target.registered_uri, "source_uri": target.uri,
        **{key: json.dumps(value) if isinstance(value, list) else str(value) for key, value in plan.extra.items()},
        **metadata.run_tags(outcome.config.correlation_id, outcome.config.device),
    }  # fmt: skip
    tags = {key: value for key, value in tags.items() if value is not None}
    if target.version:
        tags.update(model_name=target.name, model_version=target.version)
    if outcome.config.gate:
        tags["gate"] = ",".join(outcome.config.gate)
    return tags


def tag_version(client: Any, outcome: Outcome) -> None:
    """evaluated=true, the headline metrics as eval.<metric>, and where they came from."""
    target, config = outcome.plan.target, outcome.config
    tags = {f"{METRIC_TAG_PREFIX}{key}": repr(float(value)) for key, value in outcome.metrics.items()}  # exact
    tags.update({"evaluated": "true", "eval.episodes": str(len(outcome.episodes)), "eval.run_id": outcome.run_id,
                 "eval.task": outcome.plan.task})  # fmt: skip
    if config.correlation_id:
        tags["eval.correlation_id"] = config.correlation_id
    if outcome.export:
        fmt = outcome.export["format"]
        tags[f"export.{fmt}"] = outcome.export["artifact"]
        tags[f"export.{fmt}.sha256"] = outcome.export["sha256"]
    for key, value in tags.items():
        client.set_model_version_tag(target.name, target.version, key, value)


def alias_holder(client: Any, name: str | None, alias: str) -> Any:
    """The version holding `alias`, or None when none does yet."""
    from mlflow.exceptions import MlflowException  # lazy: start-up time

    if name is None:
        raise ConfigError(f"{ENV_PREFIX}GATE: @{alias} compares with a registered version; the model is none")
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            return None
        raise


def _log(run: Any, outcome: Outcome, output: Path) -> None:
    from mlflow.entities import Metric  # lazy: start-up time

    stamp = 0
    points = [Metric(key, value, stamp, 0) for key, value in outcome.metrics.items()]
    run.client.log_batch(run.run_id, metrics=points, synchronous=True)
    run.client.log_table(run.run_id, data=table(outcome.episodes), artifact_file=EPISODES_TABLE)
    upload(run, output / "episodes.csv", "")
    if outcome.videos:
        for video in outcome.videos:
            upload(run, video, VIDEO_ARTIFACT)
        outcome.video_artifact = f"runs:/{run.run_id}/{VIDEO_ARTIFACT}"
    if outcome.export:
        for name in (outcome.export["file"], outcome.export["file"] + ".sha256"):
            upload(run, Path(name), EXPORT_ARTIFACT)
        outcome.export["artifact"] = f"runs:/{run.run_id}/{EXPORT_ARTIFACT}/{Path(outcome.export['file']).name}"


def _reference(holder: Any, metric: str) -> float | None:
    value = (holder.tags or {}).get(f"{METRIC_TAG_PREFIX}{metric}") if holder is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _number(holder: Any) -> str | None:
    return str(holder.version) if holder is not None else None

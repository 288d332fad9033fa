"""What every backend and the local runner share: the container command and the trainer's environment."""

from __future__ import annotations

from submit.settings import IsaacLabSkrlJob, LeRobotJob, registers
from training.config import OUTPUT_DIR_FLAG, LeRobotConfig, RLConfig, to_env


def trainer_command(kind: str, output_dir: str) -> list[str]:
    """The one container command, as argv. `output_dir` is a backend binding or a local path, never user text."""
    return ["python", "-m", "training", kind, OUTPUT_DIR_FLAG, output_dir]


def trainer_kind(job: IsaacLabSkrlJob | LeRobotJob) -> str:
    return "rl" if isinstance(job, IsaacLabSkrlJob) else "lerobot"


def trainer_config(job: IsaacLabSkrlJob | LeRobotJob, *, key_vault_uri: str | None = None) -> RLConfig | LeRobotConfig:
    """The trainer's view of a job: what reaches the container as ROBO_* variables."""
    common = {
        "checkpoint_uri": job.checkpoint.uri,
        "checkpoint_mode": job.checkpoint.mode,
        "register": registers(job),
        "register_model": job.model_name,
        "mlflow": job.tracking.mlflow,
        "wandb": job.tracking.wandb,
        "wandb_project": job.tracking.wandb_project,
        "wandb_entity": job.tracking.wandb_entity,
        "experiment_name": job.naming.experiment_name,
        "job_name": job.naming.job_name,
        "seed": job.seed,
        "secret_source": "keyvault" if key_vault_uri else "env",
        "key_vault_uri": key_vault_uri,
    }
    if isinstance(job, IsaacLabSkrlJob):
        return RLConfig(
            **common,
            task=job.task,
            num_envs=job.num_envs,
            max_iterations=job.max_iterations,
            algorithm=job.algorithm,
            headless=job.headless,
            physics=job.physics,
            mode=job.mode,
            log_interval=job.tracking.log_interval,
            metric_filter=job.tracking.metric_filter,
        )
    return LeRobotConfig(
        **common,
        dataset_repo_id=job.dataset_repo_id,
        blob_urls=job.blob_urls,
        policy_type=job.policy_type,
        pretrained_path=job.pretrained_path,
        steps=job.steps,
        batch_size=job.batch_size,
        learning_rate=job.learning_rate,
        save_freq=job.save_freq,
        eval_freq=job.eval_freq,
        push_to_hub=job.push_to_hub,
        policy_repo_id=job.policy_repo_id,
        lerobot_args=job.extra_args,
    )


def trainer_env(job: IsaacLabSkrlJob | LeRobotJob, *, key_vault_uri: str | None = None) -> dict[str, str]:
    """ROBO_* variables plus MLflow's own client knobs."""
    env = to_env(trainer_config(job, key_vault_uri=key_vault_uri))
    env["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = str(job.tracking.token_retries)
    env["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(job.tracking.http_timeout)
    return env

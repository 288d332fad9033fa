"""The trainer contract: every trainer setting is filled by one declared setting, derived by the CLI, or the
trainer's own; a declared setting's value reaches its ROBO_* variable on every backend."""

from __future__ import annotations

from dataclasses import fields

import pytest
import yaml

from submit import trainer_contract
from submit.backends import registry
from training.config import KINDS, env_name, from_env


def _declared_trainer_names() -> set[str]:
    return {setting.trainer for setting in registry.declarations().values() if setting.trainer}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_trainer_field_is_mapped_derived_or_the_trainers_own(kind):
    names = {f.name for f in fields(KINDS[kind])}
    declared = _declared_trainer_names()
    unaccounted = names - declared - set(trainer_contract.DERIVED) - set(trainer_contract.TRAINER_ONLY)
    assert unaccounted == set()


def test_no_field_is_both_mapped_and_marked_derived_or_trainer_only():
    declared = _declared_trainer_names()
    assert declared & set(trainer_contract.DERIVED) == set()
    assert declared & set(trainer_contract.TRAINER_ONLY) == set()
    every_field = {f.name for kind in KINDS.values() for f in fields(kind)}
    assert declared - every_field == set()  # a declaration names a field the trainer has


def test_each_declared_setting_has_one_parameter_name_and_flags_of_its_own():
    settings = registry.declarations()
    flags = [flag for setting in settings.values() for flag in setting.flags]
    assert sorted({flag for flag in flags if flags.count(flag) > 1}) == []
    assert all(setting.name == name for name, setting in settings.items())


# A value a user can give for each mapped setting of the RL job, and the ROBO_* text it must become.
RL_VALUES = {
    "task": (["-t", "Isaac-Cartpole-Direct"], "Isaac-Cartpole-Direct"),
    "num_envs": (["-n", "7"], "7"),
    "max_iterations": (["-m", "9"], "9"),
    "seed": (["--seed", "5"], "5"),
    "algorithm": (["--algorithm", "sac"], "sac"),
    "rl_library": (["--rl-library", "rsl_rl"], "rsl_rl"),
    "headless": (["--gui"], "false"),
    "mode": (["--mode", "smoke-test"], "smoke-test"),
    "physics": (["--physics", "newton_mjwarp"], "newton_mjwarp"),
    "checkpoint_uri": (["-M", "warm-start", "-c", "models:/m/1"], "models:/m/1"),
    "checkpoint_mode": (["-M", "warm-start", "-c", "models:/m/1"], "warm-start"),
    "mlflow": (["--no-mlflow", "--skip-register-checkpoint"], "false"),
    "log_interval": (["--mlflow-log-interval", "step"], "step"),
    "metric_filter": (["--metric-filter", "Reward"], '["Reward"]'),
    "experiment_name": (["--experiment-name", "exp"], "exp"),
    "job_name": (["-j", "job-1"], "job-1"),
    "correlation_id": (["--correlation-id", "gh-run-1234/2"], "gh-run-1234/2"),
}


def _trainer_env(run_cli, backend: str, args: list[str]) -> dict[str, str]:
    result = run_cli(backend, "training", *args, "--dry-run")
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    if backend == "azureml":
        return spec["environment_variables"]
    return spec["workflow"]["tasks"][0]["environment"]


@pytest.mark.parametrize("backend", ["azureml", "osmo"])
@pytest.mark.parametrize("field", sorted(RL_VALUES))
def test_a_flag_value_reaches_its_trainer_variable(run_cli, backend, field):
    args, expected = RL_VALUES[field]
    variable = env_name(next(f for f in fields(KINDS["rl"]) if f.name == field))
    assert _trainer_env(run_cli, backend, args)[variable] == expected


def test_the_key_vault_reaches_the_trainer_only_where_the_backend_has_one(run_cli):
    vault = "https://robo-kv.vault.azure.net"
    env = _trainer_env(run_cli, "azureml", ["--key-vault-uri", vault])
    assert (env["ROBO_KEY_VAULT_URI"], env["ROBO_SECRET_SOURCE"]) == (vault, "keyvault")
    env = _trainer_env(run_cli, "osmo", [])
    assert "ROBO_KEY_VAULT_URI" not in env and env["ROBO_SECRET_SOURCE"] == "env"


def test_a_local_runs_own_settings_reach_the_trainer_by_its_variable_names():
    env = trainer_contract.local_trainer_env({"device": "cpu", "timesteps": 64, "agent_config": None})
    assert env == {"ROBO_DEVICE": "cpu", "ROBO_TIMESTEPS": "64"}


# The same for the evaluation's own settings (the trainer kind evaluate): a value, and its ROBO_* text.
EVALUATION_VALUES = {
    "model_uri": ([], "models:/m/1"),
    "task": (["-t", "CartPole-v1"], "CartPole-v1"),
    "rl_library": (["--rl-library", "rsl-rl"], "rsl_rl"),
    "algorithm": (["--algorithm", "sac"], "sac"),
    "episodes": (["--episodes", "7"], "7"),
    "num_envs": (["-n", "3"], "3"),
    "seed": (["--seed", "5"], "5"),
    "promote": (["--promote", "champion"], "champion"),
    "gate": (["--gate", "mean_return>=1", "--gate", "std_return<2"], '["mean_return>=1", "std_return<2"]'),
    "export": (["--export", "onnx"], "onnx"),
    "video_episodes": (["--video-episodes", "2"], "2"),
    "dataset_repo_id": (["-d", "lerobot/pusht"], "lerobot/pusht"),
    "heldout_episodes": (["-d", "lerobot/pusht", "--heldout-episodes", "4,5"], "[4, 5]"),
    "lerobot_env": (["--lerobot-env", "aloha"], "aloha"),
    "headless": (["-t", "Isaac-Cartpole-Direct", "--gui"], "false"),
    "physics": (["-t", "Isaac-Cartpole-Direct", "--physics", "newton_mjwarp"], "newton_mjwarp"),
    "mlflow": (["--no-mlflow"], "false"),
    "experiment_name": (["--experiment-name", "exp"], "exp"),
    "job_name": (["-j", "job-1"], "job-1"),
    "correlation_id": (["--correlation-id", "gh-1"], "gh-1"),
}


@pytest.mark.parametrize("backend", ["azureml", "osmo"])
@pytest.mark.parametrize("field", sorted(EVALUATION_VALUES))
def test_an_evaluation_flag_value_reaches_its_trainer_variable(run_cli, backend, field):
    args, expected = EVALUATION_VALUES[field]
    result = run_cli(backend, "evaluation", "--model", "models:/m/1", *args, "--dry-run")
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    env = spec["environment_variables"] if backend == "azureml" else spec["workflow"]["tasks"][0]["environment"]
    variable = env_name(next(f for f in fields(KINDS["evaluate"]) if f.name == field))
    assert env[variable] == expected
    assert from_env("evaluate", {k: v for k, v in env.items() if k.startswith("ROBO_")})  # and the trainer takes it

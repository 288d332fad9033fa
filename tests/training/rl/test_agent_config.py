"""Which agent YAML is used, and what the job's settings override in it (pure, no torch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.conftest import TINY_PPO, TINY_SAC, rl_config
from training.config import ConfigError
from training.rl.agent_config import AGENTS_DIR, apply_overrides, load_agent_cfg, shipped_agent_path


def cfg_for(tmp_path: Path, **settings) -> dict:
    config = rl_config(tmp_path, **settings)
    return apply_overrides(load_agent_cfg(config), config, gymnasium=True)


@pytest.mark.parametrize(
    ("settings", "timesteps"),
    [
        ({"timesteps": 321}, 321),
        ({"timesteps": None, "max_iterations": 5}, 5 * 8),  # iterations x agent.rollouts
        ({"timesteps": 50, "max_iterations": 5}, 50),  # --timesteps wins
        ({"timesteps": None}, 160),  # the YAML's trainer.timesteps
    ],
)
def test_trainer_length_comes_from_timesteps_then_iterations_then_the_yaml(
    tmp_path: Path, settings: dict, timesteps: int
) -> None:
    assert cfg_for(tmp_path, **settings)["trainer"]["timesteps"] == timesteps


def test_off_policy_iterations_are_timesteps(tmp_path: Path) -> None:
    cfg = cfg_for(
        tmp_path,
        task="Pendulum-v1",
        algorithm="sac",
        agent_config=str(TINY_SAC),
        timesteps=None,
        max_iterations=7,
    )
    assert cfg["trainer"]["timesteps"] == 7


def test_overrides_put_outputs_in_the_output_dir_and_keep_tracking_alive(tmp_path: Path) -> None:
    config = rl_config(tmp_path / "out", timesteps=50, seed=7, checkpoint_interval=9)
    source = load_agent_cfg(config)
    source["agent"]["experiment"]["write_interval"] = 0  # would stop skrl recording rewards
    cfg = apply_overrides(source, config, gymnasium=True)
    assert cfg["seed"] == 7
    assert cfg["agent"]["experiment"] == {
        "write_interval": 1,  # max(1, 50 // 100)
        "checkpoint_interval": 9,
        "directory": str((tmp_path / "out").resolve()),
        "experiment_name": "skrl",
        "store_separately": False,
        "wandb": False,
    }
    assert cfg["trainer"] == {
        "class": "SequentialTrainer",
        "timesteps": 50,
        "disable_progressbar": True,
        "close_environment_at_exit": False,
        "headless": True,
        "environment_info": "episode",
    }
    assert source["agent"]["experiment"]["write_interval"] == 0  # the input is not changed


def test_auto_intervals_follow_the_run_length(tmp_path: Path) -> None:
    config = rl_config(tmp_path, agent_config=None, timesteps=5000)  # the shipped CartPole YAML says auto
    cfg = apply_overrides(load_agent_cfg(config), config, gymnasium=True)
    assert (
        cfg["agent"]["experiment"]["write_interval"],
        cfg["agent"]["experiment"]["checkpoint_interval"],
    ) == (50, 500)


def test_the_shipped_config_is_found_by_task_and_algorithm() -> None:
    assert shipped_agent_path("CartPole-v1", "ppo") == AGENTS_DIR / "cartpole-v1_ppo.yaml"
    assert shipped_agent_path("Pendulum-v1", "sac") == AGENTS_DIR / "pendulum-v1_sac.yaml"


def test_a_missing_shipped_config_lists_what_is_shipped() -> None:
    with pytest.raises(ConfigError) as raised:
        shipped_agent_path("CartPole-v1", "sac")
    assert str(raised.value) == (
        "ROBO_AGENT_CONFIG: no shipped sac config for CartPole-v1 (shipped: cartpole-v1 ppo, "
        "pendulum-v1 ppo, pendulum-v1 sac); pass --agent-config FILE"
    )


def test_an_agent_config_for_another_algorithm_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_agent_cfg(rl_config(tmp_path, agent_config=str(TINY_SAC)))
    assert str(raised.value) == "ROBO_ALGORITHM: ppo, but the agent config declares sac; pass --algorithm sac"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed: 1\nmodels: [", "is not valid YAML (line 2)"),
        ("- a list\n", "must hold a mapping with models, memory, agent, trainer"),
        ("models: {}\nmemory: {}\nagent: {class: PPO}\n", "the agent config has no trainer section"),
    ],
)
def test_a_broken_agent_config_is_named_in_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_agent_cfg(rl_config(tmp_path, agent_config=str(path)))
    assert str(raised.value).startswith("ROBO_AGENT_CONFIG: ")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_missing_agent_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_agent_cfg(rl_config(tmp_path, agent_config=str(tmp_path / "nope.yaml")))
    assert str(raised.value) == f"ROBO_AGENT_CONFIG: file not found: {tmp_path / 'nope.yaml'}"


def test_the_tiny_test_configs_are_real_agent_configs(tmp_path: Path) -> None:
    assert load_agent_cfg(rl_config(tmp_path, agent_config=str(TINY_PPO)))["agent"]["rollouts"] == 8

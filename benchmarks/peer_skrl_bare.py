"""The peer of our trainer on CartPole-v1: a bare skrl loop, as skrl's own examples write one.

`python benchmarks/peer_skrl_bare.py OUTPUT_DIR TIMESTEPS NUM_ENVS SEED`: the shipped PPO config
(training/agents/cartpole-v1_ppo.yaml) through skrl's Runner on a gymnasium vector env (synchronous,
same-step autoreset, as skrl needs), the same intervals our trainer derives (TensorBoard every
timesteps/100, checkpoints every timesteps/10), and nothing else: no MLflow, no checkpoint plan, no
signal handling. It imports nothing from robo-submit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import gymnasium as gym
import torch
from skrl.envs.wrappers.torch import wrap_env
from skrl.utils import set_seed
from skrl.utils.runner.torch import Runner

CONFIG = Path(__file__).resolve().parents[1] / "training" / "agents" / "cartpole-v1_ppo.yaml"


def main(output_dir: str, timesteps: int, num_envs: int, seed: int) -> None:
    torch.set_num_threads(1)  # as our trainer on CPU (docs/benchmarks.md, CPU threads)
    set_seed(seed)  # first, as skrl's examples do: the env wrapper takes its first reset's seed when built
    cfg = Runner.load_cfg_from_yaml(str(CONFIG))
    cfg["seed"] = seed
    cfg["trainer"].update(timesteps=timesteps, headless=True, disable_progressbar=True)
    cfg["trainer"].setdefault("environment_info", "episode")
    experiment = cfg["agent"].setdefault("experiment", {})
    experiment.update(directory=output_dir, experiment_name="bare", write_interval=timesteps // 100,
                      checkpoint_interval=timesteps // 10)  # fmt: skip
    env = gym.make_vec(
        "CartPole-v1", num_envs=num_envs, vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
    )  # fmt: skip
    Runner(wrap_env(env), cfg).run("train")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))

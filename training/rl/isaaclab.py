"""Isaac Lab tasks for the RL trainer: registry → config → simulation → skrl-wrapped env.

Two layouts, one seam (`make_isaaclab_env`, called from `training.rl.envs.make_env`):

* Isaac Lab 3.x (tested for real: isaaclab 3.0.0 from PyPI, kit-less Newton + MuJoCo-Warp on CPU,
  tests/isaaclab). Task configs hold ``PresetCfg`` choices (physics backend, renderer...) that must be
  resolved before use; ``config.physics`` picks them (``newton_mjwarp``...), as Isaac Lab's own
  ``presets=`` override does. ``launch_simulation`` starts Kit only when the resolved config needs it
  and is a no-op for kit-less backends.
* Isaac Lab 2.x (NVIDIA's image, ``isaaclab.sh -p``; tested by reading only): Isaac Sim must be running
  (``AppLauncher``) before ``isaaclab_tasks`` is imported, there are no presets (PhysX only), and the
  asset root is a module constant rather than an environment variable.

Offline assets: Isaac Lab reads ``ISAACSIM_ASSET_ROOT`` once, when ``isaaclab.utils.assets`` is first
imported, so `config.asset_root` is put into the environment before any Isaac Lab import.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from training.config import ENV_PREFIX, ConfigError, RLConfig, is_isaaclab_task

ASSET_ROOT_ENV = "ISAACSIM_ASSET_ROOT"


def make_isaaclab_env(config: RLConfig) -> tuple[Any, dict | None]:
    """The task as a skrl-wrapped env, and the task's own skrl agent config (None with --agent-config);
    with ``rl_library`` rsl_rl, the task in Isaac Lab's RSL-RL wrapper and its RSL-RL runner config
    (training.rl.rsl_rl.isaaclab).

    The env's ``close()`` also shuts the simulation runtime down (Kit, when one was started).
    """
    set_asset_root(config.asset_root)
    # Isaac Lab prints its progress; the trainer's stdout is reserved for the ROBO_RESULT line.
    with contextlib.redirect_stdout(sys.stderr):
        return _make_v3(config) if is_isaaclab_3() else _make_v2(config)


def set_asset_root(asset_root: str | None) -> None:
    """Point Isaac Lab at a local asset root; refuse once Isaac Lab has read another one."""
    if not asset_root:
        return
    assets = _loaded_assets_module()
    if assets is not None and getattr(assets, "NUCLEUS_ASSET_ROOT_DIR", None) != asset_root.rstrip("/\\"):
        raise ConfigError(
            f"{ASSET_ROOT_ENV}: Isaac Lab already read another asset root; set it before the trainer starts"
        )
    os.environ[ASSET_ROOT_ENV] = asset_root


def is_isaaclab_3() -> bool:
    """Isaac Lab 3 ships the kit-less launcher; checked on disk so nothing is imported (or launched) yet."""
    spec = importlib.util.find_spec("isaaclab")
    locations = (spec.submodule_search_locations or []) if spec else []
    return any((Path(location) / "app" / "sim_launcher.py").is_file() for location in locations)


def resolve_device(device: str) -> str:
    """`auto` is this process's GPU when torch sees one, else the CPU (Isaac Lab 3 simulates on either).

    A multi-GPU node runs one training process per GPU (torchrun sets LOCAL_RANK): each simulates on its
    own GPU, `cuda:<LOCAL_RANK>`, as skrl places its models; a bare `cuda` means the same.
    """
    if device not in ("auto", "cuda"):
        return device
    if device == "auto":
        import torch  # lazy: start-up time

        if not torch.cuda.is_available():
            return "cpu"
    return f"cuda:{int(os.environ.get('LOCAL_RANK') or 0)}"


def agent_entry_point(algorithm: str) -> str:
    """The registry key of a task's skrl config, named as Isaac Lab's own train scripts name it."""
    return "skrl_cfg_entry_point" if algorithm == "ppo" else f"skrl_{algorithm}_cfg_entry_point"


def _make_v3(config: RLConfig) -> tuple[Any, dict | None]:
    import gymnasium as gym  # lazy: start-up time
    import isaaclab_tasks  # noqa: F401  # lazy: registers the Isaac-* ids (3 s), after the asset root is set
    from isaaclab.app import launch_simulation  # lazy: Isaac Lab
    from isaaclab_tasks.utils import load_cfg_from_registry, resolve_presets  # lazy: Isaac Lab

    _check_task(config.task, gym.registry)
    env_cfg = load_cfg_from_registry(config.task, "env_cfg_entry_point")
    presets = _presets(config, env_cfg)
    try:
        env_cfg = resolve_presets(env_cfg, presets)
    except ValueError as exc:  # e.g. two presets chosen for the same choice
        raise ConfigError(f"{ENV_PREFIX}PHYSICS: {exc}") from None
    device = resolve_device(config.device)
    _apply_settings(env_cfg, config, device)
    agent_cfg = _task_agent_cfg(config, load_cfg_from_registry)
    simulation = contextlib.ExitStack()
    # Kit (if the config needs it) must outlive gym.make and training; the env's close() ends it.
    simulation.enter_context(launch_simulation(env_cfg, {"device": device, "headless": config.headless}))
    try:
        return _wrap(config, _make_task_env(config, env_cfg, gym), simulation, agent_cfg), agent_cfg
    except BaseException:
        simulation.close()
        raise


def _make_v2(config: RLConfig) -> tuple[Any, dict | None]:
    """Isaac Lab 2.x inside NVIDIA's image. Not run here (it needs Isaac Sim and a GPU): read against 2.3."""
    if config.physics:
        raise ConfigError(
            f"{ENV_PREFIX}PHYSICS: presets need Isaac Lab 3; this image has Isaac Lab 2.x (PhysX only)"
        )
    from isaaclab.app import AppLauncher  # lazy: Isaac Lab 2 (imports Isaac Sim)

    device = resolve_device(config.device)
    app = AppLauncher(headless=config.headless, device=device).app  # before any isaaclab_tasks import
    simulation = contextlib.ExitStack()
    simulation.callback(app.close)
    try:
        _redirect_v2_assets(config.asset_root)
        import gymnasium as gym  # lazy: start-up time
        import isaaclab_tasks  # noqa: F401  # lazy: registers the Isaac-* ids; needs the running app
        from isaaclab_tasks.utils import load_cfg_from_registry  # lazy: Isaac Lab

        _check_task(config.task, gym.registry)
        env_cfg = load_cfg_from_registry(config.task, "env_cfg_entry_point")
        _apply_settings(env_cfg, config, device)
        agent_cfg = _task_agent_cfg(config, load_cfg_from_registry)
        return _wrap(config, _make_task_env(config, env_cfg, gym), simulation, agent_cfg), agent_cfg
    except BaseException:
        simulation.close()
        raise


def _redirect_v2_assets(asset_root: str | None) -> None:
    # 2.3 hard-codes the S3 root in module constants that asset configs copy when isaaclab_assets is
    # imported, so they are replaced first. Isaac Lab 3 reads ISAACSIM_ASSET_ROOT itself.
    if not asset_root:
        return
    import isaaclab.utils.assets as assets  # lazy: needs the running Isaac Sim app

    root = asset_root.rstrip("/\\")
    assets.NUCLEUS_ASSET_ROOT_DIR = root
    assets.NVIDIA_NUCLEUS_DIR = f"{root}/NVIDIA"
    assets.ISAAC_NUCLEUS_DIR = f"{root}/Isaac"
    assets.ISAACLAB_NUCLEUS_DIR = f"{root}/Isaac/IsaacLab"


def _check_task(task: str, registry: Any) -> None:
    if task in registry:
        return
    isaac_ids = [name for name in registry if is_isaaclab_task(name)]
    close = difflib.get_close_matches(task, isaac_ids, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f" ({len(isaac_ids)} Isaac Lab tasks are registered)"
    raise ConfigError(f"{ENV_PREFIX}TASK: unknown task {task!r}{hint}")


def _presets(config: RLConfig, env_cfg: Any) -> tuple[str, ...]:
    """`config.physics` as preset names (comma-separated), each checked against the task's presets."""
    wanted = tuple(name.strip() for name in (config.physics or "").split(",") if name.strip())
    if not wanted:
        return ()
    from isaaclab_tasks.utils.hydra import collect_presets  # lazy: Isaac Lab

    known = sorted({name for names in collect_presets(env_cfg).values() for name in names} - {"default"})
    unknown = [name for name in wanted if name not in known]
    if unknown:
        available = ", ".join(known) or "none"
        raise ConfigError(
            f"{ENV_PREFIX}PHYSICS: {config.task} has no preset {unknown[0]!r}; available: {available}"
        )
    return wanted


def _apply_settings(env_cfg: Any, config: RLConfig, device: str) -> None:
    env_cfg.sim.device = device
    env_cfg.scene.num_envs = config.num_envs
    env_cfg.seed = config.seed


def _task_agent_cfg(config: RLConfig, load_cfg_from_registry: Any) -> dict | None:
    """The task's own skrl YAML (a dict) for the algorithm (or RSL-RL runner config); None when
    --agent-config replaces it."""
    if config.agent_config:
        return None
    if config.rl_library == "rsl_rl":
        from training.rl.rsl_rl.isaaclab import task_runner_cfg  # lazy: imports isaaclab_rl

        return task_runner_cfg(config.task, load_cfg_from_registry)
    entry_point = agent_entry_point(config.algorithm)
    try:
        cfg = load_cfg_from_registry(config.task, entry_point)
    except ValueError:  # Isaac Lab's answer when the task registers no such entry point
        raise ConfigError(
            f"{ENV_PREFIX}ALGORITHM: {config.task} ships no skrl {config.algorithm} config; "
            f"pass --agent-config FILE or another --algorithm"
        ) from None
    if not isinstance(cfg, dict):
        raise ConfigError(
            f"{ENV_PREFIX}ALGORITHM: {config.task}'s {entry_point} is no skrl YAML; pass --agent-config FILE"
        )
    return cfg


def _make_task_env(config: RLConfig, env_cfg: Any, gym: Any) -> Any:
    env = gym.make(config.task, cfg=env_cfg)
    from isaaclab.envs import DirectMARLEnvCfg  # lazy: Isaac Lab

    if config.algorithm == "ppo" and isinstance(env_cfg, DirectMARLEnvCfg):
        from isaaclab.envs import multi_agent_to_single_agent  # lazy: Isaac Lab

        env = multi_agent_to_single_agent(env)
    return env


def _wrap(config: RLConfig, env: Any, simulation: contextlib.ExitStack, agent_cfg: dict | None) -> Any:
    if config.rl_library == "rsl_rl":
        from training.rl.rsl_rl.isaaclab import wrap  # lazy: imports isaaclab_rl

        return wrap(_ClosesSimulation(env, simulation), agent_cfg)
    from skrl.envs.wrappers.torch import wrap_env  # lazy: start-up time

    return wrap_env(_ClosesSimulation(env, simulation), wrapper="isaaclab", verbose=False)


class _ClosesSimulation:
    """The Isaac Lab env, unchanged, except that closing it also ends the simulation runtime.

    skrl's wrapper reads everything else through ``unwrapped``, which is forwarded.
    """

    def __init__(self, env: Any, simulation: contextlib.ExitStack) -> None:
        self._env = env
        self._simulation = simulation

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)

    def step(self, actions: Any) -> Any:
        return self._env.step(actions)

    def reset(self, **kwargs: Any) -> Any:
        return self._env.reset(**kwargs)

    def close(self) -> None:
        try:
            self._env.close()
        finally:
            self._simulation.close()


def _loaded_assets_module() -> Any:
    return sys.modules.get("isaaclab.utils.assets")

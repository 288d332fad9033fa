"""Every place the trainer relies on RSL-RL, in one module.

Written against rsl-rl-lib 5.5.1 (pyproject and the image requirements pin rsl-rl-lib==5.5.1; read in
rsl_rl/runners/on_policy_runner.py, rsl_rl/utils/logger.py, rsl_rl/algorithms/ppo.py, rsl_rl/env/vec_env.py).
What it relies on:

- ``OnPolicyRunner(env, train_cfg, log_dir=, device=)``, ``.learn(num_learning_iterations,
  init_at_random_ep_len)``, ``.save(path)`` (``PPO.save()`` plus ``iter`` and ``infos``) and
  ``.current_learning_iteration``: `learn` starts at that iteration, and every checkpoint records it.
- ``runner.logger`` (``rsl_rl.utils.logger.Logger``): its ``log(it=, ...)`` runs once per iteration, after
  the update and before the periodic save; its ``writer``, made in ``init_logging_writer()`` at the start of
  ``learn``, takes every scalar of the iteration through ``add_scalar(tag, value, it)``. `hook_logger` wraps
  both on the instance (the writer stays RSL-RL's own TensorBoard writer; the hook copies what it is given).
- ``Logger.git_status_repos``: emptied by `build_runner` (no git diff in the uploaded log folder).
- ``runner.save(path, infos)``: replaced on the instance by `hook_save` (the learn loop calls ``self.save``).
- ``runner.alg.load(loaded_dict, load_cfg, strict)`` with the load_cfg keys ``actor``, ``critic``,
  ``optimizer``, ``rnd``, ``iteration``, and PPO's checkpoint keys ``actor_state_dict``, ``critic_state_dict``,
  ``optimizer_state_dict`` (``rnd_state_dict``, ``rnd_optimizer_state_dict`` with RND).
- ``rsl_rl.env.VecEnv``: the interface `training.rl.rsl_rl.vecenv` implements for gymnasium tasks.

A newer RSL-RL may move any of these; tests/training/rl/test_rsl_rl.py exercises each one.
RSL-RL is imported inside the functions (start-up time; the LeRobot environment has no RSL-RL).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# What each checkpoint part is in PPO's checkpoint (the `load_cfg` keys of PPO.load).
WEIGHTS = ("actor", "critic", "rnd")
OPTIMIZER = "optimizer"


def build_runner(env: Any, train_cfg: dict, *, log_dir: str | None, device: str) -> Any:
    """RSL-RL's on-policy runner; `log_dir` None (ranks other than 0) writes no logs and no checkpoints."""
    from rsl_rl.runners import OnPolicyRunner  # lazy: start-up time

    runner = OnPolicyRunner(env, train_cfg, log_dir=log_dir, device=device)
    # RSL-RL writes `git diff` of the repository holding rsl_rl (a checkout's venv: the checkout itself) into
    # the log folder, which is uploaded as the run's checkpoints; the run records its code commit elsewhere.
    runner.logger.git_status_repos.clear()
    return runner


def hook_logger(
    runner: Any, *, on_scalar: Callable[[str, Any, int], None], after_iteration: Callable[[int], None]
) -> None:
    """Call `on_scalar(tag, value, step)` for every scalar RSL-RL's logger writes, and `after_iteration(it)`
    once each iteration's log is written (an exception there ends `learn`)."""
    logger = runner.logger
    original_init, original_log = logger.init_logging_writer, logger.log

    def init_logging_writer(*args: Any, **kwargs: Any) -> None:
        original_init(*args, **kwargs)
        writer = logger.writer
        if writer is None:
            return
        add_scalar = writer.add_scalar

        def tee(tag: str, value: Any, step: int, *rest: Any, **more: Any) -> Any:
            on_scalar(tag, value, step)
            return add_scalar(tag, value, step, *rest, **more)

        writer.add_scalar = tee

    def log(*args: Any, **kwargs: Any) -> None:
        original_log(*args, **kwargs)
        after_iteration(int(kwargs["it"]) if "it" in kwargs else int(args[0]))

    logger.init_logging_writer = init_logging_writer
    logger.log = log


def hook_save(runner: Any, *, infos: Callable[[], dict]) -> None:
    """Every checkpoint the runner saves carries `infos()` (RSL-RL's ``save(path, infos)`` field; the learn
    loop passes none): the MLflow run that wrote it, which a resumed run names as its source."""
    original_save = runner.save

    def save(path: str, extra: dict | None = None) -> None:
        original_save(path, {**infos(), **(extra or {})})

    runner.save = save


def load_parts(runner: Any, payload: dict[str, Any], parts: frozenset[str]) -> list[str]:
    """Load the checkpoint parts (`weights`, `optimizer`) into the runner's algorithm; the keys loaded.

    The iteration is never loaded here: the trainer sets where `learn` starts itself (the iteration after
    the checkpoint's), so RSL-RL's own resume, which repeats the saved iteration, is not used."""
    load_cfg = {name: "weights" in parts for name in WEIGHTS}
    load_cfg[OPTIMIZER] = "optimizer" in parts
    load_cfg["iteration"] = False
    runner.alg.load(payload, load_cfg, True)
    return [
        f"{name}_state_dict"
        for name, wanted in load_cfg.items()
        if wanted and f"{name}_state_dict" in payload
    ]


def state_keys(runner: Any) -> list[str]:
    """The checkpoint keys this runner's algorithm saves (PPO.save)."""
    return [key for key in runner.alg.save() if key.endswith("_state_dict")]


def saved_iteration(payload: dict[str, Any]) -> int | None:
    """The last iteration a checkpoint's run completed (`iter`), or None."""
    value = payload.get("iter")
    return int(value) if isinstance(value, int) else None

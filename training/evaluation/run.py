"""`python -m training evaluate`: evaluate a model on its task, gate it, promote it, export its policy.

The phases, in order: config -> resolve the model (registry, tags, files) -> settings from its tags -> gates
checked against what this evaluation produces -> seed -> environment -> policy -> episodes -> metrics -> (only
now is anything written) episode table and export in the output folder -> MLflow run, version tags, gates,
alias -> ROBO_RESULT -> exit code: 0 evaluated (and promoted when asked), 3 a gate did not hold (alias
unchanged), 2 bad settings or an unusable model (nothing written), 1 a failure.

Everything before the MLflow phase writes nothing: a refusal after the episodes (a gate on success_rate for a
task that reports none) still leaves no run, no tag and no file.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from training import gate as gates
from training.checkpoints import CheckpointError, apply_checkpoint, check_library, read_checkpoint
from training.config import (
    ENV_PREFIX,
    RESULT_PREFIX,
    ConfigError,
    EvalConfig,
    RLConfig,
    check_device,
    is_isaaclab_task,
    validate,
)
from training.evaluation import lerobot as offline
from training.evaluation.model import SOURCE, Target, resolve
from training.evaluation.outcome import EPISODES_TABLE, Outcome, Plan, check, table
from training.evaluation.rollout import Episode, metrics, run_episodes

log = logging.getLogger("training.evaluate")
GATE_NOT_MET = 3


def main(config: EvalConfig) -> int:
    """Evaluate; returns 0, or 3 when a gate did not hold (raises for the caller to map)."""
    check_device(config.device)
    # MLflow's download progress bar is a screenful of carriage returns in a job log, and would follow a refusal.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    if config.export == "onnx" and importlib.util.find_spec("onnxscript") is None:
        raise ConfigError(
            f"{ENV_PREFIX}EXPORT: onnx needs the onnxscript package (torch's ONNX exporter), not installed here; "
            "install robo-submit[train] or use --export torchscript"
        )
    if config.task and config.video_episodes:
        from training.evaluation.video import check_can_record  # lazy: imports gymnasium

        check_can_record(config.task)
    output = Path(config.output_dir)
    with tempfile.TemporaryDirectory(prefix="robo-evaluate-") as scratch:
        target = resolve(config, Path(scratch, "model"))
        if offline.is_lerobot(target):
            outcome = evaluate_lerobot(config, target, output)
        else:
            outcome = evaluate_rl(config, make_plan(config, target), Path(scratch, "skrl"), output)
    if config.mlflow:
        from training.evaluation.tracking import record  # lazy: imports mlflow

        record(outcome, output)
    else:
        outcome.checks = [check(g, outcome.metrics, None, None) for g in outcome.plan.gates]
    print(RESULT_PREFIX + json.dumps(outcome.as_dict()), flush=True)
    return GATE_NOT_MET if outcome.gate_passed is False else 0


def evaluate_rl(config: EvalConfig, plan: Plan, scratch: Path, output: Path) -> Outcome:
    """An RL policy on its task: episodes, then (nothing written before) the table, export and video."""
    if config.video_episodes:
        from training.evaluation.video import check_can_record, record_episodes  # lazy: imports gymnasium

        check_can_record(plan.task)
    episodes, policy, example = evaluate(config, plan, scratch)
    produced = metrics(episodes)
    check_produced(plan.gates, produced, plan.task)
    outcome = Outcome(plan, config, episodes, produced)
    write_table(output, episodes)
    if config.export:
        from training.evaluation.export import export_policy  # lazy: onnx is imported only to export

        outcome.export = export_policy(policy, example, config.export, output / "export")
    if config.video_episodes:
        outcome.videos = record_episodes(plan.task, policy, config.video_episodes, output / "video", config.seed)
    return outcome


def evaluate_lerobot(config: EvalConfig, target: Target, output: Path) -> Outcome:
    """A LeRobot policy on held-out dataset episodes (training.evaluation.lerobot) or in a gym environment
    (training.evaluation.lerobot_env); then (nothing written before) the table and the videos."""
    if importlib.util.find_spec("lerobot") is None:
        raise offline.not_installed()
    plan, what = offline.prepare(config, target)
    if isinstance(what, offline.HeldOut):
        episodes, produced = offline.evaluate(config, what)
        write_table(output, episodes)
        return Outcome(plan, config, episodes, produced)
    from training.evaluation import lerobot_env

    with tempfile.TemporaryDirectory(prefix="robo-rollout-") as scratch:  # videos move to output once all is well
        episodes, videos = lerobot_env.evaluate(config, what, Path(scratch))
        produced = metrics(episodes)
        check_produced(plan.gates, produced, plan.task)
        write_table(output, episodes)
        kept = []
        for video in videos:
            kept.append(output / lerobot_env.VIDEO_FOLDER / video.name)
            kept[-1].parent.mkdir(parents=True, exist_ok=True)
            shutil.move(video, kept[-1])
    outcome = Outcome(plan, config, episodes, produced)
    outcome.videos = kept
    return outcome


def make_plan(config: EvalConfig, target: Target) -> Plan:
    """Task, library and algorithm from the settings, else the version's tags; refusals name what to pass."""
    tags = target.tags
    lerobot_settings = offline.given(config)
    if lerobot_settings:
        raise ConfigError(
            f"{lerobot_settings[0]}: a LeRobot policy's setting, and {target.uri} is an RL policy "
            f"({tags.get('rl_library') or config.rl_library or 'skrl'}); drop it"
        )
    task = config.task or tags.get("task")
    if not task:
        where = "the version has no task tag" if target.version else "a run or path carries no tags"
        raise ConfigError(f"{SOURCE}: {target.uri}: {where}; pass --task (the task or gymnasium id it was trained on)")
    library = config.rl_library or tags.get("rl_library") or "skrl"
    if library == "rsl_rl" and not config.deterministic:
        raise ConfigError(f"{ENV_PREFIX}DETERMINISTIC: RSL-RL versions are evaluated with their exported "
                          "deterministic policy only; drop --deterministic false")  # fmt: skip
    if library == "rsl_rl" and config.export == "onnx":
        raise ConfigError(f"{ENV_PREFIX}EXPORT: onnx is offered for skrl versions; an RSL-RL version exports "
                          "torchscript (its own policy.pt)")  # fmt: skip
    plan = Plan(target, task, library, config.algorithm or tags.get("algorithm") or "ppo", gates.gates_of(config.gate))
    offline.check_gates(plan.gates, gates.RL_METRICS, "an RL evaluation")
    if library == "rsl_rl" and target.policy is None:
        raise ConfigError(f"{SOURCE}: {target.uri}: an RSL-RL version is evaluated from its MLflow model's "
                          "policy.pt, and this one has none (registered before versions were MLflow models)")  # fmt: skip
    if target.checkpoint is None:
        raise ConfigError(f"{SOURCE}: {target.uri}: holds no agent.pt checkpoint to evaluate")
    return plan


def evaluate(config: EvalConfig, plan: Plan, scratch: Path) -> tuple[list[Episode], Any, Any]:
    """Build the environment and the agent from the model, run the episodes; (episodes, the deterministic policy,
    a batch of example observations for tracing it)."""
    from training.rl.agent_config import apply_overrides, load_agent_cfg  # lazy: imports skrl and torch
    from training.rl.envs import make_env
    from training.rl.loop import build_runner
    from training.rl.policy_model import deterministic_policy, example_observations
    from training.rl.train import seed

    settings = rl_settings(config, plan, scratch)
    if plan.rl_library == "rsl_rl":
        return evaluate_rsl_rl(settings, plan, config.episodes)
    payload = read_model_checkpoint(plan)
    seed(settings)
    environment = make_env(settings)
    try:
        agent_cfg = apply_overrides(
            load_agent_cfg(settings, environment.task_agent_cfg), settings, gymnasium=environment.gymnasium
        )
        agent = build_runner(environment.env, agent_cfg).agent
        try:
            apply_checkpoint(agent, payload, "warm-start", plan.target.uri)  # weights and preprocessors
        except CheckpointError as exc:
            raise ConfigError(str(exc).replace(f"{ENV_PREFIX}CHECKPOINT_URI", SOURCE)) from None
        agent.enable_training_mode(False, apply_to_models=True)
        policy = deterministic_policy(agent)
        if config.deterministic:
            act = policy
        else:
            def act(observations: Any) -> Any:
                return agent.act(observations, None, timestep=0, timesteps=1)[0]
        episodes = run_episodes(environment.env, act, config.episodes)
        example = example_observations(agent, 8)
    finally:
        environment.env.close()
    return episodes, policy, example


def evaluate_rsl_rl(settings: RLConfig, plan: Plan, episodes: int) -> tuple[list[Episode], Any, Any]:
    """An RSL-RL version: its TorchScript policy (normaliser and deterministic head included) in the RSL-RL
    trainer's own environment, where a discrete task takes the argmax of the policy's outputs."""
    import torch  # lazy: start-up time

    from training.rl.rsl_rl.train import make_env, seed
    from training.rl.rsl_rl.vecenv import OBSERVATION_GROUP

    policy = torch.jit.load(str(plan.target.policy), map_location="cpu").eval()
    seed(settings.seed)
    env, _ = make_env(settings, "cpu" if settings.device == "auto" else settings.device)
    try:
        adapter = _RslRlSteps(env, OBSERVATION_GROUP)
        done = run_episodes(adapter, lambda obs: policy(obs.to("cpu")).to(obs.device), episodes)
        example = env.get_observations()[OBSERVATION_GROUP][:1].to("cpu")
    finally:
        env.close()
    return done, policy, example


class _RslRlSteps:
    """RSL-RL's VecEnv seen through skrl's wrapper API (reset, step with terminated/truncated) for run_episodes."""

    def __init__(self, env: Any, group: str) -> None:
        self.env, self.group, self.num_envs = env, group, env.num_envs

    def reset(self) -> tuple[Any, dict]:
        return self.env.get_observations()[self.group], {}

    def step(self, actions: Any) -> tuple[Any, ...]:
        observations, rewards, dones, extras = self.env.step(actions)
        ended = dones.bool()
        return observations[self.group], rewards, ended, ended & False, extras


def rl_settings(config: EvalConfig, plan: Plan, scratch: Path) -> RLConfig:
    """The RL trainer's settings for the environment and agent phases (skrl writes under `scratch` only)."""
    agent_config = config.agent_config or (str(plan.target.agent_config) if plan.target.agent_config else None)
    settings = RLConfig(
        task=plan.task, num_envs=config.num_envs, seed=config.seed, device=config.device, algorithm=plan.algorithm,
        rl_library=plan.rl_library, agent_config=agent_config, headless=config.headless, physics=physics(config, plan),
        asset_root=config.asset_root, output_dir=str(scratch), mlflow=False, register=False,
    )  # fmt: skip
    validate(settings)
    return settings


def physics(config: EvalConfig, plan: Plan) -> str | None:
    """--physics, else the preset the version was trained with (its `physics` tag): an Isaac Lab task's default
    preset may need a simulator (Kit) the training did not use. A tag never gives a gymnasium task one."""
    if config.physics:
        return config.physics
    return (plan.target.tags.get("physics") or None) if is_isaaclab_task(plan.task) else None


def read_model_checkpoint(plan: Plan) -> dict[str, Any]:
    """The model's raw checkpoint, read safely and checked to be skrl's; refusals name ROBO_MODEL_URI."""
    try:
        payload = read_checkpoint(plan.target.checkpoint, plan.target.uri)
        check_library(payload, plan.rl_library, plan.target.uri)
    except CheckpointError as exc:
        raise ConfigError(str(exc).replace(f"{ENV_PREFIX}CHECKPOINT_URI", SOURCE)) from None
    return payload


def check_produced(wanted: list[gates.Gate], produced: dict[str, float], task: str) -> None:
    """A gate on a metric this evaluation did not produce (success_rate of a task that reports none) is a bad
    setting: exit 2, before anything is written."""
    for item in wanted:
        if item.metric not in produced:
            raise ConfigError(
                f"{ENV_PREFIX}GATE: {item}: {task} reports no success, so there is no {item.metric}; "
                f"gate on one of {', '.join(produced)}"
            )


def write_table(output: Path, episodes: list[Episode]) -> None:
    """episodes.csv and episodes.json in the output folder."""
    output.mkdir(parents=True, exist_ok=True)
    rows = [e.row() for e in episodes]
    with open(output / "episodes.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (output / EPISODES_TABLE).write_text(json.dumps(table(episodes)) + "\n", encoding="utf-8")

"""The update wrapper on real skrl agents: every preset, and nothing dropped or counted twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.conftest import TINY_SAC, rl_config
from training.rl.agent_config import rollouts
from training.tracking.wrapper import LogEvent, UpdateLogger, resolve_interval

PPO_ROLLOUTS = 8  # tiny_ppo_cartpole.yaml
PPO_STEPS = 160  # 20 updates


def run_logged(agents, tmp_path: Path, preset: str, **settings) -> tuple[list[LogEvent], dict, object]:
    built = agents(rl_config(tmp_path, log_interval=preset, **settings))
    recording = built.record()
    events: list[LogEvent] = []
    logger = UpdateLogger(
        built.agent, resolve_interval(preset, rollouts(built.cfg)), events.append, deferred=True
    )
    logger.attach()
    built.train(on_step=logger.tick)  # as the trainer's loop does
    logger.flush(built.cfg["trainer"]["timesteps"])
    return events, recording.seen, logger


def assert_nothing_dropped(events: list[LogEvent], seen: dict) -> None:
    """Every value skrl appended to tracking_data appears in exactly one event, in order."""
    collected: dict[str, list] = {}
    for event in events:
        for tag, values in event.window.items():
            collected.setdefault(tag, []).extend(values)
    assert collected.keys() == seen.keys()
    for tag, values in seen.items():
        assert collected[tag] == values, tag


@pytest.mark.parametrize(
    ("preset", "steps"),
    [
        ("step", list(range(8, 161, 8))),
        ("rollout", list(range(8, 161, 8))),  # PPO: one update per rollout cycle
        ("balanced", [80, 160]),
        ("3", [*range(24, 161, 24), 160]),  # the final flush logs what came after update 18
    ],
)
def test_ppo_presets_log_at_their_updates_and_drop_nothing(
    agents, tmp_path: Path, preset: str, steps: list[int]
) -> None:
    events, seen, logger = run_logged(agents, tmp_path, preset)
    assert logger.updates == PPO_STEPS // PPO_ROLLOUTS
    assert [e.step for e in events] == steps  # one event per step: no metric gets two values at a step
    assert [e.updates for e in events] == [min(s // PPO_ROLLOUTS, 20) for s in steps]
    assert_nothing_dropped(events, seen)
    update_times = [len(e.window.get("Stats / Algorithm update time (ms)", [])) for e in events]
    assert sum(update_times) == 20 and update_times[-1] >= 1  # an update's own time is in its event
    assert "Reward / Total reward (mean)" in seen and "Loss / Policy loss" in seen


def test_sac_rollout_preset_follows_skrls_write_interval(agents, tmp_path: Path) -> None:
    events, seen, logger = run_logged(
        agents,
        tmp_path,
        "rollout",
        task="Pendulum-v1",
        algorithm="sac",
        agent_config=str(TINY_SAC),
        timesteps=100,
    )
    assert logger.updates == 100 - 20  # an update every step after learning_starts
    assert [e.step for e in events] == [25, 50, 75, 100]
    assert_nothing_dropped(events, seen)
    assert {"Loss / Critic loss", "Coefficient / Entropy coefficient", "Q-network / Q1 (max)"} <= seen.keys()


def test_sac_step_preset_logs_every_update(agents, tmp_path: Path) -> None:
    events, seen, _ = run_logged(
        agents,
        tmp_path,
        "step",
        task="Pendulum-v1",
        algorithm="sac",
        agent_config=str(TINY_SAC),
        timesteps=60,
    )
    assert [e.step for e in events] == list(range(21, 61))
    assert_nothing_dropped(events, seen)


def test_values_skrl_clears_between_two_logs_still_arrive(agents, tmp_path: Path) -> None:
    # write_interval 20 clears tracking_data 8 times in 160 steps; balanced logs only twice.
    events, seen, _ = run_logged(agents, tmp_path, "balanced")
    inference = seen["Stats / Inference time (ms)"]
    assert len(inference) == PPO_STEPS
    assert sum(len(e.window.get("Stats / Inference time (ms)", [])) for e in events) == PPO_STEPS


def test_a_logging_failure_is_reported_once_and_training_goes_on(
    agents, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    built = agents(rl_config(tmp_path, log_interval="step"))
    events: list[LogEvent] = []
    logger = UpdateLogger(built.agent, resolve_interval("step", 8), events.append, deferred=True)
    logger.attach()

    def break_tracking(step: int) -> None:
        if step == 50:
            built.agent.tracking_data["Bad / not a list"] = 5  # skrl averages it; slicing it fails
        logger.tick()

    built.train(on_step=break_tracking)  # no exception escapes into training
    logger.flush(160)
    assert logger.updates == 20
    warnings = [r.getMessage() for r in caplog.records if "metric logging failed" in r.getMessage()]
    error = "TypeError(\"object of type 'int' has no len()\")"
    assert warnings == [f"metric logging failed and continues without this window: {error}"]
    assert [e.step for e in events][:6] == [8, 16, 24, 32, 40, 48]
    assert events[-1].step > 60  # logging resumed once skrl's next write cleared the bad entry

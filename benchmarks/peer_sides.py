"""What benchmarks/peers.py runs: each comparison's sides (the peer first), the peer's exact command, and how a
round checks that the sides trained the same.

A side is one whole process under benchmarks/peer_clock.py, run in a folder of its own (its cwd, where it also
writes its outputs), so nothing lands in the checkout and no side finds a cache another side left.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from benchmarks.common import REPO
from tests.lerobot.conftest import TINY_ACT  # the LeRobot tier's tiny ACT: milliseconds a step

SEED = 42
CARTPOLE_TIMESTEPS, CARTPOLE_ENVS = 5000, 8
ISAAC_ENVS, ISAAC_ITERATIONS = 64, 20
ACT_STEPS, ACT_BATCH = 200, 8
REWARD = "Reward / Total reward (mean)"
OURS_ON = "ours, MLflow on (sqlite)"
LEROBOT_PYTHON = REPO / ".venv-lerobot" / "bin" / "python"
ISAACLAB_PYTHON = REPO / ".venv-isaaclab" / "bin" / "python"
WARP_CACHE = REPO / ".cache" / "warp"  # as the Isaac Lab test tier's (tests/isaaclab/conftest.py)
ISAACLAB_PEER = [
    "-m", "isaaclab", "train", "--rl_library", "skrl", "--task", "Isaac-Cartpole-Direct",
    "--num_envs", str(ISAAC_ENVS), "--max_iterations", str(ISAAC_ITERATIONS), "--device", "cpu",
    "presets=newton_mjwarp",
]  # fmt: skip


@dataclass(frozen=True)
class Side:
    """One process: `PYTHON -m benchmarks.peer_clock [--optimizer] OUT.json ARGV...` in `folder`."""

    argv: list[str]
    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    python: Path = Path(sys.executable)
    optimizer: bool = False  # the clock counts torch optimizer steps, not skrl PPO updates
    per_step: int = 1  # work per counted step: envs per skrl timestep, 1 per optimizer step
    target: str = "-"  # the issue's target for ours/peer, where it sets one
    threads: str | None = "1"  # OMP_NUM_THREADS; None: the tool's own default (torch's: every CPU; ours: 1 on CPU)


@dataclass(frozen=True)
class Comparison:
    """Sides of one comparison (the peer first) and the check of a round: (peer, side) -> verdict; each side's
    stdout and stderr are in its folder's output.log."""

    title: str
    unit: str
    peer_command: str
    sides: Callable[[Path], dict[str, Side]]
    same: Callable[[Side, Side], str]
    venv: Path | None = None  # the interpreter the comparison needs, when not this one
    setup: str = ""  # the script that makes that venv
    prepare: Callable[[Path], None] | None = None  # once, before the rounds, in a folder every round reads
    load: int = 0  # busy-looping processes running beside every side, as other jobs on a shared machine


def cartpole_sides(tmp: Path) -> dict[str, Side]:
    ours = ["-m", "training", "rl", "--timesteps", str(CARTPOLE_TIMESTEPS), "--num-envs", str(CARTPOLE_ENVS),
            "--seed", str(SEED)]  # fmt: skip
    bare = ["bare", str(CARTPOLE_TIMESTEPS), str(CARTPOLE_ENVS), str(SEED)]
    return {
        "bare skrl loop": Side([str(REPO / "benchmarks" / "peer_skrl_bare.py"), *bare], tmp / "bare",
                               per_step=CARTPOLE_ENVS),
        "ours, MLflow off": Side([*ours, "--output-dir", "."], tmp / "off", {"ROBO_MLFLOW": "false"},
                                 per_step=CARTPOLE_ENVS),
        OURS_ON: Side([*ours, "--output-dir", ".", "--log-interval", "step"], tmp / "on",
                      {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'on' / 'mlruns.db'}"},
                      per_step=CARTPOLE_ENVS, target=">= 0.99"),
    }  # fmt: skip


def threads_sides(tmp: Path) -> dict[str, Side]:
    off = cartpole_sides(tmp)["ours, MLflow off"]
    return {
        "ours, MLflow off, OMP_NUM_THREADS=1": off,
        "ours, MLflow off, OMP_NUM_THREADS=2": Side(off.argv, tmp / "two", {**off.env, "OMP_NUM_THREADS": "2"},
                                                    per_step=CARTPOLE_ENVS),
    }  # fmt: skip


def lerobot_peer_args(dataset: Path, output_dir: str) -> list[str]:
    """`lerobot-train` arguments for the work our trainer's defaults and settings below make it hand LeRobot."""
    return [
        f"--output_dir={output_dir}", "--policy.type=act", f"--batch_size={ACT_BATCH}", f"--steps={ACT_STEPS}",
        "--save_freq=5000", "--log_freq=200", "--env_eval_freq=0", "--num_workers=0", f"--seed={SEED}",
        "--policy.push_to_hub=false", "--wandb.enable=false", "--policy.device=cpu", "--dataset.repo_id=local/tiny",
        f"--dataset.root={dataset}", *TINY_ACT,
    ]  # fmt: skip


def lerobot_sides(tmp: Path) -> dict[str, Side]:
    dataset = tmp.parent / "dataset"
    ours = {
        "ROBO_DATASET_REPO_ID": "local/tiny", "ROBO_DATASET_ROOT": str(dataset), "ROBO_DEVICE": "cpu",
        "ROBO_BATCH_SIZE": str(ACT_BATCH), "ROBO_STEPS": str(ACT_STEPS), "ROBO_NUM_WORKERS": "0",
        "ROBO_SEED": str(SEED), "ROBO_LEROBOT_ARGS": json.dumps(list(TINY_ACT)),
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'ours' / 'mlruns.db'}",
    }  # fmt: skip
    peer = [str(LEROBOT_PYTHON.parent / "lerobot-train"), *lerobot_peer_args(dataset, "train")]
    return {
        "lerobot-train (W&B off)": Side(peer, tmp / "peer", _offline_hub(tmp / "peer"), LEROBOT_PYTHON, True),
        OURS_ON: Side(["-m", "training", "lerobot", "--output-dir", "."], tmp / "ours",
                      {**_offline_hub(tmp / "ours"), **ours}, LEROBOT_PYTHON, True),
    }  # fmt: skip


def make_lerobot_dataset(shared: Path) -> None:
    """The LeRobot tier's synthetic dataset (tests/lerobot/synthetic.py), written by LeRobot itself."""
    code = "import sys; from pathlib import Path; from tests.lerobot.synthetic import make_dataset; " \
           "make_dataset(Path(sys.argv[1]))"  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", **_offline_hub(shared)}
    subprocess.run([str(LEROBOT_PYTHON), "-c", code, str(shared / "dataset")], cwd=REPO, env=env, check=True,
                   capture_output=True)  # fmt: skip


def isaaclab_sides(tmp: Path) -> dict[str, Side]:
    machine = {
        "ISAACSIM_ASSET_ROOT": str(REPO / ".cache" / "isaaclab-assets"),
        "WARP_CACHE_PATH": str(WARP_CACHE),  # compiled once (warm_warp_cache), read by every run
    }
    ours = ["-m", "training", "rl", "--task", "Isaac-Cartpole-Direct", "--num-envs", str(ISAAC_ENVS),
            "--max-iterations", str(ISAAC_ITERATIONS), "--seed", str(SEED), "--device", "cpu", "--physics",
            "newton_mjwarp", "--output-dir", ".", "--log-interval", "step"]  # fmt: skip
    store = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'ours' / 'mlruns.db'}"}
    return {
        "python -m isaaclab train": Side(ISAACLAB_PEER, tmp / "peer", machine, ISAACLAB_PYTHON, per_step=ISAAC_ENVS),
        OURS_ON: Side(ours, tmp / "ours", {**machine, **store}, ISAACLAB_PYTHON, per_step=ISAAC_ENVS),
    }  # fmt: skip


def isaaclab_own_threads_sides(tmp: Path) -> dict[str, Side]:
    """The Isaac Lab sides, each with its own torch thread default instead of one thread each."""
    return {name: replace(side, threads=None) for name, side in isaaclab_sides(tmp).items()}


def warm_warp_cache(shared: Path) -> None:
    """Compile Isaac Lab's Warp kernels once, unmeasured, where no run has yet (a cold cache adds a minute or
    more to the start-up of whichever side runs first)."""
    if any(WARP_CACHE.glob("*/*")):
        return
    side = isaaclab_sides(shared / "warm-up")[OURS_ON]
    at = side.argv.index("--max-iterations") + 1
    argv = [*side.argv[:at], "1", *side.argv[at + 1 :]]
    env = {**os.environ, **side.env, "ROBO_MLFLOW": "false", "PYTHONPATH": str(REPO)}
    side.folder.mkdir(parents=True)
    subprocess.run([str(side.python), *argv], cwd=side.folder, env=env, check=True, capture_output=True)


def same_rewards(peer: Side, side: Side) -> str:
    """Whether the side's TensorBoard mean episode reward curve (skrl writes one on both sides) is the peer's."""
    theirs, ours = rewards(peer.folder), rewards(side.folder)
    if not theirs:
        return "no: the peer wrote no reward curve"
    if ours == theirs:
        return f"yes ({len(ours)} points)"
    alike = next((i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), None)
    alike = min(len(ours), len(theirs)) if alike is None else alike
    return (f"no: {len(ours)} vs {len(theirs)} points, the first {alike} equal; last (step, reward) {ours[-1]} vs "
            f"{theirs[-1]}")  # fmt: skip


def rewards(folder: Path) -> list[tuple[int, float]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # lazy: start-up time

    events = sorted(folder.rglob("events.out.tfevents.*"))
    if not events:
        return []
    acc = EventAccumulator(str(events[0].parent), size_guidance={"scalars": 0})
    acc.Reload()
    return (
        [(e.step, round(e.value, 4)) for e in acc.Scalars(REWARD)] if REWARD in acc.Tags()["scalars"] else []
    )


def same_act(peer: Side, side: Side) -> str:
    """Same LeRobot arguments (but the output folder), the same last logged loss and the same final weights."""
    output = _output_of(side)
    handed = next((line for line in output.splitlines() if line.startswith("lerobot: ")), "").split()[1:]
    differ = set(handed) ^ set(peer.argv[1:])
    differ = {arg for arg in differ if not arg.startswith("--output_dir=")}
    if differ:
        return f"no: the arguments differ ({' '.join(sorted(differ))})"
    losses = [_last_loss(_output_of(peer)), _last_loss(output)]
    weights = [_weights(peer.folder), _weights(side.folder)]
    loss = "equal" if losses[0] is not None and losses[0] == losses[1] else "not equal"
    alike = "the same" if weights[0] is not None and weights[0] == weights[1] else "different"
    verdict = "yes" if loss == "equal" and alike == "the same" else "no"
    return f"{verdict}: last logged loss {losses[1]} vs {losses[0]} ({loss}), final weights {alike}"


def _last_loss(output: str) -> str | None:
    found = re.findall(r"step:\S+ .*?\bloss:(\S+)", output)
    return found[-1] if found else None


def _weights(folder: Path) -> bytes | None:
    files = sorted(folder.rglob("checkpoints/[0-9]*/pretrained_model/model.safetensors"))
    return files[-1].read_bytes() if files else None


def _output_of(side: Side) -> str:
    log = side.folder / "output.log"
    return log.read_text(encoding="utf-8") if log.exists() else ""


def _offline_hub(folder: Path) -> dict[str, str]:
    hub = folder / "hf"
    return {"HF_HUB_OFFLINE": "1", "HF_HOME": str(hub), "HF_LEROBOT_HOME": str(hub / "lerobot"),
            "WANDB_MODE": "disabled"}  # fmt: skip


COMPARISONS = {
    "cartpole": Comparison(
        f"CartPole-v1, {CARTPOLE_ENVS} envs, shipped PPO config, {CARTPOLE_TIMESTEPS} timesteps, seed {SEED}, one "
        "torch thread each (skrl's Runner, the same YAML)", "env steps/s",
        f"python benchmarks/peer_skrl_bare.py OUT {CARTPOLE_TIMESTEPS} {CARTPOLE_ENVS} {SEED}", cartpole_sides,
        same_rewards,
    ),
    "threads": Comparison(
        f"CPU threads: ours on CartPole-v1 ({CARTPOLE_ENVS} envs, {CARTPOLE_TIMESTEPS} timesteps, MLflow off) with "
        "one torch thread (our CPU default) and with two; the ratio is 2 threads over 1", "env steps/s",
        f"OMP_NUM_THREADS=1 ROBO_MLFLOW=false python -m training rl --timesteps {CARTPOLE_TIMESTEPS} --num-envs "
        f"{CARTPOLE_ENVS} --seed {SEED} --output-dir OUT", threads_sides, same_rewards,
    ),
    "lerobot": Comparison(
        f"tiny ACT (tests/lerobot: 2 episodes, 40 frames, state only), {ACT_STEPS} steps, batch {ACT_BATCH}, seed "
        f"{SEED}, CPU, one torch thread each: our LeRobot trainer (MLflow on: a sqlite store, which this trainer "
        "still drives from the training process; registers the final checkpoint) vs `lerobot-train`", "optimizer steps/s",
        "lerobot-train " + " ".join(lerobot_peer_args(Path("<tiny dataset>"), "OUT")), lerobot_sides, same_act,
        LEROBOT_PYTHON, "scripts/setup-lerobot-env.sh", make_lerobot_dataset,
    ),
    "isaaclab": Comparison(
        f"Isaac-Cartpole-Direct kit-less (Newton + MuJoCo-Warp on CPU), {ISAAC_ENVS} envs, {ISAAC_ITERATIONS} PPO "
        "iterations, one torch thread each: our trainer (MLflow on, sqlite store, `--log-interval step`) vs Isaac "
        "Lab's own train command", "env steps/s", "python " + " ".join(ISAACLAB_PEER), isaaclab_sides,
        same_rewards, ISAACLAB_PYTHON, "scripts/setup-isaaclab-env.sh", warm_warp_cache,
    ),
    "isaaclab-loaded": Comparison(
        "The same Isaac-Cartpole-Direct work under load (two busy-looping processes beside it on this machine's "
        f"{os.cpu_count()} CPUs, as other jobs or tests on a shared machine), each tool with its own torch thread "
        "default (Isaac Lab's: torch's, one per CPU; ours: 1 on CPU)", "env steps/s",
        "python " + " ".join(ISAACLAB_PEER), isaaclab_own_threads_sides, same_rewards, ISAACLAB_PYTHON,
        "scripts/setup-isaaclab-env.sh", warm_warp_cache, load=2,
    ),
}  # fmt: skip

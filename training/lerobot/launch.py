"""More than one training process on this node: the trainer starts itself again under `accelerate launch`.

The job's command stays `python -m training lerobot --output-dir <binding>` on every backend. With
ROBO_GPUS above 1, that process (the launcher) fetches the blob dataset once, then runs
`accelerate launch --num_processes N -m training lerobot <the same flags>` as an argument list (no shell)
and returns its exit status. Each worker sees WORLD_SIZE (torchrun's, which accelerate uses) and trains;
LeRobot saves checkpoints on the main process, and the trainer tracks in MLflow, registers and prints the
result line on rank 0 only (training.config.is_rank_zero).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping

from training.config import LeRobotConfig


def is_worker(environ: Mapping[str, str]) -> bool:
    """Whether this process is one of several that a launcher started (torchrun and accelerate set WORLD_SIZE)."""
    value = environ.get("WORLD_SIZE", "").strip()
    return bool(value) and int(value) > 1


def needs_launch(config: LeRobotConfig, environ: Mapping[str, str]) -> bool:
    return config.gpus > 1 and not is_worker(environ)


def command(config: LeRobotConfig, argv: list[str], *, port: int, python: str = sys.executable) -> list[str]:
    """`accelerate launch` of this same trainer: one process per GPU, on this node."""
    return [
        python, "-m", "accelerate.commands.launch",
        "--num_processes", str(config.gpus),
        "--num_machines", "1",
        "--mixed_precision", config.mixed_precision,
        "--dynamo_backend", "no",
        # DDP through torchrun: on a CPU-only machine (LeRobot's --policy.device=cpu) it runs on gloo.
        "--multi_gpu",
        "--main_process_port", str(port),
        "-m", "training", "lerobot", *argv,
    ]  # fmt: skip


def run(config: LeRobotConfig, argv: list[str]) -> int:
    """Run the workers; their exit status is this process's. A SIGTERM here is passed on to them."""
    launcher = command(config, argv, port=_free_port())
    print(f"lerobot: {config.gpus} training processes: {' '.join(launcher[1:8])} ...", file=sys.stderr, flush=True)
    process = subprocess.Popen(launcher)  # an argument list built above, no shell
    try:
        return process.wait()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        process.wait()
        raise


def _free_port() -> int:
    """A port no other process listens on now: two jobs on one machine must not share the rendezvous."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def mixed_precision_env(config: LeRobotConfig) -> dict[str, str]:
    """A single process reads the mode where accelerate launch would have put it (ACT and Diffusion leave
    LeRobot's own choice empty; a policy with a dtype of its own keeps that)."""
    if config.mixed_precision == "no" or "ACCELERATE_MIXED_PRECISION" in os.environ:
        return {}
    return {"ACCELERATE_MIXED_PRECISION": config.mixed_precision}

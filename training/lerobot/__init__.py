"""LeRobot behavioural cloning in the job container (`python -m training lerobot`).

Runs in .venv-lerobot / the LeRobot job image (torch 2.11.0, lerobot 0.6.1, Python 3.12); see docs/lerobot.md.
Importing this package imports neither torch nor LeRobot nor MLflow.
"""

from __future__ import annotations


def main(argv: list[str]) -> int:
    """Run LeRobot training from ROBO_* variables and flags; returns the process exit code."""
    from training.lerobot.run import main as run_main  # lazy: keeps `import training.lerobot` cheap

    return run_main(argv)

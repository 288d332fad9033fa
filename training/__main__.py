"""`python -m training rl|lerobot|evaluate [--flag value ...]`: the job's constant command.

Settings come from ROBO_* environment variables, with flags on top (training/config.py).
Exit codes (one boundary for every kind, training/exits.py): 0 success; 1 the run failed (nothing
registered); 2 bad settings (one line on stderr naming the variable or flag); 3 (evaluate only) evaluated,
but a gate did not hold, so no alias was set; 128 + signal number when stopped by SIGTERM/SIGINT.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys

from training import exits
from training.config import KINDS, ConfigError, describe, from_env

USAGE = (
    "usage: python -m training {rl,lerobot,evaluate} [--flag value ...]; settings: ROBO_* variables; --help per kind"
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if not args or args[0] not in KINDS:
        given = f"unknown kind {args[0]!r}; " if args else ""
        print(f"error: {given}{USAGE}", file=sys.stderr)
        return 2
    kind, rest = args[0], args[1:]
    if rest and rest[0] in ("-h", "--help"):
        print(help_text(kind))
        return 0
    if kind == "lerobot":
        from training.lerobot import main as lerobot_main  # lazy: LeRobot has its own environment

        return lerobot_main(rest)
    if kind == "evaluate":
        return run_evaluate(rest)
    return run_rl(rest)


def run_rl(argv: list[str]) -> int:
    """Parse and train; the exit code comes from the shared boundary (training.exits)."""
    _configure_logging()
    return exits.run("rl", lambda: _train_rl(argv))


def _train_rl(argv: list[str]) -> int:
    from training import secrets, workspace  # lazy: keeps --help and bad-settings exits fast

    config = from_env("rl", os.environ, argv)
    if config.wandb and importlib.util.find_spec("wandb") is None:
        raise ConfigError(
            "ROBO_WANDB: wandb is not installed in this environment (the job images pin it: "
            "workflows/images/requirements-trainer.txt); install it or run without --wandb"
        )
    secrets.load(config)  # before wandb or any other library reads the environment
    workspace.resolve_tracking_uri(config.mlflow)  # an OSMO job that names an Azure ML workspace
    if config.rl_library == "rsl_rl":
        from training.rl.rsl_rl.train import main as rsl_rl_main  # lazy: imports torch and RSL-RL

        return rsl_rl_main(config)
    from training.rl.train import main as train_main  # lazy: imports torch and skrl

    return train_main(config)


def run_evaluate(argv: list[str]) -> int:
    """Evaluate a model (and promote it behind its gates); 0 done, 3 a gate did not hold."""
    _configure_logging()
    return exits.run("evaluate", lambda: _evaluate(argv))


def _evaluate(argv: list[str]) -> int:
    from training import secrets, workspace  # lazy: keeps --help and bad-settings exits fast

    config = from_env("evaluate", os.environ, argv)
    secrets.load(config)
    workspace.resolve_tracking_uri(config.mlflow)
    from training.evaluation.run import main as evaluate_main  # lazy: imports torch, skrl and mlflow

    return evaluate_main(config)


def help_text(kind: str) -> str:
    lines = [f"python -m training {kind}: settings (environment variable, flag, meaning)", ""]
    lines += [f"  {env:<32} {flag:<28} {text}" for env, flag, text in describe(kind)]
    return "\n".join(lines)


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("mlflow", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("skrl").propagate = False  # skrl prints through its own handler already


if __name__ == "__main__":
    sys.exit(main())

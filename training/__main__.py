"""`python -m training rl|lerobot [--flag value ...]`: the job's constant command.

Settings come from ROBO_* environment variables, with flags on top (training/config.py).
Exit codes: 0 success; 1 the run failed (nothing registered); 2 bad settings (one line on
stderr naming the variable or flag); 128 + signal number when stopped by SIGTERM/SIGINT.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import traceback

from training.config import KINDS, ConfigError, describe, from_env

USAGE = (
    "usage: python -m training {rl,lerobot} [--flag value ...]; settings: ROBO_* variables; --help per kind"
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in KINDS:
        print(USAGE, file=sys.stderr)
        return 2
    kind, rest = args[0], args[1:]
    if rest and rest[0] in ("-h", "--help"):
        print(help_text(kind))
        return 0
    if kind == "lerobot":
        from training.lerobot import main as lerobot_main  # lazy: LeRobot has its own environment

        return lerobot_main(rest)
    return run_rl(rest)


def run_rl(argv: list[str]) -> int:
    """Parse, train, and map the outcome to the exit code."""
    from training import secrets
    from training.checkpoints import CheckpointDownloadError
    from training.rl.loop import Interrupted  # lazy: keeps --help and bad-settings exits fast
    from training.rl.session import TrackingError

    _configure_logging()
    try:
        config = from_env("rl", os.environ, argv)
        if config.wandb and importlib.util.find_spec("wandb") is None:
            raise ConfigError(
                "ROBO_WANDB: wandb is not installed in this environment (the job images pin it: "
                "workflows/images/requirements-trainer.txt); install it or run without --wandb"
            )
        secrets.load(config)  # before wandb or any other library reads the environment
        from training.rl.train import main as train_main  # lazy: imports torch and skrl

        return train_main(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(f"training {exc}; last checkpoint written, nothing registered", file=sys.stderr)
        return 128 + exc.signum
    except (TrackingError, secrets.SecretError, CheckpointDownloadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # A second Ctrl-C while training, or one before the stop handler was installed.
        print("training stopped by an interrupt; nothing registered", file=sys.stderr)
        return 130
    except Exception:  # any failure of the run itself: report it, exit 1, register nothing
        traceback.print_exc(file=sys.stderr)
        print("error: training failed; nothing was registered", file=sys.stderr)
        return 1


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

"""Write a tiny LeRobot dataset for a first local run, offline: 2 episodes, 40 frames, state only.

    .venv-lerobot/bin/python scripts/make-tiny-lerobot-dataset.py tiny
    submit local lerobot-training -d local/tiny --dataset-root ./tiny --steps 20

It is the dataset the LeRobot test tier trains on (tests/lerobot/synthetic.py), written by LeRobot's
own API, so it has the layout `lerobot-train` reads. It needs the LeRobot environment
(scripts/setup-lerobot-env.sh).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.lerobot

from tests.lerobot.synthetic import REPO_ID, make_dataset  # after the path is set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where to write the dataset (must not exist)")
    folder = parser.parse_args().folder
    if folder.exists():
        parser.error(f"{folder} exists; give a folder that does not")
    make_dataset(folder)
    print(f"wrote {folder}: dataset id {REPO_ID}, use -d {REPO_ID} --dataset-root {folder}")


if __name__ == "__main__":
    main()

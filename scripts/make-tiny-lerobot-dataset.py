"""Write a tiny LeRobot dataset for a first local run, offline: 2 episodes, 40 frames, state only.

    .venv-lerobot/bin/python scripts/make-tiny-lerobot-dataset.py tiny
    submit local lerobot-training -d local/tiny --dataset-root ./tiny --steps 20

With --pusht it is shaped like gym-pusht's state observations instead (2-value agent position, 16 keypoints),
so the policy trained on it can be evaluated in LeRobot's pusht environment (--lerobot-env pusht).

It is the dataset the LeRobot test tier trains on (tests/lerobot/synthetic.py), written by LeRobot's
own API, so it has the layout `lerobot-train` reads. It needs the LeRobot environment
(scripts/setup-lerobot-env.sh).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.lerobot

from tests.lerobot.synthetic import (  # after the path is set
    PUSHT_REPO_ID,
    REPO_ID,
    make_dataset,
    make_pusht_dataset,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where to write the dataset (must not exist)")
    parser.add_argument("--pusht", action="store_true", help=f"the pusht-shaped dataset ({PUSHT_REPO_ID})")
    args = parser.parse_args()
    folder = args.folder
    if folder.exists():
        parser.error(f"{folder} exists; give a folder that does not")
    make, repo_id = (make_pusht_dataset, PUSHT_REPO_ID) if args.pusht else (make_dataset, REPO_ID)
    make(folder)
    print(f"wrote {folder}: dataset id {repo_id}, use -d {repo_id} --dataset-root {folder}")


if __name__ == "__main__":
    main()

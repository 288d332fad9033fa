"""A tiny LeRobot dataset written by LeRobot's own API, offline (no Hub access)."""

from __future__ import annotations

from pathlib import Path

REPO_ID = "local/tiny"
FPS = 10
EPISODES = 2
FRAMES_PER_EPISODE = 20
STATE_DIM = 6
ENV_DIM = 4  # ACT needs an image or an environment state; state-only keeps the test fast


def make_dataset(root: Path) -> Path:
    """Create `root` as a v3.0 LeRobot dataset; return root. Imports LeRobot (torch)."""
    import numpy as np  # lazy: only in the LeRobot venv
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    features = {
        "observation.state": {"dtype": "float32", "shape": (STATE_DIM,), "names": None},
        "observation.environment_state": {"dtype": "float32", "shape": (ENV_DIM,), "names": None},
        "action": {"dtype": "float32", "shape": (STATE_DIM,), "names": None},
    }
    dataset = LeRobotDataset.create(repo_id=REPO_ID, fps=FPS, root=root, features=features, use_videos=False)
    rng = np.random.default_rng(0)
    for _ in range(EPISODES):
        state = rng.normal(size=STATE_DIM).astype("float32")
        for _ in range(FRAMES_PER_EPISODE):
            action = (0.1 * rng.normal(size=STATE_DIM)).astype("float32")
            dataset.add_frame(
                {
                    "observation.state": state,
                    "observation.environment_state": rng.normal(size=ENV_DIM).astype("float32"),
                    "action": action,
                    "task": "reach",
                }
            )
            state = state + action
        dataset.save_episode()
    dataset.finalize()
    return root

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


PUSHT_REPO_ID = "local/tiny-pusht"
PUSHT_STATE_DIM, PUSHT_ENV_DIM = 2, 16  # gym-pusht's agent_pos and keypoints (obs_type environment_state_agent_pos)


def make_pusht_dataset(root: Path) -> Path:
    """A 2-episode dataset shaped like gym-pusht's state observations (positions in its 0-512 workspace), so a
    policy trained on it can be rolled out in LeRobot's pusht environment. Imports LeRobot (torch)."""
    import numpy as np  # lazy: only in the LeRobot venv
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    features = {
        "observation.state": {"dtype": "float32", "shape": (PUSHT_STATE_DIM,), "names": None},
        "observation.environment_state": {"dtype": "float32", "shape": (PUSHT_ENV_DIM,), "names": None},
        "action": {"dtype": "float32", "shape": (PUSHT_STATE_DIM,), "names": None},
    }
    dataset = LeRobotDataset.create(repo_id=PUSHT_REPO_ID, fps=FPS, root=root, features=features, use_videos=False)
    rng = np.random.default_rng(1)
    for _ in range(EPISODES):
        agent = rng.uniform(100, 400, size=PUSHT_STATE_DIM).astype("float32")
        keypoints = rng.uniform(150, 350, size=PUSHT_ENV_DIM).astype("float32")
        for _ in range(FRAMES_PER_EPISODE):
            target = (agent + rng.normal(scale=10, size=PUSHT_STATE_DIM)).clip(0, 512).astype("float32")
            dataset.add_frame(
                {"observation.state": agent, "observation.environment_state": keypoints, "action": target, "task": "push"}
            )
            agent = target
        dataset.save_episode()
    dataset.finalize()
    return root

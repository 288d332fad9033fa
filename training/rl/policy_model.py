"""A trained skrl agent's policy as plain torch, and the MLflow model a registered version is.

`deterministic_policy` turns the agent's policy into one `torch.nn.Module` mapping a batch of observations to
actions: the observation preprocessor (RunningStandardScaler statistics), the policy network, and its
deterministic head (the mean action of a Gaussian policy clipped to the action space, the most likely action of
a categorical one, a deterministic policy's output). `traced_policy` traces it to TorchScript, which needs no skrl
to run; the evaluation, the pyfunc model and the ONNX / TorchScript exports all use this one module.

`save_pyfunc_model` writes an MLflow pyfunc model folder (`MLmodel`, the model code `pyfunc_policy.py`, an
input/output signature) whose artifacts are the TorchScript policy, the raw skrl checkpoint (which resume and
warm start read, unchanged) and the agent config. Only `mlflow.pyfunc.save_model`, a local write: the caller
uploads the folder to the run and registers it (training/registration.py), wherever its MLflow client lives.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PYFUNC_CODE = Path(__file__).with_name("pyfunc_policy.py")
POLICY_FILE = "policy.pt"  # TorchScript: observations -> actions
CHECKPOINT_FILE = "agent.pt"  # skrl's own checkpoint, as the trainer wrote it
AGENT_CONFIG_FILE = "agent.yaml"
ARTIFACTS_DIR = "artifacts"  # where MLflow puts a pyfunc model's artifacts inside its folder


class PolicyError(ValueError):
    """A policy this module cannot express as observations -> actions (a dict observation space, say)."""


def deterministic_policy(agent: Any) -> Any:
    """The agent's policy, preprocessor included, as an `nn.Module`: float observations (N, obs) -> actions (N, act).

    It holds the agent's own modules (skrl's models keep non-leaf tensors, which cannot be deep-copied); trace it
    with `traced_policy` for an independent copy."""
    import torch  # lazy: start-up time

    policy = agent.models.get("policy")
    if policy is None:
        raise PolicyError("the agent has no policy model")
    preprocessor = agent.checkpoint_modules.get("observation_preprocessor")
    head, low, high = _head(agent.action_space)
    device = next(policy.parameters()).device

    class DeterministicPolicy(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.policy = policy
            self.preprocessor = preprocessor if isinstance(preprocessor, torch.nn.Module) else None
            self.register_buffer("low", torch.as_tensor(low, dtype=torch.float32, device=device))
            self.register_buffer("high", torch.as_tensor(high, dtype=torch.float32, device=device))

        def forward(self, observations: torch.Tensor) -> torch.Tensor:
            x = self.preprocessor(observations) if self.preprocessor is not None else observations
            output = self.policy.compute({"observations": x, "states": None}, role="policy")[0]
            if head == "argmax":
                return torch.argmax(output, dim=-1, keepdim=True)
            return torch.maximum(torch.minimum(output, self.high), self.low)

    return DeterministicPolicy()


def observation_size(agent: Any) -> int:
    """Length of one flat observation (Box spaces; skrl flattens what it feeds the policy)."""
    import gymnasium  # lazy: start-up time

    space = agent.observation_space
    if not isinstance(space, gymnasium.spaces.Box):
        raise PolicyError(f"observation space {type(space).__name__} is not a Box; only flat observations are exported")
    return int(gymnasium.spaces.flatdim(space))


def traced_policy(agent: Any) -> Any:
    """`deterministic_policy` traced to TorchScript on a batch of observations from the space: an independent copy
    on the CPU (saved and loaded again), whatever device the agent is on; the agent's modes are left as they were."""
    import io

    import torch  # lazy: start-up time

    module = deterministic_policy(agent)
    device = module.low.device
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        with torch.no_grad(), quiet():
            traced = torch.jit.trace(module, example_observations(agent, 4).to(device), check_trace=False)
    finally:
        for submodule, training in modes:
            submodule.train(training)
    buffer = io.BytesIO()
    with quiet():
        torch.jit.save(traced, buffer)
        buffer.seek(0)
        return torch.jit.load(buffer, map_location="cpu")


def example_observations(agent: Any, count: int, seed: int = 0) -> Any:
    """`count` observations sampled from the agent's observation space (bounded to +-10 where it is unbounded)."""
    import numpy as np  # lazy: start-up time
    import torch

    size = observation_size(agent)
    space = agent.observation_space
    low = np.clip(np.asarray(space.low, dtype=np.float64).reshape(-1), -10, 10)
    high = np.clip(np.asarray(space.high, dtype=np.float64).reshape(-1), -10, 10)
    values = np.random.default_rng(seed).uniform(low, high, size=(count, size))
    return torch.as_tensor(values, dtype=torch.float32)


def save_pyfunc_model(
    folder: Path, *, scripted: Any, size: int, checkpoint: Path, agent_config: Path, extra_pip: tuple[str, ...] = ()
) -> Path:
    """Write the MLflow pyfunc model of a TorchScript policy (or the file it was saved to) taking (N, `size`)
    observations to `folder` (which must not exist), with the raw checkpoint and the agent config; returns `folder`."""
    import shutil
    import tempfile

    import mlflow  # lazy: start-up time
    import torch

    if isinstance(scripted, str | Path):
        scripted = torch.jit.load(str(scripted))

    with tempfile.TemporaryDirectory(prefix="robo-policy-") as scratch:
        # MLflow keeps each artifact's file name: the checkpoint is agent.pt in the model, whatever its step.
        files = {"policy": Path(scratch, POLICY_FILE), "checkpoint": Path(scratch, CHECKPOINT_FILE),
                 "agent_config": Path(scratch, AGENT_CONFIG_FILE)}  # fmt: skip
        shutil.copy2(checkpoint, files["checkpoint"])
        shutil.copy2(agent_config, files["agent_config"])
        with quiet():
            torch.jit.save(scripted, str(files["policy"]))
            mlflow.pyfunc.save_model(
                path=str(folder),
                python_model=str(PYFUNC_CODE),
                artifacts={key: str(path) for key, path in files.items()},
                signature=signature(scripted, size),
                pip_requirements=requirements(extra_pip),
            )
    return folder


def signature(scripted: Any, size: int) -> Any:
    """Input (-1, observation size) float32; output what the policy returns for a batch (float32 or int64)."""
    import numpy as np  # lazy: start-up time
    import torch
    from mlflow.models import ModelSignature
    from mlflow.types import Schema, TensorSpec

    with torch.no_grad():
        out = scripted(torch.zeros(1, size))
    out_dtype = np.dtype(np.int64) if out.dtype == torch.int64 else np.dtype(np.float32)
    return ModelSignature(
        inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, size))]),
        outputs=Schema([TensorSpec(out_dtype, (-1, int(out.shape[-1])))]),
    )


def requirements(extra: tuple[str, ...] = ()) -> list[str]:
    """What the pyfunc needs to load: torch, numpy and mlflow at the versions that wrote it (no skrl)."""
    from importlib.metadata import version  # lazy: start-up time

    return [f"mlflow=={version('mlflow')}", f"torch=={version('torch').split('+')[0]}", f"numpy=={version('numpy')}", *extra]


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Without torch's TorchScript deprecation notes and MLflow's advice on type hints and input examples: job
    logs would show them on every registration, and neither is something the user can act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=r".*torch\.(jit|export)")
        warnings.filterwarnings("ignore", message=r".*(type hints|input example|input_example)")
        yield


def _head(action_space: Any) -> tuple[str, Any, Any]:
    """How the network's output becomes an action: ('argmax', -, -) or ('clip', low, high)."""
    import gymnasium  # lazy: start-up time
    import numpy as np

    if isinstance(action_space, gymnasium.spaces.Discrete):
        return "argmax", 0.0, 0.0
    if not isinstance(action_space, gymnasium.spaces.Box):
        raise PolicyError(f"action space {type(action_space).__name__} is neither Discrete nor Box")
    low = np.nan_to_num(np.asarray(action_space.low, dtype=np.float32).reshape(-1), neginf=-3.4e38)
    high = np.nan_to_num(np.asarray(action_space.high, dtype=np.float32).reshape(-1), posinf=3.4e38)
    return "clip", low, high

"""Checkpoint modes and checkpoint URIs for the RL trainer.

What a mode loads is a pure decision (`parts_to_load`, and per checkpoint `modules_to_load`), separate from
fetching the checkpoint (`resolve_checkpoint`, `read_checkpoint`) and loading its tensors (`apply_checkpoint`):

| mode         | weights | preprocessors | optimizer | trainer state (timestep) |
|--------------|---------|---------------|-----------|--------------------------|
| from-scratch | -       | -             | -         | -                        |
| fresh        | -       | -             | -         | -                        |
| warm-start   | yes     | yes           | -         | - (counters start at 0)  |
| resume       | yes     | yes           | yes       | yes (steps continue)     |

Preprocessors travel with the weights because the weights expect normalised inputs.
skrl's checkpoints hold no counter (research/rl-probe.md §3), so the trainer registers a
`TrainerState` module in ``agent.checkpoint_modules``; skrl then saves it inside every
``agent_<timestep>.pt`` and resume reads it back.

URIs: ``runs:/<run>/<path>``, ``models:/<name>/<version>``, ``models:/<name>@<alias>``,
anything else MLflow can download (``mlflow-artifacts:/``, ``azureml://``, ...), and local
paths. An ``https://`` URL is fetched through MLflow too, so it must be an MLflow artifact server's
(``.../api/2.0/mlflow-artifacts/artifacts/...``); any other (a blob URL with a SAS token, say) is
refused by `check_uri` before the environment is built. A folder resolves to ``agent.pt`` (a registered
model: ``artifacts/agent.pt`` of its MLflow model) or its highest ``agent_<timestep>.pt`` (skrl) or ``model_<iteration>.pt`` (RSL-RL). `fetch_checkpoint`
downloads and reads the checkpoint before the environment is built, and refuses one written by the other RL
library (`check_library`). A missing, unreadable or mismatched checkpoint is a
`CheckpointError` raised before training starts; a download that fails for another reason (network,
credentials, a storage plugin that is not installed) is a `CheckpointDownloadError`. Messages show a
URI without its query or password (`shown`).
"""

from __future__ import annotations

import re
import tempfile
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.config import ENV_PREFIX, ConfigError
from training.exits import RunError, first_line

PARTS = ("weights", "preprocessors", "optimizer", "trainer_state")
MODEL_FILE = "agent.pt"  # the file inside a registered model's folder
MODEL_ARTIFACTS = "artifacts"  # where a registered version's MLflow model keeps it (training/rl/policy_model.py)
TRAINER_STATE = "trainer_state"
_SOURCE = f"{ENV_PREFIX}CHECKPOINT_URI"
_MODE_PARTS = {
    "from-scratch": frozenset(),
    "fresh": frozenset(),
    "warm-start": frozenset({"weights", "preprocessors"}),
    "resume": frozenset(PARTS),
}
_TIMESTEPPED = re.compile(r"^(?:agent|model)_(\d+)\.pt$")  # skrl's agent_<timestep>, RSL-RL's model_<iteration>
# RSL-RL's runner saves <model>_state_dict entries (rsl_rl/algorithms/ppo.py, PPO.save); skrl saves module names.
_RSL_RL_MARKER = "_state_dict"
LIBRARY_NAMES = {"skrl": "skrl", "rsl_rl": "RSL-RL"}
_MLFLOW_SCHEMES = (
    "runs:/",
    "models:/",
    "mlflow-artifacts:",
    "azureml:",
    "s3:",
    "gs:",
    "wasbs:",
    "abfss:",
    "https:",
)
_ARTIFACT_SERVER_PATH = "/api/2.0/mlflow-artifacts/artifacts"  # what MLflow's https repository reads
_URL_QUERY = re.compile(r"\?[^\s'\")]+")


class CheckpointError(ConfigError):
    """A checkpoint that cannot be used; the message names ROBO_CHECKPOINT_URI."""


class CheckpointDownloadError(RunError):
    """A checkpoint URI that could not be fetched (network, credentials, storage plugin): the run fails
    (exit 1) on this one line, which names ROBO_CHECKPOINT_URI and never holds a query or password."""


def parts_to_load(mode: str) -> frozenset[str]:
    """Which parts of a checkpoint a checkpoint mode restores."""
    return _MODE_PARTS[mode]


def modules_to_load(mode: str, modules: Iterable[str], held: Iterable[str], uri: str) -> list[str]:
    """The agent's checkpoint modules `mode` restores, in the agent's order, from a checkpoint holding `held`.

    Pure: a CheckpointError (shown with `uri`) when the checkpoint lacks one of them.
    """
    parts = parts_to_load(mode)
    wanted = [key for key in modules if part_of(key) in parts]
    held = set(held)
    missing = [key for key in wanted if key not in held]
    if missing:
        raise CheckpointError(_missing_message(uri, mode, missing, held))
    return wanted


def part_of(key: str) -> str:
    """The part a skrl checkpoint key belongs to (policy, value, critic_1 ... are weights)."""
    if key == TRAINER_STATE:
        return "trainer_state"
    if "optimizer" in key:
        return "optimizer"
    if key.endswith("preprocessor"):
        return "preprocessors"
    return "weights"


@dataclass
class TrainerState:
    """The counters skrl does not save: a checkpoint module of our own. `timesteps` is the run's budget
    (its end), so a resume ends where the interrupted run would have (0: written before budgets were kept)."""

    timestep: int = 0
    run_id: str = ""
    timesteps: int = 0
    task: str = ""
    # Asked at each checkpoint for the run id, when the run may open after the first checkpoints (a store process's).
    run_id_of: Callable[[], str] | None = field(default=None, repr=False, compare=False)

    def state_dict(self) -> dict[str, Any]:
        run_id = self.run_id_of() if self.run_id_of else self.run_id
        return {"timestep": self.timestep, "run_id": run_id, "timesteps": self.timesteps, "task": self.task}

    def load_state_dict(self, data: dict[str, Any]) -> None:
        self.timestep = int(data["timestep"])
        self.run_id = str(data.get("run_id", ""))
        self.timesteps = int(data.get("timesteps", 0))
        self.task = str(data.get("task", ""))


def check_source(payload: dict[str, Any], mode: str, task: str, uri: str) -> None:
    """Before any agent exists: a checkpoint whose trainer state names another task is refused (one written
    before the task was kept, or by another trainer, is checked by its module shapes when applied), and
    resume needs the trainer state."""
    trained_on = str((payload.get(TRAINER_STATE) or {}).get("task", ""))
    if trained_on and trained_on != task:
        raise CheckpointError(f"{_SOURCE}: {uri}: was trained on {trained_on}, not {task}; pass --task {trained_on}")
    if TRAINER_STATE in parts_to_load(mode) and TRAINER_STATE not in payload:
        raise CheckpointError(_missing_message(uri, mode, [TRAINER_STATE], set(payload)))


def unfetchable(uri: str) -> str | None:
    """Why the trainer can never fetch `uri` (https other than an MLflow artifact server's), else None.
    The CLI refuses the same URIs with this text (submit.models.parts.Checkpoint)."""
    try:
        path = urllib.parse.urlsplit(uri).path
    except ValueError:
        return "is not a valid URL"
    if uri.startswith("https:") and _ARTIFACT_SERVER_PATH not in path:
        return (
            f"an https URL must be an MLflow artifact server's (...{_ARTIFACT_SERVER_PATH}/...); use "
            "runs:/<run-id>/<path>, models:/<name>/<version>, models:/<name>@<alias>, or download the "
            "checkpoint and pass its path"
        )
    return None


def check_uri(uri: str) -> None:
    """Refuse a URI the trainer can never fetch, before anything is built."""
    problem = unfetchable(uri)
    if problem:
        raise CheckpointError(f"{_SOURCE}: {shown(uri)}: {problem}")


def shown(uri: str) -> str:
    """The URI for messages and tags: without its query (a SAS token) or user:password."""
    parts = urllib.parse.urlsplit(uri)
    if not parts.scheme or not (parts.query or parts.fragment or parts.password):
        return uri
    netloc = parts.netloc.rpartition("@")[2] if parts.password else parts.netloc  # wasbs://c@account stays
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def resolve_checkpoint(uri: str, download_dir: Path) -> Path:
    """A local checkpoint file for `uri`, downloading MLflow URIs into `download_dir`."""
    if uri.startswith(_MLFLOW_SCHEMES):
        return pick_checkpoint_file(download(uri, download_dir), shown(uri))
    path = Path(uri.removeprefix("file://")).expanduser()
    if not path.exists():
        raise CheckpointError(f"{_SOURCE}: {uri}: no such file or folder")
    return pick_checkpoint_file(path, uri)


def pick_checkpoint_file(path: Path, uri: str) -> Path:
    """The file itself, or inside a folder `agent.pt` (a registered version: `artifacts/agent.pt` of its MLflow
    model, or at the top in versions registered before they were MLflow models), else the highest
    agent_<timestep>.pt / model_<iteration>.pt."""
    if path.is_file():
        return path
    for model_file in (path / MODEL_FILE, path / MODEL_ARTIFACTS / MODEL_FILE):
        if model_file.is_file():
            return model_file
    candidates = [p for p in path.rglob("*_*.pt") if _TIMESTEPPED.match(p.name)]
    if not candidates:
        raise CheckpointError(
            f"{_SOURCE}: {uri}: no {MODEL_FILE}, agent_<timestep>.pt or model_<iteration>.pt in that folder"
        )
    return max(candidates, key=lambda p: int(_TIMESTEPPED.match(p.name).group(1)))


def read_checkpoint(path: Path, uri: str) -> dict[str, Any]:
    """The checkpoint's modules; only tensors and plain data are unpickled (weights_only)."""
    import pickle

    import torch  # lazy: start-up time

    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as exc:
        raise CheckpointError(f"{_SOURCE}: {uri}: not a readable checkpoint ({load_problem(exc)})") from None
    if not isinstance(payload, dict) or not payload or not all(isinstance(k, str) for k in payload):
        raise CheckpointError(f"{_SOURCE}: {uri}: not an agent checkpoint (expected a dict of modules)")
    return payload


_UNSAFE_GLOBAL = re.compile(r"Unsupported global: GLOBAL (\S+)")
_UNPICKLER_ERROR = re.compile(r"WeightsUnpickler error:\s*(.+?)\s*(?:\n|$)", re.DOTALL)


def load_problem(exc: BaseException) -> str:
    """What torch's weights-only load found, in our words. Its own text opens with how to load the file
    unsafely ("This file can still be loaded ..."); cut short, that would read as advice to do so."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    if not text.startswith("Weights only load failed"):
        return first_line(exc)
    unsafe = _UNSAFE_GLOBAL.search(text)
    if unsafe:
        return (
            f"it holds a {unsafe.group(1).rstrip('.')} object; the trainer loads only tensors and plain data, "
            "never code, from a checkpoint"
        )
    detail = _UNPICKLER_ERROR.search(text)
    reason = " ".join(detail.group(1).split()) if detail else "unknown contents"
    return f"not a torch checkpoint file: {reason[:200]}"


def library_of(payload: dict[str, Any]) -> str:
    """`rsl_rl` for a checkpoint RSL-RL's runner wrote, else `skrl`."""
    return "rsl_rl" if any(key.endswith(_RSL_RL_MARKER) for key in payload) else "skrl"


def check_library(payload: dict[str, Any], library: str, uri: str) -> None:
    """Refuse a checkpoint of the other RL library, naming both (a CheckpointError: exit 2)."""
    written_by = library_of(payload)
    if written_by == library:
        return
    theirs, ours = LIBRARY_NAMES[written_by], LIBRARY_NAMES[library]
    raise CheckpointError(
        f"{_SOURCE}: {uri}: was written by {theirs}, but this run trains with {ours} "
        f"({ENV_PREFIX}RL_LIBRARY={library}); pass --rl-library {written_by}, or a checkpoint {ours} wrote"
    )


@dataclass(frozen=True)
class Fetched:
    """What a checkpoint holds, and its file name (the downloaded file itself is gone)."""

    file_name: str
    payload: dict[str, Any]


def fetch_checkpoint(uri: str | None, mode: str, library: str, task: str) -> Fetched | None:
    """The checkpoint the mode needs (None for from-scratch/fresh), read and checked (the URI, readable, the RL
    library that wrote it, the task it trained) before any environment is built. A download goes to a temporary
    folder removed once read: the run keeps (and uploads) no copy of its source checkpoint."""
    if not uri or mode in ("from-scratch", "fresh"):
        return None
    check_uri(uri)  # a URI that can never be fetched is refused before anything else
    name = shown(uri)  # messages never carry a URL's query (a SAS token)
    with tempfile.TemporaryDirectory(prefix="robo-checkpoint-") as download_dir:
        path = resolve_checkpoint(uri, Path(download_dir))
        payload = read_checkpoint(path, name)
    check_library(payload, library, name)
    if library == "skrl":  # skrl's trainer state carries the task and the step; RSL-RL's own format does not
        check_source(payload, mode, task, name)
    return Fetched(path.name, payload)


def apply_checkpoint(agent: Any, payload: dict[str, Any], mode: str, uri: str) -> list[str]:
    """Load the parts `mode` restores into the agent's checkpoint modules; returns the keys loaded."""
    wanted = modules_to_load(mode, agent.checkpoint_modules, payload, uri)
    for key in wanted:
        try:
            agent.checkpoint_modules[key].load_state_dict(payload[key])
        except (RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise CheckpointError(
                f"{_SOURCE}: {uri}: module {key!r} does not fit this agent ({first_line(exc)})"
            ) from None
    return wanted


def _missing_message(uri: str, mode: str, missing: list[str], held: set[str]) -> str:
    held_text = ", ".join(sorted(held))
    if missing == [TRAINER_STATE]:
        return (
            f"{_SOURCE}: {uri}: has no trainer state, so {mode} cannot continue its timestep "
            "(it was not written by this trainer); use --checkpoint-mode warm-start"
        )
    return (
        f"{_SOURCE}: {uri}: has no {', '.join(missing)} (it holds {held_text}); it was written for another agent"
    )


def download(uri: str, download_dir: Path) -> Path:
    """The local file or folder MLflow downloads for `uri` (the RL and LeRobot trainers share it)."""
    import mlflow  # lazy: start-up time
    from mlflow.exceptions import MlflowException

    check_uri(uri)
    name = shown(uri)
    download_dir.mkdir(parents=True, exist_ok=True)
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(download_dir)))
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            raise CheckpointError(f"{_SOURCE}: {name}: not found ({_first_line(exc, uri)})") from None
        raise CheckpointDownloadError(
            f"{_SOURCE}: could not download {name}: {_first_line(exc, uri)}"
        ) from None
    except FileNotFoundError as exc:
        raise CheckpointError(f"{_SOURCE}: {name}: not found ({_first_line(exc, uri)})") from None
    # Any other failure of a storage client (network, credentials, a plugin not installed): one line.
    except Exception as exc:
        reason = f"{type(exc).__name__}: {_first_line(exc, uri)}"
        raise CheckpointDownloadError(f"{_SOURCE}: could not download {name}: {reason}") from None
    if not local.exists() or (local.is_dir() and not any(local.iterdir())):
        raise CheckpointError(f"{_SOURCE}: {name}: not found (nothing to download)")
    return local


def _first_line(exc: Exception, uri: str) -> str:
    """The first line of a library's message, without the URI's secrets (libraries echo URLs)."""
    line = first_line(exc)
    parts = urllib.parse.urlsplit(uri)
    if parts.query:
        line = _URL_QUERY.sub("", line)  # a URL's "?query" anywhere, then the query if quoted alone
        line = line.replace(parts.query, "").replace(urllib.parse.unquote(parts.query), "")
    if parts.password:
        line = line.replace(parts.password, "***")
    return line

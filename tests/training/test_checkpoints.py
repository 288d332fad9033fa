"""Checkpoint modes as a pure decision, and checkpoint files found and refused before training."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from training import exits
from training.checkpoints import (
    CheckpointError,
    apply_checkpoint,
    check_uri,
    modules_to_load,
    part_of,
    parts_to_load,
    pick_checkpoint_file,
    read_checkpoint,
    resolve_checkpoint,
    shown,
    unfetchable,
)
from training.config import checkpoint_uri_problem

ALL = {"weights", "preprocessors", "optimizer", "trainer_state"}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("from-scratch", set()),
        ("fresh", set()),
        ("warm-start", {"weights", "preprocessors"}),
        ("resume", ALL),
    ],
)
def test_each_mode_loads_exactly_its_parts(mode: str, expected: set[str]) -> None:
    assert parts_to_load(mode) == expected


@pytest.mark.parametrize(
    ("key", "part"),
    [
        ("policy", "weights"),
        ("value", "weights"),
        ("critic_1", "weights"),
        ("target_critic_2", "weights"),
        ("optimizer", "optimizer"),
        ("policy_optimizer", "optimizer"),
        ("entropy_optimizer", "optimizer"),
        ("observation_preprocessor", "preprocessors"),
        ("value_preprocessor", "preprocessors"),
        ("trainer_state", "trainer_state"),
    ],
)
def test_skrl_checkpoint_keys_map_to_parts(key: str, part: str) -> None:
    assert part_of(key) == part


PPO_MODULES = ("policy", "value", "optimizer", "observation_preprocessor", "value_preprocessor", "trainer_state")
SKRL_ONLY = PPO_MODULES[:-1]  # what skrl or Isaac Lab write on their own: no trainer state
WEIGHTS_ONLY = ("policy", "value")


@pytest.mark.parametrize(
    ("mode", "held", "expected"),
    [
        ("from-scratch", PPO_MODULES, []),
        ("fresh", PPO_MODULES, []),
        ("from-scratch", (), []),
        ("warm-start", PPO_MODULES, ["policy", "value", "observation_preprocessor", "value_preprocessor"]),
        ("warm-start", SKRL_ONLY, ["policy", "value", "observation_preprocessor", "value_preprocessor"]),
        ("resume", PPO_MODULES, list(PPO_MODULES)),
        (
            "resume",
            SKRL_ONLY,
            "ROBO_CHECKPOINT_URI: c.pt: has no trainer state, so resume cannot continue its timestep "
            "(it was not written by this trainer); use --checkpoint-mode warm-start",
        ),
        (
            "warm-start",
            WEIGHTS_ONLY,
            "ROBO_CHECKPOINT_URI: c.pt: has no observation_preprocessor, value_preprocessor "
            "(it holds policy, value); it was written for another agent",
        ),
        (
            "resume",
            ("critic_1", "trainer_state"),
            "ROBO_CHECKPOINT_URI: c.pt: has no policy, value, optimizer, observation_preprocessor, "
            "value_preprocessor (it holds critic_1, trainer_state); it was written for another agent",
        ),
    ],
)
def test_the_modules_a_mode_loads_follow_from_mode_and_checkpoint_alone(
    mode: str, held: tuple[str, ...], expected: list[str] | str
) -> None:
    if isinstance(expected, list):
        assert modules_to_load(mode, PPO_MODULES, held, "c.pt") == expected
        return
    with pytest.raises(CheckpointError) as raised:
        modules_to_load(mode, PPO_MODULES, held, "c.pt")
    assert str(raised.value) == expected


class _Refuses:
    """A checkpoint module whose load_state_dict fails with `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def load_state_dict(self, _data: object) -> None:
        raise self.error


class _Agent:
    def __init__(self, error: Exception) -> None:
        self.checkpoint_modules = {"policy": _Refuses(error)}


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (RuntimeError(""), "RuntimeError"),  # torch's size mismatch can come with no text at all
        (KeyError(), "KeyError"),
        (RuntimeError("size mismatch for net.0.weight\n  copying a param of shape [4]"), "size mismatch for net.0.weight"),
    ],
)
def test_a_module_that_does_not_fit_is_one_line_and_exit_2_even_without_a_message(
    capsys: pytest.CaptureFixture, error: Exception, reason: str
) -> None:
    code = exits.run("rl", lambda: apply_checkpoint(_Agent(error), {"policy": {}}, "warm-start", "c.pt"))
    assert (code, capsys.readouterr().err) == (
        2,
        f"error: ROBO_CHECKPOINT_URI: c.pt: module 'policy' does not fit this agent ({reason})\n",
    )


def _save(path: Path, payload: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path


def test_a_folder_resolves_to_agent_pt_before_timestepped_files(tmp_path: Path) -> None:
    _save(tmp_path / "agent_900.pt", {"policy": {}})
    model = _save(tmp_path / "agent.pt", {"policy": {}})
    assert pick_checkpoint_file(tmp_path, "x") == model


def test_a_registered_versions_mlflow_model_folder_resolves_to_its_raw_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text("flavors: {}\n")
    _save(tmp_path / "artifacts" / "policy.pt", {"not": "the checkpoint"})
    model = _save(tmp_path / "artifacts" / "agent.pt", {"policy": {}})
    assert pick_checkpoint_file(tmp_path, "x") == model


def test_a_folder_resolves_to_the_highest_timestep_not_the_newest_or_best(tmp_path: Path) -> None:
    _save(tmp_path / "checkpoints" / "agent_1000.pt", {"policy": {}})
    _save(tmp_path / "checkpoints" / "agent_200.pt", {"policy": {}})
    _save(tmp_path / "checkpoints" / "best_agent.pt", {"policy": {}})
    assert pick_checkpoint_file(tmp_path, "x").name == "agent_1000.pt"


def test_a_missing_local_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError) as raised:
        resolve_checkpoint(str(tmp_path / "nope.pt"), tmp_path)
    assert str(raised.value) == f"ROBO_CHECKPOINT_URI: {tmp_path / 'nope.pt'}: no such file or folder"


def test_a_folder_without_checkpoints_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(CheckpointError) as raised:
        resolve_checkpoint(str(tmp_path), tmp_path)
    assert (
        str(raised.value)
        == f"ROBO_CHECKPOINT_URI: {tmp_path}: no agent.pt, agent_<timestep>.pt or model_<iteration>.pt in that folder"
    )


def test_a_corrupt_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "agent_10.pt"
    broken.write_bytes(b"not a torch file at all")
    with pytest.raises(CheckpointError) as raised:
        read_checkpoint(broken, "runs:/abc/agent_10.pt")
    assert str(raised.value).startswith(
        "ROBO_CHECKPOINT_URI: runs:/abc/agent_10.pt: not a readable checkpoint ("
    )


def test_a_truncated_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    whole = _save(tmp_path / "whole.pt", {"policy": {"w": torch.ones(100)}})
    cut = tmp_path / "cut.pt"
    cut.write_bytes(whole.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        read_checkpoint(cut, "cut.pt")


def test_a_checkpoint_that_would_run_code_when_unpickled_is_refused(tmp_path: Path) -> None:
    path = _save(tmp_path / "evil.pt", {"policy": Path("/etc/passwd")})  # any non-tensor class
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        read_checkpoint(path, "evil.pt")


def test_something_that_is_not_a_module_dict_is_refused(tmp_path: Path) -> None:
    path = _save(tmp_path / "list.pt", [torch.ones(2)])
    with pytest.raises(CheckpointError) as raised:
        read_checkpoint(path, "list.pt")
    assert (
        str(raised.value)
        == "ROBO_CHECKPOINT_URI: list.pt: not an agent checkpoint (expected a dict of modules)"
    )


SAS_SECRET = "SASSECRET9"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            f"https://a.blob.core.windows.net/c/m.pt?sv=1&sig={SAS_SECRET}",
            "https://a.blob.core.windows.net/c/m.pt",
        ),
        (
            f"https://user:{SAS_SECRET}@host/api/2.0/mlflow-artifacts/artifacts/1/a.pt",
            "https://host/api/2.0/mlflow-artifacts/artifacts/1/a.pt",
        ),
        (
            "wasbs://container@account.blob.core.windows.net/m/agent.pt",
            "wasbs://container@account.blob.core.windows.net/m/agent.pt",
        ),
        (
            "runs:/0123456789abcdef0123456789abcdef/checkpoints",
            "runs:/0123456789abcdef0123456789abcdef/checkpoints",
        ),
        ("models:/cartpole@champion", "models:/cartpole@champion"),
        ("/data/run?1/agent.pt", "/data/run?1/agent.pt"),
    ],
)
def test_a_uri_is_shown_without_its_query_or_password_and_otherwise_as_given(uri: str, expected: str) -> None:
    assert shown(uri) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "runs:/0123456789abcdef0123456789abcdef/checkpoints",
        "models:/cartpole-v1/3",
        "models:/cartpole-v1@champion",
        "/data/agent.pt",
        "./agent.pt",
        "mlflow-artifacts:/1/0123456789abcdef0123456789abcdef/artifacts/agent.pt",
        "https://mlflow.example.com/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/agent.pt",
    ],
)
def test_every_documented_uri_kind_passes_the_early_checks(uri: str) -> None:
    assert (checkpoint_uri_problem(uri), unfetchable(uri)) == (None, None)
    check_uri(uri)  # raises for a URI the trainer could never fetch; the assert above says why it accepts these


def test_an_https_url_that_is_not_an_mlflow_artifact_servers_is_refused_without_its_sas_token(
    tmp_path: Path,
) -> None:
    url = f"https://a.blob.core.windows.net/c/m.pt?sv=1&sig={SAS_SECRET}"
    with pytest.raises(CheckpointError) as raised:
        resolve_checkpoint(url, tmp_path)
    assert str(raised.value) == (
        "ROBO_CHECKPOINT_URI: https://a.blob.core.windows.net/c/m.pt: an https URL must be an MLflow artifact "
        "server's (.../api/2.0/mlflow-artifacts/artifacts/...); use runs:/<run-id>/<path>, "
        "models:/<name>/<version>, models:/<name>@<alias>, or download the checkpoint and pass its path"
    )
    assert list(tmp_path.iterdir()) == []  # refused before any download


def test_a_code_carrying_checkpoint_is_named_as_such_never_with_torchs_advice_to_load_it_unsafely(
    tmp_path: Path,
) -> None:
    path = _save(tmp_path / "evil.pt", {"policy": Path("/etc/passwd")})
    with pytest.raises(CheckpointError) as raised:
        read_checkpoint(path, "evil.pt")
    assert str(raised.value) == (
        "ROBO_CHECKPOINT_URI: evil.pt: not a readable checkpoint (it holds a pathlib.PosixPath object; "
        "the trainer loads only tensors and plain data, never code, from a checkpoint)"
    )


def test_a_file_that_is_no_checkpoint_says_so_without_torchs_advice(tmp_path: Path) -> None:
    broken = tmp_path / "agent_10.pt"
    broken.write_bytes(b"not a torch file at all")
    with pytest.raises(CheckpointError) as raised:
        read_checkpoint(broken, "agent_10.pt")
    message = str(raised.value)
    assert message.startswith("ROBO_CHECKPOINT_URI: agent_10.pt: not a readable checkpoint (not a torch checkpoint file: ")
    assert "can still be loaded" not in message and "weights_only" not in message and "\x1b" not in message

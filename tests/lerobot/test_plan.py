"""The lerobot-train arguments each checkpoint mode produces, and the checks before training.

Pure: no LeRobot import, so these run in the main venv too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.config import ConfigError, LeRobotConfig
from training.lerobot import plan
from training.lerobot.plan import Dataset, LeRobotCheckpoint

# Pure (no LeRobot import), but part of the LeRobot tier that scripts/test.sh runs with `-m lerobot`.
pytestmark = pytest.mark.lerobot

DATA = Dataset(repo_id="local/tiny", root=Path("/data/tiny"))


def _config(**values) -> LeRobotConfig:
    base = {"dataset_repo_id": "local/tiny", "output_dir": "/out", "steps": 10}
    return LeRobotConfig(**{**base, **values})


def _checkpoint(tmp_path: Path, *, training_state: bool = True, train_config: bool = True) -> Path:
    step = tmp_path / "train" / "checkpoints" / "000010"
    model = step / "pretrained_model"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"weights")
    if train_config:
        (model / "train_config.json").write_text("{}")
    if training_state:
        (step / "training_state").mkdir()
    (step.parent / "last").symlink_to("000010")
    return step


def test_from_scratch_names_policy_type_dataset_and_turns_hub_push_off():
    args = plan.lerobot_args(_config(), dataset=DATA, checkpoint=None)
    assert args == [
        "--output_dir=/out/train",
        "--policy.type=act",
        "--batch_size=8",
        "--steps=10",
        "--save_freq=5000",
        "--log_freq=200",
        "--env_eval_freq=0",
        "--num_workers=4",
        "--seed=42",
        "--policy.push_to_hub=false",
        "--wandb.enable=false",
        "--dataset.repo_id=local/tiny",
        "--dataset.root=/data/tiny",
    ]


def test_warm_start_loads_the_policy_folder_and_keeps_batch_and_learning_rate():
    checkpoint = LeRobotCheckpoint(Path("/ckpt/000010/pretrained_model"))
    config = _config(checkpoint_mode="warm-start", checkpoint_uri="/ckpt", learning_rate=0.001)
    args = plan.lerobot_args(config, dataset=DATA, checkpoint=checkpoint)
    assert args[1:4] == [
        "--policy.path=/ckpt/000010/pretrained_model",
        "--batch_size=8",
        "--policy.optimizer_lr=0.001",
    ]
    assert not any(a.startswith("--policy.type") or a.startswith("--resume") for a in args)


def test_resume_points_at_the_policy_folder_and_leaves_batch_and_policy_to_the_checkpoint():
    checkpoint = LeRobotCheckpoint(Path("/ckpt/000010/pretrained_model"))
    config = _config(checkpoint_mode="resume", checkpoint_uri="/ckpt", steps=20)
    args = plan.lerobot_args(config, dataset=None, checkpoint=checkpoint)
    # LeRobot 0.6 takes the pretrained_model/ folder as --config_path (it finds train_config.json there).
    assert args[1:3] == ["--resume=true", "--config_path=/ckpt/000010/pretrained_model"]
    assert "--steps=20" in args
    assert not any(a.split("=")[0] in ("--batch_size", "--policy.type", "--dataset.repo_id") for a in args)


def test_options_and_pass_through_arguments_come_last():
    config = _config(
        device="cpu", job_name="j", wandb=True, wandb_project="p", lerobot_args=("--policy.dim_model=32",)
    )
    args = plan.lerobot_args(config, dataset=DATA, checkpoint=None)
    assert {"--policy.device=cpu", "--job_name=j", "--wandb.enable=true", "--wandb.project=p"} <= set(args)
    assert args[-1] == "--policy.dim_model=32"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"lerobot_args": ("--output_dir=/x",)},
            "ROBO_LEROBOT_ARGS: --output_dir is set by the trainer; use ROBO_CHECKPOINT_MODE/"
            "ROBO_CHECKPOINT_URI (resume, warm-start) or ROBO_PRETRAINED_PATH instead",
        ),
        (
            {"lerobot_args": ("--policy.type=diffusion",)},
            "ROBO_LEROBOT_ARGS: --policy.type has its own setting; use ROBO_POLICY_TYPE",
        ),
        (  # extra arguments come last and win: this one would push past the repo-id guard
            {"lerobot_args": ("--policy.push_to_hub=true",)},
            "ROBO_LEROBOT_ARGS: --policy.push_to_hub has its own setting; use ROBO_PUSH_TO_HUB",
        ),
        (
            {"lerobot_args": ("--steps=5",)},
            "ROBO_LEROBOT_ARGS: --steps has its own setting; use ROBO_STEPS",
        ),
        (
            {"push_to_hub": True},
            "ROBO_POLICY_REPO_ID: pushing to the Hub needs the target repo id; set it or drop push_to_hub",
        ),
        (
            {"dataset_repo_id": None},
            "ROBO_DATASET_REPO_ID: a dataset is needed (a Hub id, a local root, or blob URLs with an id)",
        ),
        (
            {
                "dataset_repo_id": None,
                "dataset_root": "/d",
                "blob_urls": ("https://a.blob.core.windows.net/c/p",),
            },
            "ROBO_DATASET_REPO_ID: blob datasets need the dataset id LeRobot knows them by",
        ),
        (
            {"pretrained_path": "lerobot/act", "checkpoint_mode": "resume", "checkpoint_uri": "/c"},
            "ROBO_PRETRAINED_PATH: a pretrained policy starts a new training; it cannot be combined with "
            "checkpoint mode resume",
        ),
    ],
)
def test_check_refuses_conflicting_settings_naming_the_variable(values, message):
    with pytest.raises(ConfigError) as raised:
        plan.check(_config(**values))
    assert str(raised.value) == message


def test_resume_needs_no_dataset_setting():
    config = _config(dataset_repo_id=None, checkpoint_mode="resume", checkpoint_uri="/c")
    plan.check(config)  # refused settings raise ConfigError (the test above); the asserts are on what it plans
    checkpoint = LeRobotCheckpoint(Path("/c/000010/pretrained_model"))
    args = plan.lerobot_args(config, dataset=None, checkpoint=checkpoint)
    assert not any(a.startswith(("--dataset.", "--policy.type")) for a in args)  # the checkpoint's own
    assert "--resume=true" in args


@pytest.mark.parametrize(
    "where", ["step", "pretrained_model", "train_config", "train_dir", "output_dir", "last"]
)
def test_find_checkpoint_accepts_every_folder_a_user_may_point_at(tmp_path, where):
    step = _checkpoint(tmp_path)
    path = {
        "step": step,
        "pretrained_model": step / "pretrained_model",
        "train_config": step / "pretrained_model" / "train_config.json",
        "train_dir": tmp_path / "train",
        "output_dir": tmp_path,
        "last": step.parent / "last",
    }[where]
    assert plan.find_checkpoint(path).pretrained_model == (step / "pretrained_model").resolve()


def test_find_checkpoint_names_what_is_missing(tmp_path):
    with pytest.raises(ConfigError) as raised:
        plan.find_checkpoint(tmp_path)
    assert str(raised.value) == (
        f"ROBO_CHECKPOINT_URI: {tmp_path} holds no LeRobot checkpoint "
        "(expected <step>/pretrained_model/config.json and model.safetensors)"
    )


def test_weights_without_training_state_can_warm_start_but_not_resume(tmp_path):
    checkpoint = plan.find_checkpoint(_checkpoint(tmp_path, training_state=False))
    with pytest.raises(ConfigError) as raised:
        plan.check_resumable(checkpoint)
    assert str(raised.value) == (
        f"ROBO_CHECKPOINT_URI: {checkpoint.training_state} is missing; "
        "this checkpoint can warm-start a policy but not resume a run"
    )


def test_a_lerobot_04_checkpoint_is_refused_for_resume_with_the_warm_start_to_use(tmp_path):
    # LeRobot 0.4's train_config.json has eval_freq (0.6: env_eval_freq), which 0.6's parser refuses.
    checkpoint = plan.find_checkpoint(_checkpoint(tmp_path))
    checkpoint.train_config.write_text(json.dumps({"eval_freq": 20000, "steps": 10}))
    with pytest.raises(ConfigError) as raised:
        plan.check_resumable(checkpoint)
    assert str(raised.value) == (
        "ROBO_CHECKPOINT_URI: this checkpoint was written by LeRobot 0.4, whose train config LeRobot 0.6 "
        "cannot resume; start from it with checkpoint mode warm-start (its weights and normalisation "
        "load, the optimizer and step start fresh)"
    )


def test_a_lerobot_06_checkpoint_resumes(tmp_path):
    checkpoint = plan.find_checkpoint(_checkpoint(tmp_path))
    checkpoint.train_config.write_text(json.dumps({"env_eval_freq": 20000, "steps": 10}))
    plan.check_resumable(checkpoint)  # no error


@pytest.mark.parametrize("name", ["--env_eval_freq", "--eval_freq"])
def test_evaluation_frequency_has_its_own_setting_under_both_lerobot_names(name):
    with pytest.raises(ConfigError) as raised:
        plan.check(_config(lerobot_args=(f"{name}=10",)))
    assert str(raised.value) == f"ROBO_LEROBOT_ARGS: {name} has its own setting; use ROBO_EVAL_FREQ"


def test_a_dataset_revision_pins_the_hub_dataset_and_only_a_hub_one():
    args = plan.lerobot_args(_config(dataset_revision="a" * 40), dataset=Dataset(repo_id="lab/pick"), checkpoint=None)
    assert args[-1] == f"--dataset.revision={'a' * 40}"
    with pytest.raises(ConfigError) as raised:
        plan.check(_config(dataset_revision="a" * 40, dataset_dirs=("/mnt/data",)))
    assert str(raised.value) == "ROBO_DATASET_REVISION: pins a Hub dataset; this one is local, blob or mounted data"


def test_the_dataset_digest_covers_names_and_contents_in_path_order(tmp_path):
    from training.lerobot.dataset import tree_sha256

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.parquet").write_bytes(b"1")
    (tmp_path / "meta.json").write_bytes(b"2")
    first = tree_sha256(tmp_path)
    assert tree_sha256(tmp_path) == first
    (tmp_path / "a" / "x.parquet").write_bytes(b"3")
    assert tree_sha256(tmp_path) != first

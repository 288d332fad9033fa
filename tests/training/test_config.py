"""The rules training/config.py holds once for the trainer and the CLI: rank 0, checkpoint URIs, Isaac Lab ids."""

from __future__ import annotations

import pytest

from training.config import ConfigError, checkpoint_uri_problem, from_env, is_isaaclab_task, is_rank_zero

NOT_A_URI = "not a checkpoint URI; use runs:/<run id>/<path> (on Azure ML the run id is the job name), models:/<name>/<version>, models:/<name>@<alias> or a path"
RUN_ID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("environ", "rank_zero"),
    [
        ({}, True),  # one process, no launcher
        ({"RANK": "0"}, True),
        ({"RANK": "3"}, False),
        ({"LOCAL_RANK": "0"}, True),
        ({"LOCAL_RANK": "1"}, False),  # a launcher that sets only LOCAL_RANK
        ({"RANK": "0", "LOCAL_RANK": "1"}, True),  # the global rank wins
        ({"RANK": "4", "LOCAL_RANK": "0"}, False),  # local rank 0 of the second node is not rank 0
        ({"RANK": "", "LOCAL_RANK": "2"}, False),  # an empty RANK is unset
        ({"RANK": " 0 "}, True),
        ({"RANK": "", "LOCAL_RANK": ""}, True),
    ],
)
def test_rank_zero_is_rank_else_local_rank_else_a_single_process(environ: dict, rank_zero: bool) -> None:
    assert is_rank_zero(environ) is rank_zero


@pytest.mark.parametrize(
    "uri",
    [
        f"runs:/{RUN_ID}/checkpoints",
        f"runs:/{RUN_ID}/checkpoints/agent_160.pt",
        "runs:/sharp_tail_4ks8v1/checkpoints/agent_1000.pt",  # an Azure ML job name is its MLflow run id
        f"runs:/{RUN_ID.upper()}/agent.pt",
        "models:/cartpole-v1/3",
        "models:/cartpole-v1@champion",
        "models:/cartpole-v1/latest",
        "mlflow-artifacts:/1/r/artifacts/agent.pt",
        "azureml://subscriptions/s/workspaces/w/datastores/d/paths/agent.pt",
        "wasbs://container@account.blob.core.windows.net/m/agent.pt",
        "https://mlflow.example.com/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/agent.pt",
        "file:///data/agent.pt",
        "/data/agent.pt",
        "./agent.pt",
        "../runs/agent.pt",
        "/data/my runs/agent 160.pt",  # a path may hold spaces
    ],
)
def test_every_checkpoint_uri_form_is_accepted(uri: str) -> None:
    assert checkpoint_uri_problem(uri) is None


@pytest.mark.parametrize(
    "uri",
    [
        "runs:/-abc/agent.pt",  # a run id starts with a letter or digit
        "runs:/a.b/agent.pt",  # and has only letters, digits, '_' and '-'
        f"runs:/{RUN_ID}/",
        f"runs:/{RUN_ID}/a b",  # spaces only inside a path
        "models:/cartpole",  # no version or alias
        "models:/cartpole/v3",
        "https://host/a b.pt",
        "agent.pt",  # relative paths start with ./ or ../
        "/",
        "/ agent.pt",
        "/data/agent.pt ",
        "/data/{{output}}/agent.pt",  # braces are the backends' substitution syntax
        "${{inputs.checkpoint}}",
        "/data/agent.pt\n",
        "ftp://host/agent.pt",
    ],
)
def test_anything_else_is_refused_with_the_forms_to_use(uri: str) -> None:
    assert checkpoint_uri_problem(uri) == NOT_A_URI


def test_the_trainer_refuses_a_bad_uri_naming_its_variable() -> None:
    environ = {"ROBO_CHECKPOINT_MODE": "resume", "ROBO_CHECKPOINT_URI": "runs:/a.b/agent.pt"}
    with pytest.raises(ConfigError) as raised:
        from_env("rl", environ)
    assert str(raised.value) == f"ROBO_CHECKPOINT_URI: {NOT_A_URI}"


@pytest.mark.parametrize(
    ("task", "isaaclab"),
    [
        ("Isaac-Cartpole-Direct-v0", True),
        ("IsaacContrib-Some-Task-v0", True),
        ("CartPole-v1", False),
        ("isaac-cartpole", False),
        ("Isaac", False),
    ],
)
def test_isaaclab_tasks_are_known_by_their_prefix(task: str, isaaclab: bool) -> None:
    assert is_isaaclab_task(task) is isaaclab


# Every trainer setting is checked before any work (issue 15, item 14): one line naming the variable.
@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ROBO_TIMESTEP": "5"}, "ROBO_TIMESTEP: not a trainer setting; did you mean ROBO_TIMESTEPS?"),
        ({"ROBO_XYZZY": "1"}, "ROBO_XYZZY: not a trainer setting; see python -m training rl --help"),
        ({"ROBO_NUM_ENVS": "100000000"}, "ROBO_NUM_ENVS: must be at most 65536 (got 100000000)"),
        ({"ROBO_SEED": "-1"}, "ROBO_SEED: must be a whole number from 0 to 4294967295 (numpy's seed range)"),
        ({"ROBO_SEED": str(2**32)}, "ROBO_SEED: must be a whole number from 0 to 4294967295 (numpy's seed range)"),
        ({"ROBO_METRICS_FLUSH_TIMEOUT": "inf"}, "ROBO_METRICS_FLUSH_TIMEOUT: must be a finite number above 0"),
        ({"ROBO_METRICS_FLUSH_TIMEOUT": "nan"}, "ROBO_METRICS_FLUSH_TIMEOUT: must be a finite number above 0"),
        (
            {"ROBO_PHYSICS": "newton_mjwarp"},
            "ROBO_PHYSICS: presets are for Isaac Lab tasks (Isaac-, IsaacContrib-...); CartPole-v1 has none; drop it",
        ),
        (
            {"ROBO_HEADLESS": "false"},
            "ROBO_HEADLESS: a window (--gui) is for Isaac Lab tasks; CartPole-v1 trains without one; drop it",
        ),
        ({"ROBO_OUTPUT_DIR": ""}, "ROBO_OUTPUT_DIR: must not be empty"),
        ({"ROBO_OUTPUT_DIR": "  "}, "ROBO_OUTPUT_DIR: must not be empty"),
        ({"ROBO_JOB_NAME": "a\nb"}, "ROBO_JOB_NAME: must not contain a newline or another control character"),
        ({"ROBO_EXPERIMENT_NAME": "x\r"}, "ROBO_EXPERIMENT_NAME: must not contain a newline or another control character"),
        ({"ROBO_REGISTER_MODEL": "m\x1b[31m"}, "ROBO_REGISTER_MODEL: must not contain a newline or another control character"),
    ],
)
def test_a_setting_the_trainer_cannot_use_is_refused_on_one_line(environ: dict, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        from_env("rl", {"ROBO_TASK": "CartPole-v1", **environ})
    assert str(raised.value) == message


def test_the_variables_that_are_not_settings_and_isaaclab_only_settings_on_isaaclab_tasks_pass() -> None:
    environ = {
        "ROBO_TASK": "Isaac-Cartpole-Direct-v0", "ROBO_PHYSICS": "newton_mjwarp", "ROBO_HEADLESS": "false",
        "ROBO_WANDB_KEY_SECRET_NAME": "k", "ROBO_LEROBOT_PYTHON": "/p", "ROBO_NUM_ENVS": "65536",
        "ROBO_SEED": "4294967295", "ROBO_STEPS": "5",  # a LeRobot setting in the same environment is no typo
    }  # fmt: skip
    config = from_env("rl", environ)
    assert (config.num_envs, config.seed, config.headless) == (65536, 2**32 - 1, False)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seed"], "argument --seed: expected one argument; see python -m training rl --help"),
        (["--timestep", "4"], "unknown argument '--timestep'; did you mean --timesteps?"),
        (["--num-envs", "0"], "--num-envs: must be a whole number of at least 1"),
    ],
)
def test_the_trainers_own_flags_fail_on_one_line(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        from_env("rl", {}, argv)
    assert str(raised.value) == message


# The evaluate kind (issue 16): settings, the round trip through the environment, and one-line refusals.
def test_an_evaluation_reads_its_settings_and_writes_them_back_the_same() -> None:
    from training.config import EvalConfig, to_env

    environ = {
        "ROBO_MODEL_URI": "models:/cartpole-v1@champion",
        "ROBO_GATE": "mean_return >= 450, std_return<2.5,mean_return>@champion",
        "ROBO_HELDOUT_EPISODES": "[3, 4]",
        "ROBO_CORRELATION_ID": "gh-123-1",
        "ROBO_EXPORT": "ONNX",
    }
    config = from_env("evaluate", environ, ["--promote", "champion", "--episodes", "5"])
    assert isinstance(config, EvalConfig)
    assert config.gate == ("mean_return>=450", "std_return<2.5", "mean_return>@champion")
    assert (config.promote, config.episodes, config.export, config.heldout_episodes) == ("champion", 5, "onnx", (3, 4))
    assert (config.task, config.rl_library, config.algorithm) == (None, None, None)  # from the version's tags
    assert from_env("evaluate", to_env(config)) == config


def test_every_kind_takes_a_correlation_id() -> None:
    for kind, base in (("rl", {}), ("lerobot", {}), ("evaluate", {"ROBO_MODEL_URI": "models:/m/1"})):
        assert from_env(kind, {**base, "ROBO_CORRELATION_ID": "run-7/attempt-1"}).correlation_id == "run-7/attempt-1"


EVAL = {"ROBO_MODEL_URI": "models:/m/1"}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ROBO_MODEL_URI": ""}, "ROBO_MODEL_URI: must not be empty"),
        ({"ROBO_MODEL_URI": "cartpole v1"}, "ROBO_MODEL_URI: not a model URI; use models:/<name>/<version>, "
         "models:/<name>@<alias>, runs:/<run id>/<path> or a path"),
        ({**EVAL, "ROBO_GATE": "reward>=1"}, "ROBO_GATE: 'reward' is not a metric the evaluation produces; "
         "accepted: mean_return, std_return, min_return, max_return, mean_episode_length, success_rate, "
         "action_mse, action_mae"),
        ({**EVAL, "ROBO_PROMOTE": "latest"}, "ROBO_PROMOTE: must be letters, digits, _ or - (MLflow reserves latest "
         "and v<number>)"),
        ({**EVAL, "ROBO_PROMOTE": "v2"}, "ROBO_PROMOTE: must be letters, digits, _ or - (MLflow reserves latest "
         "and v<number>)"),
        ({**EVAL, "ROBO_PROMOTE": "a b"}, "ROBO_PROMOTE: must be letters, digits, _ or - (MLflow reserves latest "
         "and v<number>)"),
        ({**EVAL, "ROBO_EXPORT": "tflite"}, "ROBO_EXPORT: accepted values: onnx, torchscript"),
        ({**EVAL, "ROBO_EPISODES": "0"}, "ROBO_EPISODES: must be a whole number of at least 1"),
        ({**EVAL, "ROBO_HELDOUT_EPISODES": "1,x"}, "ROBO_HELDOUT_EPISODES: expected episode indices (whole numbers "
         ">= 0), e.g. 40,41,42 or [40, 41]"),
        ({**EVAL, "ROBO_VIDEO_EPISODES": "11"}, "ROBO_VIDEO_EPISODES: 11 is more than the 10 episodes evaluated"),
        ({**EVAL, "ROBO_MLFLOW": "false", "ROBO_PROMOTE": "champion"}, "ROBO_PROMOTE: needs MLflow (the alias lives "
         "in the model registry); drop it or turn MLflow on"),
        ({**EVAL, "ROBO_MLFLOW": "false", "ROBO_GATE": "mean_return>@champion"}, "ROBO_GATE: needs MLflow (the alias "
         "lives in the model registry); drop it or turn MLflow on"),
        ({**EVAL, "ROBO_TASK": "CartPole-v1", "ROBO_PHYSICS": "newton"}, "ROBO_PHYSICS: presets are for Isaac Lab "
         "tasks; CartPole-v1 has none; drop it"),
        ({**EVAL, "ROBO_CORRELATION_ID": "${{ github.run_id }}"}, "ROBO_CORRELATION_ID: must be 1 to 128 letters, "
         "digits or ._:/@+=- characters, starting with a letter or digit"),
    ],
)  # fmt: skip
def test_an_evaluation_setting_it_cannot_use_is_refused_on_one_line(environ: dict, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        from_env("evaluate", environ)
    assert str(raised.value) == message

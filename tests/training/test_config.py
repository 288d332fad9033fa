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

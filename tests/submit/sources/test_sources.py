"""Value resolution: flag > environment > submit.toml profile > .azureml/config.json > Terraform outputs.

Terraform is a `terraform` executable written by the test onto PATH: it records every call and
prints `terraform output -json` in Terraform's own shape, with one sensitive output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from submit import sources as resolve
from submit.sources import terraform

SECRET = "InstrumentationKey=00000000-secret-value"
TF_SUBSCRIPTION = "22222222-3333-4444-8555-666666666666"
OUTPUTS = {
    "resource_group": {
        "sensitive": False,
        "type": ["object", {}],
        "value": {"name": "rg-tf", "id": f"/subscriptions/{TF_SUBSCRIPTION}/resourceGroups/rg-tf"},
    },
    "azureml_workspace": {"sensitive": False, "type": ["object", {}], "value": {"name": "ws-tf", "id": "x"}},
    "aks_cluster": {
        "sensitive": False,
        "type": ["object", {}],
        "value": {"name": "aks-robotics-dev-001", "id": "y"},
    },
    "key_vault_name": {"sensitive": False, "type": "string", "value": "kv-robots"},
    "appinsights_connection_string": {"sensitive": True, "type": "string", "value": SECRET},
    "storage_account": {"sensitive": True, "type": ["object", {}], "value": {"name": "sensitive-account"}},
}
STUB = """#!{python}
import json, os, sys
from pathlib import Path
with open({log!r}, "a") as log:
    call = {{"argv": sys.argv[1:], "cwd": os.getcwd(), "env_has_secret": {secret!r} in str(os.environ)}}
    log.write(json.dumps(call) + "\\n")
sys.stdout.write({outputs!r})
sys.exit({code})
"""


class Terraform:
    def __init__(self, folder: Path, code: int = 0) -> None:
        self.bin = folder / "tf-bin"
        self.dir = folder / "iac"
        self.log = folder / "terraform-calls.jsonl"
        self.bin.mkdir()
        self.dir.mkdir()
        script = self.bin / "terraform"
        script.write_text(
            STUB.format(
                python=sys.executable,
                log=str(self.log),
                secret=SECRET,
                outputs=json.dumps(OUTPUTS),
                code=code,
            )
        )
        script.chmod(0o755)

    @property
    def env(self) -> dict[str, str]:
        return {"PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}"}

    def calls(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []


@pytest.fixture
def tf(tmp_path):
    return Terraform(tmp_path)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty working directory (a project), with the user config directory inside tmp_path."""
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def _show(run_cli, *args: str, env: dict[str, str] | None = None) -> dict:
    result = run_cli("config", "show", *args, "--output-format", "json", env=env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _user_profile(text: str) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "robo-submit" / "submit.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _chdir(run_cli, folder):
    """run_cli starts in the repository; these tests run in their own project folder."""

    def invoke(*args, env=None):
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            return run_cli(*args, env=env)
        finally:
            os.chdir(cwd)

    return invoke


@pytest.fixture
def cli(run_cli, project):
    return _chdir(run_cli, project)


def test_each_layer_gives_way_to_the_one_above(cli, project, tf):
    """Remove the strongest layer, one at a time, and watch the next one take over."""
    (project / ".azureml").mkdir()
    (project / ".azureml" / "config.json").write_text(json.dumps({"workspace_name": "ws-config"}))
    user = _user_profile('[default]\nworkspace_name = "ws-user-default"\n')
    (project / "submit.toml").write_text(
        '[default]\nworkspace_name = "ws-default"\n[profile.gpu]\nworkspace_name = "ws-gpu"\n'
    )
    layers = [
        (
            ["--workspace-name", "ws-flag"],
            {"AZUREML_WORKSPACE_NAME": "ws-env"},
            "ws-flag",
            "flag --workspace-name",
        ),
        ([], {"AZUREML_WORKSPACE_NAME": "ws-env"}, "ws-env", "env AZUREML_WORKSPACE_NAME"),
        (["--profile", "gpu"], {}, "ws-gpu", "profile gpu (./submit.toml)"),
        ([], {}, "ws-default", "profile default (./submit.toml)"),
    ]
    for args, env, value, source in layers:
        shown = _show(cli, *args, "--terraform-dir", str(tf.dir), env={**tf.env, **env})
        assert shown["workspace_name"] == {"value": value, "source": source}
    (project / "submit.toml").unlink()
    assert _show(cli)["workspace_name"] == {"value": "ws-user-default", "source": f"profile default ({user})"}
    user.unlink()
    assert _show(cli)["workspace_name"] == {"value": "ws-config", "source": "./.azureml/config.json"}
    (project / ".azureml" / "config.json").unlink()
    shown = _show(cli, "--terraform-dir", str(tf.dir), env=tf.env)
    assert shown["workspace_name"] == {"value": "ws-tf", "source": f"terraform output ({tf.dir})"}
    assert _show(cli)["workspace_name"] == {"value": None, "source": "not set"}


def test_a_named_profile_wins_over_the_project_default_and_the_user_default_fills_gaps(cli, project):
    _user_profile(
        '[default]\ncompute = "user-cpu"\nresource_group = "rg-user"\n[profile.gpu]\ncompute = "user-gpu"\n'
    )
    (project / "submit.toml").write_text('[default]\ncompute = "project-cpu"\n')
    assert _show(cli)["compute"]["value"] == "project-cpu"
    shown = _show(cli, "--profile", "gpu")
    assert shown["compute"]["value"] == "user-gpu"
    assert shown["resource_group"]["value"] == "rg-user"


def test_config_show_text_lists_each_value_with_its_source(cli, project):
    (project / "submit.toml").write_text('[default]\npool = "h100"\nnum_envs = 512\n')
    result = cli("config", "show", "--compute", "gpu-a100", env={"AZURE_RESOURCE_GROUP": "rg-env"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "resource_group       rg-env  (env AZURE_RESOURCE_GROUP)" in lines
    assert "compute              gpu-a100  (flag --compute)" in lines
    assert "pool                 h100  (profile default (./submit.toml))" in lines
    assert "num_envs             512  (profile default (./submit.toml))" in lines
    assert "subscription_id      -  (not set)" in lines


def test_azureml_config_json_is_found_from_a_subdirectory(run_cli, project):
    (project / ".azureml").mkdir()
    config = {"subscription_id": TF_SUBSCRIPTION, "resource_group": "rg-json", "workspace_name": "ws-json"}
    (project / ".azureml" / "config.json").write_text(json.dumps(config))
    deep = project / "src" / "deep"
    deep.mkdir(parents=True)
    shown = _show(_chdir(run_cli, deep))
    assert {name: shown[name]["value"] for name in config} == config
    assert shown["resource_group"]["source"] == str(project / ".azureml" / "config.json")


def test_profile_values_reach_the_rendered_spec(cli, project):
    (project / "submit.toml").write_text('[default]\ncompute = "gpu-a100"\nnum-envs = 256\n')
    result = cli("azureml", "training", "--dry-run")
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    assert spec["compute"] == "azureml:gpu-a100"
    assert spec["environment_variables"]["ROBO_NUM_ENVS"] == "256"


@pytest.mark.parametrize(
    ("toml", "args", "expected"),
    [
        ('[default]\ncomput = "x"\n', (), "./submit.toml: unknown setting 'comput'; did you mean 'compute'?"),
        (
            "[default]\ncompute = \n",
            (),
            "./submit.toml: not valid TOML: Invalid value (at line 2, column 11)",
        ),
        (
            '[defaults]\ncompute = "x"\n',
            (),
            "./submit.toml: unknown table [defaults]; use [default] or [profile.NAME]",
        ),
        (
            '[profile.gpu]\ncompute = "x"\n',
            ("--profile", "cpu"),
            "--profile: no profile 'cpu' in ./submit.toml (profiles: gpu)",
        ),
        (
            '[default]\nnum_envs = "many"\n',
            (),
            "--num-envs: 'many' is not a valid integer (from profile default (./submit.toml))",
        ),
    ],
    ids=["misspelt-key", "bad-toml", "unknown-table", "unknown-profile", "bad-value"],
)
def test_a_bad_profile_is_bad_input_on_one_line_and_nothing_is_written(cli, project, toml, args, expected):
    (project / "submit.toml").write_text(toml)
    target = project / "job.yaml"
    result = cli("azureml", "training", "--dry-run", "-o", str(target), *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"submit: error: {expected}\n"
    assert not target.exists()


def _no_child_processes(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError(f"a child process was started: {args[0] if args else kwargs}")

    monkeypatch.setattr(subprocess, "Popen", refuse)


def test_help_never_runs_terraform_nor_reads_a_broken_profile(cli, project, tf, monkeypatch):
    _no_child_processes(monkeypatch)
    (project / "submit.toml").write_text("[default]\ncompute = \n")
    env = {**tf.env, "SUBMIT_TERRAFORM_DIR": str(tf.dir), "SUBMIT_PROFILE": "gpu"}
    for args in (
        ("azureml", "training", "--help"),
        ("config", "show", "--help"),
        ("osmo", "training", "--help"),
    ):
        result = cli(*args, env=env)
        assert result.exit_code == 0, result.stderr
        assert "Example" in result.stdout
    assert tf.calls() == []


def test_a_fully_specified_dry_run_runs_no_terraform(cli, tf, monkeypatch):
    _no_child_processes(monkeypatch)
    args = (
        "--compute",
        "gpu-a100",
        "--key-vault-uri",
        "https://kv-robots.vault.azure.net/",
        "--terraform-dir",
        str(tf.dir),
    )
    result = cli("azureml", "training", "--dry-run", *args, env=tf.env)
    assert result.exit_code == 0, result.stderr
    assert tf.calls() == []  # workspace coordinates are not needed to render a spec


def test_a_dry_run_missing_a_value_reads_terraform_once_and_never_a_sensitive_output(cli, tf):
    result = cli("azureml", "training", "--dry-run", "--terraform-dir", str(tf.dir), env=tf.env)
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    assert spec["compute"] == "azureml:k8s-robotics-dev"  # k8s-<12 characters of the AKS name after aks->
    assert spec["environment_variables"]["ROBO_KEY_VAULT_URI"] == "https://kv-robots.vault.azure.net/"
    calls = tf.calls()
    assert [(call["argv"], Path(call["cwd"])) for call in calls] == [(["output", "-json"], tf.dir)]
    assert not calls[0]["env_has_secret"]
    assert SECRET not in result.stdout + result.stderr
    assert SECRET not in str(os.environ)


def test_terraform_values_keep_only_non_sensitive_outputs(tf, monkeypatch):
    monkeypatch.setenv("PATH", tf.env["PATH"])
    found = {name: value.value for name, value in terraform.values(tf.dir).items()}
    assert found == {
        "resource_group": "rg-tf",
        "subscription_id": TF_SUBSCRIPTION,
        "workspace_name": "ws-tf",
        "compute": "k8s-robotics-dev",
        "key_vault_uri": "https://kv-robots.vault.azure.net/",
    }  # the storage account output is marked sensitive, so it is not used either
    assert SECRET not in str(terraform.read_outputs(tf.dir))


def test_a_submission_takes_the_workspace_from_terraform(cli, tf):
    """config show asks for everything; the workspace coordinates come from the outputs."""
    shown = _show(cli, "--terraform-dir", str(tf.dir), env=tf.env)
    assert {name: shown[name]["value"] for name in resolve.WORKSPACE_KEYS} == {
        "subscription_id": TF_SUBSCRIPTION,
        "resource_group": "rg-tf",
        "workspace_name": "ws-tf",
    }
    assert len(tf.calls()) == 1


def test_terraform_failures_are_errors_naming_the_directory(cli, tmp_path):
    (tmp_path / "broken").mkdir()
    broken = Terraform(tmp_path / "broken", code=1)
    result = cli("azureml", "training", "--dry-run", "--terraform-dir", str(broken.dir), env=broken.env)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"submit: error: --terraform-dir: terraform output in {broken.dir} failed (exit 1)"
    )
    nowhere = tmp_path / "no-bin"
    nowhere.mkdir()
    missing = cli(
        "azureml", "training", "--dry-run", "--terraform-dir", str(broken.dir), env={"PATH": str(nowhere)}
    )
    assert missing.exit_code == 1
    assert missing.stderr == (
        "submit: error: --terraform-dir: terraform is not on PATH; install it, "
        f"or give the missing values as flags instead of {broken.dir}\n"
    )


def test_config_show_reports_a_job_value_from_the_environment_over_the_profile(cli, project):
    (project / "submit.toml").write_text('[default]\ntask = "CartPole-v1"\nnum_envs = 8\n')
    rows = _show(cli, env={"TASK": "Isaac-Cartpole-Direct"})
    assert rows["task"] == {"value": "Isaac-Cartpole-Direct", "source": "env TASK"}  # what the job would use
    assert rows["num_envs"] == {"value": 8, "source": "profile default (./submit.toml)"}


@pytest.mark.parametrize(("toml", "entry"), [('"Reward"', "Reward"), ("5", "5")], ids=["string", "number"])
def test_a_repeatable_setting_given_once_in_a_profile_is_one_entry(cli, project, toml, entry):
    (project / "submit.toml").write_text(f"[default]\nmetric_filter = {toml}\n")
    result = cli("osmo", "training", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert f"ROBO_METRIC_FILTER: '[\"{entry}\"]'" in result.stdout


def test_config_show_takes_no_variable_that_only_some_job_commands_read(cli, project):
    (project / "submit.toml").write_text('[default]\nexperiment_name = "from-profile"\n')
    rows = _show(cli, env={"EXPERIMENT_NAME": "from-env"})  # read by OSMO LeRobot only
    assert rows["experiment_name"] == {"value": "from-profile", "source": "profile default (./submit.toml)"}


JOB_COMMANDS = [("azureml", "training", "--dry-run", "--compute", "gpu"), ("osmo", "training", "--dry-run")]
WRONG_TYPES = [
    (
        "[default]\nnum_envs = 2.9\n",
        (),
        "--num-envs: must be an integer, not a float (from profile default (./submit.toml))",
    ),
    (
        "[default]\nnum_envs = true\n",
        (),
        "--num-envs: must be an integer, not a boolean (from profile default (./submit.toml))",
    ),
    (
        "[default]\nheadless = 0\n",
        (),
        "--headless: must be true or false, not an integer (from profile default (./submit.toml))",
    ),
    (
        "[default]\nnum_envs = [1, 2]\n",
        (),
        "--num-envs: must be an integer, not an array (from profile default (./submit.toml))",
    ),
    (
        "[default]\nnum_envs = 1979-05-27T07:32:00Z\n",
        (),
        "--num-envs: must be an integer, not a date/time (from profile default (./submit.toml))",
    ),
    (
        "[default]\ntask = 1979-05-27\n",
        (),
        "--task: must be a string, not a date/time (from profile default (./submit.toml))",
    ),
    (
        '[default]\nmetric_filter = ["reward", 5]\n',
        (),
        "--metric-filter: must be a string or a list of strings, not an array holding an integer "
        "(from profile default (./submit.toml))",
    ),
    (
        "[profile.gpu]\nnum_envs = 2.9\n",
        ("--profile", "gpu"),
        "--num-envs: must be an integer, not a float (from profile gpu (./submit.toml))",
    ),
]


@pytest.mark.parametrize("command", JOB_COMMANDS, ids=["azureml", "osmo"])
@pytest.mark.parametrize(
    ("toml", "args", "expected"),
    WRONG_TYPES,
    ids=[
        "float-for-int",
        "bool-for-int",
        "int-for-bool",
        "array-for-int",
        "datetime-for-int",
        "date-for-string",
        "number-in-repeatable",
        "named-profile",
    ],
)
def test_a_profile_value_of_the_wrong_toml_type_is_refused_not_coerced(
    cli, project, command, toml, args, expected
):
    """Click alone turned 2.9 into 2 and true into 1, and crashed on 0 for a switch, an array or a date."""
    (project / "submit.toml").write_text(toml)
    target = project / "job.yaml"
    result = cli(*command, "-o", str(target), *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"submit: error: {expected}\n")
    assert not target.exists()


def test_profile_values_of_the_right_toml_type_still_reach_the_spec(cli, project):
    (project / "submit.toml").write_text(
        '[default]\nnum_envs = 64\nheadless = false\nmetric_filter = ["a", "b"]\nnum_nodes = 1\n'
    )
    result = cli("osmo", "training", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "ROBO_NUM_ENVS: '64'" in result.stdout
    assert "ROBO_HEADLESS: 'false'" in result.stdout
    assert 'ROBO_METRIC_FILTER: \'["a", "b"]\'' in result.stdout


@pytest.mark.parametrize("output_format", ["text", "json"])
@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("task = 1979-05-27T07:32:00Z", "--task: must be a string, not a date/time"),  # a job setting
        (
            "compute = 1979-05-27",
            "--compute: must be a string, not a date/time",
        ),  # one of config show's flags
    ],
    ids=["job-setting", "own-flag"],
)
def test_config_show_refuses_a_date_in_a_profile_as_a_job_would(cli, project, toml, expected, output_format):
    """The JSON output crashed on a TOML datetime; the text output printed it."""
    (project / "submit.toml").write_text(f"[default]\n{toml}\n")
    result = cli("config", "show", "--output-format", output_format)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: {expected} (from profile default (./submit.toml))\n"


SAS_URI = "https://acct.blob.core.windows.net/c/model.pt?sv=2022&sig=SECRETSIG123"
SECRET_PROFILE = f"""[default]
checkpoint_uri = "{SAS_URI}"
output_url = "https://acct.blob.core.windows.net/out?sig=SECRETOUT"
mlflow_tracking_uri = "https://user:PASSWORD1@mlflow.example.com"
"""


@pytest.mark.parametrize("output_format", ["text", "json"])
@pytest.mark.parametrize(
    ("env", "checkpoint_uri"),
    [
        ({}, "https://acct.blob.core.windows.net/c/model.pt?***"),
        (
            {"CHECKPOINT_URI": "https://env.blob.core.windows.net/c/m.pt?sig=SECRETENV#SECRETFRAG"},
            "https://env.blob.core.windows.net/c/m.pt?***#***",
        ),
    ],
    ids=["profile", "environment"],
)
def test_config_show_masks_credentials_but_still_names_the_url(
    cli, project, env, checkpoint_uri, output_format
):
    (project / "submit.toml").write_text(SECRET_PROFILE)
    result = cli("config", "show", "--output-format", output_format, env=env)
    assert result.exit_code == 0, result.stderr
    for secret in ("SECRETSIG123", "sv=2022", "SECRETOUT", "PASSWORD1", "SECRETENV", "SECRETFRAG"):
        assert secret not in result.stdout + result.stderr
    expected = {
        "checkpoint_uri": checkpoint_uri,
        "output_url": "https://acct.blob.core.windows.net/out?***",
        "mlflow_tracking_uri": "https://user:***@mlflow.example.com",
    }
    if output_format == "json":
        rows = json.loads(result.stdout)
        assert {name: rows[name]["value"] for name in expected} == expected
    else:
        shown = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()}
        assert {name: shown[name] for name in expected} == expected

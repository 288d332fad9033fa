"""The error boundary: bad input exits 2 with one line on stderr naming the flag (or argument) and what is
accepted, nothing on stdout and nothing written; any other failure is one line with exit 1, never a traceback.

Azure ML's network is replaced at its one seam (`submit.backends.azureml.client.connection`, as in
backends/azureml/test_client.py) and OSMO's at the `osmo` executable (tests/submit/fake_osmo.py).
"""

from __future__ import annotations

import os
import textwrap

import pytest
import yaml

from submit.backends.azureml import client as backend
from tests.submit import fake_osmo
from tests.submit.fake_azure import WORKSPACE_FLAGS, FakeAzureML, FakeCredential, Workspace
from tests.submit.golden_cases import RUN_ID

CASES = {
    "unknown checkpoint mode": (["-M", "from-trained"], "--checkpoint-mode: 'from-trained' is not one of 'from-scratch', 'warm-start', 'resume', 'fresh'"),
    "resume without uri": (["-M", "resume"], "--checkpoint-uri: checkpoint mode resume needs --checkpoint-uri"),
    "warm-start without uri": (["-M", "warm-start"], "--checkpoint-uri: checkpoint mode warm-start needs --checkpoint-uri"),
    "uri with from-scratch": (
        ["-c", "models:/cartpole/3"],
        "--checkpoint-uri: a checkpoint URI was given with mode from-scratch; use warm-start or resume, or drop the URI",
    ),
    "uri with fresh": (
        ["-M", "fresh", "-c", "models:/cartpole/3"],
        "--checkpoint-uri: a checkpoint URI was given with mode fresh; use warm-start or resume, or drop the URI",
    ),
    "malformed runs uri": (
        ["-M", "resume", "-c", "runs:/not-a-run-id"],
        "--checkpoint-uri: not a checkpoint URI; use runs:/<run id>/<path> (on Azure ML the run id is the job name), models:/<name>/<version>, models:/<name>@<alias> or a path",
    ),
    "malformed models uri": (
        ["-M", "warm-start", "-c", "models:cartpole"],
        "--checkpoint-uri: not a checkpoint URI; use runs:/<run id>/<path> (on Azure ML the run id is the job name), models:/<name>/<version>, models:/<name>@<alias> or a path",
    ),
    "zero envs": (["-n", "0"], "--num-envs: must be greater than or equal to 1"),
    "negative iterations": (["-m", "-5"], "--max-iterations: must be greater than or equal to 1"),
    "zero nodes": (["--num-nodes", "0"], "--num-nodes: must be greater than or equal to 1"),
    "non-integer envs": (["-n", "many"], "--num-envs: 'many' is not a valid integer"),
    "job name with space": (
        ["--job-name", "my job"],
        "--job-name: must start with a letter or digit and use only letters, digits, '-' and '_' (at most 255)",
    ),
    "experiment name with slash": (
        ["--experiment-name", "team/exp"],
        "--experiment-name: must start with a letter or digit and use only letters, digits, '-' and '_' (at most 255)",
    ),
    "compute with punctuation": (["--compute", "gpu a100!!"], "--compute: must be 2-32 characters: a letter, then letters, digits or '-'"),
    "model name with space": (
        ["-r", "my model"],
        "--register-checkpoint: must start with a letter or digit and use only letters, digits, '.', '-' and '_'",
    ),
    "environment version without name": (["--environment-version", "3"], "--environment-name: --environment-version needs --environment-name"),
    "bad log interval": (["--mlflow-log-interval", "often"], "--mlflow-log-interval: accepted values: step, balanced, rollout, or a whole number >= 1"),
    "wandb project without wandb": (["--wandb-project", "robots"], "--wandb: --wandb-project/--wandb-entity need --wandb"),
    "display name with a binding": (
        ["--display-name", "x ${{inputs.secret}}"],
        "--display-name: must not contain '{{' or '}}' (job systems read them as bindings)",
    ),
    "bad subscription": (["--subscription-id", "not-a-guid"], "--subscription-id: must be a GUID"),
    "bad image": (["-i", "Not An Image"], "--image: must be an image reference such as registry.example.com/team/image:tag"),
    "unknown flag": (["--num-env", "3"], "No such option '--num-env'. (Did you mean one of: '--num-envs', '--num-nodes'?)"),
    "stray argument": (
        ["extra"],
        "unexpected arguments after the flags (not shown); nothing is passed through to az or osmo: "
        "write the spec with --dry-run -o FILE, edit it, and submit it (az ml job create -f, osmo workflow submit)",
    ),
    "pass-through after --": (
        ["--", "--set", "environment_variables.TOKEN=canary-secret"],
        "unexpected arguments after the flags (not shown); nothing is passed through to az or osmo: "
        "write the spec with --dry-run -o FILE, edit it, and submit it (az ml job create -f, osmo workflow submit)",
    ),
    "wandb without a vault": (
        ["--wandb"],
        "--key-vault-uri: needed by --wandb on Azure ML (the job reads its W&B key from the vault's secret wandb-api-key)",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_exits_2_with_one_line_naming_the_flag_and_writes_nothing(run_cli, tmp_path, name):
    args, expected = CASES[name]
    target = tmp_path / "job.yaml"
    result = run_cli("azureml", "training", *args, "--dry-run", "-o", str(target))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"submit: error: {expected}\n"
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_lerobot_push_to_hub_without_a_vault_is_refused_naming_the_vault_flag(run_cli, tmp_path):
    target = tmp_path / "job.yaml"
    args = ["-d", "lerobot/pusht", "--push-to-hub", "--policy-repo-id", "me/pol", "--dry-run", "-o", str(target)]
    result = run_cli("azureml", "lerobot-training", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "submit: error: --key-vault-uri: needed by --push-to-hub on Azure ML "
        "(the job reads its Hugging Face token from the vault's secret hf-token)\n"
    )
    assert not target.exists()
    with_vault = run_cli("azureml", "lerobot-training", *args, "--key-vault-uri", "https://robo-kv.vault.azure.net")
    assert with_vault.exit_code == 0, with_vault.stderr


# LeRobot jobs on both backends: (backend, args, the one line).
LEROBOT_CASES = {
    "no gpus azureml": ("azureml", ["--gpus", "0"], "--gpus: LeRobot needs at least 1 GPU (training process)"),
    "no gpus osmo": ("osmo", ["--gpu", "0"], "--gpus: LeRobot needs at least 1 GPU (training process)"),
    "negative gpus": ("osmo", ["--num-gpus", "-1"], "--gpus: must be greater than or equal to 0"),
    "bad mixed precision azureml": (
        "azureml", ["--mixed-precision", "fp8"], "--mixed-precision: 'fp8' is not one of 'no', 'fp16', 'bf16'",
    ),
    "bad mixed precision osmo": (
        "osmo", ["--mixed-precision", "FP16"], "--mixed-precision: 'FP16' is not one of 'no', 'fp16', 'bf16'",
    ),
    "unversioned asset": (
        "azureml", ["--dataset-asset", "azureml:pick"],
        "--dataset-asset: azureml:pick has no version; pin one (azureml:NAME:VERSION): latest would change what a rerun uses",
    ),
    "latest asset": (
        "azureml", ["--dataset-asset", "azureml:pick@latest"],
        "--dataset-asset: azureml:pick@latest has no version; pin one (azureml:NAME:VERSION): latest would change what a rerun uses",
    ),
    "long-form asset without a version": (
        "azureml", ["--dataset-asset", "azureml://subscriptions/s/resourcegroups/rg/workspaces/ws/data/pick"],
        "--dataset-asset: azureml://subscriptions/s/resourcegroups/rg/workspaces/ws/data/pick is not azureml:NAME:VERSION "
        "or azureml://.../data/NAME/versions/N",
    ),
    "65 assets": (
        "azureml", [arg for i in range(65) for arg in ("--dataset-asset", f"azureml:day{i}:1")],
        "--dataset-asset: at most 64 data assets (got 65)",
    ),
    "unversioned policy model": (
        "azureml", ["--init-from-policy-model", "azureml:act@latest"],
        "--init-from-policy-model: azureml:act@latest has no version; pin one (azureml:NAME:VERSION): latest would change what a rerun uses",
    ),
    "policy model with a checkpoint mode": (
        "azureml", ["--init-from-policy-model", "azureml:act:3", "-M", "resume", "-c", "models:/act/3"],
        "--init-from-policy-model: is a warm start of its own; drop -M/--checkpoint-uri",
    ),
    "revision that is no commit": ("osmo", ["--dataset-revision", "main"], "--dataset-revision: must be a commit hash: 40 lower-case hex characters"),
    "gpu count from the environment": (
        "osmo", [], "--gpus: LeRobot needs at least 1 GPU (training process) (from env OSMO_GPU)",
    ),
}


@pytest.mark.parametrize("name", sorted(LEROBOT_CASES))
def test_bad_lerobot_input_exits_2_with_one_line_naming_the_flag_and_writes_nothing(run_cli, tmp_path, name):
    backend, args, expected = LEROBOT_CASES[name]
    target = tmp_path / "job.yaml"
    env = {"OSMO_GPU": "0"} if name == "gpu count from the environment" else None
    result = run_cli(backend, "lerobot-training", "-d", "lerobot/pusht", *args, "--dry-run", "-o", str(target), env=env)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: {expected}\n"
    assert list(tmp_path.iterdir()) == []


def test_bad_input_from_the_environment_is_reported_against_its_flag(run_cli):
    result = run_cli("azureml", "training", "--dry-run", env={"NUM_ENVS": "0"})
    assert result.exit_code == 2
    assert result.stderr == "submit: error: --num-envs: must be greater than or equal to 1 (from env NUM_ENVS)\n"


def test_valid_resume_uri_is_accepted(run_cli):
    result = run_cli("azureml", "training", "-M", "resume", "-c", f"runs:/{RUN_ID}/checkpoints", "--dry-run")
    assert result.exit_code == 0, result.stderr


def test_checkpoint_mode_is_case_insensitive_like_the_reference(run_cli):
    result = run_cli("azureml", "training", "-M", "Warm-Start", "-c", "models:/cartpole@champion", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "ROBO_CHECKPOINT_MODE: warm-start" in result.stdout


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_learning_rate_that_is_not_a_number_is_called_that(run_cli, value):
    result = run_cli("osmo", "lerobot-training", "-d", "a/b", "--learning-rate", value, "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "submit: error: --learning-rate: must be a finite number\n"


@pytest.mark.parametrize(
    ("flag", "value"), [("--memory", "0Gi"), ("--storage", "0"), ("--exec-timeout", "0m"), ("--queue-timeout", "PT0S")]
)
def test_an_osmo_size_or_timeout_of_zero_is_refused(run_cli, flag, value):
    result = run_cli("osmo", "training", flag, value, "--dry-run")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"submit: error: {flag}: must be above 0\n")


@pytest.mark.parametrize(("flag", "value"), [("--storage", "0.5Gi"), ("--exec-timeout", "90"), ("--exec-timeout", "10m")])
def test_small_osmo_sizes_and_timeouts_are_accepted(run_cli, flag, value):
    assert run_cli("osmo", "training", flag, value, "--dry-run").exit_code == 0


@pytest.mark.parametrize("vault", ["https://robo-kv.vault.azure.net", "https://robo-kv.vault.usgovcloudapi.net/", "https://robo-kv.vault.azure.cn"])
def test_key_vaults_of_every_cloud_are_accepted(run_cli, vault):
    result = run_cli("azureml", "training", "--wandb", "--key-vault-uri", vault, "--dry-run")
    assert result.exit_code == 0, result.stderr


def test_a_key_vault_uri_on_another_domain_is_refused(run_cli):
    result = run_cli("azureml", "training", "--key-vault-uri", "https://robo-kv.example.com", "--dry-run")
    assert result.stderr == (
        "submit: error: --key-vault-uri: must be https://<vault>.vault.azure.net (.azure.cn, .usgovcloudapi.net in other clouds)\n"
    )


# ---- the boundary on every command -------------------------------------------------------------

WORKSPACE_FIX = (
    "needed to reach Azure ML; give the flags, set {envvars}, "
    "add them to a submit.toml profile or .azureml/config.json, or pass --terraform-dir"
)
AZUREML_TRAINING = ("azureml", "training", "-t", "Isaac-Cartpole-Direct", "--compute", "gpu-a100")
OSMO_TRAINING = ("osmo", "training", "-t", "Isaac-Cartpole-Direct", "--pool", "h100", "-i", "robots.azurecr.io/robo/isaaclab:1")

# An OSMO template in the reference's style: `{{ x }}:` as a key is a YAML mapping until Jinja runs.
OSMO_TEMPLATE = """\
workflow:
  name: demo
  tasks:
  - name: train
    image: ubuntu
    command: [echo]
    environment:
      {{ x }}: 1
default-values:
  x: FOO
"""

AZUREML_JOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
command: python train.py
environment: azureml:robo:1
compute: gpu
"""


@pytest.fixture
def azure(monkeypatch):
    """The fake workspace behind the one network seam; records every request."""
    fake = FakeAzureML(Workspace())
    monkeypatch.setattr(backend, "connection", lambda: backend.Connection(FakeCredential(), fake))
    return fake


def _write(tmp_path, text: str, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _in_the_way(tmp_path):
    """An -o path under a regular file: unwritable even for root."""
    blocker = tmp_path / "blocker"
    blocker.write_text("keep", encoding="utf-8")
    return blocker, blocker / "job.yaml"


# ---- 1. missing positional arguments ------------------------------------------------------------

MISSING = {
    "validate": (("validate",), "missing argument FILE"),
    "osmo status": (("osmo", "status"), "missing argument WORKFLOW_ID"),
    "azureml cancel": (("azureml", "cancel"), "missing argument JOB"),
    "completion": (("completion",), "missing argument SHELL; accepted values: bash, zsh, fish"),
}


@pytest.mark.parametrize("name", sorted(MISSING))
def test_a_missing_argument_is_named_on_one_line_with_exit_2(run_cli, name):
    args, expected = MISSING[name]
    result = run_cli(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"submit: error: {expected}\n")


# ---- 2. a group without a subcommand ------------------------------------------------------------


@pytest.mark.parametrize("group", [(), ("azureml",), ("osmo",)], ids=["submit", "azureml", "osmo"])
def test_a_group_without_a_subcommand_prints_its_help_as_click_does_on_stderr_with_exit_2(run_cli, group):
    shown = run_cli(*group, "--help")
    assert shown.exit_code == 0
    assert shown.stdout.startswith("Usage: submit ")
    result = run_cli(*group)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", shown.stdout)


# ---- 3. following an Azure ML job without workspace coordinates --------------------------------


@pytest.mark.parametrize("command", ["status", "logs", "cancel"])
def test_following_an_azure_ml_job_without_a_workspace_names_every_missing_flag(run_cli, azure, command):
    result = run_cli("azureml", command, "sharp_tail_4ks8v1")
    fix = WORKSPACE_FIX.format(envvars="AZURE_SUBSCRIPTION_ID/AZURE_RESOURCE_GROUP/AZUREML_WORKSPACE_NAME")
    expected = f"submit: error: --subscription-id, --resource-group, --workspace-name: {fix}\n"
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", expected)
    assert azure.requests == []


def test_a_partly_given_workspace_names_only_the_missing_flags(run_cli, azure):
    result = run_cli("azureml", "status", "sharp_tail_4ks8v1", "--resource-group", "rg-robots")
    fix = WORKSPACE_FIX.format(envvars="AZURE_SUBSCRIPTION_ID/AZUREML_WORKSPACE_NAME")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: --subscription-id, --workspace-name: {fix}\n"
    assert azure.requests == []


# ---- 4. keys that are not plain values ------------------------------------------------------------


def test_an_osmo_template_checked_as_azure_ml_is_not_valid_for_that_backend(run_cli, tmp_path):
    path = _write(tmp_path, OSMO_TEMPLATE)
    result = run_cli("validate", str(path), "--backend", "azureml")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"submit: error: {path}: not a valid Azure ML spec: key at line 8 is a mapping, not a plain value "
        "(an unquoted {{ ... }} reads as one); it looks like an OSMO workflow: try --backend osmo\n"
    )


@pytest.mark.parametrize(
    ("key", "kind"), [("[a, b]", "list"), ("? !!set {a: null}\n", "set")], ids=["list", "set"]
)
def test_a_key_that_is_a_collection_is_refused_by_the_reader_on_one_line(run_cli, tmp_path, key, kind):
    path = _write(tmp_path, f"command: python train.py\n{key}: 1\n")
    result = run_cli("validate", str(path))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"submit: error: {path}: key at line 2 is a {kind}, not a plain value\n"


def _alias_bomb(levels: int) -> str:
    """An OSMO-looking file of ~60 bytes per level whose aliases stand for 10**levels values."""
    lines = ["workflow:", "  name: w", "  tasks:", "  - name: t", "    image: i", "    command: [python]", "    args:"]
    lines.append("    - &a0 x")
    lines += [f"    - &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Before: depth 6 took 14 s, depth 7 did not end within 30 s (every check walks the expanded data).
        (_alias_bomb(9), "more than 100,000 values once its aliases are expanded; not a job spec"),
        ("a: &x [1, *x]\n", "an alias at line 1 refers to a value that contains it"),
        ("a: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply to be a job spec"),
    ],
    ids=["billion-laughs", "recursive-alias", "deep-nesting"],
)
def test_a_spec_that_would_expand_without_end_is_refused_at_once(run_cli, tmp_path, text, message):
    path = _write(tmp_path, text)
    result = run_cli("validate", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"submit: error: {path}: {message}\n")


def test_aliases_that_stay_small_still_load(run_cli, tmp_path):
    path = _write(tmp_path, _alias_bomb(3))
    result = run_cli("validate", str(path))
    assert "values once its aliases are expanded" not in result.stderr
    assert "workflow.tasks[0].args[1]" in result.stderr  # checked as data: a list is not a string argument


# ---- 5. an -o path that cannot be written -------------------------------------------------------


@pytest.mark.parametrize("command", [AZUREML_TRAINING, OSMO_TRAINING], ids=["azureml", "osmo"])
def test_a_dry_run_to_an_unwritable_output_is_bad_input_naming_the_flag(run_cli, tmp_path, command):
    blocker, target = _in_the_way(tmp_path)
    result = run_cli(*command, "--dry-run", "-o", str(target), "--output-format", "json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"submit: error: --output: cannot write {target} (part of the path is a file, not a folder)\n"
    )
    assert blocker.read_text(encoding="utf-8") == "keep"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_an_output_under_proc_gives_the_system_reason(run_cli):
    result = run_cli(*AZUREML_TRAINING, "--dry-run", "-o", "/proc/x.yaml")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == (
        "submit: error: --output: cannot write /proc/x.yaml (No such file or directory)"
    )


def test_an_azure_ml_submission_to_an_unwritable_output_sends_nothing(run_cli, azure, tmp_path):
    blocker, target = _in_the_way(tmp_path)
    result = run_cli(*AZUREML_TRAINING, *WORKSPACE_FLAGS, "-o", str(target))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == (
        f"submit: error: --output: cannot write in {blocker} (part of the path is a file, not a folder); "
        "azure-ai-ml loads the spec from a file there: give -o a path in a writable folder"
    )
    assert azure.calls("PUT", "/jobs/") == []


def test_an_osmo_submission_whose_output_cannot_be_written_still_names_the_workflow(run_cli, tmp_path):
    osmo = fake_osmo.install(
        tmp_path,
        workflow_submit=fake_osmo.submitted(),
        pool_list=fake_osmo.pools(),
        credential_list=fake_osmo.credentials(),
    )
    _, target = _in_the_way(tmp_path)
    result = run_cli(*OSMO_TRAINING, "-o", str(target), env=osmo.path_env)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines()[-1] == (
        f"submit: error: --output: cannot write {target} (part of the path is a file, not a folder); "
        f"the osmo job {fake_osmo.WORKFLOW_ID} was submitted"
    )


# ---- 6. secret-looking variables in an Azure ML job --------------------------------------------


def test_secret_looking_azure_ml_variables_are_flagged_and_their_values_never_shown(run_cli, tmp_path):
    path = _write(
        tmp_path,
        AZUREML_JOB
        + "environment_variables:\n  WANDB_API_KEY: canary-wandb-value\n"
        + "  AZURE_CLIENT_SECRET: canary-client-value\n  ROBO_SECRET_SOURCE: keyvault\n",
    )
    result = run_cli("validate", str(path), "--backend", "azureml")
    fix = "looks like a secret; keep it in Key Vault and pass --key-vault-uri (the job reads it with its managed identity)"
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"environment_variables.WANDB_API_KEY: {fix}",
        f"environment_variables.AZURE_CLIENT_SECRET: {fix}",
        f"submit: error: {path}: 2 problem(s); not a valid Azure ML spec",
    ]
    assert "canary" not in result.stderr


def test_azure_ml_inputs_and_outputs_at_urls_carrying_credentials_are_flagged_never_shown(run_cli, tmp_path):
    path = _write(
        tmp_path,
        AZUREML_JOB.replace("python train.py", "python train.py ${{inputs.data}} ${{inputs.base}} ${{outputs.model}}")
        + "inputs:\n"
        + "  data:\n    type: uri_folder\n    path: https://acct.blob.core.windows.net/c/d?sv=2022&sig=canary-sas\n"
        + "  base:\n    type: uri_file\n    path: https://acct.blob.core.windows.net/c/base.pt\n"
        + "outputs:\n  model:\n    type: uri_folder\n    path: https://user:canary-password@example.com/out\n",
    )
    result = run_cli("validate", str(path), "--backend", "azureml")
    fix = "a URL carrying credentials; the spec is stored and shown by Azure ML; give the job access through its identity or a datastore"
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"inputs.data.path: {fix}",
        f"outputs.model.path: {fix}",
        f"submit: error: {path}: 2 problem(s); not a valid Azure ML spec",
    ]
    assert "canary" not in result.stderr


def test_azure_ml_and_osmo_flag_the_same_variable_names(tmp_path):
    from submit.backends.osmo.spec import check_osmo

    names = [
        "WANDB_API_KEY",
        "HF_TOKEN",
        "DB_PASSWORD",
        "STORAGE_ACCOUNT_KEY",
        "ROBO_SECRET_SOURCE",
        "TOKENIZER",
    ]
    environment = dict.fromkeys(names, "x")
    osmo = {
        "workflow": {
            "name": "w",
            "tasks": [{"name": "t", "image": "ubuntu", "command": ["echo"], "environment": environment}],
        }
    }
    azureml = {**backend.yamlio.load(AZUREML_JOB), "environment_variables": environment}
    flagged_by_osmo = [line.split(":")[0].rsplit(".", 1)[1] for line in check_osmo(osmo) if "secret" in line]
    flagged_by_azureml = [line.split(":")[0].rsplit(".", 1)[1] for line in backend.check(azureml, tmp_path)]
    assert (
        flagged_by_osmo
        == flagged_by_azureml
        == ["WANDB_API_KEY", "HF_TOKEN", "DB_PASSWORD", "STORAGE_ACCOUNT_KEY"]
    )


# ---- 7. Azure ML schema failures --------------------------------------------------------------


def test_an_azure_ml_schema_failure_is_one_line_per_field_without_the_temporary_copy(run_cli, tmp_path):
    path = _write(
        tmp_path,
        AZUREML_JOB + "resources:\n  instance_count: many\ndistribution:\n  type: bogus\nbogus_field: 1\n",
    )
    result = run_cli("validate", str(path), "--backend", "azureml")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "resources.instance_count: Not a valid integer.",
        "distribution.type: Value 'bogus' passed is not in set ['pytorch', 'tensorflow', 'mpi', 'ray']",
        "bogus_field: Unknown field.",
        f"submit: error: {path}: 3 problem(s); not a valid Azure ML spec",
    ]
    assert list(tmp_path.iterdir()) == [path]  # the temporary copy is gone too


def test_a_schema_error_text_that_is_not_json_keeps_its_first_line_and_drops_the_copy_name():
    messages = ["Could not read /work/jobs/.robo-submit-spec-abc123.yaml:\nsecond line"]
    assert backend.schema_problems(messages) == ["azureml: Could not read the spec"]


def test_a_bad_value_from_the_environment_says_where_it_came_from(run_cli):
    result = run_cli("azureml", "training", "--dry-run", env={"NUM_ENVS": "abc"})
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "submit: error: --num-envs: 'abc' is not a valid integer (from env NUM_ENVS)\n"
    typed = run_cli("azureml", "training", "--dry-run", "-n", "abc")
    assert typed.stderr == "submit: error: --num-envs: 'abc' is not a valid integer\n"  # typed here: no origin


@pytest.mark.parametrize(
    ("group", "command", "metavar"),
    [("osmo", "cancel", "WORKFLOW_ID"), ("osmo", "logs", "WORKFLOW_ID"), ("azureml", "status", "JOB")],
)
def test_a_job_id_that_reads_as_a_flag_never_reaches_the_backend(run_cli, group, command, metavar):
    """`submit osmo cancel -- --help` used to run `osmo workflow cancel --help`: the id goes to a CLI."""
    result = run_cli(group, command, "--", "--help")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"submit: error: {metavar}: not a job id "
        "(letters, digits, '.', '_', ':', '-'; starting with a letter or digit)\n"
    )


def test_extra_arguments_to_a_command_that_renders_nothing_get_no_spec_advice(run_cli):
    result = run_cli("osmo", "status", "wf-1", "extra")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "submit: error: unexpected arguments after the flags (not shown); see --help\n"


def test_a_url_with_credentials_given_to_the_wrong_flag_is_not_echoed_by_clicks_message(run_cli):
    result = run_cli(*AZUREML_TRAINING, "-n", "https://user:canary-pw@host/x?sig=canary-sas", "--dry-run")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "submit: error: --num-envs: 'https://user:***@host/x?***' is not a valid integer\n"


def test_64_pinned_assets_are_accepted_and_each_mounted_read_only(run_cli):
    assets = [arg for i in range(64) for arg in ("--dataset-asset", f"azureml:day{i}:1")]
    result = run_cli("azureml", "lerobot-training", "-d", "lab/pick", *assets, "--dry-run")
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)
    assert len(spec["inputs"]) == 64 and {i["mode"] for i in spec["inputs"].values()} == {"ro_mount"}
    assert spec["command"].count("--dataset-dirs ${{inputs.dataset_") == 64

"""training.secrets: which secrets a run needs, where they come from, and what a failure says.

Key Vault cannot be reached from here, so it is replaced at one seam only, the function
`training.secrets.secret_client`, by the in-memory vault of tests/training/fake_vault.py. The Azure
SDK's exception classes and everything above the seam are real. The last tests run the real trainer
process (a tiny PPO run) with that vault installed by a three-line driver.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.training.conftest import finish, result_of, trainer_env
from tests.training.fake_vault import CANARY, KEY_VAULT_URI, FakeVault
from training import secrets
from training.config import ConfigError, from_env

VAULT = KEY_VAULT_URI
REPO = Path(__file__).resolve().parents[2]


def parse(kind: str = "rl", **settings: str):
    return from_env(kind, {f"ROBO_{key.upper()}": value for key, value in settings.items()})


def keyvault(kind: str = "rl", **settings: str):
    """Settings as the Azure ML renderer writes them with --key-vault-uri (the URI may end in '/')."""
    return parse(kind, secret_source="keyvault", key_vault_uri=VAULT + "/", **settings)


@pytest.fixture
def vault(monkeypatch: pytest.MonkeyPatch) -> FakeVault:
    fake = FakeVault()
    monkeypatch.setattr(secrets, "secret_client", fake.client)
    return fake


@pytest.fixture
def no_logins(tmp_path: Path) -> dict[str, str]:
    """An environment with no `wandb login` netrc entry and no Hugging Face token file."""
    return {"NETRC": str(tmp_path / "no-netrc"), "HF_HOME": str(tmp_path / "no-hf")}


def test_keyvault_source_fills_wandb_api_key_from_the_vault(vault: FakeVault, no_logins: dict) -> None:
    vault.secrets["wandb-api-key"] = CANARY
    environ = dict(no_logins)
    assert secrets.load(keyvault(wandb="true"), environ) == ["WANDB_API_KEY"]
    assert environ == {**no_logins, "WANDB_API_KEY": CANARY}
    assert vault.requested == [(VAULT, "wandb-api-key")]


def test_the_secret_name_can_be_changed_by_a_variable(vault: FakeVault, no_logins: dict) -> None:
    vault.secrets["team-wandb"] = CANARY
    environ = {**no_logins, "ROBO_WANDB_KEY_SECRET_NAME": "team-wandb"}
    secrets.load(keyvault(wandb="true"), environ)
    assert (environ["WANDB_API_KEY"], vault.requested) == (CANARY, [(VAULT, "team-wandb")])


def test_a_name_key_vault_cannot_hold_is_bad_input(vault: FakeVault) -> None:
    with pytest.raises(ConfigError) as raised:
        secrets.load(keyvault(wandb="true"), {"ROBO_WANDB_KEY_SECRET_NAME": "wandb_api_key"})
    assert str(raised.value) == (
        "ROBO_WANDB_KEY_SECRET_NAME: 'wandb_api_key' is not a Key Vault secret name "
        "(1-127 letters, digits, '-')"
    )
    assert vault.requested == []


def test_a_value_already_in_the_environment_wins_and_the_vault_is_not_asked(vault: FakeVault) -> None:
    vault.secrets["wandb-api-key"] = CANARY
    environ = {"WANDB_API_KEY": "from-the-shell"}
    assert secrets.load(keyvault(wandb="true"), environ) == []
    assert (environ, vault.requested) == ({"WANDB_API_KEY": "from-the-shell"}, [])


def test_env_source_leaves_the_environment_alone_and_never_reaches_a_vault(vault: FakeVault) -> None:
    environ = {"WANDB_API_KEY": "k", "HF_TOKEN": "t", "WANDB_MODE": "online"}
    lerobot = parse("lerobot", wandb="true", push_to_hub="true", policy_repo_id="me/p", dataset_repo_id="d")
    assert secrets.load(lerobot, environ) == []
    assert secrets.load(parse(wandb="true", key_vault_uri=VAULT), environ) == []
    assert (environ, vault.requested) == ({"WANDB_API_KEY": "k", "HF_TOKEN": "t", "WANDB_MODE": "online"}, [])


def test_nothing_is_read_when_the_run_needs_no_secret(vault: FakeVault) -> None:
    environ: dict[str, str] = {}
    assert secrets.load(keyvault(), environ) == []
    assert (environ, vault.requested) == ({}, [])


def test_a_needed_secret_missing_from_the_vault_is_bad_input_naming_it_and_the_vault(
    vault: FakeVault, no_logins: dict
) -> None:
    with pytest.raises(ConfigError) as raised:
        secrets.load(keyvault(wandb="true"), dict(no_logins))
    assert str(raised.value) == (
        f"WANDB_API_KEY: ROBO_WANDB=true needs it, and Key Vault {VAULT} has no secret 'wandb-api-key'; "
        "create the secret there, or name another one with ROBO_WANDB_KEY_SECRET_NAME"
    )


def test_an_offline_wandb_run_reads_the_key_if_the_vault_has_it_and_runs_without_it(
    vault: FakeVault, no_logins: dict
) -> None:
    environ = {**no_logins, "WANDB_MODE": "offline"}
    assert secrets.load(keyvault(wandb="true"), environ) == []
    assert "WANDB_API_KEY" not in environ and vault.requested == [(VAULT, "wandb-api-key")]


def test_the_hub_token_is_needed_for_a_push_and_optional_otherwise(vault: FakeVault, no_logins: dict) -> None:
    push = keyvault(
        "lerobot", push_to_hub="true", policy_repo_id="me/policy", dataset_repo_id="lerobot/pusht"
    )
    with pytest.raises(ConfigError) as raised:
        secrets.load(push, dict(no_logins))
    assert str(raised.value) == (
        f"HF_TOKEN: ROBO_PUSH_TO_HUB=true needs it, and Key Vault {VAULT} has no secret 'hf-token'; "
        "create the secret there, or name another one with ROBO_HF_TOKEN_SECRET_NAME"
    )
    hub_dataset = keyvault("lerobot", dataset_repo_id="lerobot/pusht")
    environ = dict(no_logins)
    assert secrets.load(hub_dataset, environ) == []  # a token for gated datasets, absent: not an error
    assert environ == no_logins
    vault.secrets["hf-token"] = "hf_canary"
    assert secrets.load(hub_dataset, environ) == ["HF_TOKEN"]
    assert environ["HF_TOKEN"] == "hf_canary"


def test_an_unreadable_vault_costs_a_run_that_needs_no_secret_only_a_warning(
    vault: FakeVault, no_logins: dict, caplog: pytest.LogCaptureFixture
) -> None:
    # A LeRobot job on a public dataset, its vault from a profile: the Hub token is optional.
    vault.failing = "forbidden"
    environ = dict(no_logins)
    with caplog.at_level("WARNING", logger="training"):
        assert secrets.load(keyvault("lerobot", dataset_repo_id="lerobot/pusht"), environ) == []
    assert environ == no_logins
    assert [r.getMessage() for r in caplog.records] == [
        f"HF_TOKEN: cannot read secret 'hf-token' from Key Vault {KEY_VAULT_URI}: HttpResponseError: HTTP 403 "
        "Forbidden; the job's identity needs the Key Vault Secrets User role on the vault; going on without it"
    ]
    assert CANARY not in caplog.text
    push = keyvault("lerobot", push_to_hub="true", policy_repo_id="me/policy", dataset_repo_id="lerobot/pusht")
    with pytest.raises(secrets.SecretError):  # needed: the same error stops the run
        secrets.load(push, dict(no_logins))


def test_a_vault_value_set_from_a_file_loses_its_trailing_newline(vault: FakeVault, no_logins: dict) -> None:
    vault.secrets["wandb-api-key"] = f"{CANARY}\n"  # az keyvault secret set --file key.txt
    environ = dict(no_logins)
    assert secrets.load(keyvault(wandb="true"), environ) == ["WANDB_API_KEY"]
    assert environ["WANDB_API_KEY"] == CANARY


def test_env_source_without_a_wandb_key_is_bad_input_saying_where_the_key_comes_from(
    no_logins: dict, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as raised:
        secrets.load(parse(wandb="true"), dict(no_logins))
    assert str(raised.value) == (
        "WANDB_API_KEY: not set, and ROBO_WANDB=true needs it; export WANDB_API_KEY or run "
        "`wandb login` (a local run), or give the job an OSMO credential (--wandb-credential), a Key Vault secret 'wandb-api-key' (--key-vault-uri), or WANDB_MODE=offline"
    )
    for mode in ("offline", "disabled"):
        secrets.load(parse(wandb="true"), {**no_logins, "WANDB_MODE": mode})
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.wandb.ai\n  login user\n  password k\n")
    netrc.chmod(0o600)
    secrets.load(parse(wandb="true"), {**no_logins, "NETRC": str(netrc)})  # `wandb login` counts


def test_keyvault_source_without_a_vault_uri_is_bad_input(vault: FakeVault) -> None:
    with pytest.raises(ConfigError) as raised:
        secrets.load(parse(wandb="true", secret_source="keyvault"), {})
    assert str(raised.value) == (
        "ROBO_KEY_VAULT_URI: ROBO_SECRET_SOURCE=keyvault needs the vault's URI "
        "(https://<vault>.vault.azure.net); pass --key-vault-uri"
    )


@pytest.mark.parametrize(
    ("failing", "reason"),
    [
        (
            "auth",
            "ClientAuthenticationError: no credential could get a token; give the job a managed identity "
            "(AZURE_CLIENT_ID for a user-assigned one) or sign in with az login",
        ),
        (
            "forbidden",
            "HttpResponseError: HTTP 403 Forbidden; the job's identity needs the Key Vault Secrets User role "
            "on the vault",
        ),
        ("unreachable", "ServiceRequestError: the vault could not be reached"),
    ],
)
def test_a_vault_error_is_one_line_without_the_sdks_request_details(
    vault: FakeVault, no_logins: dict, failing: str, reason: str
) -> None:
    vault.failing = failing  # each error's own text holds CANARY, like a caller id or a URL would
    with pytest.raises(secrets.SecretError) as raised:
        secrets.load(keyvault(wandb="true"), dict(no_logins))
    message = str(raised.value)
    assert message == f"WANDB_API_KEY: cannot read secret 'wandb-api-key' from Key Vault {VAULT}: {reason}"
    assert raised.value.__suppress_context__  # no chained SDK exception in a traceback either


def test_the_real_client_is_built_for_the_vault_without_a_network_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from azure.keyvault.secrets import SecretClient

    monkeypatch.setenv("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000001")
    client = secrets.secret_client(VAULT)
    assert isinstance(client, SecretClient) and client.vault_url == VAULT


def test_a_job_image_without_the_key_vault_client_says_what_it_needs(
    monkeypatch: pytest.MonkeyPatch, no_logins: dict
) -> None:
    monkeypatch.setitem(sys.modules, "azure.keyvault.secrets", None)  # import fails as if not installed
    with pytest.raises(secrets.SecretError) as raised:
        secrets.load(keyvault(wandb="true"), dict(no_logins))
    assert str(raised.value) == (
        "WANDB_API_KEY: reading Key Vault secrets needs azure-identity and azure-keyvault-secrets "
        "in the job image (workflows/images/requirements-*.txt pin both)"
    )


# --- the real trainer process, with the in-memory vault installed at the seam ---------------------------

DRIVER = """\
import json, os, sys
sys.path.insert(0, sys.argv[1])  # the repository, for tests.training.fake_vault
import training.secrets
from tests.training.fake_vault import FakeVault
from training.__main__ import main

spec = json.loads(open(sys.argv[2]).read())
vault = FakeVault(secrets=spec["secrets"], failing=spec["failing"])
vault.install(training.secrets)
code = main(["rl"])
wanted = spec["secrets"].get("wandb-api-key")
filled = wanted is not None and os.environ.get("WANDB_API_KEY") == wanted
json.dump({"requested": vault.requested, "filled": filled}, open(sys.argv[3], "w"))
sys.exit(code)
"""


def run_with_vault(
    tmp_path: Path, tracking_uri: str, vault_secrets: dict, failing: str | None, extra_env: dict, **settings
) -> tuple[int, str, str, dict]:
    """`python -m training rl`'s main in a new process whose Key Vault is a FakeVault."""
    (tmp_path / "driver.py").write_text(DRIVER)
    (tmp_path / "vault.json").write_text(json.dumps({"secrets": vault_secrets, "failing": failing}))
    env = {key: value for key, value in os.environ.items() if key not in ("WANDB_API_KEY", "WANDB_MODE")}
    env |= {
        **trainer_env(tmp_path / "out", secret_source="keyvault", key_vault_uri=VAULT, **settings),
        "MLFLOW_TRACKING_URI": tracking_uri,
        "NETRC": str(tmp_path / "no-netrc"),
        **extra_env,
    }
    command = [sys.executable, "driver.py", str(REPO), "vault.json", "record.json"]
    with open(tmp_path / "stdout.txt", "w") as out, open(tmp_path / "stderr.txt", "w") as err:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=err)
    process.outputs = tmp_path  # type: ignore[attr-defined]
    code, stdout, stderr = finish(process)
    record = json.loads((tmp_path / "record.json").read_text())
    return code, stdout, stderr, record


@pytest.mark.slow
def test_a_vault_key_reaches_wandb_and_its_value_is_in_no_output_log_ledger_or_mlflow(
    tmp_path: Path, sqlite_tracking: str
) -> None:
    wandb_dir = tmp_path / "wandb-files"
    code, out, err, record = run_with_vault(
        tmp_path,
        sqlite_tracking,
        {"wandb-api-key": CANARY},
        None,
        {"WANDB_MODE": "offline", "WANDB_DIR": str(wandb_dir)},
        wandb=True,
        job_name="kv-canary",
    )
    assert code == 0, err
    assert record == {"requested": [[VAULT, "wandb-api-key"]], "filled": True}
    assert "WANDB_API_KEY: read from Key Vault secret wandb-api-key" in err
    result = result_of(out)
    params = MlflowClient(sqlite_tracking).get_run(result["run_id"]).data.params
    assert params["secret_source"] == "keyvault" and not any(CANARY in value for value in params.values())
    ledger = tmp_path / "out" / "metrics.jsonl"
    assert ledger.stat().st_size > 0 and list(wandb_dir.glob("wandb/offline-run-*"))
    assert CANARY not in out and CANARY not in err
    # Every file the run left: ledger, skrl's events and checkpoints, the MLflow store and artifacts,
    # wandb's offline run (its output.log holds the console). Only the vault's own fixture holds it.
    holding = [p for p in tmp_path.rglob("*") if p.is_file() and CANARY.encode() in p.read_bytes()]
    assert holding == [tmp_path / "vault.json"]


def test_a_vault_error_stops_the_real_trainer_with_one_line_and_exit_1(
    tmp_path: Path, sqlite_tracking: str
) -> None:
    code, out, err, record = run_with_vault(tmp_path, sqlite_tracking, {}, "forbidden", {}, wandb=True)
    assert (code, out) == (1, "")
    assert err == (
        f"error: WANDB_API_KEY: cannot read secret 'wandb-api-key' from Key Vault {VAULT}: "
        "HttpResponseError: HTTP 403 Forbidden; the job's identity needs the Key Vault Secrets User role "
        "on the vault\n"
    )
    assert record == {"requested": [[VAULT, "wandb-api-key"]], "filled": False}
    assert not (tmp_path / "out").exists()  # stopped before training


def test_a_secret_missing_from_the_vault_stops_the_real_trainer_with_exit_2(
    tmp_path: Path, sqlite_tracking: str
) -> None:
    code, out, err, _ = run_with_vault(tmp_path, sqlite_tracking, {}, None, {}, wandb=True)
    assert (code, out) == (2, "")
    assert err == (
        f"error: WANDB_API_KEY: ROBO_WANDB=true needs it, and Key Vault {VAULT} has no secret "
        "'wandb-api-key'; create the secret there, or name another one with ROBO_WANDB_KEY_SECRET_NAME\n"
    )


def test_a_vault_uri_that_is_not_one_is_bad_input_before_any_client_is_built(vault: FakeVault) -> None:
    config = parse(wandb="true", secret_source="keyvault", key_vault_uri="robo-kv")  # a name, not a URI
    with pytest.raises(ConfigError) as raised:
        secrets.load(config, {})
    assert str(raised.value) == (
        "ROBO_KEY_VAULT_URI: 'robo-kv' is not a Key Vault URI (https://<vault>.vault.azure.net)"
    )
    assert vault.requested == []

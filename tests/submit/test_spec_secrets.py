"""No credential-bearing URL reaches a spec through any value (issue 15, item 2): one rule
(submit.secret_rules.text_secret_problem, applied by models.submission.spec_url_rules to every text value of the
job and the target), exit 2, naming the flag, never echoing the value, on both backends."""

from __future__ import annotations

import pytest

SAS = "https://acct.blob.core.windows.net/c/x?sv=2024-01-01&sig=canary-sig-value"
USERINFO = "https://robot:canary-password@mlflow.example.com"
BARE_SAS = "proj?sv=2024&sig=canary-sig-value"

RL = {
    "--metric-filter": [],
    "--wandb-project": ["--wandb"],
    "--wandb-entity": ["--wandb"],
    "--display-name": [],
}
LEROBOT = {"--pretrained-path": [], "--wandb-project": ["--wandb"]}
AZURE = ["--key-vault-uri", "https://robo-kv.vault.azure.net"]
QUERY = "must not carry a query string or fragment: it may hold a token (a storage SAS), and the job spec is stored and shown; the job authenticates with its own identity or credential"
AT = "must not carry credentials (user:password@): the job spec is stored and shown by the job system"


def _cases():
    for backend in ("azureml", "osmo"):
        extra = AZURE if backend == "azureml" else []
        for flag, needs in RL.items():
            if backend == "osmo" and flag == "--display-name":  # OSMO has no display name
                continue
            for value, message in ((SAS, QUERY), (f"see {USERINFO} now", AT), (BARE_SAS, QUERY)):
                yield backend, "training", [*needs, *extra], flag, value, message
        for flag, needs in LEROBOT.items():
            yield backend, "lerobot-training", ["-d", "a/b", *needs, *extra], flag, SAS, QUERY


CASES = list(_cases())


@pytest.mark.parametrize(("backend", "command", "needs", "flag", "value", "message"), CASES)
def test_a_credential_in_any_text_value_is_refused_naming_the_flag(run_cli, tmp_path, backend, command, needs, flag, value, message):
    target = tmp_path / "job.yaml"
    result = run_cli(backend, command, *needs, flag, value, "--dry-run", "-o", str(target))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"submit: error: {flag}: {message}\n"
    assert "canary" not in result.stderr
    assert not target.exists()


def test_a_lerobot_argument_carrying_a_sas_is_refused(run_cli):
    result = run_cli("osmo", "lerobot-training", "-d", "a/b", f"--lerobot-arg=--policy.pretrained_path={SAS}", "--dry-run")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"submit: error: --lerobot-arg: {QUERY}\n")


@pytest.mark.parametrize("value", ["team-robots", "https://example.com/docs/run", "reward/total"])
def test_plain_text_and_plain_urls_still_pass(run_cli, value):
    result = run_cli("azureml", "training", "--display-name", value, "--metric-filter", value, "--dry-run")
    assert result.exit_code == 0, result.stderr

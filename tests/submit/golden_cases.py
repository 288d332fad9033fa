"""Representative settings whose rendered specs are kept as golden files (documentation too).

`scripts/regen-golden` re-renders every case and prints the diff; tests compare byte for byte.
"""

from __future__ import annotations

RUN_ID = "0123456789abcdef0123456789abcdef"

AZUREML_TRAINING = {
    "single-gpu": ["-t", "Isaac-Cartpole-Direct", "-n", "512", "-m", "300", "--compute", "gpu-a100", "--job-name", "cartpole-1"],
    "multi-node": [
        "-t", "Isaac-Velocity-Rough-Anymal-C-v0", "--num-nodes", "4", "--gpus-per-node", "8",
        "--compute", "h100-cluster", "--instance-type", "Standard_ND96isr_H100_v5", "--experiment-name", "anymal-scale",
    ],
    "warm-start-model": [
        "-t", "Isaac-Cartpole-Direct", "-M", "warm-start", "-c", "models:/isaac-cartpole-direct/1",
        "-r", "cartpole-finetuned", "--compute", "gpu-a100",
    ],
    "resume-run": [
        "-t", "Isaac-Cartpole-Direct", "-M", "resume", "-c", f"runs:/{RUN_ID}/checkpoints",
        "--mlflow-log-interval", "step", "--metric-filter", "Loss", "--metric-filter", "Reward", "--compute", "gpu-a100",
    ],
    "wandb": [
        "-t", "Isaac-Cartpole-Direct", "--wandb", "--wandb-project", "robots", "--wandb-entity", "lab",
        "--key-vault-uri", "https://robo-kv.vault.azure.net", "--skip-register-checkpoint",
        "--environment-name", "isaaclab-training-env", "--environment-version", "2.3.2",
    ],
}

SPECS = {f"azureml/{name}.yaml": ["azureml", "training", *args, "--dry-run"] for name, args in AZUREML_TRAINING.items()}

"""Representative settings whose rendered specs are kept as golden files (documentation too).

`scripts/regen-golden` re-renders every case and prints the diff; tests compare byte for byte.
"""

from __future__ import annotations

from pathlib import Path

OSMO_CODE = Path(__file__).resolve().parent / "fixtures" / "osmo-code"  # absolute: any working directory
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
    # RSL-RL (--rl-library, the reference's -b/--backend): the task's own RSL-RL runner config, resumed.
    "rsl-rl": [
        "-t", "Isaac-Cartpole-Direct", "--rl-library", "rsl_rl", "-n", "4096", "-m", "150", "-M", "resume",
        "-c", f"runs:/{RUN_ID}/checkpoints", "--compute", "gpu-a100", "--job-name", "cartpole-rsl-rl",
    ],
    "wandb": [
        "-t", "Isaac-Cartpole-Direct", "--wandb", "--wandb-project", "robots", "--wandb-entity", "lab",
        "--key-vault-uri", "https://robo-kv.vault.azure.net", "--skip-register-checkpoint",
        "--environment-name", "isaaclab-training-env", "--environment-version", "2.3.2",
    ],
}

AZUREML_LEROBOT = {
    "lerobot-hub": [
        "-d", "lerobot/aloha_sim_insertion_human", "-p", "act", "--steps", "20000", "--batch-size", "32",
        "--learning-rate", "1e-4", "--save-freq", "5000", "--compute", "gpu-a100", "-r", "aloha-act",
    ],
    "lerobot-blob": [
        "-d", "contoso/pick-place", "-p", "diffusion",
        "--blob-url", "https://contosodata.blob.core.windows.net/datasets/pick-place/meta",
        "--blob-url", "https://contosodata.blob.core.windows.net/datasets/pick-place/data",
        "--pretrained-path", "lerobot/diffusion_pusht", "-M", "from-scratch", "--compute", "gpu-a100",
    ],
    # One node, four GPUs: the trainer starts four processes through accelerate (no `distribution:`).
    "lerobot-multi-gpu": [
        "-d", "lerobot/aloha_sim_insertion_human", "--gpus", "4", "--mixed-precision", "bf16", "--batch-size", "16",
        "--compute", "gpu-a100-x4", "--instance-type", "gpu4",
    ],
    # Two versioned data assets mounted read-only and merged, and a warm start from a registered Azure ML model:
    # each input reaches the trainer as a flag after the constant command (Azure ML binds inputs there only).
    "lerobot-data-assets": [
        "-d", "contoso/pick-place", "--dataset-asset", "azureml:pick-place-day1:3",
        "--dataset-asset", "azureml://subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/workspaces/ws/data/pick-place-day2/versions/1",
        "--init-from-policy-model", "azureml:lerobot-act-pick-place:7", "-r", "act-pick-place", "--compute", "gpu-a100",
    ],
}

# Evaluations: an MLflow alias behind gates (what docs/ci.md runs), a workspace model as a job input, LeRobot.
AZUREML_EVALUATION = {
    "evaluation-promote": [
        "--model", "models:/isaac-cartpole-direct@candidate", "--episodes", "50", "--num-envs", "16",
        "--gate", "mean_return>=@champion", "--gate", "mean_return>=400", "--promote", "champion",
        "--export", "onnx", "--video-episodes", "2", "--compute", "gpu-a100", "--correlation-id", "gh-1234.1",
    ],
    "evaluation-model-input": [
        "--model", "azureml:isaac-cartpole-direct:3", "-t", "Isaac-Cartpole-Direct", "--model-input-type", "custom_model",
        "--compute", "gpu-a100", "--job-name", "cartpole-eval-3",
    ],
    "evaluation-lerobot": [
        "--model", "models:/lerobot-act-aloha/2", "-d", "lerobot/aloha_sim_insertion_human", "--heldout-episodes", "40,41,42",
        "--gate", "action_mse<0.05", "--compute", "gpu-a100",
    ],
}

SPECS = {f"azureml/{name}.yaml": ["azureml", "training", *args, "--dry-run"] for name, args in AZUREML_TRAINING.items()}
SPECS |= {f"azureml/{name}.yaml": ["azureml", "lerobot-training", *args, "--dry-run"] for name, args in AZUREML_LEROBOT.items()}
SPECS |= {f"azureml/{name}.yaml": ["azureml", "evaluation", *args, "--dry-run"] for name, args in AZUREML_EVALUATION.items()}

# OSMO workflows (tests/submit/backends/osmo/test_render.py); regen-golden renders these too.
OSMO_TRAINING = {
    "single-gpu": ["-t", "Isaac-Cartpole-Direct", "-n", "512", "-m", "300", "--pool", "gpu-pool", "-j", "cartpole-1"],
    "multi-node": [
        "-t", "Isaac-Velocity-Rough-Anymal-C-v0", "--num-nodes", "4", "--gpus-per-node", "8", "--pool", "h100",
        "--cpu", "96", "--memory", "1600Gi", "--storage", "2Ti", "--exec-timeout", "2d",
        "--output-url", "azure://robostore/runs/anymal", "--mlflow-tracking-uri", "https://mlflow.example.com",
        "--mlflow-credential", "mlflow", "--wandb", "--wandb-project", "robots", "--experiment-name", "anymal-scale",
    ],
    "resume": [
        "-t", "Isaac-Cartpole-Direct", "-M", "resume", "-c", f"runs:/{RUN_ID}/checkpoints", "--priority", "LOW",
        "--queue-timeout", "6h", "--mlflow-tracking-uri", "https://mlflow.example.com",
    ],
    "local-code": [
        "-t", "Isaac-Cartpole-Direct", "--code-source", "local", "--code-dir", str(OSMO_CODE),
    ],
    "url-code": ["-t", "Isaac-Cartpole-Direct", "--code-source", "url:azure://robostore/code/robo-0.1.0"],
    "rsl-rl": [
        "-t", "Isaac-Velocity-Flat-Anymal-D-v0", "-b", "rsl_rl", "-n", "4096", "--pool", "gpu-pool",
        "-M", "warm-start", "-c", "models:/anymal-flat/3", "-j", "anymal-rsl-rl",
    ],
}

OSMO_LEROBOT = {
    "lerobot-hub": [
        "-d", "lerobot/aloha_sim_insertion_human", "-p", "act", "--steps", "20000", "--batch-size", "32",
        "--learning-rate", "1e-4", "--save-freq", "5000", "-r", "aloha-act", "--hf-credential", "huggingface",
        "--push-to-hub", "--policy-repo-id", "contoso/act-aloha",
    ],
    "lerobot-blob": [
        "-d", "contoso/pick-place", "-p", "diffusion", "--from-blob", "--storage-account", "contosodata",
        "--blob-url", "https://contosodata.blob.core.windows.net/datasets/extra/meta.json",
        "--pretrained-path", "lerobot/diffusion_pusht", "-M", "from-scratch",
    ],
    # The task asks for the GPUs the trainer starts processes for (the reference hard-coded gpu: 1).
    "lerobot-multi-gpu": [
        "-d", "lerobot/aloha_sim_insertion_human", "--gpus", "8", "--mixed-precision", "bf16", "--pool", "h100",
        "--cpu", "64", "--memory", "480Gi",
    ],
}

OSMO_EVALUATION = {
    "evaluation-promote": [
        "--model", "models:/isaac-cartpole-direct@candidate", "--episodes", "50", "--gate", "mean_return>@champion",
        "--promote", "champion", "--pool", "gpu-pool", "--mlflow-tracking-uri", "https://mlflow.example.com",
        "--mlflow-credential", "mlflow", "--correlation-id", "gh-1234.1",
    ],
    "evaluation-lerobot-env": [
        "--model", "models:/lerobot-act-pusht/2", "--lerobot-env", "pusht", "--episodes", "20", "--video-episodes", "2",
        "--gate", "success_rate>=0.8", "--hf-credential", "huggingface",
    ],
}

OSMO_SPECS = {f"osmo/{name}.yaml": ["osmo", "training", *args, "--dry-run"] for name, args in OSMO_TRAINING.items()}
OSMO_SPECS |= {f"osmo/{name}.yaml": ["osmo", "lerobot-training", *args, "--dry-run"] for name, args in OSMO_LEROBOT.items()}
OSMO_SPECS |= {f"osmo/{name}.yaml": ["osmo", "evaluation", *args, "--dry-run"] for name, args in OSMO_EVALUATION.items()}

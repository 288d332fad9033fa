"""The flag groups of Azure ML's commands, made from its declarations (fields.py) and the shared groups."""

from __future__ import annotations

from submit import flags, reference
from submit.backends.azureml.fields import (
    COMPUTE,
    DATASET_ASSETS,
    ENVIRONMENT_NAME,
    ENVIRONMENT_VERSION,
    INIT_FROM_POLICY_MODEL,
    INSTANCE_TYPE,
    KEY_VAULT_URI,
    MODEL_INPUT_TYPE,
    RESOURCE_GROUP,
    SUBSCRIPTION_ID,
    WORKSPACE_NAME,
)
from submit.params import group

workspace = group(SUBSCRIPTION_ID.option(), RESOURCE_GROUP.option(), WORKSPACE_NAME.option())

target = group(
    workspace,
    COMPUTE.option(),
    INSTANCE_TYPE.option(),
    ENVIRONMENT_NAME.option(),
    ENVIRONMENT_VERSION.option(),
    KEY_VAULT_URI.option(),
)

SMOKE_TEST_HELP = (
    "Same as --mode smoke-test: the job checks tracking and storage instead of training (the reference ran "
    "its smoke test here before submitting; --preflight now checks the workspace). [env RUN_AZURE_SMOKE_TEST]"
)

# Each job command's flags, in --help order (the shared output group comes after).
JOB_FLAGS = {
    "training": group(
        flags.rl_job,
        reference.run_smoke_test(SMOKE_TEST_HELP),
        flags.checkpoint,
        flags.registration,
        flags.tracking,
        flags.resources,
        flags.naming,
        target,
    ),
    "lerobot-training": group(
        flags.lerobot_job,
        flags.lerobot_data,
        DATASET_ASSETS.option(),
        flags.lerobot_args,
        flags.checkpoint,
        INIT_FROM_POLICY_MODEL.option(),
        flags.lerobot_registration,
        flags.lerobot_tracking,
        flags.lerobot_resources(),
        flags.naming,
        target,
    ),
    "evaluation": group(
        flags.evaluation_job,
        MODEL_INPUT_TYPE.option(),
        flags.evaluation_tracking,
        flags.evaluation_gpus,
        flags.naming,
        target,
    ),
}
# The reference flags each command refuses by name (after the output group); evaluation is new.
GONE = {
    "training": reference.azureml_gone,
    "lerobot-training": group(reference.azureml_gone, reference.lerobot_gone),
    "evaluation": group(),
}

# The flags of status, logs and cancel: the workspace, resolved like a job command's.
TRACK_FLAGS = group(workspace, flags.resolution)
# `submit config show`: the values a job would take from profiles, config.json and Terraform.
CONFIG_FLAGS = target

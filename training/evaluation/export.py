"""Policy export for deployment: ONNX or TorchScript, each with a sha256 sidecar.

The exported graph is the evaluation's own deterministic policy (training/rl/policy_model.py): observations
(N, obs) float32 -> actions, the observation preprocessor included, so a runtime needs nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.registration import sha256_file

FILES = {"onnx": "policy.onnx", "torchscript": "policy.pt"}


def export_policy(policy: Any, example: Any, fmt: str, folder: Path) -> dict[str, str]:
    """Write the policy in `fmt` and `<file>.sha256` to `folder`; {format, file, sha256} (artifact added later)."""
    import torch  # lazy: start-up time

    from training.rl.policy_model import quiet

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILES[fmt]
    policy = policy.to("cpu").eval()
    example = example.to("cpu")
    with torch.no_grad(), quiet():
        if fmt == "onnx":
            batch = torch.export.Dim("batch", min=1)
            torch.onnx.export(
                policy, (example,), str(path), input_names=["observations"], output_names=["actions"],
                dynamic_shapes={"observations": {0: batch}}, dynamo=True, external_data=False, verbose=False,
            )  # fmt: skip
        else:
            torch.jit.save(torch.jit.trace(policy, example, check_trace=False), str(path))
    digest = sha256_file(path)
    Path(f"{path}.sha256").write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    return {"format": fmt, "file": str(path), "sha256": digest}

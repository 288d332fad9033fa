"""The code of a registered RL version's MLflow pyfunc model (MLflow "models from code": this file is copied into
the model). Loads the TorchScript policy the trainer traced and maps observations to actions; needs only torch,
numpy and mlflow, not skrl or this package.

    model = mlflow.pyfunc.load_model("models:/cartpole-v1/1")
    actions = model.predict(np.zeros((4, 4), dtype=np.float32))   # (4, 1)
"""

import warnings

import mlflow
import numpy as np
import torch


class TorchScriptPolicy(mlflow.pyfunc.PythonModel):
    """Observations (N, observation size) float32 -> actions (N, action size)."""

    # The signature saved with the model validates inputs; MLflow's type-hint validation (and its advice to add
    # type hints, printed on every load) is not needed.
    _skip_type_hint_validation = True

    def load_context(self, context):
        with warnings.catch_warnings():  # torch 2.10+ calls TorchScript deprecated; the file loads all the same
            warnings.simplefilter("ignore", DeprecationWarning)
            self.policy = torch.jit.load(context.artifacts["policy"], map_location="cpu")
        self.policy.eval()

    def predict(self, context, model_input, params=None):
        values = model_input.to_numpy() if hasattr(model_input, "to_numpy") else model_input
        if isinstance(values, dict):  # a named tensor input
            values = next(iter(values.values()))
        observations = torch.as_tensor(np.asarray(values, dtype=np.float32))
        if observations.dim() == 1:
            observations = observations.unsqueeze(0)
        with torch.no_grad():
            return self.policy(observations).numpy()


mlflow.models.set_model(TorchScriptPolicy())

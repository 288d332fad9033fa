"""Which device each training process of an Isaac Lab job simulates on (training/rl/isaaclab.resolve_device).

A multi-GPU node runs one process per GPU with LOCAL_RANK set by torchrun; each must simulate on its own GPU.
This machine has no GPU: for `auto`, torch's answer to "is there a GPU" is replaced, and only that.
"""

from __future__ import annotations

import pytest
import torch

from training.rl.isaaclab import resolve_device


@pytest.mark.parametrize(("local_rank", "expected"), [(None, "cuda:0"), ("0", "cuda:0"), ("3", "cuda:3")])
def test_each_process_of_a_multi_gpu_node_gets_its_own_gpu(monkeypatch, local_rank, expected):
    if local_rank is None:
        monkeypatch.delenv("LOCAL_RANK", raising=False)
    else:
        monkeypatch.setenv("LOCAL_RANK", local_rank)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # the one thing this machine cannot answer
    assert resolve_device("auto") == expected
    assert resolve_device("cuda") == expected
    assert resolve_device("cuda:1") == "cuda:1"  # an explicit index is kept


def test_auto_without_a_gpu_is_the_cpu(monkeypatch):
    monkeypatch.setenv("LOCAL_RANK", "2")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"

"""The math modes `fast_math` sets for a CUDA device, checked without a GPU (they are process-wide flags)."""

import pytest
import torch

from synthloop.lm.models import fast_math


@pytest.fixture
def restore_flags():
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cuda.cudnn_sdp_enabled())
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved[:2]
    torch.backends.cuda.enable_cudnn_sdp(saved[2])


def test_cuda_turns_on_tf32_and_bf16_and_off_cudnn_attention(monkeypatch, restore_flags):
    # cuDNN attention builds a plan per new sequence length: on an H200 it cost 4 s of a 0.4 s batched generation (bench/gpu.sh)
    torch.backends.cuda.enable_cudnn_sdp(True)
    torch.backends.cuda.matmul.allow_tf32 = False
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert fast_math(torch.device("cuda")) is torch.bfloat16
    assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
    assert not torch.backends.cuda.cudnn_sdp_enabled()


def test_cpu_keeps_float32_and_leaves_flags(restore_flags):
    torch.backends.cuda.enable_cudnn_sdp(True)
    torch.backends.cuda.matmul.allow_tf32 = False
    assert fast_math(torch.device("cpu")) is torch.float32
    assert not torch.backends.cuda.matmul.allow_tf32
    assert torch.backends.cuda.cudnn_sdp_enabled()

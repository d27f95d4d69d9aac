"""Training keeps fp32 weights under bf16 mixed precision (autocast); weights held
in bf16 lose most small updates, which this test also shows by hand."""

import torch
from conftest import SENTENCES

from synthloop.lm import training
from synthloop.lm.models import load_causal_lm


def test_bf16_updates_round_away_in_bf16_weights_but_not_in_fp32():
    # one SGD step at lr 5e-5 on N(0, 0.02) weights with unit-scale gradients: bf16 keeps ~8 bits of mantissa
    generator = torch.Generator().manual_seed(0)
    weights = torch.randn(100_000, generator=generator) * 0.02
    update = 5e-5 * torch.randn(100_000, generator=generator)
    lost_bf16 = ((weights.bfloat16() - update.bfloat16()) == weights.bfloat16()).float().mean().item()
    lost_fp32 = ((weights - update) == weights).float().mean().item()
    assert lost_bf16 > 0.3 and lost_fp32 < 0.001


def test_trained_weights_are_fp32_when_bf16_is_on(tiny_lm, tmp_path, monkeypatch):
    monkeypatch.setattr(training, "fast_math", lambda device: torch.bfloat16)  # as on a bf16 GPU
    model, tokenizer = load_causal_lm(str(tiny_lm), dtype=torch.bfloat16)
    assert next(model.parameters()).dtype == torch.bfloat16
    args = training.training_arguments(tmp_path / "c", {"batch_size": 4, "learning_rate": 5e-5}, 0, torch.device("cpu"))
    assert args.bf16  # the Trainer's mixed precision is on
    params = {"batch_size": 4, "learning_rate": 5e-5, "epochs": 1, "max_length": 32}
    training.fine_tune(model, tokenizer, SENTENCES, tmp_path / "model", params, seed=0)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    from safetensors import safe_open

    with safe_open(str(tmp_path / "model" / "model.safetensors"), "pt") as saved:
        assert {saved.get_tensor(k).dtype for k in saved.keys()} == {torch.float32}

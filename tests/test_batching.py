"""generate.batch_size: auto — the memory arithmetic, with made-up numbers and GPT-2's config."""

from types import SimpleNamespace

import pytest
import torch
from transformers import GPT2Config, LlamaConfig

from synthloop.lm.batching import (
    CPU_AUTO_BATCH_SIZE,
    MAX_AUTO_BATCH_SIZE,
    ModelShape,
    auto_batch_size,
    bytes_per_sequence,
    model_shape,
    resolve_batch_size,
)

TOY = ModelShape(layers=2, heads=4, kv_heads=2, head_dim=8, hidden=32, intermediate=64, vocab=100, dtype_bytes=2)


def test_bytes_per_sequence_adds_kv_cache_activations_and_logits():
    kv = 2 * 2 * 2 * 8 * 10 * 2  # K and V x layers x kv heads x head dim x tokens x bytes = 1,280
    activations = 10 * (4 * 32 + 3 * 64) * 2  # 6,400
    logits = 2 * 100 * 4  # 800
    assert bytes_per_sequence(TOY, 10) == kv + activations + logits == 8_480


def test_auto_batch_size_keeps_the_margin_and_the_bounds():
    per = bytes_per_sequence(TOY, 10)
    assert auto_batch_size(per * 100, TOY, 10, margin=0.2) == 80
    assert auto_batch_size(per * 100, TOY, 10, margin=0.0) == 100
    assert auto_batch_size(per * 100, TOY, 10, margin=0.0, cap=32) == 32
    assert auto_batch_size(per // 2, TOY, 10) == 1  # never 0: one sequence is the least generate can do
    assert auto_batch_size(per * 100, TOY, 20) < auto_batch_size(per * 100, TOY, 10)  # longer sequences, fewer of them


def test_gpt2_small_shape_and_batch():
    shape = model_shape(GPT2Config(), dtype_bytes=2)
    assert shape == ModelShape(layers=12, heads=12, kv_heads=12, head_dim=64, hidden=768, intermediate=3072, vocab=50257, dtype_bytes=2)
    # 128 tokens in bf16: KV 2*12*12*64*128*2 = 4,718,592; activations 128*(3072+9216)*2 = 3,145,728; logits 402,056
    assert bytes_per_sequence(shape, 128) == 8_266_376
    assert auto_batch_size(8 * 2**30, shape, 128) == MAX_AUTO_BATCH_SIZE  # 831 would fit: capped
    assert auto_batch_size(2**30, shape, 128) == 103  # 0.8 GiB / 7.9 MiB


def test_grouped_query_attention_shrinks_the_kv_cache():
    full = model_shape(LlamaConfig(num_key_value_heads=32), dtype_bytes=2)
    grouped = model_shape(LlamaConfig(num_key_value_heads=8), dtype_bytes=2)
    assert (grouped.kv_heads, grouped.head_dim, grouped.intermediate) == (8, 128, 11008)
    assert bytes_per_sequence(grouped, 512) < bytes_per_sequence(full, 512)


class _OnCPU:
    device = torch.device("cpu")


def test_resolve_batch_size_integer_as_configured_and_auto_on_cpu():
    assert resolve_batch_size(16, _OnCPU(), 100) == 16
    assert resolve_batch_size("auto", _OnCPU(), 100) == CPU_AUTO_BATCH_SIZE


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_resolve_batch_size_auto_on_gpu():
    model = SimpleNamespace(device=torch.device("cuda"), dtype=torch.bfloat16, config=GPT2Config())
    assert 1 <= resolve_batch_size("auto", model, 64) <= MAX_AUTO_BATCH_SIZE


def test_config_accepts_auto_and_names_the_key_of_a_bad_value():
    import copy

    import yaml
    from conftest import TINY_CONFIG

    from synthloop.core.config import ConfigError
    from synthloop.studies import validate

    base = yaml.safe_load(TINY_CONFIG.read_text())
    assert (
        validate(base)["generate"]["batch_size"] == 64 and "backend" not in validate(base)["generate"]
    )  # params of existing jobs unchanged
    for value in ("auto", 8):
        config = copy.deepcopy(base)
        config["generate"]["batch_size"] = value
        assert validate(config)["generate"]["batch_size"] == value
    for key, value in (("batch_size", "big"), ("batch_size", 0), ("backend", "tgi")):
        config = copy.deepcopy(base)
        config["generate"][key] = value
        with pytest.raises(ConfigError, match=rf"generate\.{key}"):
            validate(config)

"""Generation batch size from free GPU memory (`generate.batch_size: auto`).

A fixed batch size is either too small for a large GPU (slow) or too large for a small one
(out of memory); `auto` sizes the batch from what is free once the model is loaded. The
estimate counts the KV cache of every sequence at its full length (longest prompt + new
tokens) plus one layer's prefill activations and the last position's logits, and keeps a
safety margin for the allocator and what the estimate leaves out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

CPU_AUTO_BATCH_SIZE = 64  # `auto` without a GPU: the schema's default batch size (memory is rarely the limit on CPU)
MAX_AUTO_BATCH_SIZE = 512  # beyond a few hundred sequences decoding is compute-bound: larger batches gain little
SAFETY_MARGIN = 0.2  # share of the free memory left unused (fragmentation, CUDA workspaces, attention temporaries)
HF_FLOAT32_LOGITS = 4  # generate() casts the next-token logits to float32

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelShape:
    """What the memory of one generated sequence depends on."""

    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    hidden: int
    intermediate: int
    vocab: int
    dtype_bytes: int


def model_shape(config, dtype_bytes: int) -> ModelShape:
    """The shape from a Hugging Face config: GPT-2 names (n_layer, n_inner) and Llama-style ones
    (num_key_value_heads, head_dim, intermediate_size) both work through the config's own aliases."""
    config = config.get_text_config() if hasattr(config, "get_text_config") else config
    hidden = config.hidden_size
    heads = config.num_attention_heads
    intermediate = getattr(config, "intermediate_size", None) or getattr(config, "n_inner", None) or 4 * hidden
    return ModelShape(
        layers=config.num_hidden_layers,
        heads=heads,
        kv_heads=getattr(config, "num_key_value_heads", None) or heads,
        head_dim=getattr(config, "head_dim", None) or hidden // heads,
        hidden=hidden,
        intermediate=intermediate,
        vocab=config.vocab_size,
        dtype_bytes=dtype_bytes,
    )


def bytes_per_sequence(shape: ModelShape, tokens: int) -> int:
    """GPU bytes one sequence of `tokens` positions needs during generation.

    KV cache: keys and values of every layer. Activations: one layer at a time during the
    prefill (inference mode frees each layer's), roughly the residual stream, norm, attention
    input/output (4 × hidden) and the MLP's up/gate/activation (3 × intermediate) per token.
    Logits: only the last position's (generate keeps one), in float32, plus the processed copy.
    """
    kv_cache = 2 * shape.layers * shape.kv_heads * shape.head_dim * tokens * shape.dtype_bytes
    activations = tokens * (4 * shape.hidden + 3 * shape.intermediate) * shape.dtype_bytes
    logits = 2 * shape.vocab * HF_FLOAT32_LOGITS
    return kv_cache + activations + logits


def auto_batch_size(free_bytes: int, shape: ModelShape, tokens: int, margin: float = SAFETY_MARGIN, cap: int = MAX_AUTO_BATCH_SIZE) -> int:
    """The largest batch whose sequences fit in `free_bytes` after the margin, between 1 and `cap`."""
    fitting = int(free_bytes * (1 - margin)) // bytes_per_sequence(shape, tokens)
    return max(1, min(cap, fitting))


def resolve_batch_size(setting, model, tokens: int) -> int:
    """`generate.batch_size` for this model: an integer as configured; `auto` from the GPU's free
    memory (torch.cuda.mem_get_info), or CPU_AUTO_BATCH_SIZE when the model is not on a GPU."""
    if setting != "auto":
        return int(setting)
    device = model.device
    if device.type != "cuda":
        return CPU_AUTO_BATCH_SIZE
    free, _ = torch.cuda.mem_get_info(device)
    size = auto_batch_size(free, model_shape(model.config, model.dtype.itemsize), tokens)
    log.info("generate.batch_size auto: %d (%.1f GiB free, %d tokens per sequence)", size, free / 2**30, tokens)
    return size

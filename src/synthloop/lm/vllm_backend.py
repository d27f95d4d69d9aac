"""Optional vLLM backend for generation on GPU clusters (`generate.backend: vllm`).

vLLM schedules all prompts itself (continuous batching, paged KV cache), which is much faster
than padded `generate` batches for the many short prompts of block continuation and the
thousands of samples of study 2. Only the token-producing call differs from the Hugging Face
path: prompts come from generation.block_prompts, continuations are cut at EOS and decoded and
assembled by the same code, so the parquet columns are the same.

LoRA: fine-tuned models here are PEFT adapter directories, and with `chains.init: continue`
each generation's adapter points at the previous generation's, a chain that vLLM's
LoRARequest (one adapter on a plain base, and not for every architecture, e.g. GPT-2) cannot
express. So an adapter is merged with models.load_causal_lm, which follows such chains, and
saved to a temporary directory that vLLM loads as a plain model (removed when the job ends).

vllm is imported only here, inside the functions, so the rest of synthloop never needs it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthloop.core.config import ConfigError
from synthloop.core.seeds import stable_seed
from synthloop.lm.batches import Prompt, strip_after_eos

# transformers' global generation defaults, which the Hugging Face path samples with unless the
# model's generation_config.json sets them (GenerationConfig._get_default_generation_params);
# vLLM's own defaults (top_k off) would sample from a different distribution.
HF_DEFAULT_TOP_K = 50
HF_DEFAULT_TOP_P = 1.0


DETERMINISTIC_ENV = {"VLLM_ENABLE_V1_MULTIPROCESSING": "0"}


def import_vllm():
    """vllm, or a ConfigError naming `generate.backend` when it is not installed.

    The V1 engine runs its scheduler in a separate process by default, and then the order in which
    requests are batched (and so their floating-point results) varies from run to run even with
    per-request seeds; in one process it is fixed. Set before vllm is imported, as vLLM reads it then.
    """
    os.environ.update(DETERMINISTIC_ENV)
    try:
        import vllm
    except ImportError as error:
        raise ConfigError(
            "config key 'generate.backend': 'vllm' needs the vllm package, which is not installed here; "
            "install it where the generate jobs run (pip install -e '.[vllm]', on a CUDA machine) or set generate.backend: hf"
        ) from error
    return vllm


@dataclass
class VLLMModel:
    """What vllm_continuations needs: the engine, the model's Hugging Face config (context length)
    and the Hugging Face sampling defaults to reproduce. `sampling_params` builds one request's
    parameters (vllm.SamplingParams; any callable taking its keyword arguments in tests)."""

    llm: Any
    config: Any
    sampling_params: Callable[..., Any]
    hf_defaults: dict = field(default_factory=lambda: {"top_k": HF_DEFAULT_TOP_K, "top_p": HF_DEFAULT_TOP_P})
    workdir: Any = None  # the merged model's TemporaryDirectory, kept alive as long as the engine


def token_prompts(prompts: list[Prompt]) -> list[dict]:
    """vLLM token prompts (the vllm.inputs.TokensPrompt TypedDict), so vLLM sees exactly the ids the HF path sees."""
    return [{"prompt_token_ids": list(p.ids)} for p in prompts]


def sampling_arguments(params: dict, seed: int, index: int, eos_id: int, hf_defaults: dict) -> dict:
    """SamplingParams keyword arguments for prompt `index`, matching generation.sampling_kwargs.

    Greedy is temperature 0. Sampling uses the configured temperature and min_p plus the top_k /
    top_p the HF path applies implicitly, and a seed per request derived from the job's seed, so
    the texts do not depend on how vLLM schedules the requests. Generation stops at the
    tokenizer's EOS, as on the HF path; detokenising is left to the shared decoding code.
    """
    args = {"max_tokens": params["new_tokens"], "stop_token_ids": [eos_id], "detokenize": False}
    if params.get("repetition_penalty") is not None:  # same definition as HF's: on prompt and output tokens
        args["repetition_penalty"] = float(params["repetition_penalty"])
    if not params.get("do_sample", False):
        return {**args, "temperature": 0.0}
    return {
        **args,
        "temperature": params.get("temperature", 1.0),
        "min_p": params.get("min_p") or 0.0,
        "top_k": hf_defaults.get("top_k") or 0,
        "top_p": hf_defaults.get("top_p") or 1.0,
        "seed": stable_seed(seed, "vllm", index),
    }


def vllm_continuations(model: VLLMModel, tokenizer, prompts: list[Prompt], params: dict, seed: int) -> list[list[int]]:
    """The vLLM backend's token-producing call: every prompt in one `LLM.generate`, outputs in prompt order, cut at EOS."""
    eos = tokenizer.eos_token_id
    requests = [model.sampling_params(**sampling_arguments(params, seed, i, eos, model.hf_defaults)) for i in range(len(prompts))]
    outputs = model.llm.generate(token_prompts(prompts), requests, use_tqdm=False)
    return [strip_after_eos(list(out.outputs[0].token_ids), eos) for out in outputs]


def hf_sampling_defaults(directory) -> dict:
    """top_k and top_p as the HF path would sample: the model's generation_config.json, else transformers' defaults."""
    path = Path(directory) / "generation_config.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    top_k, top_p = saved.get("top_k"), saved.get("top_p")
    return {"top_k": HF_DEFAULT_TOP_K if top_k is None else top_k, "top_p": HF_DEFAULT_TOP_P if top_p is None else top_p}


def merged_model_dir(source: str, dtype=None):
    """(directory vLLM can load, TemporaryDirectory or None): a plain model directory as is; a LoRA
    adapter (or chain) merged on the CPU by models.load_causal_lm and saved to a temporary directory."""
    import torch

    from synthloop.lm.models import load_causal_lm

    if not (Path(source) / "adapter_config.json").exists():
        return Path(source), None
    workdir = tempfile.TemporaryDirectory(prefix="synthloop-merged-")
    model, tokenizer = load_causal_lm(source, device=torch.device("cpu"), dtype=dtype or torch.float32)
    model.save_pretrained(workdir.name)
    tokenizer.save_pretrained(workdir.name)
    return Path(workdir.name), workdir


RESERVED_ENGINE_KEYS = ("model", "seed", "dtype", "trust_remote_code", "tokenizer", "download_dir")


def engine_arguments(directory, bfloat16: bool, seed: int, engine: dict | None) -> dict:
    """vllm.LLM arguments: the engine options cannot name the model, its seed or dtype, or switch on remote code.

    The model is the merged directory that transformers saved without remote code (the top-level
    trust_remote_code flag governs that load), so vLLM never needs it; an engine option saying
    otherwise would run the directory's code behind the flag's back.
    """
    reserved = sorted(set(engine or {}) & set(RESERVED_ENGINE_KEYS))
    if reserved:
        raise ValueError(
            f"config key 'generate.vllm_engine': {reserved} cannot be set here (the workflow sets them; "
            "remote code is governed by the top-level trust_remote_code only)"
        )
    return {
        **(engine or {}),
        "model": str(directory),
        "dtype": "bfloat16" if bfloat16 else "auto",
        "seed": seed,
        "trust_remote_code": False,
    }


def load_vllm(source: str, seed: int, engine: dict | None = None):
    """(VLLMModel, tokenizer) for a model directory; `engine` adds vllm.LLM arguments (`generate.vllm_engine`).

    bf16 where the GPU supports it (as models.fast_math chooses for the HF path); the engine's
    own seed is the job's seed.
    """
    import torch
    from transformers import AutoConfig

    from synthloop.lm.models import fast_math, load_tokenizer, pick_device

    vllm = import_vllm()
    dtype = fast_math(pick_device())
    directory, workdir = merged_model_dir(source, dtype)
    llm = vllm.LLM(**engine_arguments(directory, dtype == torch.bfloat16, seed, engine))
    model = VLLMModel(llm, AutoConfig.from_pretrained(directory), vllm.SamplingParams, hf_sampling_defaults(directory), workdir)
    return model, load_tokenizer(str(directory))

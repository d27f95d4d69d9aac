"""Block-continuation generation (study 1): every block of a real document is a prompt.

The published loop calls `generate` once per 64-token block at batch size 1. Here all blocks
of all documents are sorted by length and continued in left-padded batches with the KV cache,
which gives the same greedy tokens many times faster (see bench/block_generation.py).
"""

from __future__ import annotations

import torch

from synthloop.core.progress import Progress
from synthloop.lm.batches import Prompt, padded_batches, strip_after_eos


def block_prompts(tokenizer, texts, block_tokens: int, titles=None) -> list[Prompt]:
    """The title (when there is one), then each block of `block_tokens` tokens of the body."""
    prompts = []
    bodies = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    for doc, ids in enumerate(bodies):
        if titles is not None and isinstance(titles[doc], str) and titles[doc].strip():
            prompts.append(Prompt(doc, tuple(tokenizer(titles[doc], add_special_tokens=False)["input_ids"])))
        prompts.extend(Prompt(doc, tuple(ids[start : start + block_tokens])) for start in range(0, len(ids), block_tokens))
    return [p for p in prompts if p.ids]


@torch.inference_mode()
def continue_batched(
    model, prompts: list[Prompt], new_tokens: int, batch_size: int, pad_id: int, eos_id: int, what: str = "generate", **sampling
) -> list[list[int]]:
    """Continuations of every prompt, in the prompts' order; batches are length-sorted and left-padded.
    Logs a line per batch (prompts done, time left): long generation jobs are otherwise silent."""
    out: list[list[int]] = [[] for _ in prompts]
    progress = Progress(what, len(prompts), "prompts")
    penalty = sampling.pop("repetition_penalty", None)
    for rows, input_ids, attention in padded_batches([p.ids for p in prompts], batch_size, pad_id, side="left", device=model.device):
        generated = model.generate(
            input_ids=input_ids,
            attention_mask=attention,
            max_new_tokens=new_tokens,
            pad_token_id=pad_id,
            eos_token_id=eos_id,
            **sampling,
            **repetition_penalty_processor(penalty, attention),
        )
        for row, i in enumerate(rows):
            out[i] = strip_after_eos(generated[row, input_ids.shape[1] :].tolist(), eos_id)
        progress.step(len(rows))
    return out


@torch.inference_mode()
def continue_one_by_one(model, prompts: list[Prompt], new_tokens: int, pad_id: int, eos_id: int, **sampling) -> list[list[int]]:
    """The published loop: one `generate` call per block, batch size 1 (reference and benchmark)."""
    out = []
    for prompt in prompts:
        ids = torch.tensor([prompt.ids], device=model.device)
        generated = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=new_tokens,
            pad_token_id=pad_id,
            eos_token_id=eos_id,
            **sampling,
        )
        out.append(strip_after_eos(generated[0, ids.shape[1] :].tolist(), eos_id))
    return out


def repetition_penalty_processor(penalty: float | None, attention) -> dict:
    """`generate` arguments for a repetition penalty on a left-padded batch: HF's own processor, told
    each row's number of pads. The plain `repetition_penalty=` argument would also penalise the pads
    (EOS for GPT-2), so a padded prompt would stop later than the same prompt alone."""
    if penalty is None:
        return {}
    from transformers import LogitsProcessorList, RepetitionPenaltyLogitsProcessor

    pads = (attention == 0).sum(dim=1)
    return {"logits_processor": LogitsProcessorList([RepetitionPenaltyLogitsProcessor(float(penalty), prompt_ignore_length=pads)])}


def sampling_kwargs(params: dict) -> dict:
    """`generate` arguments of the configured decoding: greedy, or sampling at a temperature and min_p;
    either with a repetition penalty when configured."""
    kwargs = {"do_sample": bool(params.get("do_sample", False))}
    if kwargs["do_sample"]:
        kwargs["temperature"] = params.get("temperature", 1.0)
        if params.get("min_p") is not None:
            kwargs["min_p"] = params["min_p"]
    if params.get("repetition_penalty") is not None:
        kwargs["repetition_penalty"] = float(params["repetition_penalty"])
    return kwargs


def hf_continuations(model, tokenizer, prompts: list[Prompt], params: dict, seed: int) -> list[list[int]]:
    """The Hugging Face backend's token-producing call: batched `generate`, seeded once, batch size
    as configured or sized from free GPU memory (`generate.batch_size: auto`)."""
    from synthloop.lm.batching import resolve_batch_size

    torch.manual_seed(seed)
    longest = max((len(p.ids) for p in prompts), default=0) + params["new_tokens"]
    batch_size = resolve_batch_size(params["batch_size"], model, longest)
    return continue_batched(
        model, prompts, params["new_tokens"], batch_size, tokenizer.pad_token_id, tokenizer.eos_token_id, **sampling_kwargs(params)
    )


def load_generator(source: str, params: dict, seed: int):
    """Model, tokenizer and token-producing call of the configured backend (`generate.backend`: hf | vllm).

    Everything else (prompts, decoding, assembly) is shared, so both backends write the same columns.
    """
    if params.get("backend", "hf") == "vllm":
        from synthloop.lm.vllm_backend import load_vllm, vllm_continuations

        model, tokenizer = load_vllm(source, seed, params.get("vllm_engine") or {})
        return model, tokenizer, vllm_continuations
    from synthloop.lm.models import load_causal_lm

    model, tokenizer = load_causal_lm(source)
    return model.eval(), tokenizer, hf_continuations


def assemble_documents(tokenizer, prompts: list[Prompt], continuations: list[list[int]], n_docs: int) -> list[str]:
    """One text per document: its blocks' continuations decoded, whitespace-collapsed and joined in block order."""
    pieces: list[list[str]] = [[] for _ in range(n_docs)]
    for prompt, ids in zip(prompts, continuations):
        pieces[prompt.doc].append(tokenizer.decode(ids, skip_special_tokens=True))
    return [" ".join(" ".join(p.split()) for p in doc if p.strip()) for doc in pieces]


def synthesize_documents(model, tokenizer, texts, params: dict, seed: int, titles=None, continuations=hf_continuations) -> list[str]:
    """One synthetic document per real document: its blocks' continuations, concatenated.

    `continuations` is the backend's token-producing call (hf_continuations or
    vllm_backend.vllm_continuations); `model` is what that call expects.
    """
    from synthloop.core.config import ConfigError
    from synthloop.lm.models import context_length

    if params["block_tokens"] + params["new_tokens"] > context_length(model):
        raise ConfigError(
            f"config keys 'generate.block_tokens' + 'generate.new_tokens' = {params['block_tokens'] + params['new_tokens']} "
            f"exceed the model's context of {context_length(model)} tokens"
        )
    prompts = block_prompts(tokenizer, texts, params["block_tokens"], titles)
    return assemble_documents(tokenizer, prompts, continuations(model, tokenizer, prompts, params, seed), len(texts))


def sample_from_prompt(model, tokenizer, prompt: str, count: int, params: dict, seed: int, continuations=hf_continuations) -> list[str]:
    """`count` texts answering one formatted instruction prompt (study 2: temperature 1.5, min_p 0.2)."""
    ids = tuple(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    generated = continuations(model, tokenizer, [Prompt(i, ids) for i in range(count)], params, seed)
    return [tokenizer.decode(c, skip_special_tokens=True).strip() for c in generated]

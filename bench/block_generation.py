"""Block-continuation generation: synthloop's batched loop vs the published one-block-at-a-time loop.

Both run in this process on the same model and the same prompts (blocks of real SOTU
paragraphs); prints tokens/s of each, their ratio, and the share of identical greedy tokens.

    python bench/block_generation.py                       # CPU, tiny GPT-2 from its config
    python bench/block_generation.py --model results/sotu-amplification/models/base
    python bench/block_generation.py --device cuda --size gpt2 --docs 64   # GPT-2 small, random init
    python bench/block_generation.py --device cuda --model DIR --backend vllm   # vLLM vs the published loop (needs vllm, a GPU)
"""

from __future__ import annotations

import argparse
import time

import torch


def build_model(args):
    from transformers import GPT2Config, GPT2LMHeadModel

    from synthloop.lm.basemodel import train_tokenizer
    from synthloop.lm.models import load_causal_lm

    if args.model:
        return load_causal_lm(args.model, device=torch.device(args.device), dtype=getattr(torch, args.dtype))
    texts = paragraphs(2000)
    tokenizer = train_tokenizer(texts, 2048 if args.size == "tiny" else 8192)
    sizes = {"tiny": dict(n_layer=2, n_head=4, n_embd=96), "gpt2": dict(n_layer=12, n_head=12, n_embd=768)}[args.size]
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(tokenizer), n_positions=1024, eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id, **sizes
    )
    model = GPT2LMHeadModel(config).to(args.device, getattr(torch, args.dtype))
    return model, tokenizer


def paragraphs(n):
    from synthloop.data.documents import sotu_paragraphs

    return sotu_paragraphs((1981, 2026), 30)["text"].head(n).tolist()


def timed(fn):
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    out = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - start


def main():
    from synthloop.lm.generation import block_prompts, continue_batched, continue_one_by_one

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", choices=["tiny", "gpt2"], default="tiny", help="random-init model size when --model is not given")
    parser.add_argument("--model", help="a local model directory instead")
    parser.add_argument("--docs", type=int, default=24, help="real documents whose blocks are prompts")
    parser.add_argument("--block", type=int, default=64)
    parser.add_argument("--new", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32", help="bfloat16: what the workflow uses on a GPU")
    parser.add_argument(
        "--backend", choices=["hf", "vllm"], default="hf", help="vllm: time synthloop.lm.vllm_backend instead (needs --model)"
    )
    args = parser.parse_args()
    if args.backend == "vllm" and not args.model:
        parser.error("--backend vllm needs --model: vLLM loads a saved model directory")

    model, tokenizer = build_model(args)
    model.eval()
    prompts = block_prompts(tokenizer, paragraphs(args.docs), args.block)
    ids = dict(pad_id=tokenizer.pad_token_id, eos_id=tokenizer.eos_token_id)
    # min_new_tokens keeps both loops generating the full budget, so tokens/s compare like for like
    greedy = dict(do_sample=False, min_new_tokens=args.new)
    if args.backend == "vllm":  # vLLM stops at EOS: both loops do, and tokens/s count the tokens actually generated
        greedy = dict(do_sample=False)
    continue_batched(model, prompts[:2], 4, 2, **ids, **greedy | {"min_new_tokens": 4})  # warm-up
    if args.backend == "vllm":  # bf16 where supported, so identical tokens are fewer than against the float32 reference
        from synthloop.lm.vllm_backend import load_vllm, vllm_continuations

        engine, _ = load_vllm(args.model, seed=0, engine={"gpu_memory_utilization": 0.5})  # leaves room for the HF reference
        settings = {"new_tokens": args.new, "do_sample": False}
        vllm_continuations(engine, tokenizer, prompts[:2], settings, 0)  # warm-up
        batched, t_batched = timed(lambda: vllm_continuations(engine, tokenizer, prompts, settings, 0))
    else:
        batched, t_batched = timed(lambda: continue_batched(model, prompts, args.new, args.batch_size, **ids, **greedy))
    reference, t_reference = timed(lambda: continue_one_by_one(model, prompts, args.new, **ids, **greedy))

    n_batched = sum(map(len, batched))
    n_reference = sum(map(len, reference))
    same = sum(a == b for x, y in zip(batched, reference) for a, b in zip(x, y))
    total = sum(max(len(x), len(y)) for x, y in zip(batched, reference))
    params = sum(p.numel() for p in model.parameters())
    name = torch.cuda.get_device_name() if args.device == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"device {name}, model {args.model or args.size} ({params / 1e6:.2f} M parameters, {args.dtype})")
    print(f"{len(prompts)} prompts of <= {args.block} tokens from {args.docs} documents, {args.new} new tokens each, greedy")
    print(f"published loop (batch 1):  {n_reference / t_reference:10.1f} tokens/s  ({t_reference:.2f} s)")
    label = "synthloop vLLM:        " if args.backend == "vllm" else f"synthloop batched ({args.batch_size:>3}):"
    print(f"{label}  {n_batched / t_batched:10.1f} tokens/s  ({t_batched:.2f} s)")
    print(f"speed-up: {(n_batched / t_batched) / (n_reference / t_reference):.1f}x")
    print(f"identical greedy tokens: {same / total:.4f} ({same} of {total})")


if __name__ == "__main__":
    main()

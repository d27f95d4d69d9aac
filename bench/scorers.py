"""Throughput of every scorer kind on real paragraphs (State of the Union, from the `sotu` package).

    python bench/scorers.py --n 1000 [--device cpu|cuda] [--judge-n 32] [--max-words 40]

Prints texts/s per scorer. "first" includes imports, model loading and numba compilation
(what a Snakemake job pays once); "warm" is a second call in the same process. The judge runs
on --judge-n texts only (it is orders of magnitude slower) and reports load and generation apart.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np

SCORER_SPECS = {
    "self_bleu": {"kind": "self_bleu"},
    "self_bleu_sampled100": {"kind": "self_bleu", "references": 100},
    "word_entropy": {"kind": "word_entropy"},
    "type_token_ratio": {"kind": "type_token_ratio"},
    "positivity": {"kind": "positivity"},
    "text_length": {"kind": "text_length"},
    "semantic_diversity": {"kind": "semantic_diversity", "embedder": "minilm", "k": 5},
    "gaussianity": {"kind": "gaussianity", "embedder": "minilm"},
}


def benchmark_texts(n: int, max_words: int | None, seed: int = 0) -> list[str]:
    """n paragraphs drawn without replacement (cycled when n exceeds the corpus), optionally cut to max_words."""
    from synthloop.data.documents import sotu_paragraphs

    paragraphs = sotu_paragraphs()["text"].to_numpy()
    picked = np.random.default_rng(seed).permutation(np.resize(paragraphs, max(n, len(paragraphs))))[:n]
    return [" ".join(text.split()[:max_words]) if max_words else text for text in picked]


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def report(name: str, n: int, first: float, warm: float | None = None, note: str = "") -> None:
    best = warm if warm is not None else first
    warm_text = f"{warm:8.2f}" if warm is not None else "       -"
    print(f"{name:24s} {n:6d} {first:9.2f} {warm_text} {n / best:11.1f}  {note}", flush=True)


def bench_embedding(texts: list[str], device: str, embedder: str, folder: Path) -> dict[str, str]:
    from synthloop.scorers.embeddings import embed_texts

    spec = {"model": embedder, "batch_size": 64, "device": device}
    vectors, first = timed(embed_texts, texts, spec)
    _, warm = timed(embed_texts, texts, spec)
    report(f"embed[{embedder}]", len(texts), first, warm, f"dim {vectors.shape[1]}")
    path = folder / "embeddings.npy"
    np.save(path, vectors)
    return {"embeddings": str(path)}


def bench_scorer(name: str, spec: dict, texts: list[str], assets: dict[str, str]) -> None:
    from synthloop.scorers.registry import run_scorer

    _, first = timed(run_scorer, texts, spec, assets)
    _, warm = timed(run_scorer, texts, spec, assets)
    report(name, len(texts), first, warm)


def bench_judge(texts: list[str], device: str, batch_size: int) -> None:
    import torch

    from synthloop.lm.models import load_causal_lm
    from synthloop.scorers import judge

    (model, tokenizer), load = timed(load_causal_lm, judge.resolve_judge_model({"trust_remote_code": False}), torch.device(device))
    report("judge load [smollm2]", len(texts), load, note="model + tokenizer load only")
    for aspect in judge.PROMPTS:
        prompts = judge.chat_prompts(tokenizer, texts, aspect)
        replies, seconds = timed(judge.generate_replies, model, tokenizer, prompts, batch_size, 6)
        missing = sum(np.isnan(judge.parse_score(reply, aspect)) for reply in replies)
        report(
            f"judge {aspect} [smollm2]",
            len(texts),
            seconds,
            note=f"generation only; {missing}/{len(texts)} replies unparsed; e.g. {replies[0]!r}",
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="texts per scorer")
    parser.add_argument("--device", default="cpu", help="torch device for the embedder and the judge")
    parser.add_argument("--judge-n", type=int, default=32, help="texts for the LLM judge (0 skips it)")
    parser.add_argument("--judge-batch-size", type=int, default=16)
    parser.add_argument("--max-words", type=int, default=None, help="cut each paragraph to this many words (generated texts are short)")
    parser.add_argument("--embedder", default="minilm")
    args = parser.parse_args(argv)

    texts = benchmark_texts(args.n, args.max_words)
    words = np.mean([len(text.split()) for text in texts])
    print(f"{len(texts)} SOTU paragraphs, mean {words:.0f} words; device {args.device}; {os.cpu_count()} CPUs", flush=True)
    print(f"{'scorer':24s} {'texts':>6s} {'first_s':>9s} {'warm_s':>8s} {'texts/s':>11s}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        assets = bench_embedding(texts, args.device, args.embedder, Path(folder))
        for name, spec in SCORER_SPECS.items():
            bench_scorer(name, spec, texts, assets)
        if args.judge_n:
            print(f"(the judge runs on the first {min(args.judge_n, len(texts))} texts only)", flush=True)
            bench_judge(texts[: args.judge_n], args.device, args.judge_batch_size)


if __name__ == "__main__":
    sys.exit(main())

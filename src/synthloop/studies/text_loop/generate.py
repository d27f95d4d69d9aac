"""What a text-loop chain's model writes, and what it trains on: one function each, for every kind of chain.

A one-dataset instruction chain is the one-domain case of a mixed chain; block generation (study 1)
continues every block of the chain's real documents.
"""

from __future__ import annotations

import pandas as pd

from synthloop.core.seeds import stable_seed
from synthloop.lm.generation import sample_from_prompt, synthesize_documents
from synthloop.lm.prompts import format_example, format_prompt
from synthloop.loop.pool import domain_counts


def generate_texts(
    model,
    tokenizer,
    params: dict,
    seed: int,
    generation: int,
    instructions: dict[str, str] | None,
    n_texts: int,
    prompts: pd.DataFrame,
    **backend,
) -> pd.DataFrame:
    """Generation `generation`'s texts: from the instructions (instruction mode), or one document per real prompt document."""
    if params["mode"] == "instruction":
        counts = domain_counts(n_texts, list(instructions), params["eval_size"])
        return sample_domains(model, tokenizer, instructions, counts, params, seed, generation, **backend)
    titles = prompts["title"].tolist() if "title" in prompts else None
    texts = synthesize_documents(model, tokenizer, prompts["text"].tolist(), params, seed, titles, **backend)
    return pd.DataFrame({"doc_id": prompts["doc_id"], "text": texts, "generation": generation})


def training_texts(train: pd.DataFrame, tokenizer, instructions: dict[str, str] | None) -> list[str]:
    """What the model trains on: each text after its domain's instruction (instruction mode), or the plain text."""
    if not instructions:
        return train["text"].tolist()
    domains = train["domain"] if "domain" in train.columns else pd.Series(None, index=train.index, dtype=object)
    if len(instructions) == 1:  # a one-dataset chain: its pool rows carry no domain (None)
        domains = domains.where(domains.notna(), next(iter(instructions)))
    missing = sorted(set(domains) - set(instructions))
    if missing:
        raise ValueError(f"training texts of domain(s) {missing} have no instruction; instructions: {sorted(instructions)}")
    return [format_example(instructions[d], t, tokenizer) for d, t in zip(domains, train["text"])]


def sample_domains(
    model, tokenizer, instructions: dict[str, str], counts: dict[str, int], params: dict, seed: int, generation: int, **backend
) -> pd.DataFrame:
    """A mixed chain's generation: each domain's count sampled from its own instruction prompt.

    Each domain has its own seed (from the job's), so adding a domain leaves the others' texts
    unchanged; rows carry `domain`, which the pool, fine-tuning and per-domain scoring read.
    A one-dataset chain is the one-domain case.
    `backend` is passed on to generation.sample_from_prompt (e.g. continuations=...).
    """
    frames = []
    for domain, instruction in instructions.items():
        prompt = format_prompt(instruction, tokenizer)
        texts = sample_from_prompt(model, tokenizer, prompt, counts[domain], params, stable_seed(seed, domain), **backend)
        ids = [f"g{generation}-{domain}-{i:05d}" for i in range(len(texts))]
        frames.append(pd.DataFrame({"doc_id": ids, "text": texts, "generation": generation, "domain": domain}))
    return pd.concat(frames, ignore_index=True)

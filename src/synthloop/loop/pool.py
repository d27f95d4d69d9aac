"""Accumulated-pool chains (study 2, Kovač et al.; and Collapse-or-Thrive's three regimes).

Generation 0 trains on `n0` human texts, which start the pool. Every generation g then writes
round(n·r) texts; they join the pool together with n − round(n·r) fresh human texts. What the
next generation trains on depends on the mode:

accumulate:           the pool keeps everything and the next model trains on all of it.
accumulate_subsample: the pool keeps everything; the next model trains on n texts sampled from
                      it (Kovač et al.'s design; ce_llms resamples the accumulated pool to 4,000).
replace:              the pool is only the newest mix of n texts ("no accumulation").

Human texts are drawn from one seeded permutation of the human corpus per chain: generation 0
takes its first n0, generation g the next n − round(n·r). That needs no record of which texts
were used (the pool of `replace` forgets them), never reuses a text while unused ones remain,
and wraps around (oldest first) only when the corpus runs out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.core.seeds import stable_seed

COLUMNS = ["doc_id", "text", "origin", "source_generation", "domain"]
HUMAN, SYNTHETIC = "human", "synthetic"
MODES = ("accumulate", "accumulate_subsample", "replace")


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown pool mode {mode!r}; allowed: {list(MODES)}")


def generation_counts(n: int, ratio: float) -> tuple[int, int]:
    """(synthetic, fresh human) texts added per generation; rounding once keeps them summing to n."""
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"synthetic ratio {ratio} must lie in [0, 1]")
    synthetic = int(round(n * ratio))
    return synthetic, n - synthetic


def human_rows(human: pd.DataFrame, domain: str | None = None) -> pd.DataFrame:
    """Human texts in pool columns; `domain` fills in where the frame has no domain column."""
    out = human.assign(origin=HUMAN, source_generation=-1)
    if "domain" not in out.columns:
        out["domain"] = domain
    return out[COLUMNS].reset_index(drop=True)


def synthetic_rows(generated: pd.DataFrame, domain: str | None = None) -> pd.DataFrame:
    """Generated texts in pool columns; ids are prefixed by generation so they never collide with human ids."""
    generation = generated["generation"].astype(int).to_numpy()
    ids = generated["doc_id"].astype(str) if "doc_id" in generated.columns else pd.Series(range(len(generated))).astype(str)
    out = pd.DataFrame(
        {
            "doc_id": [f"g{g}-{i}" for g, i in zip(generation, ids)],
            "text": generated["text"].to_numpy(),
            "origin": SYNTHETIC,
            "source_generation": generation,
            "domain": generated["domain"].to_numpy() if "domain" in generated.columns else domain,
        }
    )
    return out[COLUMNS]


def human_order(human: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The chain's fixed order of human texts; every human draw of the chain reads it front to back."""
    rng = np.random.default_rng(stable_seed(seed, "human-order"))
    return human.iloc[rng.permutation(len(human))].reset_index(drop=True)


def take_cyclic(frame: pd.DataFrame, start: int, count: int) -> pd.DataFrame:
    """Rows start … start+count−1, wrapping around the end (reuse only once every row was used)."""
    if count == 0:
        return frame.iloc[:0]
    if len(frame) == 0:
        raise ValueError(f"{count} human texts are needed but the human corpus is empty")
    return frame.iloc[np.arange(start, start + count) % len(frame)]


def pool_generation0(human: pd.DataFrame, n0: int, seed: int, domain: str | None = None) -> pd.DataFrame:
    """Generation 0's training set (and the pool's start): the first n0 texts of the chain's human order."""
    if n0 > len(human):
        raise ValueError(f"n0 = {n0} human texts are needed for generation 0 but the corpus holds {len(human)}")
    return human_rows(human_order(human, seed).iloc[:n0], domain)


def fresh_human_texts(human: pd.DataFrame, generation: int, n0: int, n_fresh: int, seed: int, domain: str | None = None) -> pd.DataFrame:
    """The n_fresh human texts that join the pool after `generation` (≥ 0) wrote its texts.

    They follow generation 0's n0 texts and every earlier generation's fresh texts in the
    chain's human order, so none repeats while unused texts remain.
    """
    start = n0 + generation * n_fresh
    return human_rows(take_cyclic(human_order(human, seed), start, n_fresh), domain)


def first_generated(generated: pd.DataFrame, count: int) -> pd.DataFrame:
    """The `count` generated texts that join the pool: the first ones, or with a `domain` column (a
    mixed chain) the first of each domain in an even split, since a plain head would take one domain only."""
    if "domain" not in generated.columns:
        return generated.head(count)
    wanted = domain_counts(count, list(dict.fromkeys(generated["domain"])))
    return pd.concat([generated[generated["domain"] == domain].head(n) for domain, n in wanted.items()], ignore_index=True)


def next_pool(pool: pd.DataFrame, generated: pd.DataFrame, fresh_human: pd.DataFrame, mode: str) -> pd.DataFrame:
    """The pool after one generation: its generated texts plus fresh human texts, added (accumulate*) or alone (replace)."""
    check_mode(mode)
    fresh = fresh_human[COLUMNS] if "origin" in fresh_human.columns else human_rows(fresh_human)
    newest = pd.concat([synthetic_rows(generated), fresh], ignore_index=True)
    if mode == "replace":
        return newest
    return pd.concat([pool[COLUMNS], newest], ignore_index=True)


def training_sample(pool: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n texts from the pool: without replacement when the pool is large enough, else all of it plus a top-up with replacement."""
    if n <= len(pool):
        rows = rng.choice(len(pool), n, replace=False)
    else:
        rows = np.concatenate([rng.permutation(len(pool)), rng.choice(len(pool), n - len(pool), replace=True)])
    return pool.iloc[np.sort(rows)].reset_index(drop=True)


def training_set(pool: pd.DataFrame, mode: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """What the next generation trains on: the whole pool (accumulate) or n texts sampled from it."""
    check_mode(mode)
    return pool.reset_index(drop=True) if mode == "accumulate" else training_sample(pool, n, rng)


def synthetic_share(frame: pd.DataFrame) -> float:
    return float((frame["origin"] == SYNTHETIC).mean()) if len(frame) else np.nan


def domain_counts(total: int, domains: list[str], minimum: int = 0) -> dict[str, int]:
    """`total` split evenly over the domains (the first ones take the remainder), each at least `minimum`.

    A mixed chain's generation writes each domain's even share of what the pool needs, and at
    least eval_size texts of every domain, because each domain is scored on its own.
    """
    if not domains:
        raise ValueError("no domains to split texts over")
    base, extra = divmod(total, len(domains))
    return {domain: max(base + (i < extra), minimum) for i, domain in enumerate(domains)}

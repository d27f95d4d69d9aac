"""Accumulated-pool chains (study 2, Kovač et al.; and Collapse-or-Thrive's three regimes).

The published design (Kovač et al. §3.1 and the pseudocode of their Figure 8): the pool starts
EMPTY. Generation 0 fine-tunes on n0 = 8,000 real texts, which never enter the pool. After each
generation g ≥ 0, round(n·r) texts it wrote and n − round(n·r) fresh real texts join the pool;
every generation g ≥ 1 fine-tunes a fresh base model on n = 4,000 texts sampled from the pool.

The arithmetic (mode accumulate_subsample, the paper's): after generation g the pool holds
(g+1)·n texts, (g+1)·round(n·r) of them synthetic, so its synthetic share is round(n·r)/n = r
at every g, and the training set of generation g ≥ 1 (n texts drawn without replacement from
the pool) has expected synthetic share exactly round(n·r)/n; generation 0's share is 0.

Other modes, named for what they do (not the paper's design):
accumulate:           the pool keeps everything and the next model trains on ALL of it
                      (Gerstgrasser et al.'s "accumulate"; the training set grows by n per generation).
replace:              the pool is only the newest mix of n texts ("no accumulation").

Real texts are drawn from one seeded permutation of the real corpus per chain: generation 0
takes its first n0, generation g the next n − round(n·r). That needs no record of which texts
were used (the pool of `replace` forgets them), never reuses a text while unused ones remain,
and wraps around (oldest first) only when the corpus runs out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.core.seeds import stable_seed

COLUMNS = ["doc_id", "text", "origin", "source_generation", "domain"]
from synthloop.core.vocabulary import REAL, REAL_GENERATION, SYNTHETIC

MODES = ("accumulate", "accumulate_subsample", "replace")


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown pool mode {mode!r}; allowed: {list(MODES)}")


def generation_counts(n: int, ratio: float) -> tuple[int, int]:
    """(synthetic, fresh real) texts added per generation; rounding once keeps them summing to n."""
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"synthetic ratio {ratio} must lie in [0, 1]")
    synthetic = int(round(n * ratio))
    return synthetic, n - synthetic


def real_rows(real: pd.DataFrame, domain: str | None = None) -> pd.DataFrame:
    """Real texts in pool columns; `domain` fills in where the frame has no domain column."""
    out = real.assign(origin=REAL, source_generation=REAL_GENERATION)
    if "domain" not in out.columns:
        out["domain"] = domain
    return out[COLUMNS].reset_index(drop=True)


def synthetic_rows(generated: pd.DataFrame, domain: str | None = None) -> pd.DataFrame:
    """Generated texts in pool columns; ids are prefixed by generation so they never collide with real ids."""
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


def real_order(real: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The chain's fixed order of real texts; every real draw of the chain reads it front to back."""
    rng = np.random.default_rng(stable_seed(seed, "real-order"))
    return real.iloc[rng.permutation(len(real))].reset_index(drop=True)


def take_cyclic(frame: pd.DataFrame, start: int, count: int) -> pd.DataFrame:
    """Rows start … start+count−1, wrapping around the end (reuse only once every row was used)."""
    if count == 0:
        return frame.iloc[:0]
    if len(frame) == 0:
        raise ValueError(f"{count} real texts are needed but the real corpus is empty")
    return frame.iloc[np.arange(start, start + count) % len(frame)]


def empty_pool() -> pd.DataFrame:
    """The pool before generation 0 wrote anything: empty (generation 0's real texts never enter it)."""
    return pd.DataFrame({column: pd.Series(dtype="int64" if column == "source_generation" else "object") for column in COLUMNS})


def pool_generation0(real: pd.DataFrame, n0: int, seed: int, domain: str | None = None) -> pd.DataFrame:
    """Generation 0's training set: the first n0 texts of the chain's real order (not part of the pool)."""
    if n0 > len(real):
        raise ValueError(f"n0 = {n0} real texts are needed for generation 0 but the corpus holds {len(real)}")
    return real_rows(real_order(real, seed).iloc[:n0], domain)


def fresh_real_texts(real: pd.DataFrame, generation: int, n0: int, n_fresh: int, seed: int, domain: str | None = None) -> pd.DataFrame:
    """The n_fresh real texts that join the pool after `generation` (≥ 0) wrote its texts.

    They follow generation 0's n0 texts and every earlier generation's fresh texts in the
    chain's real order, so none repeats while unused texts remain.
    """
    start = n0 + generation * n_fresh
    return real_rows(take_cyclic(real_order(real, seed), start, n_fresh), domain)


def first_generated(generated: pd.DataFrame, count: int) -> pd.DataFrame:
    """The `count` generated texts that join the pool: the first ones, or with a `domain` column (a
    mixed chain) the first of each domain in an even split, since a plain head would take one domain only."""
    if "domain" not in generated.columns:
        return generated.head(count)
    wanted = domain_counts(count, list(dict.fromkeys(generated["domain"])))
    return pd.concat([generated[generated["domain"] == domain].head(n) for domain, n in wanted.items()], ignore_index=True)


def next_pool(pool: pd.DataFrame, generated: pd.DataFrame, fresh_real: pd.DataFrame, mode: str) -> pd.DataFrame:
    """The pool after one generation: its generated texts plus fresh real texts, added (accumulate*) or alone (replace)."""
    check_mode(mode)
    fresh = fresh_real[COLUMNS] if "origin" in fresh_real.columns else real_rows(fresh_real)
    newest = pd.concat([synthetic_rows(generated), fresh], ignore_index=True)
    if mode == "replace" or len(pool) == 0:
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


def expected_synthetic_share(n: int, ratio: float, generation: int, mode: str = "accumulate_subsample") -> float:
    """The paper's arithmetic: generation 0 trains on real texts only (0); every later training set is
    drawn from a pool whose every generation's addition is round(n·r) of n synthetic, so round(n·r)/n."""
    check_mode(mode)
    return 0.0 if generation == 0 else generation_counts(n, ratio)[0] / n


def real_texts_needed(n0: int, n: int, ratio: float, generations: int) -> int:
    """Real texts a chain of `generations` generations (0 … generations−1) consumes without reuse:
    n0 for generation 0 plus n − round(n·r) fresh ones after each generation but the last."""
    return n0 + max(generations - 1, 0) * generation_counts(n, ratio)[1]


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

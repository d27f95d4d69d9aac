"""Composing each generation's training set from real data and earlier generations' output.

Training sets carry `origin` (real | synthetic) and `source_generation` (REAL_GENERATION for real texts),
so the share of synthetic data is visible in every set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.core.vocabulary import REAL, REAL_GENERATION, SYNTHETIC

COLUMNS = ["doc_id", "text", "origin", "source_generation"]


def real_set(documents: pd.DataFrame) -> pd.DataFrame:
    """Generation 0's training set: the chain's real fine-tuning documents (a label_subset dataset's for
    study 1's center-only setup). A `title` column stays: block generation's prompts are generation 0's
    set, and each article's title is its first prompt (Wang et al.)."""
    columns = COLUMNS + ["title"] * ("title" in documents.columns)
    return documents.assign(origin=REAL, source_generation=REAL_GENERATION)[columns].reset_index(drop=True)


def synthetic_set(generated: pd.DataFrame) -> pd.DataFrame:
    return generated.assign(origin=SYNTHETIC, source_generation=generated["generation"])[COLUMNS]


def compose(
    method: str,
    real: pd.DataFrame,
    previous_pool: pd.DataFrame,
    previous_generated: pd.DataFrame,
    rng: np.random.Generator,
    real_fraction: float = 0.1,
) -> pd.DataFrame:
    """The training set of generation g > 0 under one strategy.

    replace:    what generation g-1 wrote.
    preserve:   the same size, with `real_fraction` of it replaced by randomly chosen real documents.
    accumulate: generation g-1's pool (for these strategies, its training set: all earlier sets) plus what g-1 wrote.
    """
    synthetic = synthetic_set(previous_generated)
    if method == "replace":
        out = synthetic
    elif method == "preserve":
        n_real = int(round(real_fraction * len(synthetic)))
        keep = np.sort(rng.choice(len(synthetic), len(synthetic) - n_real, replace=False))
        real_rows = np.sort(rng.choice(len(real), n_real, replace=n_real > len(real)))
        out = pd.concat([synthetic.iloc[keep], real.iloc[real_rows][COLUMNS]])
    elif method == "accumulate":
        out = pd.concat([previous_pool[COLUMNS], synthetic])
    else:
        raise ValueError(f"unknown compose method {method!r}; allowed: accumulate, preserve, replace")
    return out.reset_index(drop=True)

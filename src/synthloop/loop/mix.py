"""The realised mix of a composed training set, and the check that it is the configured one.

Every row says what a generation trains on: its synthetic share, which generations its texts come
from, and, with a selection step, the share of candidates the step kept. Compose writes its generation's
row (an empty set's shares are NaN); a chain's table gathers them. The checked share is the
one the configuration fixes: the training set's for replace (1) and preserve (1 - real_fraction), the
newest pool addition's for pool strategies (round(n*r) synthetic of n); accumulate fixes none. A
realised share off the configured one by more than one percentage point beyond rounding (half an
item of the set it is measured on) is an error naming the chain and generation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.core.vocabulary import REAL_GENERATION, SYNTHETIC
from synthloop.loop.pool import synthetic_share

TOLERANCE = 0.01  # one percentage point, beyond rounding


class MixError(ValueError):
    """A training set whose realised synthetic share is not the configured one."""


def configured(strategy: dict, gen: int, ratio: float | None) -> float | None:
    """The synthetic share the strategy fixes for generation `gen` (None: accumulate fixes none)."""
    if gen == 0:
        return 0.0
    method = strategy["compose"]
    if method == "replace":
        return 1.0
    if method == "preserve":
        return 1.0 - strategy["real_fraction"]  # the schema's default is in every validated strategy
    if method == "pool":
        return float(ratio)
    return None


def checked_set(strategy: dict, gen: int, train: pd.DataFrame, pool: pd.DataFrame, ratio: float | None) -> tuple[float, int]:
    """(realised share, rows it is measured on): a pool strategy's newest addition (its synthetic texts of
    generation gen-1 and its n*(1-r) fresh real ones), else the training set."""
    if strategy["compose"] == "pool" and gen > 0:
        n = strategy["pool"]["n"]
        synthetic = int((pool["source_generation"].to_numpy() == gen - 1).sum())
        fresh = n - int(round(n * ratio))
        return (synthetic / (synthetic + fresh) if synthetic + fresh else 0.0), synthetic + fresh
    return synthetic_share(train), len(train)


def row(
    strategy: dict, gen: int, ratio: float | None, train: pd.DataFrame, pool: pd.DataFrame, selection: pd.DataFrame | None = None
) -> dict:
    """One generation's realised mix; `selection` is the step's per-candidate table (kept, copies), if any."""
    realised, size = checked_set(strategy, gen, train, pool, ratio)
    sources = sorted(int(g) for g in pd.unique(train["source_generation"]) if int(g) != REAL_GENERATION)
    return {
        "generation": gen,
        "train_rows": len(train),
        "synthetic_share": synthetic_share(train),
        "configured_share": configured(strategy, gen, ratio),
        "checked_share": realised,
        "checked_rows": size,
        "candidates": len(selection) if selection is not None else np.nan,
        "selection_rate": float(selection["kept"].mean()) if selection is not None and len(selection) else np.nan,
        "selected_copies": int(selection["copies"].sum()) if selection is not None else np.nan,
        "source_generations": ",".join(map(str, sources)),
        "real_rows": int((train["origin"] != SYNTHETIC).sum()),
    }


def check(mix: dict, chain: str) -> None:
    """Stop when the realised share is off the configured one by more than a point beyond rounding."""
    wanted, realised, size = mix["configured_share"], mix["checked_share"], mix["checked_rows"]
    if wanted is None or size == 0:
        return
    allowed = TOLERANCE + 0.5 / size
    if abs(realised - wanted) > allowed + 1e-12:
        raise MixError(
            f"chain {chain} generation {mix['generation']}: realised synthetic share {realised:.4f} differs from the "
            f"configured {wanted:.4f} by more than one percentage point beyond rounding ({allowed:.4f} over {size} texts); "
            "a selection step that keeps too few texts needs `oversample` or a larger generation"
        )

"""Each generation's training set for every text-loop strategy, in one call.

`compose` strategies (study 1: replace, preserve, accumulate) build generation g's set from g-1's
set and what g-1 wrote; `pool` strategies (study 2) keep an accumulated pool that starts empty
(synthloop.loop.pool). Both return (training set, pool): the pool is what generation g+1 reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.loop import pool as pools
from synthloop.loop.compose import compose, real_set


def generation_training_set(
    strategy: dict,
    gen: int,
    real: pd.DataFrame,
    previous_pool: pd.DataFrame | None,
    previous_generated: pd.DataFrame | None,
    ratio: float | None,
    seed: int,
    real_seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generation `gen`'s training set and pool. `seed` draws this generation's samples; `real_seed`
    orders the chain's real texts once, so every generation takes fresh ones."""
    rng = np.random.default_rng(seed)
    if strategy["compose"] == "pool":
        spec = strategy["pool"]
        if gen == 0:  # generation 0's n0 real texts never enter the pool
            return pools.pool_generation0(real, spec["n0"], real_seed), pools.empty_pool()
        n_synthetic, n_fresh = pools.generation_counts(spec["n"], ratio)
        generated = pools.first_generated(previous_generated, n_synthetic)
        fresh = pools.fresh_real_texts(real, gen - 1, spec["n0"], n_fresh, real_seed)
        pool = pools.next_pool(previous_pool, generated, fresh, spec["mode"])
        return pools.training_set(pool, spec["mode"], spec["n"], rng), pool
    real = real_set(real)
    if gen == 0:
        return real, real
    train = compose(strategy["compose"], real, previous_pool, previous_generated, rng, strategy.get("real_fraction", 0.1))
    return train, train

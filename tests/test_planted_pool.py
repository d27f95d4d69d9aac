"""A planted bug: the accumulate_subsample training set is a seeded random sample of the
whole pool, not its newest rows. Compared with the hypergeometric law of a random sample."""

import numpy as np
import pandas as pd
from scipy import stats

from synthloop.loop import pool as pl


def old_and_new_pool(old: int = 600, new: int = 400) -> pd.DataFrame:
    """Old real rows first, the newest generation's synthetic rows last (the order next_pool builds)."""
    real = pd.DataFrame({"doc_id": [f"h{i}" for i in range(old)], "text": [f"real {i}" for i in range(old)]})
    generated = pd.DataFrame({"doc_id": range(new), "text": [f"synthetic {i}" for i in range(new)], "generation": 3})
    return pd.concat([pl.real_rows(real), pl.synthetic_rows(generated)], ignore_index=True)


def test_subsample_is_a_random_sample_of_the_whole_pool_not_its_newest_rows():
    pool = old_and_new_pool()
    n = 400
    shares = [pl.synthetic_share(pl.training_set(pool, "accumulate_subsample", n, np.random.default_rng(seed))) for seed in range(20)]
    # a random sample of 400 of 600 real + 400 synthetic rows: synthetic count ~ hypergeometric(1000, 400, 400)
    low, high = stats.hypergeom(1000, 400, n).ppf([0.0005, 0.9995]) / n
    assert all(low <= s <= high for s in shares), (low, high, shares)
    assert abs(np.mean(shares) - 0.4) < 0.02  # the newest-rows bug gives 1.0 every time


def test_subsample_draws_from_every_part_of_the_pool_and_follows_the_seed():
    pool = old_and_new_pool()
    sample = pl.training_set(pool, "accumulate_subsample", 400, np.random.default_rng(7))
    positions = pool.reset_index().merge(sample, on="doc_id")["index"].to_numpy()
    assert len(positions) == 400 and len(set(sample["doc_id"])) == 400  # without replacement
    assert (np.histogram(positions, bins=10, range=(0, 1000))[0] > 0).all()  # every tenth of the pool contributes
    again = pl.training_set(pool, "accumulate_subsample", 400, np.random.default_rng(7))
    other = pl.training_set(pool, "accumulate_subsample", 400, np.random.default_rng(8))
    assert again["doc_id"].tolist() == sample["doc_id"].tolist()
    assert other["doc_id"].tolist() != sample["doc_id"].tolist()

"""The accumulated pool as Kovač et al. define it (§3.1, Figure 8), checked against
the paper's arithmetic computed here by hand, not by the module under test."""

import numpy as np
import pandas as pd
import pytest

from synthloop.loop import pool as pl

N0, N, GENERATIONS = 80, 40, 8


@pytest.fixture(scope="module")
def real():
    return pd.DataFrame({"doc_id": [f"h{i}" for i in range(2000)], "text": [f"t{i}" for i in range(2000)]})


def chain_shares(real, ratio, seed, mode="accumulate_subsample"):
    """Synthetic share of each generation's training set, built the way compose_training_set does."""
    n_synthetic, n_fresh = pl.generation_counts(N, ratio)
    rng = np.random.default_rng(seed)
    train, pool = pl.pool_generation0(real, N0, seed), pl.empty_pool()
    shares, sizes = [pl.synthetic_share(train)], [len(train)]
    for g in range(1, GENERATIONS):
        generated = pd.DataFrame({"text": [f"s{g - 1}-{i}" for i in range(n_synthetic)], "generation": g - 1})
        pool = pl.next_pool(pool, generated, pl.fresh_real_texts(real, g - 1, N0, n_fresh, seed), mode)
        train = pl.training_set(pool, mode, N, rng)
        shares.append(pl.synthetic_share(train))
        sizes.append(len(train))
    return np.array(shares), sizes


@pytest.mark.parametrize("ratio", [1 / 16, 0.25, 0.5, 1.0])
def test_mean_synthetic_share_is_r_from_generation_one(real, ratio):
    # paper arithmetic: every addition is n*r synthetic of n, gen 0's real texts stay out, so E[share_g] = r (g >= 1)
    runs = np.array([chain_shares(real, ratio, seed)[0] for seed in range(30)])
    assert (runs[:, 0] == 0).all()
    expected = round(N * ratio) / N
    assert np.allclose(runs[:, 1:].mean(axis=0), expected, atol=0.04)
    # generation 1 samples all n texts of a pool of exactly n: its share is exactly r, with no noise
    assert np.allclose(runs[:, 1], expected)
    assert [pl.expected_synthetic_share(N, ratio, g) for g in (0, 1, 5)] == [0.0, expected, expected]


def test_old_design_is_gone_share_at_generation_one_is_not_diluted_by_n0(real):
    # with g0's 8,000 texts in the pool (the old behaviour) r = 0.25 gave 0.083 at g1; the paper's design gives 0.25
    shares, sizes = chain_shares(real, 0.25, seed=0)
    assert shares[1] == pytest.approx(0.25) and sizes == [N0] + [N] * (GENERATIONS - 1)


def test_accumulate_mode_trains_on_the_whole_growing_pool(real):
    _, sizes = chain_shares(real, 0.5, seed=0, mode="accumulate")
    assert sizes == [N0] + [g * N for g in range(1, GENERATIONS)]


def test_real_texts_needed_by_hand():
    # n0 = 8000, n = 4000, r = 0.25, 20 generations: 8000 + 19 * 3000 = 65,000
    assert pl.real_texts_needed(8000, 4000, 0.25, 20) == 65_000
    assert pl.real_texts_needed(8000, 4000, 1.0, 20) == 8000

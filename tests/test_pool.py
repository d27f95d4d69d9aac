"""Accumulated-pool chains: pool and training-set arithmetic per mode, fresh real texts, base-model draws."""

import numpy as np
import pandas as pd
import pytest

from synthloop.core.vocabulary import REAL_GENERATION
from synthloop.loop import pool as pl
from synthloop.studies.text_loop.chains import draw_base_model

N0, N, GENERATIONS = 64, 32, 5


@pytest.fixture(scope="module")
def real():
    return pd.DataFrame(
        {"doc_id": [f"h{i:04d}" for i in range(1000)], "text": [f"real text {i}" for i in range(1000)], "domain": "twitter"}
    )


def generated_by(generation: int, count: int) -> pd.DataFrame:
    return pd.DataFrame({"text": [f"generated g{generation} {i}" for i in range(count)], "generation": generation})


def run_chain(real, mode: str, ratio: float, generations: int = GENERATIONS, seed: int = 0):
    """Pools and training sets of generations 0 … generations, as a workflow would build them."""
    n_synthetic, n_fresh = pl.generation_counts(N, ratio)
    rng = np.random.default_rng(seed)
    pool = pl.empty_pool()  # generation 0's real texts never enter the pool (Kovač et al., Figure 8)
    pools, trains = [pool], [pl.pool_generation0(real, N0, seed)]
    for g in range(generations):
        pool = pl.next_pool(pool, generated_by(g, n_synthetic), pl.fresh_real_texts(real, g, N0, n_fresh, seed), mode)
        pools.append(pool)
        trains.append(pl.training_set(pool, mode, N, rng))
    return pools, trains


@pytest.mark.parametrize("ratio", [1 / 16, 1 / 2, 1.0])
@pytest.mark.parametrize("mode", pl.MODES)
def test_pool_and_training_set_sizes_and_shares(real, mode, ratio):
    n_synthetic, n_fresh = pl.generation_counts(N, ratio)
    assert n_synthetic + n_fresh == N and n_synthetic == round(N * ratio)
    pools, trains = run_chain(real, mode, ratio)
    assert len(trains[0]) == N0 and (trains[0]["origin"] == "real").all()
    for g in range(1, GENERATIONS + 1):
        synthetic = int((pools[g]["origin"] == "synthetic").sum())
        if mode == "replace":
            assert len(pools[g]) == N and synthetic == n_synthetic
            assert set(pools[g]["source_generation"]) <= {REAL_GENERATION, g - 1}
        else:
            assert len(pools[g]) == g * N and synthetic == g * n_synthetic
            counts = pools[g]["source_generation"].value_counts()
            assert all(counts.get(k, 0) == n_synthetic for k in range(g))
            assert counts.get(REAL_GENERATION, 0) == g * n_fresh
        assert len(trains[g]) == (len(pools[g]) if mode == "accumulate" else N)
        assert set(trains[g]["doc_id"]) <= set(pools[g]["doc_id"])
        assert trains[g]["doc_id"].is_unique  # sampled without replacement


def test_replace_at_ratio_one_trains_only_on_the_last_generation(real):
    _, trains = run_chain(real, "replace", 1.0)
    assert (trains[-1]["source_generation"] == GENERATIONS - 1).all()
    assert pl.synthetic_share(trains[-1]) == 1.0


def test_subsample_share_tracks_the_pool_share(real):
    pools, trains = run_chain(real, "accumulate_subsample", 0.5, generations=3)
    # a sample of N from the pool: its synthetic share is hypergeometric around the pool's
    assert abs(pl.synthetic_share(trains[-1]) - pl.synthetic_share(pools[-1])) < 0.3


def test_fresh_real_texts_are_not_reused_while_enough_remain(real):
    n_fresh = pl.generation_counts(N, 1 / 16)[1]
    drawn = [pl.pool_generation0(real, N0, 3)] + [pl.fresh_real_texts(real, g, N0, n_fresh, 3) for g in range(GENERATIONS)]
    ids = pd.concat(drawn)["doc_id"]
    assert len(ids) == N0 + GENERATIONS * n_fresh <= len(real)
    assert ids.is_unique
    assert (pd.concat(drawn)["domain"] == "twitter").all()


def test_fresh_real_texts_wrap_around_only_when_exhausted():
    small = pd.DataFrame({"doc_id": [f"h{i}" for i in range(10)], "text": list("abcdefghij")})
    first_round = pd.concat(
        [pl.pool_generation0(small, 4, 1), pl.fresh_real_texts(small, 0, 4, 3, 1), pl.fresh_real_texts(small, 1, 4, 3, 1)]
    )
    assert first_round["doc_id"].is_unique and len(first_round) == 10
    again = pl.fresh_real_texts(small, 2, 4, 3, 1)
    assert again["doc_id"].tolist() == first_round["doc_id"].tolist()[:3]  # oldest first


def test_real_draws_depend_on_the_seed_and_are_reproducible(real):
    assert pl.pool_generation0(real, N0, 0)["doc_id"].tolist() == pl.pool_generation0(real, N0, 0)["doc_id"].tolist()
    assert pl.pool_generation0(real, N0, 0)["doc_id"].tolist() != pl.pool_generation0(real, N0, 1)["doc_id"].tolist()


def test_generation0_needs_enough_real_texts(real):
    with pytest.raises(ValueError, match="n0 = 5000"):
        pl.pool_generation0(real, 5000, 0)


def test_training_sample_tops_up_with_replacement_only_when_the_pool_is_small():
    pool = pl.real_rows(pd.DataFrame({"doc_id": list("abc"), "text": list("abc")}))
    sample = pl.training_sample(pool, 5, np.random.default_rng(0))
    assert len(sample) == 5 and set(sample["doc_id"]) == {"a", "b", "c"}


def test_synthetic_ids_do_not_collide_with_real_ids():
    rows = pl.synthetic_rows(pd.DataFrame({"doc_id": ["h1", "h2"], "text": ["x", "y"], "generation": 4}))
    assert rows["doc_id"].tolist() == ["g4-h1", "g4-h2"] and (rows["source_generation"] == 4).all()


def test_unknown_mode_is_named(real):
    with pytest.raises(ValueError, match="unknown pool mode 'mix'"):
        pl.next_pool(pl.empty_pool(), generated_by(0, 1), pl.fresh_real_texts(real, 0, 4, 1, 0), "mix")


CANDIDATES = ["llama-3.2-1b", "qwen2.5-1.5b", "smollm-1.7b", "falcon3-1b"]


def test_base_model_draw_is_identical_across_calls():
    first = [draw_base_model(CANDIDATES, "twitter-c003-r0.5-s0", g, 0) for g in range(20)]
    second = [draw_base_model(list(CANDIDATES), "twitter-c003-r0.5-s0", g, 0) for g in range(20)]
    assert first == second
    assert set(first) <= set(CANDIDATES) and len(set(first)) > 1  # a fresh draw per generation, not one model


def test_base_model_draw_differs_across_seeds_and_chains():
    by_seed = {seed: tuple(draw_base_model(CANDIDATES, "chain", g, seed) for g in range(10)) for seed in range(5)}
    assert len(set(by_seed.values())) == 5
    by_chain = {chain: tuple(draw_base_model(CANDIDATES, chain, g, 0) for g in range(10)) for chain in ("a", "b", "c")}
    assert len(set(by_chain.values())) == 3


def test_base_model_needs_candidates():
    with pytest.raises(ValueError, match="no base model"):
        draw_base_model([], "chain", 0, 0)

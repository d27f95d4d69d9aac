"""The selection step's modes on hand-made tables: each keeps exactly what its definition says."""

import numpy as np
import pandas as pd
import pytest

from synthloop.core.seeds import stable_seed
from synthloop.loop import select

SCORES = np.array([0.7, 0.2, 0.9, 0.2, 0.5, 0.1])


def test_threshold_keeps_every_item_at_or_beyond_the_threshold():
    high = select.copies(SCORES, {"mode": "threshold", "threshold": 0.5, "keep": "highest"}, None, None)
    low = select.copies(SCORES, {"mode": "threshold", "threshold": 0.2, "keep": "lowest"}, None, None)
    assert list(high) == [1, 0, 1, 0, 1, 0]
    assert list(low) == [0, 1, 0, 1, 0, 1]


def test_an_item_without_a_score_is_never_kept():
    scores = np.array([0.1, np.nan, 0.3])
    assert list(select.copies(scores, {"mode": "threshold", "threshold": 0.0}, None, None)) == [1, 0, 1]
    assert list(select.copies(scores, {"mode": "threshold", "threshold": 1.0, "keep": "lowest"}, None, None)) == [1, 0, 1]
    for keep in ("highest", "lowest"):
        assert list(select.copies(scores, {"mode": "top_fraction", "fraction": 0.67, "keep": keep}, None, None)) == [1, 0, 1]


def test_top_fraction_keeps_the_best_rounded_share_ties_to_the_earlier_row():
    assert list(select.copies(SCORES, {"mode": "top_fraction", "fraction": 0.5, "keep": "highest"}, None, None)) == [1, 0, 1, 0, 1, 0]
    # the lowest half: 0.1, then the tie 0.2 / 0.2 (rows 1 and 3) both fit; a third would be 0.5
    assert list(select.copies(SCORES, {"mode": "top_fraction", "fraction": 0.5, "keep": "lowest"}, None, None)) == [0, 1, 0, 1, 0, 1]
    # two of the lowest: 0.1 and the earlier 0.2
    assert list(select.copies(SCORES, {"mode": "top_fraction", "fraction": 0.34, "keep": "lowest"}, None, None)) == [0, 1, 0, 0, 0, 1]


def test_oversampled_top_fraction_keeps_exactly_the_configured_count():
    step = {"mode": "top_fraction", "fraction": 0.8, "keep": "lowest", "oversample": True}
    assert select.candidates(step, 100) == 125 and select.candidates(step, 4) == 5
    assert select.candidates({**step, "oversample": False}, 100) == 100
    assert select.candidates(None, 7) == 7
    kept = select.copies(np.array([0.4, 0.3, 0.2, 0.1, 0.0]), step, 4, None)
    assert list(kept) == [0, 1, 1, 1, 1]
    with pytest.raises(ValueError, match="only 5 were sampled"):
        select.copies(np.zeros(5), step, 6, None)


def test_importance_weights_are_one_minus_p_to_the_beta():
    p = np.array([0.0, 0.5, 0.75, 1.0])
    assert select.importance_weights(p, 2.0) == pytest.approx([1.0, 0.25, 0.0625, 0.0])
    assert select.importance_weights(p, 0.0) == pytest.approx([1.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="probabilities"):
        select.importance_weights(np.array([1.2]), 1.0)


@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0])
def test_importance_resampling_realises_its_weights_across_seeds(beta):
    """Over seeds, each item's share of the draws matches (1 - p)^beta normalised, within sampling error."""
    p = np.array([0.05, 0.3, 0.5, 0.7, 0.9, 0.99])
    draws, seeds = 400, 50
    total = np.zeros(len(p))
    for seed in range(seeds):
        kept = select.copies(p, {"mode": "importance", "beta": beta}, draws, np.random.default_rng(stable_seed(seed, "importance")))
        assert kept.sum() == draws  # a generation contributes its configured count
        total += kept
    expected = (1 - p) ** beta / ((1 - p) ** beta).sum()
    n = draws * seeds
    realised = total / n
    assert np.all(np.abs(realised - expected) <= 4 * np.sqrt(expected * (1 - expected) / n) + 1e-12)


def test_importance_resampling_is_the_seeds_and_differs_across_them():
    p, step = np.linspace(0, 0.9, 10), {"mode": "importance", "beta": 1.0}
    one = select.copies(p, step, 10, np.random.default_rng(1))
    assert np.array_equal(one, select.copies(p, step, 10, np.random.default_rng(1)))
    assert not np.array_equal(one, select.copies(p, step, 10, np.random.default_rng(2)))


def test_expand_repeats_rows_by_their_copies_in_order():
    frame = pd.DataFrame({"doc_id": ["a", "b", "c"]})
    assert select.expand(frame, np.array([2, 0, 1]))["doc_id"].tolist() == ["a", "a", "c"]


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown selection mode"):
        select.copies(SCORES, {"mode": "best"}, None, None)

"""Kovač et al.'s appendix C.3 histogram toy. The paper's result: only a biased
learner whose prior the truth avoids loses the most diversity at intermediate ratios (Figure 12's
U); without the bias, or with a truth that overlaps it, the loss grows with r."""

import numpy as np
import pytest
from scipy import stats

from synthloop.analysis import theory


@pytest.fixture(scope="module")
def summary():
    return theory.diversity_loss_by_ratio(theory.histogram_toy(seed=0))


def test_intermediate_ratio_peak_only_for_the_biased_learner_on_a_truth_that_avoids_its_prior(summary):
    for (truth, learner, pool), curve in summary.groupby(theory.CONDITION):
        loss = curve.sort_values("ratio")["loss"].to_numpy()
        if (truth, learner) == ("avoids prior", "biased"):
            # the largest loss at an interior ratio, clearly above both ends (seeds 0-3: margin >= 0.5 nats)
            assert loss[1:-1].max() > max(loss[0], loss[-1]) + 0.3, (pool, loss)
        else:
            # the loss at r = 1 is the largest, up to noise: no interior peak
            assert loss[1:-1].max() <= loss[-1] + 0.1, (truth, learner, pool, loss)


def test_toy_has_the_appendix_design(summary):
    runs = theory.histogram_toy(ratios=[0.5], runs=50, generations=20, seed=1)
    assert runs.groupby(theory.CONDITION).size().eq(50).all() and len(runs) == 8 * 50  # 2 truths x 2 learners x 2 pools, 50 simulations
    assert set(summary["ratio"]) == set(theory.SYNTHETIC_RATIOS)


def test_one_replace_step_by_hand():
    """Independent re-implementation of one step with the same draws (the arithmetic of the appendix)."""
    n, ratio, factor, smoothing = 10, 0.3, 5.0, 0.5
    truth = np.where(np.arange(n + 1) % 2 == 1, 1.0, 0.0)
    truth /= truth.sum()
    np.testing.assert_allclose(theory.true_distribution(n, overlap=False), truth)
    rng = np.random.default_rng(3)
    counts0 = rng.multinomial(n, truth[None])
    bias = np.array([factor if v % 2 == 0 else 1.0 for v in range(n + 1)])
    model0 = (counts0 * bias + smoothing) / (counts0 * bias + smoothing).sum()
    step = rng.multinomial(3, model0) + rng.multinomial(7, truth[None])  # round(0.3 * 10) = 3 synthetic, 7 true
    model1 = (step * bias + smoothing) / (step * bias + smoothing).sum()
    expected = [stats.entropy(model0[0]), stats.entropy(model1[0])]
    got = theory.histogram_chain_entropies(truth, theory.even_prior(n, factor), ratio, n, 2, 1, smoothing, False, np.random.default_rng(3))
    np.testing.assert_allclose(got[:, 0], expected)

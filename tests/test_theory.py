"""The toy models reproduce the behaviour the studies use them to explain (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from synthloop.analysis import theory


@pytest.fixture(scope="module")
def beta_loop():
    return theory.weighted_mle_drift(n=100_000, generations=10, seed=0)


def test_weighted_fit_recovers_the_product_density():
    """Weighted MLE targets data × weight: Beta(2,2) data weighed by Beta(3,2) gives Beta(4,3)."""
    x = np.random.default_rng(1).beta(2, 2, size=200_000)
    a, b = theory.fit_beta_weighted(x, stats.beta(3, 2).pdf(x))
    assert (a, b) == pytest.approx((4, 3), rel=0.03)


def test_weighted_mle_drifts_toward_the_pretraining_mean_and_sharpens(beta_loop):
    weighted = beta_loop[beta_loop["method"] == "weighted"]
    mean, std = weighted["mean"].to_numpy(), weighted["std"].to_numpy()
    assert mean[0] == pytest.approx(4 / 7, abs=0.005)  # already pulled away from 0.5 at generation 0
    assert (np.diff(mean) > 0).all() and mean[-1] == pytest.approx(0.6, abs=0.005)
    assert (np.diff(std) < 0).all() and std[-1] < std[0] / 10


def test_plain_mle_stays_at_the_real_distribution(beta_loop):
    plain = beta_loop[beta_loop["method"] == "plain"]
    assert np.abs(plain["mean"] - 0.5).max() < 0.01
    assert np.abs(plain["std"] - stats.beta(2, 2).std()).max() < 0.01


def test_curve_shape_names_the_shapes():
    assert theory.curve_shape([0.0, 0.5, 0.3]) == "peak"
    assert theory.curve_shape([0.0, 0.01, 0.0, 0.5]) == "increasing"
    assert theory.curve_shape([0.5, 0.2, -0.1]) == "decreasing"
    assert theory.curve_shape([0.5, 0.0, 0.6]) == "other"


def test_gaussian_refits_lose_variance_with_small_samples():
    summary = theory.gaussian_collapse_summary(theory.gaussian_collapse(n=10, generations=50, runs=500, seed=0))
    mean_variance = summary["mean_variance"].to_numpy()
    assert mean_variance[-1] < 0.1 * mean_variance[0]
    assert (np.diff(mean_variance[::10]) < 0).all()


def test_unbiased_variance_refits_still_collapse_in_the_median():
    summary = theory.gaussian_collapse_summary(theory.gaussian_collapse(n=10, generations=50, runs=500, ddof=1, seed=0))
    assert summary["median_variance"].iloc[-1] < 0.1


@pytest.mark.parametrize(
    "name, params",
    [
        ("weighted_mle", {"n": 2000, "generations": 3}),
        ("histogram_prior", {"runs": 5, "generations": 4, "ratios": [0.25, 1.0]}),
        ("gaussian_collapse", {"generations": 5, "runs": 10}),
    ],
)
def test_run_toy_writes_its_table_and_figure(name, params, tmp_path):
    table = theory.run_toy(name, params, tmp_path / "t.csv", tmp_path / "f.png")
    assert len(table) > 0 and (tmp_path / "t.csv").stat().st_size > 0 and (tmp_path / "f.png").stat().st_size > 0

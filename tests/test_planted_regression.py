"""A planted bug: the regression's "95%" interval is a 95% interval.

Checked twice, independently of statsmodels' conf_int: the bounds equal coef ± t(0.975, n − k)·se
from scipy, and on 600 simulated data sets the interval covers the true (standardised) slope at a
rate whose binomial 99.9% band around 0.95 excludes 0.99 (and 0.90).
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synthloop.analysis import regression as rg


def simulated(seed: int, n: int = 25, slope: float = 0.4) -> tuple[pd.DataFrame, float]:
    """y = slope·x + N(0, 1); the predictor is z-scored in the fit, so the truth is slope·sd(x) (ddof 0)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": slope * x + rng.normal(size=n)}), slope * x.std(ddof=0)


def test_interval_bounds_are_coef_plus_minus_the_975_t_quantile_times_se():
    data, _ = simulated(0)
    row = rg.regress_shift(data, "y", ["x"]).iloc[0]
    half = stats.t.ppf(0.975, df=len(data) - 2) * row["se"]
    assert row["ci_low"] == pytest.approx(row["coef"] - half, rel=1e-9)
    assert row["ci_high"] == pytest.approx(row["coef"] + half, rel=1e-9)


@pytest.mark.slow
def test_interval_covers_the_true_slope_95_percent_of_the_time():
    trials = 600
    covered = 0
    for seed in range(trials):
        data, truth = simulated(seed + 1)
        row = rg.regress_shift(data, "y", ["x"]).iloc[0]
        covered += row["ci_low"] <= truth <= row["ci_high"]
    low, high = stats.binom(trials, 0.95).ppf([0.0005, 0.9995]) / trials  # about 0.922 .. 0.975
    assert low <= covered / trials <= high, covered / trials

"""The 95% t-interval across seeds (or texts) that every table and figure of synthloop reports."""

from __future__ import annotations

import numpy as np
from scipy import stats


def t_half_width(sd, n, level: float = 0.95):
    """Half the width of the t-interval of a mean of `n` values with standard deviation `sd`; NaN where n < 2.

    Vectorised over per-group columns, so a grouped table gets its bounds as mean ± this.
    """
    n = np.asarray(n, dtype=float)
    df = np.where(n > 1, n - 1, np.nan)
    return stats.t.ppf(0.5 + level / 2, df) * np.asarray(sd, dtype=float) / np.sqrt(n)


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean, t-interval bounds and count of `values`; NaNs (missing scores) are left out and counted by the caller.

    One value, or all equal, gives an interval of zero width at the mean.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(values.mean())
    if n < 2 or np.all(values == values[0]):
        return mean, mean, mean, n
    half = float(t_half_width(values.std(ddof=1), n, level))
    return mean, mean - half, mean + half, n

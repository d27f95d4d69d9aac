"""A planted bug: a neuron is significant only when its p-value is below alpha.

The toy of test_neurons (units 0-3 follow the lean share, 2-5 the quality index, the other 10 of 16
are independent random walks) is regressed here again with statsmodels' hac-panel, neuron by neuron,
and the sets, their sizes and their overlap are compared with those p-values < 0.05.
"""

import numpy as np
import pytest
import statsmodels.api as sm
from test_neurons import TARGETS, toy_study

from synthloop.studies.text_loop import neurons


def statsmodels_significant(values, metrics, metric: str, scorer: str) -> set[int]:
    dy, dx, groups = [], [], []
    for index, chain in enumerate(sorted(values)):
        rows = metrics[(metrics["chain"] == chain) & (metrics["metric"] == metric)].sort_values("generation")
        dy.append(np.diff(rows["value"].to_numpy()))
        dx.append(np.diff(values[chain]["weight"].reshape(9, -1), axis=0))
        groups.append(np.full(8, index))
    dy, dx, groups = np.concatenate(dy), np.concatenate(dx), np.concatenate(groups)
    found = set()
    for j in range(dx.shape[1]):
        fit = sm.OLS(dy, sm.add_constant(dx[:, j])).fit(
            cov_type="hac-panel", cov_kwds={"maxlags": 1, "groups": groups, "use_correction": False}
        )
        if fit.pvalues[1] < 0.05:
            found.add(j)
    return found


@pytest.mark.slow
def test_significant_sets_are_the_neurons_with_p_below_alpha():
    values, generations, metrics = toy_study()
    analysis = neurons.analyse_neurons(values, generations, metrics, TARGETS, alpha=0.05)
    weight = analysis.per_neuron[analysis.per_neuron["kind"] == "weight"]
    lean = statsmodels_significant(values, metrics, "share_right", "lean")
    quality = statsmodels_significant(values, metrics, "quality_index", "quality")
    assert {0, 1, 2, 3} <= lean and {2, 3, 4, 5} <= quality
    assert len(lean) <= 8 and len(quality) <= 8  # the 10 null units are mostly not significant
    for metric, expected in (("lean.share_right", lean), ("quality.quality_index", quality)):
        got = set(weight.loc[weight["significant"] & (weight["metric"] == metric), "neuron"])
        assert got == expected
        sizes = analysis.set_sizes.set_index(["kind", "metric"]).loc[("weight", metric)]
        assert sizes["n_neurons"] == 16 and sizes["n_significant"] == len(expected)
    overlap = analysis.overlap.set_index("kind").loc["weight"]
    assert overlap["n_in_all"] == len(lean & quality) and overlap["n_in_any"] == len(lean | quality)
    assert overlap["jaccard"] < 0.75  # bias and quality sets are distinct: the bug's 16/16 makes it 1.0


def test_alpha_is_the_threshold():
    values, generations, metrics = toy_study()
    strict = neurons.analyse_neurons(values, generations, metrics, TARGETS, alpha=0.0).per_neuron
    assert not strict["significant"].any()
    assert neurons.analyse_neurons(values, generations, metrics, TARGETS, alpha=1.0).per_neuron["significant"].all()

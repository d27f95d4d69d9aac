"""A paper's finding against per-seed values: verdicts, and every study's findings recovered from planted metrics tables."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from synthloop.analysis.claims import claim_row, verdict
from synthloop.core.intervals import mean_ci, t_half_width
from synthloop.studies.image_loop.claims import MD_MARGIN, claims
from synthloop.studies.inheritance import claims as inheritance_claims
from synthloop.studies.text_loop import claims as text_loop_claims


@pytest.mark.parametrize(
    ("low", "high", "expect", "margin", "seeds", "want"),
    [
        (0.01, 0.05, "increase", None, 3, "reproduced"),
        (-0.05, -0.01, "increase", None, 3, "not reproduced"),
        (-0.01, 0.05, "increase", None, 3, "inconclusive"),
        (-0.05, -0.01, "decrease", None, 3, "reproduced"),
        (0.01, 0.05, "increase", None, 2, "inconclusive"),  # too few seeds, however clear
        (-0.02, 0.03, "none", 0.05, 3, "reproduced"),
        (0.06, 0.09, "none", 0.05, 3, "not reproduced"),
        (-0.02, 0.08, "none", 0.05, 3, "inconclusive"),  # wider than the margin: cannot show an absence
    ],
)
def test_verdicts(low, high, expect, margin, seeds, want):
    assert verdict(low, high, expect, margin, seeds) == want


def test_a_finding_of_no_effect_needs_a_margin():
    with pytest.raises(ValueError, match="margin"):
        verdict(-0.01, 0.01, "none")


def test_a_claim_row_holds_the_t_interval_across_seeds():
    row = claim_row("c", "all", [0.1, 0.2, 0.3], "increase")
    half = 4.302652729911275 * 0.1 / np.sqrt(3)  # t(0.975, 2) x sd / sqrt(n)
    assert row["mean"] == pytest.approx(0.2) and row["low"] == pytest.approx(0.2 - half) and row["high"] == pytest.approx(0.2 + half)
    assert row["seeds"] == 3 and row["verdict"] == "inconclusive"  # the interval reaches below 0


def planted(accuracy_gain: float, md_gain: dict, seeds=(0, 1, 2)) -> pd.DataFrame:
    """A metrics table whose accuracy rises by `accuracy_gain` over 4 generations in every cell, and whose MD rises
    by md_gain[bias]; the seeds add a small known noise."""
    rows = []
    for bias, generator, classifier, seed, gen in itertools.product(["biased", "unbiased"], ["dcgan"], ["mlp", "cnn"], seeds, range(5)):
        noise = 0.002 * (seed - 1)
        rows.append(
            {
                "chain": f"{bias}-{generator}-r0.5-s{seed}",
                "bias": bias,
                "generator": generator,
                "ratio": 0.5,
                "seed": seed,
                "generation": gen,
                "classifier": classifier,
                "accuracy": 0.8 + accuracy_gain * gen / 4 + noise,
                "md": 0.03 + md_gain[bias] * gen / 4 + noise,
            }
        )
    return pd.DataFrame(rows)


def test_a_planted_accuracy_gain_and_no_bias_amplification_are_recovered():
    table = claims(planted(0.04, {"biased": 0.01, "unbiased": 0.01})).set_index(["claim", "scope"])
    accuracy = table.loc[table.index.get_level_values("claim").str.startswith("accuracy")]
    assert (accuracy["verdict"] == "reproduced").all() and accuracy["mean"].to_numpy() == pytest.approx(0.04)
    bias = table.loc[table.index.get_level_values("claim").str.startswith("biased")]
    assert (bias["verdict"] == "reproduced").all() and bias["mean"].to_numpy() == pytest.approx(0.0, abs=1e-12)


def test_a_planted_amplification_is_reported_with_its_size_and_sign():
    """MD rises 0.10 more under the biased initialisation: the gap is +0.10 (swapped arms would give -0.10)."""
    table = claims(planted(-0.03, {"biased": 0.12, "unbiased": 0.02}))
    bias = table[table["claim"].str.startswith("biased")]
    assert bias["mean"].to_numpy() == pytest.approx(0.10) and (bias["verdict"] == "not reproduced").all()
    assert 0.10 > MD_MARGIN
    accuracy = table[table["claim"].str.startswith("accuracy")]
    assert (accuracy["verdict"] == "not reproduced").all() and accuracy["mean"].to_numpy() == pytest.approx(-0.03)


def test_the_bias_finding_needs_both_arms():
    with pytest.raises(ValueError, match="arms.bias"):
        claims(planted(0.0, {"biased": 0.0, "unbiased": 0.0}).query("bias == 'biased'"))


def planted_gaps(widen: float, mitigated: float, seeds=(0, 1, 2)) -> pd.DataFrame:
    """An inheritance metrics table: male minus female profession accuracy is 0.1 at ratio 0, grows by `widen` at
    ratio 0.5 for the biased type (not for the unbiased one), and is `mitigated` lower under the loss mitigation."""
    arms = [
        ("none", 0.0, "none", 0.1),
        ("unbiased", 0.5, "none", 0.1),
        ("contrastive_single_explicit", 0.5, "none", 0.1 + widen),
        ("contrastive_single_explicit", 0.5, "loss", 0.1 + widen - mitigated),
    ]
    rows = []
    for (bias_type, ratio, mitigation, gap), seed in itertools.product(arms, seeds):
        noise = 0.002 * (seed - 1)
        for gender, value in (("male", 0.6 + gap / 2 + noise), ("female", 0.6 - gap / 2)):
            rows.append(
                {
                    "arm": f"{bias_type}-{ratio}-{mitigation}",
                    "seed": seed,
                    "bias": "gender",
                    "bias_type": bias_type,
                    "ratio": ratio,
                    "mitigation": mitigation,
                    "round": 1,
                    "task": "profession",
                    "metric": "accuracy",
                    "gender": gender,
                    "value": value,
                    "n": 10,
                }
            )
    return pd.DataFrame(rows)


def test_a_planted_gap_widening_and_its_mitigation_are_recovered_with_their_sizes():
    table = inheritance_claims.claims(planted_gaps(widen=0.2, mitigated=0.15)).set_index("scope")
    biased = table.loc["profession contrastive_single_explicit"]
    assert biased["mean"] == pytest.approx(0.2, abs=0.003) and biased["verdict"] == "reproduced"
    unbiased = table.loc["profession unbiased"]
    assert unbiased["mean"] == pytest.approx(0.0, abs=1e-12) and unbiased["verdict"] == "reproduced"
    loss = table.loc["profession contrastive_single_explicit ratio 0.5"]
    assert loss["mean"] == pytest.approx(-0.15) and loss["verdict"] == "reproduced"


def test_a_gap_that_narrows_is_not_read_as_inheritance():
    """Male and female swapped would turn a widening into a narrowing: the verdict says so."""
    table = inheritance_claims.claims(planted_gaps(widen=-0.2, mitigated=-0.1)).set_index("scope")
    assert table.loc["profession contrastive_single_explicit", "verdict"] == "not reproduced"
    assert table.loc["profession contrastive_single_explicit ratio 0.5", "verdict"] == "not reproduced"


def test_one_t_interval_for_grouped_tables_and_single_columns():
    """t_half_width (grouped tables' bounds) and mean_ci (one column) agree, and one value has no grouped interval."""
    half = t_half_width([0.1, 0.1], [3, 1])
    assert half[0] == pytest.approx(4.302652729911275 * 0.1 / np.sqrt(3)) and np.isnan(half[1])
    mean, low, high, n = mean_ci([0.1, 0.2, 0.3])
    assert (high - low) / 2 == pytest.approx(half[0]) and n == 3


def text_loop_metrics(right_rise: float, quality_drop: float, seeds=(0, 1, 2), generations=4) -> pd.DataFrame:
    """A study-1 metrics table: under replace the right share rises by `right_rise` and the quality index falls by
    `quality_drop`; under accumulate the right share falls by half as much and the quality index holds."""
    rows = []
    for strategy, seed, gen in itertools.product(["replace", "accumulate"], seeds, range(generations)):
        step = gen / (generations - 1)
        rise, drop = (right_rise, quality_drop) if strategy == "replace" else (-right_rise / 2, 0.0)
        noise = 0.002 * (seed - 1)
        for scorer, metric, value in (
            ("lean", "share_right", 0.5 + rise * step + noise),
            ("quality", "quality_index", 2.3 - drop * step + noise),
        ):
            rows.append({"chain": f"sotu-{strategy}-s{seed}", "strategy": strategy, "cluster": None, "ratio": None, "seed": seed, "generation": gen,
                         "scorer": scorer, "domain": "all", "metric": metric, "value": value})  # fmt: skip
    return pd.DataFrame(rows)


def test_study_1_planted_amplification_and_collapse_are_recovered_with_their_sizes():
    table = text_loop_claims.claims(text_loop_metrics(right_rise=0.1, quality_drop=0.6)).set_index("scope")
    assert (
        table.loc["replace, lean, G0 -> G3", "mean"] == pytest.approx(0.1)
        and table.loc["replace, lean, G0 -> G3", "verdict"] == "reproduced"
    )
    assert table.loc["accumulate, lean, G0 -> G3", "mean"] == pytest.approx(-0.05)
    assert table.loc["replace, quality, G0 -> G3", "mean"] == pytest.approx(-0.6)
    held = table.loc["accumulate minus replace, quality, G3"]
    assert held["mean"] == pytest.approx(0.6) and held["verdict"] == "reproduced"


def test_study_1_a_lean_that_falls_under_replace_is_not_reproduced():
    """Left and right swapped in the lean scorer would turn the rise into a fall: the verdict says so."""
    table = text_loop_claims.claims(text_loop_metrics(right_rise=-0.1, quality_drop=-0.2)).set_index("scope")
    assert table.loc["replace, lean, G0 -> G3", "verdict"] == "not reproduced"
    assert table.loc["replace, quality, G0 -> G3", "verdict"] == "not reproduced"


def cluster_metrics(ratio_effect: float, lexical_slope: float, seeds=(0, 1, 2), clusters=12) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A study-2 metrics table and cluster properties: each chain's relative shift is 1 - ratio_effect x ratio +
    lexical_slope x z(lexical diversity) + small seeded noise, over two generations."""
    rng = np.random.default_rng(0)
    properties = pd.DataFrame({p: rng.normal(size=clusters) for p in text_loop_claims.PROPERTIES}).assign(
        dataset="speech", cluster_id=[f"c{k:03d}" for k in range(clusters)]
    )
    z = (properties["lexical_diversity"] - properties["lexical_diversity"].mean()) / properties["lexical_diversity"].std(ddof=0)
    rows = []
    for (k, cluster), ratio, seed in itertools.product(enumerate(properties["cluster_id"]), [0.5, 1.0], seeds):
        shift = 1 - ratio_effect * ratio + lexical_slope * z[k] + 0.002 * rng.normal()
        for gen, value in ((0, 0.6), (1, 0.6 * shift)):
            rows.append({"chain": f"speech-{cluster}-r{ratio}-s{seed}", "dataset": "speech", "cluster": cluster, "strategy": "pool", "ratio": ratio,
                         "seed": seed, "generation": gen, "scorer": "semantic_diversity", "domain": "all", "metric": "semantic_diversity", "value": value})  # fmt: skip
    return pd.DataFrame(rows), properties


@pytest.mark.parametrize(("ratio_effect", "lexical_slope", "want"), [(0.2, -0.05, "reproduced"), (-0.2, 0.05, "not reproduced")])
def test_study_2_planted_ratio_effect_and_lexical_coefficient_are_recovered(ratio_effect, lexical_slope, want):
    metrics, properties = cluster_metrics(ratio_effect, lexical_slope)
    table = text_loop_claims.claims(metrics, properties, {"last_k": 1}).set_index("claim")
    ratio = table.loc["the relative loss grows with the synthetic ratio (section 4.2)"]
    assert ratio["mean"] == pytest.approx(-ratio_effect * 0.5, abs=0.01) and ratio["verdict"] == want
    lexical = table.loc["lexical diversity amplifies the shift (section 4.3, Table 1)"]
    assert lexical["mean"] == pytest.approx(lexical_slope, abs=0.005) and lexical["verdict"] == want

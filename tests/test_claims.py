"""A paper's finding against per-seed values: verdicts, and studies 3 and 4's findings recovered from planted metrics tables."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from synthloop.analysis.claims import claim_row, verdict
from synthloop.core.intervals import mean_ci, t_half_width
from synthloop.studies.image_loop.claims import MD_MARGIN, claims
from synthloop.studies.inheritance import claims as inheritance_claims


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

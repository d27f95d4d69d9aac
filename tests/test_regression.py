"""Relative shift arithmetic, OLS recovery of known effects, VIFs, Table 1 and the coefficient figure."""

import numpy as np
import pandas as pd
import pytest

from synthloop.analysis import regression as rg

PREDICTORS = ["semantic_diversity", "self_bleu", "gaussianity_aic", "positivity"]


def test_relative_shift_is_the_last_k_mean_over_generation0():
    metrics = pd.DataFrame(
        {
            "chain": ["a"] * 6 + ["b"] * 6,
            "metric": "semantic_diversity",
            "generation": list(range(6)) * 2,
            "value": [2.0, 9, 9, 1, 2, 3] + [4.0, 0, 0, 4, 4, 4],
        }
    )
    out = rg.relative_shift(metrics, last_k=3).set_index("chain")
    assert out.loc["a", "final"] == pytest.approx(2.0) and out.loc["a", "shift"] == pytest.approx(1.0)
    assert out.loc["b", "shift"] == pytest.approx(1.0)
    out = rg.relative_shift(metrics, last_k=1).set_index("chain")
    assert out.loc["a", "shift"] == pytest.approx(1.5) and out.loc["b", "shift"] == pytest.approx(1.0)


def test_relative_shift_of_the_real_metrics_table_with_its_version_column():
    # the metrics table labels each generation (version g0, g1, ...): a key column would split g0 from the last generations
    from synthloop.analysis.metrics import version_label

    metrics = pd.DataFrame({"chain": "c", "scorer": "s", "metric": "m", "generation": [0, 1, 2], "value": [2.0, 3.0, 5.0]})
    metrics["version"] = metrics["generation"].map(version_label)
    out = rg.relative_shift(metrics, last_k=1)
    assert len(out) == 1 and out.loc[0, "shift"] == pytest.approx(5.0 / 2.0)


def test_relative_shift_keeps_key_columns_and_flags_incomplete_chains():
    metrics = pd.DataFrame(
        {
            "chain": ["a"] * 4 + ["b"] * 3,
            "dataset": ["tw"] * 4 + ["sp"] * 3,
            "scorer": "q",
            "metric": "quality",
            "generation": [0, 1, 2, 3, 0, 1, 2],
            "value": [10.0, 8, 6, 4, 5, 5, 5],
            "ci_low": 0.0,
            "ci_high": 1.0,
        }
    )
    out = rg.relative_shift(metrics, last_k=2).set_index("chain")
    assert {"dataset", "scorer", "metric", "initial", "final", "shift"} <= set(out.columns) | {"chain"}
    assert out.loc["a", "shift"] == pytest.approx(0.5)
    assert np.isnan(out.loc["b", "shift"]) and out.loc["b", "final_generations"] == 1


def synthetic_chains(n=400, effects=(0.5, -0.3, 0.0, 0.0), noise=0.5, seed=0):
    """Chains whose shift is a known linear function of standardised properties."""
    rng = np.random.default_rng(seed)
    properties = rng.normal(size=(n, len(PREDICTORS))) * [1.0, 2.0, 50.0, 0.1] + [0.5, 0.3, 900.0, 0.0]
    z = (properties - properties.mean(0)) / properties.std(0)
    shift = 1.0 + z @ np.array(effects) + rng.normal(scale=noise, size=n)
    frame = pd.DataFrame(properties, columns=PREDICTORS)
    frame["shift_div"] = shift
    return frame


def test_ols_recovers_known_coefficients_within_their_ci():
    effects = (0.5, -0.3, 0.0, 0.0)
    result = rg.regress_shift(synthetic_chains(effects=effects), "shift_div", PREDICTORS).set_index("term")
    for term, truth in zip(PREDICTORS, effects):
        assert abs(result.loc[term, "coef"] - truth) < 3 * result.loc[term, "se"]
    assert (result.loc[["semantic_diversity", "self_bleu"], "p"] < 1e-6).all()
    assert (result.loc[["gaussianity_aic", "positivity"], "p"] > 0.01).all()
    assert result["r2"].iloc[0] == pytest.approx(0.34 / (0.34 + 0.25), abs=0.08)
    assert result["n"].iloc[0] == 400 and (result["r2_adj"] < result["r2"]).all()


def test_confidence_intervals_cover_the_truth_about_95_percent_of_the_time():
    effects = np.array([0.5, -0.3, 0.0, 0.0])
    covered = [
        ((r["ci_low"] <= effects) & (effects <= r["ci_high"])).to_numpy()
        for r in (rg.regress_shift(synthetic_chains(n=120, seed=seed), "shift_div", PREDICTORS) for seed in range(40))
    ]
    assert 0.88 <= np.mean(covered) <= 1.0


def test_vif_is_one_for_independent_predictors_and_large_for_a_collinear_pair():
    data = synthetic_chains()
    independent = rg.regress_shift(data, "shift_div", PREDICTORS)
    assert independent["vif"].between(0.95, 1.1).all()
    data["near_copy"] = data["semantic_diversity"] + np.random.default_rng(1).normal(scale=0.05, size=len(data))
    collinear = rg.regress_shift(data, "shift_div", PREDICTORS + ["near_copy"]).set_index("term")
    assert collinear.loc["near_copy", "vif"] > 50 and collinear.loc["semantic_diversity", "vif"] > 50
    assert collinear.loc["self_bleu", "vif"] < 1.2


def test_too_few_rows_is_an_error():
    with pytest.raises(ValueError, match="need more chains"):
        rg.regress_shift(synthetic_chains(n=4), "shift_div", PREDICTORS)


def two_datasets():
    """Two datasets with different baseline shifts and the same within-dataset effects, at two ratios."""
    frames = []
    for i, (dataset, baseline) in enumerate([("twitter", 1.0), ("speech", 3.0)]):
        for ratio in (0.25, 1.0):
            frame = synthetic_chains(n=150, seed=10 * i + int(ratio * 4))
            frame["shift_div"] += baseline - 1.0
            frames.append(frame.assign(dataset=dataset, ratio=ratio, cluster_id=[f"c{j:03d}" for j in range(150)]))
    return pd.concat(frames, ignore_index=True)


def test_regress_all_runs_per_group_and_pooled_with_fixed_effects():
    results = rg.regress_all(two_datasets(), ["shift_div"], PREDICTORS)
    assert set(results["scope"]) == {
        "dataset=speech, ratio=0.25",
        "dataset=speech, ratio=1.0",
        "dataset=twitter, ratio=0.25",
        "dataset=twitter, ratio=1.0",
        "pooled",
    }
    pooled = results[results["scope"] == "pooled"].set_index("term")
    assert pooled.loc["semantic_diversity", "ci_low"] <= 0.5 <= pooled.loc["semantic_diversity", "ci_high"]
    assert pooled["n"].iloc[0] == 600
    assert pooled["r2"].iloc[0] > 0.8  # the dataset effect is absorbed by its fixed effect
    assert set(pooled.index) == set(PREDICTORS)  # fixed effects and controls are not reported


def test_design_table_joins_shifts_and_properties():
    shifts = pd.DataFrame({"cluster_id": ["c0", "c0", "c1", "c1"], "ratio": 0.5, "metric": ["div", "q"] * 2, "shift": [1.0, 2.0, 3.0, 4.0]})
    properties = pd.DataFrame({"cluster_id": ["c0", "c1"], "positivity": [0.1, 0.2]})
    table = rg.design_table(shifts, properties, ["cluster_id", "ratio"])
    assert table.set_index("cluster_id").loc["c1", ["div", "q", "positivity"]].tolist() == [3.0, 4.0, 0.2]


@pytest.fixture
def results():
    data = synthetic_chains()
    data["shift_q"] = (
        1
        - 0.2 * (data["positivity"] - data["positivity"].mean()) / data["positivity"].std()
        + np.random.default_rng(3).normal(scale=0.3, size=len(data))
    )
    return pd.concat([rg.regress_shift(data, r, PREDICTORS, scope="all") for r in ("shift_div", "shift_q")], ignore_index=True)


def test_table1_layout(results, tmp_path):
    table = rg.table1(
        results, labels={"shift_div": "semantic diversity", "shift_q": "quality", "self_bleu": "lexical diversity (Self-BLEU)"}
    )
    assert list(table.columns) == ["semantic diversity", "quality"]
    assert list(table.index) == ["semantic_diversity", "lexical diversity (Self-BLEU)", "gaussianity_aic", "positivity", "R²", "n"]
    assert table.loc["semantic_diversity", "semantic diversity"].endswith("***")
    assert table.loc["positivity", "quality"].startswith("-0.2") and table.loc["positivity", "quality"].endswith("***")
    assert table.loc["n"].tolist() == ["400", "400"]
    rg.write_markdown(table, tmp_path / "table1.md")
    rg.write_csv(table, tmp_path / "table1.csv")
    assert "| predictor" in (tmp_path / "table1.md").read_text()
    assert pd.read_csv(tmp_path / "table1.csv", index_col=0).shape == (6, 2)


def test_table1_refuses_several_scopes(results):
    with pytest.raises(ValueError, match="filter `results` on scope"):
        rg.table1(pd.concat([results, results.assign(scope="other")]))


def test_stars():
    assert [rg.stars(p) for p in (0.0001, 0.005, 0.03, 0.2)] == ["***", "**", "*", ""]


def test_coefficient_plot_writes_a_figure(results, tmp_path):
    path = tmp_path / "figure4.png"
    rg.coefficient_plot(results, path, labels={"shift_div": "twitter"})
    assert path.stat().st_size > 5000


def test_groups_too_small_to_fit_are_skipped_and_the_pooled_fit_remains():
    import numpy as np
    import pandas as pd

    from synthloop.analysis.regression import regress_all

    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {"dataset": np.repeat(["a", "b"], 8), "ratio": np.tile([0.5, 1.0], 8), "x1": rng.normal(size=16), "x2": rng.normal(size=16)}
    )
    data["y"] = 2 * data["x1"] + rng.normal(scale=0.1, size=16)
    results = regress_all(data, ["y"], ["x1", "x2"])
    assert set(results["scope"]) == {
        "dataset=a, ratio=0.5",
        "dataset=a, ratio=1.0",
        "dataset=b, ratio=0.5",
        "dataset=b, ratio=1.0",
        "pooled",
    }
    small = data.groupby(["dataset", "ratio"]).head(3)
    assert set(regress_all(small, ["y"], ["x1", "x2"])["scope"]) == {"pooled"}

"""The regression's predictors and rows as Kovač et al. define them."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from synthloop.analysis.regression import check_predictors, regress_clusters, seed_means
from synthloop.studies.text_loop import clusters as cl

SETTINGS = {"responses": [], "last_k": 1, "seed_rows": "mean"}


def test_published_predictors_are_lexical_diversity_and_length_in_characters():
    assert cl.PROPERTIES == ("semantic_diversity", "lexical_diversity", "gaussianity_aic", "quality", "positivity", "length_chars")


def test_lexical_diversity_is_one_minus_self_bleu_and_length_is_characters():
    from sacrebleu.metrics import BLEU

    texts = ["the cat sat on the mat", "the cat sat on a hat", "dogs run fast in parks", "a dog runs in the park"]
    members = np.arange(4)
    values = cl.cluster_properties(
        members,
        np.eye(4),
        np.random.default_rng(0).normal(size=(4, 2)),
        texts,
        cl.per_text_properties(texts),
        4,
        np.random.default_rng(0),
        cl_bleu(),
    )
    # independent Self-BLEU: each text's sacrebleu sentence BLEU against all the others, averaged
    bleu = BLEU(effective_order=True)
    self_bleu = np.mean([bleu.sentence_score(t, [o for o in texts if o is not t]).score / 100 for t in texts])
    assert values["lexical_diversity"] == pytest.approx(1 - self_bleu, abs=1e-9)
    assert values["length_chars"] == pytest.approx(np.mean([len(t) for t in texts]))
    assert values["length_words"] == pytest.approx(np.mean([len(t.split()) for t in texts]))


def cl_bleu():
    from synthloop.scorers.text_metrics import bleu_metric

    return bleu_metric({})


def metrics_and_properties(seeds=3, clusters=12, seed=0):
    """Chains over clusters × 2 ratios × seeds with shift = 1 + 0.5·z(quality) + seed noise."""
    rng = np.random.default_rng(seed)
    props = pd.DataFrame(
        {
            "dataset": "d",
            "cluster_id": [f"c{i:03d}" for i in range(clusters)],
            "quality": rng.normal(size=clusters),
            "positivity": rng.normal(size=clusters),
        }
    )
    rows = []
    for _, p in props.iterrows():
        for ratio in (0.5, 1.0):
            for s in range(seeds):
                chain = f"{p.cluster_id}-r{ratio}-s{s}"
                base = dict(
                    chain=chain,
                    dataset="d",
                    cluster=p.cluster_id,
                    strategy="pool",
                    ratio=ratio,
                    seed=s,
                    domain="all",
                    scorer="q",
                    metric="m",
                )
                rows += [
                    {**base, "generation": 0, "value": 1.0},
                    {**base, "generation": 1, "value": 1 + 0.5 * p.quality + rng.normal(0, 0.3)},
                ]
    return pd.DataFrame(rows), props


def test_seed_rows_are_averaged_before_the_ols():
    metrics, props = metrics_and_properties()
    results = regress_clusters(metrics, props, SETTINGS, ["quality", "positivity"])
    pooled = results[(results["scope"] == "pooled") & (results["term"] == "quality")].iloc[0]
    assert pooled["n"] == 12 * 2  # clusters x ratios, not x 3 seeds
    # independent reference: average per cluster x ratio by hand, OLS with statsmodels
    shift = metrics[metrics.generation == 1].groupby(["cluster", "ratio"])["value"].mean().rename("y").reset_index()
    data = shift.merge(props, left_on="cluster", right_on="cluster_id")
    z = (data[["quality", "positivity"]] - data[["quality", "positivity"]].mean()) / data[["quality", "positivity"]].std(ddof=0)
    z["ratio"] = (data["ratio"] - data["ratio"].mean()) / data["ratio"].std(ddof=0)
    fit = sm.OLS(data["y"], sm.add_constant(z)).fit()
    assert pooled["coef"] == pytest.approx(fit.params["quality"]) and pooled["p"] == pytest.approx(fit.pvalues["quality"])
    separate = regress_clusters(metrics, props, {**SETTINGS, "seed_rows": "separate"}, ["quality", "positivity"])
    assert separate[separate["scope"] == "pooled"]["n"].iloc[0] == 72


def test_seed_means_keeps_one_row_per_cluster_and_ratio():
    data = pd.DataFrame(
        {
            "chain": list("abcd"),
            "cluster_id": ["c0", "c0", "c1", "c1"],
            "ratio": 0.5,
            "seed": [0, 1, 0, 1],
            "y": [1.0, 3.0, 5.0, 7.0],
            "quality": [0.2, 0.2, 0.4, 0.4],
        }
    )
    out = seed_means(data, ["cluster_id", "ratio"], ["y"])
    assert out["y"].tolist() == [2.0, 6.0] and out["quality"].tolist() == [0.2, 0.4] and out["seeds"].tolist() == [2, 2]


def test_missing_configured_predictor_is_an_error_naming_it():
    metrics, props = metrics_and_properties()
    with pytest.raises(ValueError, match=r"\['lexical_diversity'\] missing"):
        regress_clusters(metrics, props, SETTINGS, ["quality", "lexical_diversity"])
    with pytest.raises(ValueError, match=r"\['quality'\] missing"):
        check_predictors(props.assign(quality=np.nan), ["quality"])


def test_random_selection_is_the_default_and_is_uniform_and_seeded():
    properties = pd.DataFrame({"x": np.arange(100.0)})
    picks = cl.select_clusters(properties, 10, seed=0)
    assert (picks == cl.select_clusters(properties, 10, seed=0)).all() and len(set(picks)) == 10
    assert not (picks == cl.select_clusters(properties, 10, seed=1)).all()
    # uniform: over many seeds every candidate is picked about n/count = 10% of the time
    counts = np.bincount(np.concatenate([cl.select_clusters(properties, 10, seed=s) for s in range(400)]), minlength=100)
    assert abs(counts.mean() - 40) < 1e-9 and counts.min() > 15 and counts.max() < 70
    assert (cl.select_clusters(properties, 10, 0, "spread") == cl.select_spread(properties, 10, 0)).all()


def test_validation_names_the_cluster_shortfall():
    from conftest import ROOT, validation_error

    from synthloop.core.config import read_yaml

    config = read_yaml(ROOT / "presets" / "kovac2025-mini.yaml")
    # by hand: n0 = 48, n = 32, r = 0.5, 3 generations -> 48 + 2 x 16 = 80 real texts; min_size 60 is 20 short
    message = validation_error(config, lambda c: c["chains"]["clusters"].update(min_size=60))
    assert "chains.clusters.min_size" in message and "needs 80" in message and "shortfall of 20" in message


def test_cluster_quality_comes_from_the_configured_quality_scorer():
    from conftest import ROOT, study_path

    from synthloop.core.config import read_yaml
    from synthloop.studies import validate
    from synthloop.studies.text_loop.plan import Plan

    mini = validate(read_yaml(ROOT / "presets" / "kovac2025-mini.yaml"))
    plan = Plan(mini, study_path("text_loop", "x"), "results/x")
    quality = plan.cluster_quality("speech")
    assert quality["spec"]["kind"] == "quality_classifier"
    assert plan.cluster_quality_inputs("speech") == ["results/x/models/speech/quality_classifier.skops"]
    judge = {"judge": {"kind": "llm_judge", "aspects": ["lean", "quality"]}, "p": {"kind": "positivity"}}
    assert cl.quality_scorer({"scorers": judge}) == "judge"
    assert cl.quality_scorer({"scorers": {"j": {"kind": "llm_judge", "aspects": ["lean"]}}}) is None


def test_mixed_clusters_supply_one_cluster_per_domain():
    from conftest import ROOT, validation_error

    from synthloop.core.config import read_yaml
    from synthloop.studies import validate

    config = read_yaml(ROOT / "presets" / "kovac2025-domains-mini.yaml")
    validate(config)  # 2 domains x min_size 60 = 120 >= 48 + 2 x 16
    message = validation_error(config, lambda c: c["chains"]["clusters"].update(min_size=30))
    assert "may hold only 60 real texts" in message and "shortfall of 20" in message

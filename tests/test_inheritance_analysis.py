"""Study 3 analysis: the metrics table, means and intervals across seeds, every figure from a synthetic table."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synthloop.studies.inheritance.analysis import across_seeds, collect, figure, unbiased_gender_shares, write_unbiased_shares


def synthetic_metrics() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    arms = [("gender-none-r0-none-round1", "none", 0.0, "none", 1)]
    arms += [(f"gender-{t}-r{r:g}-none-round1", t, r, "none", 1) for t in ("unbiased", "contrastive_implicit") for r in (0.25, 0.5)]
    arms += [
        ("gender-contrastive_implicit-r0.5-loss-round1", "contrastive_implicit", 0.5, "loss", 1),
        ("gender-unbiased-r0.5-none-round2", "unbiased", 0.5, "none", 2),
    ]
    tables, rows = [], []
    for arm, bias_type, ratio, mitigation, rnd in arms:
        for seed in (0, 1, 2):
            table = pd.DataFrame(
                [
                    {
                        "task": "profession",
                        "metric": "accuracy",
                        "gender": g,
                        "culture": None,
                        "dimension": None,
                        "value": rng.random(),
                        "n": 6,
                    }
                    for g in ("male", "female")
                ]
                + [
                    {
                        "task": "salary",
                        "metric": "mean",
                        "gender": g,
                        "culture": None,
                        "dimension": None,
                        "value": 80000 + 1000 * rng.random(),
                        "n": 6,
                    }
                    for g in ("male", "female")
                ]
                + [
                    {
                        "task": "salary",
                        "metric": "gap_male_minus_female",
                        "gender": None,
                        "culture": None,
                        "dimension": None,
                        "value": 500.0,
                        "n": 12,
                    }
                ]
                + [
                    {"task": "hiring", "metric": "share", "gender": g, "culture": c, "dimension": None, "value": 0.125, "n": 8}
                    for c in ("Arabic", "Spanish")
                    for g in ("male", "female")
                ]
                + [
                    {
                        "task": "story",
                        "metric": "negative_share",
                        "gender": None,
                        "culture": c,
                        "dimension": "total",
                        "value": rng.random(),
                        "n": 2,
                    }
                    for c in ("Arabic", "Spanish")
                ]
            )
            tables.append(table)
            rows.append(
                {"arm": arm, "seed": seed, "bias": "gender", "bias_type": bias_type, "ratio": ratio, "mitigation": mitigation, "round": rnd}
            )
    return collect(tables, rows)


def test_collect_adds_arm_keys():
    metrics = synthetic_metrics()
    assert list(metrics.columns[:7]) == ["arm", "seed", "bias", "bias_type", "ratio", "mitigation", "round"]
    assert len(metrics) == 7 * 3 * 11  # 2 accuracy + 3 salary + 4 hiring + 2 story rows per evaluation


def test_interval_across_seeds_is_a_t_interval():
    frame = pd.DataFrame({"ratio": [0.5, 0.5, 0.5, 0.0], "value": [1.0, 2.0, 4.0, 3.0]})
    out = across_seeds(frame, ["ratio"]).set_index("ratio")
    values = np.array([1.0, 2.0, 4.0])
    half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / np.sqrt(3)
    assert out.loc[0.5, "mean"] == pytest.approx(values.mean())
    assert out.loc[0.5, "high"] - out.loc[0.5, "mean"] == pytest.approx(half)
    assert np.isnan(out.loc[0.0, "high"])  # one seed: no interval


@pytest.mark.parametrize(
    "name",
    ["gender_profession_by_ratio", "gender_salary_by_ratio", "gender_hiring_by_ratio", "gender_story_by_ratio", "rounds", "mitigations"],
)
def test_every_figure_is_drawn(name, tmp_path):
    out = tmp_path / f"{name}.png"
    figure(name, synthetic_metrics(), out)
    assert out.stat().st_size > 5000


def test_unbiased_gender_shares(tmp_path):
    sets = [pd.DataFrame({"profession": ["nurse", "nurse", "nurse", "architect"], "text_gender": ["female", "female", None, "male"]})]
    shares = unbiased_gender_shares(sets).set_index(["profession", "about"])["share"]
    assert shares[("nurse", "female")] == pytest.approx(2 / 3) and shares[("nurse", "undetermined")] == pytest.approx(1 / 3)
    assert shares[("architect", "male")] == 1.0
    write_unbiased_shares(sets, tmp_path / "t.csv", tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 5000


def test_type_average_is_the_mean_over_bias_types_per_ratio_and_seed():
    from synthloop.studies.inheritance.analysis import type_average

    rows = pd.DataFrame(
        {
            "ratio": [0.0, 0.5, 0.5, 0.5, 0.5],
            "seed": [0, 0, 0, 1, 1],
            "group": ["Arabic male"] * 5,
            "bias_type": ["none", "unbiased", "contrastive_implicit", "unbiased", "contrastive_implicit"],
            "value": [0.1, 0.2, 0.4, 0.3, 0.7],
        }
    )
    out = type_average(rows, ["group"]).set_index(["ratio", "seed"])["value"]
    assert out[(0.0, 0)] == pytest.approx(0.1) and out[(0.5, 0)] == pytest.approx(0.3) and out[(0.5, 1)] == pytest.approx(0.5)
    summary = across_seeds(type_average(rows, ["group"]), ["ratio"]).set_index("ratio")
    assert summary.loc[0.5, "mean"] == pytest.approx(0.4) and summary.loc[0.5, "count"] == 2  # the interval is across seeds


@pytest.mark.parametrize("name", ["gender_hiring_by_type_average", "gender_story_by_type_average"])
def test_type_averaged_figures_are_drawn(name, tmp_path):
    out = tmp_path / f"{name}.png"
    figure(name, synthetic_metrics(), out)
    assert out.stat().st_size > 5000


def test_plan_lists_the_type_averaged_figures():
    from conftest import study_path

    from synthloop.studies import validate
    from synthloop.studies.inheritance.plan import Plan

    config = validate(
        {
            "study": "s",
            "kind": "inheritance",
            "seeds": [0],
            "model": {"source": "org/model"},
            "ratios": [0.0, 0.5],
            "evaluation": {"tasks": {"gender": ["profession", "hiring", "story"]}},
        }
    )
    figures = Plan(config, study_path("inheritance", "s"), "results/s").figures()
    assert {"gender_hiring_by_type_average", "gender_story_by_type_average"} <= set(figures)
    assert "gender_profession_by_type_average" not in figures  # Figures 4 and 5a only


@pytest.mark.parametrize("dims", [2, 3])
def test_embedding_figure_is_drawn_in_its_dimensions(dims, tmp_path, monkeypatch):
    from synthloop.studies.inheritance import analysis

    rng = np.random.default_rng(0)
    points = pd.DataFrame({"bias_type": ["real"] * 4 + ["unbiased"] * 4 + ["contextual_implicit"] * 4, "source": "x"})
    for axis in "xyz"[:dims]:
        points[axis] = rng.normal(size=len(points))
    projections = []
    original = analysis.subplots
    monkeypatch.setattr(
        analysis, "subplots", lambda *a, **k: projections.append(k.get("subplot_kw", {}).get("projection")) or original(*a, **k)
    )
    analysis.plot_embeddings(points, tmp_path / "e.png")
    assert projections == ["3d" if dims == 3 else None]
    assert (tmp_path / "e.png").stat().st_size > 5000


def scaling_metrics() -> pd.DataFrame:
    """A scaling generator's arms beside the study's own: real only, two types at 50%, one mitigated."""
    base = synthetic_metrics()
    tables, rows = [], []
    for bias_type, ratio, mitigation in [
        ("none", 0.0, "none"),
        ("unbiased", 0.5, "none"),
        ("contrastive_implicit", 0.5, "none"),
        ("unbiased", 0.5, "token"),
    ]:
        for seed in (0, 1):
            tables.append(
                pd.DataFrame(
                    [
                        {"task": "hiring", "metric": "share", "gender": g, "culture": c, "dimension": None, "value": v, "n": 8}
                        for (c, g), v in zip(
                            [("Arabic", "male"), ("Arabic", "female"), ("Spanish", "male"), ("Spanish", "female")], [0.1, 0.2, 0.3, 0.4]
                        )
                    ]
                    + [
                        {
                            "task": "hiring",
                            "metric": "invalid_share",
                            "gender": None,
                            "culture": None,
                            "dimension": None,
                            "value": 0.1,
                            "n": 8,
                        }
                    ]
                    + [
                        {
                            "task": "salary",
                            "metric": "mean",
                            "gender": g,
                            "culture": None,
                            "dimension": None,
                            "value": 90000.0 + seed,
                            "n": 6,
                        }
                        for g in ("male", "female")
                    ]
                )
            )
            rows.append(
                {
                    "arm": f"gender-{bias_type}-r{ratio:g}-{mitigation}-round1-big",
                    "seed": seed,
                    "bias": "gender",
                    "bias_type": bias_type,
                    "ratio": ratio,
                    "mitigation": mitigation,
                    "round": 1,
                    "generator": "big",
                }
            )
    return pd.concat([base, collect(tables, rows)], ignore_index=True)


def test_scaling_figure_and_its_gender_shares(tmp_path, monkeypatch):
    from synthloop.studies.inheritance import analysis

    metrics = scaling_metrics()
    values = analysis.scaling_values(metrics[metrics["generator"] == "big"], "hiring", "share")
    assert set(values.loc[values["gender"] == "male", "value"].round(9)) == {0.4}  # Arabic 0.1 + Spanish 0.3
    assert set(values.loc[values["gender"] == "female", "value"].round(9)) == {0.6}
    figure("scaling_big", metrics, tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 5000
    drawn = []
    monkeypatch.setattr(analysis, "_line", lambda ax, summary, *a: drawn.append(summary))
    figure("gender_hiring_by_ratio", metrics, tmp_path / "h.png")
    assert drawn and all(summary.empty or summary["count"].max() == 3 for summary in drawn)  # the study's three seeds: no scaling arm

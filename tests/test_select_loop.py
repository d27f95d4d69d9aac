"""Selection as a stage of both loops: the text loop's composed sets from selected texts, the realised-mix
check, the plan and validation of `select:`, the machine-text detector, and the image filter as a mode."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import TINY_CONFIG, study_path, validation_error

from synthloop.loop import mix, select
from synthloop.loop.compose import real_set
from synthloop.loop.pool import empty_pool
from synthloop.scorers.classifiers import load_model, save_model, score_detector, train_detector
from synthloop.studies import validate
from synthloop.studies.image_loop import filtering
from synthloop.studies.text_loop import selection
from synthloop.studies.text_loop.plan import Plan

POOL = {"compose": "pool", "pool": {"n0": 20, "n": 10, "mode": "accumulate_subsample"}}


def real(n=60):
    return real_set(pd.DataFrame({"doc_id": [f"r{i}" for i in range(n)], "text": [f"real text {i}" for i in range(n)]}))


def generated(gen, n):
    return pd.DataFrame(
        {"doc_id": [f"g{gen}-{i:05d}" for i in range(n)], "text": [f"synthetic {gen} " + "w " * i for i in range(n)], "generation": gen}
    )


def table_for(texts, copies):
    return pd.DataFrame({"doc_id": texts["doc_id"], "generation": texts["generation"], "copies": copies, "kept": np.asarray(copies) > 0})


# -- the text loop composes from what the step kept ---------------------------------------------------


def test_replace_trains_on_exactly_the_kept_texts_with_their_copies():
    texts = generated(0, 5)
    train, _, row = selection.compose({"compose": "replace"}, 1, real(), real(), texts, table_for(texts, [0, 2, 1, 0, 1]), None, 0, 0, "c")
    assert train["doc_id"].tolist() == ["g0-00001", "g0-00001", "g0-00002", "g0-00004"]
    assert row["selection_rate"] == pytest.approx(0.6) and row["selected_copies"] == 4 and row["synthetic_share"] == 1.0


def test_a_selection_that_keeps_nothing_is_refused():
    texts = generated(0, 3)
    with pytest.raises(ValueError, match="kept none of the 3 texts of generation 0"):
        selection.compose({"compose": "replace"}, 1, real(), real(), texts, table_for(texts, [0, 0, 0]), None, 0, 0, "c")


def test_an_oversampled_pool_selection_keeps_the_pools_count_and_share():
    """top_fraction 0.5, oversampled: 2 * round(n*r) texts written, exactly round(n*r) of the best join the pool."""
    step = {"mode": "top_fraction", "fraction": 0.5, "keep": "highest", "oversample": True}
    count = round(10 * 0.4)
    texts = generated(0, select.candidates(step, count))
    assert len(texts) == 8
    copies = select.copies(np.arange(8.0), step, count, None)
    train, pool, row = selection.compose(POOL, 1, real(), empty_pool(), texts, table_for(texts, copies), 0.4, 0, 0, "c")
    assert sorted(pool.loc[pool["origin"] == "synthetic", "doc_id"]) == [f"g0-g0-{i:05d}" for i in range(4, 8)]
    assert row["checked_share"] == pytest.approx(0.4) and row["selection_rate"] == 0.5


def test_the_mix_check_stops_a_planted_wrong_mix_naming_chain_and_generation():
    """A threshold that keeps 2 of the pool's 4 texts: the newest addition is 2 of 8, not 4 of 10."""
    texts = generated(2, 4)
    with pytest.raises(
        mix.MixError, match="chain sotu-pool-r0.4-s0 generation 3: realised synthetic share 0.2500 differs from the configured 0.4000"
    ):
        selection.compose(POOL, 3, real(), empty_pool(), texts, table_for(texts, [1, 1, 0, 0]), 0.4, 0, 0, "sotu-pool-r0.4-s0")


@pytest.mark.parametrize(
    "strategy, gen, realised, configured, rows, stops",
    [
        ({"compose": "replace"}, 1, 1.0, 1.0, 50, False),
        ({"compose": "preserve", "real_fraction": 0.1}, 1, 44 / 49, 0.9, 49, False),  # round(4.9) = 5 real of 49: rounding only
        ({"compose": "preserve", "real_fraction": 0.1}, 1, 0.85, 0.9, 100, True),
        ({"compose": "accumulate"}, 2, 0.3, None, 100, False),  # accumulate fixes no share
        ({"compose": "replace"}, 0, 0.02, 0.0, 100, True),  # a synthetic text in generation 0
    ],
)
def test_the_tolerance_is_one_point_beyond_rounding(strategy, gen, realised, configured, rows, stops):
    assert mix.configured(strategy, gen, None) == configured
    row = {"generation": gen, "configured_share": configured, "checked_share": realised, "checked_rows": rows}
    if stops:
        with pytest.raises(mix.MixError):
            mix.check(row, "c")
    else:
        mix.check(row, "c")


def test_the_scored_selection_table_keeps_every_candidate_with_its_score():
    texts = generated(1, 4)
    step = {"mode": "top_fraction", "fraction": 0.5, "keep": "lowest", "column": None}
    table = selection.select_generated(texts, step, {"kind": "type_token_ratio"}, {}, None, 0)
    assert len(table) == 4 and table["column"].unique().tolist() == ["type_token_ratio"]
    assert table["kept"].tolist() == (table["score"].rank(method="first") <= 2).tolist()
    assert table["weight"].isna().all()


# -- plan and validation ------------------------------------------------------------------------------


def tiny(**strategies) -> dict:
    config = yaml.safe_load(TINY_CONFIG.read_text())
    config["strategies"].update(strategies)
    config["chains"]["strategies"] = ["replace", *strategies]
    config["scorers"]["detector"] = {"kind": "detector_classifier"}
    return config


def test_the_plan_adds_selection_only_where_a_strategy_selects():
    config = validate(
        tiny(**{"replace-top": {"compose": "replace", "select": {"mode": "top_fraction", "scorer": "quality", "fraction": 0.5}}})
    )
    plan = Plan(config, study_path("text_loop", "tiny"), "results/tiny")
    assert "selection" not in plan.compose_inputs("sotu-replace-s0", 1)
    assert plan.compose_inputs("sotu-replace-top-s0", 1)["selection"].endswith("sotu-replace-top-s0/g1/selection.parquet")
    assert plan.select_inputs("sotu-replace-top-s0", 2)["generated"].endswith("sotu-replace-top-s0/g1/generated.parquet")
    assert {t for t in plan.targets() if t.endswith("mix.parquet")} == {f"results/tiny/chains/{c}/mix.parquet" for c in plan.chains}
    assert plan.detector_inputs("sotu")["generated"] == [f"results/tiny/chains/{c}/g0/generated.parquet" for c in plan.chains]


def test_the_chain_table_gathers_the_rows_compose_wrote(tmp_path):
    """Compose writes each generation's row as JSON (NaN kept, as the compose script writes it); the chain's table is
    those rows under the chain's keys, read from the generations' owners (a branch's earlier ones are its parent's)."""
    import json

    texts = generated(0, 4)
    gen0 = selection.compose({"compose": "replace"}, 0, real(), None, None, None, None, 0, 0, "c")
    gen1 = selection.compose({"compose": "replace"}, 1, real(), gen0[1], texts, table_for(texts, [1, 0, 2, 1]), None, 0, 0, "c")
    paths = []
    for g, (_, _, row) in enumerate([gen0, gen1]):
        paths.append(tmp_path / f"g{g}.json")
        paths[-1].write_text(json.dumps(row))
    rows = [json.loads(path.read_text()) for path in paths]
    table = selection.chain_mix({"chain": "c", "seed": 0}, rows)
    assert table.equals(pd.DataFrame([{"chain": "c", "seed": 0, **gen0[2]}, {"chain": "c", "seed": 0, **gen1[2]}]))
    assert math.isnan(table["candidates"].iloc[0]) and table["selected_copies"].iloc[1] == 4
    config = tiny(**{"replace-top": {"compose": "replace", "select": {"mode": "top_fraction", "scorer": "quality", "fraction": 0.5}}})
    config["chains"]["branches"] = [{"from": "replace-top", "strategy": "replace", "at": 2}]
    plan = Plan(validate(config), study_path("text_loop", "tiny"), "results/tiny")
    branch = next(cid for cid, c in plan.chains.items() if c.parent)
    assert plan.mix_inputs(branch) == {
        "rows": [f"results/tiny/chains/sotu-replace-top-s0/g{g}/mix.json" for g in (0, 1)] + [f"results/tiny/chains/{branch}/g2/mix.json"]
    }


def test_a_study_without_selection_plans_no_selection_file():
    plan = Plan(validate(yaml.safe_load(TINY_CONFIG.read_text())), study_path("text_loop", "tiny"), "results/tiny")
    assert not plan.selects() and not [t for t in plan.targets() if "mix" in t or "detector" in t]


@pytest.mark.parametrize(
    "step, key",
    [
        ({"mode": "threshold", "scorer": "nope", "threshold": 1}, "strategies.sel.select.scorer"),
        ({"mode": "threshold", "scorer": "quality"}, "strategies.sel.select.threshold"),
        ({"mode": "top_fraction", "scorer": "quality"}, "strategies.sel.select.fraction"),
        ({"mode": "top_fraction", "scorer": "quality", "fraction": 0.5, "oversample": True}, "strategies.sel.select.oversample"),
        ({"mode": "threshold", "scorer": "lean", "threshold": 1, "column": None}, None),
        ({"mode": "importance", "scorer": "quality", "bogus": 1}, "strategies.sel.select"),
    ],
)
def test_a_bad_select_step_names_its_key(step, key):
    config = tiny(sel={"compose": "replace", "select": step})
    if key is None:  # lean_classifier's default column is lean_score: valid
        validate(config)
        return
    assert key in validation_error(config, lambda c: None)


# -- the machine-text detector ------------------------------------------------------------------------


def test_the_detector_separates_real_from_synthetic_and_reports_its_heldout_auc(tmp_path):
    rng = np.random.default_rng(0)
    words = ["nation", "economy", "families", "jobs", "freedom", "security", "budget", "schools"]
    real_texts = [" ".join(rng.choice(words, 12)) + "." for _ in range(60)]
    synthetic = [" ".join(["the the the"] + list(rng.choice(words, 4))) for _ in range(60)]
    model, report = train_detector(real_texts, synthetic, seed=0)
    assert report.loc[0, "auc"] > 0.95 and report.loc[0, "n_test"] == 24
    save_model(model, tmp_path / "d.skops")
    p = score_detector(real_texts[:3] + synthetic[:3], {}, {"detector_model": str(tmp_path / "d.skops")}).per_text["p_synthetic"]
    assert (p[:3] < 0.5).all() and (p[3:] > 0.5).all()
    assert load_model(tmp_path / "d.skops").classes_.tolist() == ["real", "synthetic"]


def test_a_detector_needs_both_classes():
    with pytest.raises(ValueError, match="real and synthetic"):
        train_detector(["a real text"] * 5, [], seed=0)


# -- the image filter is the oversampled top_fraction mode --------------------------------------------


@pytest.mark.parametrize("per_generation, share", [(1, 0.5), (48, 0.2), (100, 0.2), (599, 0.2), (37, 0.35), (0, 0.2), (10, 0.0)])
def test_the_image_filter_keeps_what_it_kept_before_selection_was_a_loop_stage(per_generation, share):
    """The filter's published form: sample ceil(S / (1 - r)) images, keep the S of lowest entropy (ties: row order)."""
    step = filtering.selection({"enabled": True, "share": share})
    n = int(math.ceil(per_generation / (1.0 - share) - 1e-9))
    assert select.candidates(step, per_generation) == n
    entropy = np.round(np.random.default_rng(per_generation).random(n), 1)  # rounded: ties
    before = np.zeros(n, dtype=bool)
    before[np.argsort(entropy, kind="stable")[:per_generation]] = True
    assert np.array_equal(select.copies(entropy, step, per_generation, None) > 0, before)


@pytest.mark.parametrize("kind", ["text_loop", "image_loop"])
def test_a_threshold_step_keeps_the_items_past_its_cut_in_both_loops(kind):
    """Text: quality at least the cut; images: entropy at most it (the certain ones). Nothing is oversampled."""
    if kind == "image_loop":
        step, scores, want = (
            filtering.selection({"enabled": True, "share": 0.2, "mode": "threshold", "threshold": 0.5}),
            [0.1, 0.5, 0.9, 2.0],
            [1, 1, 0, 0],
        )
    else:
        step, scores, want = (
            {"mode": "threshold", "scorer": "quality", "threshold": 2.5, "keep": "highest"},
            [1.0, 2.5, 2.9, 0.3],
            [0, 1, 1, 0],
        )
    assert select.candidates(step, 4) == 4
    assert select.copies(np.array(scores), step, 4, None).tolist() == want


# -- the measured effect against the unselected chains ------------------------------------------------


def test_the_effect_is_the_seed_paired_difference_with_an_interval():
    rows = [
        {"strategy": s, "seed": seed, "generation": g, "scorer": "quality", "metric": "quality_index", "value": v}
        for s, values in {"replace": [1.0, 2.0, 3.0], "replace-top": [1.5, 2.5, 4.0]}.items()
        for seed, v in enumerate(values)
        for g in (-1, 1)
    ]
    table = selection.effect(pd.DataFrame(rows), {"replace-top": "replace"})
    assert table["generation"].tolist() == [1]  # the base model's row (generation -1) is no generation of the loop
    row = table.iloc[0]
    assert row["difference"] == pytest.approx(2 / 3) and row["value"] == pytest.approx(8 / 3) and row["baseline_value"] == 2.0
    half = 4.302652729911275 * np.std([0.5, 0.5, 1.0], ddof=1) / np.sqrt(3)  # t(0.975, 2) x standard error
    assert (row["difference_ci_low"], row["difference_ci_high"]) == pytest.approx((2 / 3 - half, 2 / 3 + half))


def test_each_selecting_strategy_is_compared_with_the_unselected_one_of_its_compose():
    config = validate(
        tiny(
            **{
                "replace-top": {"compose": "replace", "select": {"mode": "top_fraction", "scorer": "quality", "fraction": 0.5}},
                "accumulate-top": {"compose": "accumulate", "select": {"mode": "top_fraction", "scorer": "quality", "fraction": 0.5}},
            }
        )
    )
    config["chains"]["strategies"].append("accumulate")
    plan = Plan(config, study_path("text_loop", "tiny"), "results/tiny")
    assert plan.selection_baselines() == {"replace-top": "replace", "accumulate-top": "accumulate"}


@pytest.mark.parametrize("kind", ["text_loop", "image_loop"])
def test_an_oversampled_step_contributes_the_configured_count_in_both_loops(kind):
    """The pool's round(n*r) texts and the FIFO's S images: ceil(count / kept share) sampled, exactly count kept."""
    if kind == "image_loop":
        step = filtering.selection({"enabled": True, "share": 0.25})
    else:
        step = {"mode": "top_fraction", "scorer": "quality", "fraction": 0.75, "keep": "highest", "oversample": True}
    for count in (1, 30, 299):
        n = select.candidates(step, count)
        kept = select.copies(np.random.default_rng(count).random(n), step, count, None)
        assert n == math.ceil(count / 0.75) and kept.sum() == count and kept.max() == 1

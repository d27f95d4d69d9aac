"""Political-lean partitions (study 2): lean per text, buckets, final vs initial lean, config errors."""

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, validation_error

from synthloop.core.config import ConfigError
from synthloop.scorers.classifiers import lean_columns
from synthloop.studies import validate
from synthloop.studies.text_loop import chains as tl
from synthloop.studies.text_loop import lean

PRESET = ROOT / "presets" / "kovac2025-lean-mini.yaml"


@pytest.fixture
def preset():
    return yaml.safe_load(PRESET.read_text())


# -- lean per text and buckets -------------------------------------------------------------------


def test_lean_score_is_the_expected_position_on_0_to_100():
    columns = lean_columns(np.array([[1.0, 0.0], [0.25, 0.75]]), ["left", "right"])
    assert columns["lean_score"].tolist() == [0.0, 75.0]
    three = lean_columns(np.array([[0.2, 0.6, 0.2]]), ["center", "left", "right"])
    assert three["lean_score"].tolist() == pytest.approx([0.2 * 50 + 0.2 * 100])
    assert "lean_score" not in lean_columns(np.array([[0.5, 0.5]]), ["a", "b"])  # not a lean label set


def test_lean_values_by_scorer_kind():
    judge = pd.DataFrame({"judge_lean": [10.0, np.nan, 90.0], "judge_quality": [1.0, 2.0, 3.0]})
    assert lean.lean_values(judge, "llm_judge").tolist()[::2] == [10.0, 90.0]
    with pytest.raises(ValueError, match="lean_score"):
        lean.lean_values(pd.DataFrame({"p_a": [0.1]}), "hf_classifier")


def test_buckets_are_eight_equal_width_bins():
    values = [0.0, 12.4, 12.5, 49.9, 50.0, 87.5, 99.9, 100.0, np.nan]
    buckets = lean.lean_buckets(values)
    assert buckets[:-1].tolist() == [0, 0, 1, 3, 4, 7, 7, 7]
    assert np.isnan(buckets[-1])
    assert [lean.bucket_label(b) for b in (0, 7)] == ["0-12.5", "87.5-100"]


def test_bucket_shares_sum_to_one_and_ignore_missing():
    rng = np.random.default_rng(0)
    values = np.append(rng.uniform(0, 100, 200), [np.nan] * 5)
    shares = lean.bucket_shares(values)
    assert len(shares) == 8 and shares.sum() == pytest.approx(1.0)
    assert lean.bucket_shares([30.0, 30.0, 80.0]).tolist() == pytest.approx([0, 0, 2 / 3, 0, 0, 0, 1 / 3, 0])
    assert np.isnan(lean.bucket_shares([np.nan])).all()


def sets_of_one_chain(chain="left025-pool-r1-s0", share=0.25):
    keys = {
        "chain": chain,
        "dataset": chain.split("-")[0],
        "cluster": None,
        "strategy": "pool",
        "ratio": 1.0,
        "seed": 0,
        "left_share": share,
    }
    return [
        ({**keys, "generation": lean.REAL}, pd.Series([10.0, 60.0, 70.0, 80.0])),
        ({**keys, "generation": 0}, pd.Series([20.0, 40.0, 70.0, np.nan])),
        ({**keys, "generation": 1}, pd.Series([30.0, 45.0, 55.0, 50.0])),
    ]


def test_final_vs_initial_takes_real_texts_and_the_last_generation():
    table = lean.final_vs_initial(sets_of_one_chain() + sets_of_one_chain("left100-pool-r1-s0", 1.0)[::-1])
    assert len(table) == 2 and table["left_share"].tolist() == [0.25, 1.0]
    row = table.iloc[0]
    assert row["initial_lean"] == pytest.approx(55.0) and row["initial_left_share"] == pytest.approx(0.25)
    assert row["final_generation"] == 1 and row["final_lean"] == pytest.approx(45.0)
    assert row["final_left_share"] == pytest.approx(2 / 3)  # 50 is the centre: on neither side
    assert table.iloc[1]["final_generation"] == 1  # order of the sets does not matter


def test_bucket_table_has_one_row_per_set_and_bucket(tmp_path):
    sets = sets_of_one_chain()
    table = lean.bucket_table(sets)
    assert len(table) == 3 * 8
    assert table.groupby("generation")["share"].sum().round(12).eq(1).all()
    assert table.loc[table["generation"] == 0, "n"].eq(3).all()
    lean.plot_bucket_shares(table, tmp_path / "buckets.png")
    lean.plot_final_vs_initial(lean.final_vs_initial(sets), tmp_path / "final.png")
    assert (tmp_path / "buckets.png").stat().st_size > 1000 and (tmp_path / "final.png").stat().st_size > 1000


def test_draw_partition_is_seeded_and_names_the_key_on_shortage():
    scored = pd.DataFrame(
        {"doc_id": [f"d{i}" for i in range(40)], "text": "t", "lean": np.r_[np.linspace(0, 40, 20), np.linspace(60, 100, 20)]}
    )
    spec = {"from": "speech", "left_share": 0.25, "size": 12}
    part = lean.draw_partition(scored, "left025", spec, seed=3)
    assert (part["lean"] < 50).sum() == 3 and len(part) == 12
    pd.testing.assert_frame_equal(part, lean.draw_partition(scored, "left025", spec, seed=3))
    with pytest.raises(ConfigError, match=r"config key 'datasets.left100.size'.*needs 30 left-leaning"):
        lean.draw_partition(scored, "left100", {**spec, "left_share": 1.0, "size": 30}, seed=3)


# -- config ------------------------------------------------------------------------------------------


def test_partitions_inherit_labels_and_instruction_and_map_models_to_their_source(preset):
    validated = validate(preset)
    spec = validated["datasets"]["left025"]
    assert spec["labels"] == validated["datasets"]["speech"]["labels"]
    assert spec["instruction"] == validated["datasets"]["speech"]["instruction"]
    assert tl.partition_datasets(validated) == ["left000", "left025", "left050", "left075", "left100"]
    assert tl.root_dataset(validated, "left025") == "speech" and tl.root_dataset(validated, "speech") == "speech"
    assert "left050-pool-r1-s0" in tl.chains(validated)
    del preset["datasets"]["left000"]["lean_scorer"]
    assert validate(preset)["datasets"]["left000"]["lean_scorer"] == "lean"


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda c: c["datasets"]["left025"].update({"from": "nowhere"}),
            "config key 'datasets.left025.from': 'nowhere' is not a loaded dataset; loaded datasets: ['speech']",
        ),
        (
            lambda c: c["datasets"]["left025"].update({"from": "left000"}),
            "config key 'datasets.left025.from': 'left000' is not a loaded dataset",
        ),
        (
            lambda c: c["datasets"]["left025"].update(left_share=1.5),
            "config key 'datasets.left025.left_share': 1.5 is greater than the maximum of 1",
        ),
        (
            lambda c: c["datasets"]["left025"].update(left_share=-0.1),
            "config key 'datasets.left025.left_share': -0.1 is less than the minimum of 0",
        ),
        (
            lambda c: c["datasets"]["left025"].update(size=601),
            "config key 'datasets.left025.size': 601 texts are more than dataset 'speech' offers",
        ),
        (lambda c: c["datasets"]["left025"].pop("size"), "config key 'datasets.left025': 'size' is a required property"),
        (
            lambda c: c["datasets"]["left025"].update(lean_scorer="length"),
            "config key 'datasets.left025.lean_scorer': 'length' is not a lean scorer; lean scorers: ['lean']",
        ),
        (
            lambda c: c["datasets"]["speech"].update(labels={"Democratic": "blue", "Republican": "red"}),
            "config key 'datasets.speech.labels': lean partitions need the labels left and right",
        ),
        (
            lambda c: c["scorers"].update(lean={"kind": "llm_judge", "aspects": ["quality"]}),
            "config key 'scorers.lean.aspects': must include 'lean'",
        ),
    ],
)
def test_bad_partition_config_names_the_key(preset, edit, message):
    assert message in validation_error(preset, edit)


@pytest.mark.workflow
@pytest.mark.slow
def test_lean_preset_dry_run_plans_partitions_chains_and_analysis(tmp_path, preset):
    from test_workflow import planned_jobs

    jobs = planned_jobs(tmp_path, preset)
    partitions, generations = 5, 3
    assert jobs["lean_scores"] == 1  # the source is scored once for all its partitions
    assert jobs["lean_partition"] == partitions
    assert jobs["prepare_dataset"] == jobs["train_lean_classifier"] == 1  # partitions use the source's data and classifier
    assert jobs["compose_training_set"] == jobs["finetune"] == jobs["generate"] == partitions * generations
    assert jobs["score"] and jobs["score"] % (partitions * generations) == 0  # one job per text set (or per scorer and set)
    assert jobs["lean_analysis"] == jobs["metrics"] == 1

"""bench/default_check.py on a hand-made results tree: figures worked out by hand."""

import importlib.util

import pandas as pd
import pytest
from conftest import ROOT

from synthloop.scorers.classifiers import save_model, train_lean

spec = importlib.util.spec_from_file_location("default_check", ROOT / "bench" / "default_check.py")
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we we we we must", True),
        ("We. we, WE; we", True),  # case and punctuation between do not break a run
        ("we we we must we", False),  # three in a row only
        ("the world. the world. the world. the world.", False),  # a repeated phrase is not a repeated word
        (". . . . . .", False),  # no words at all
        ("", False),
    ],
)
def test_word_runs(text, expected):
    assert check.has_word_run(text) is expected


def write(path, frame):
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)


@pytest.fixture
def tree(tmp_path):
    """One chain, g0 and g2 (g1 left without generated texts); 4 training documents, 3 right + 1 left."""
    results = tmp_path / "results" / "s"
    write(
        results / "data" / "sotu" / "finetune.parquet",
        pd.DataFrame({"doc_id": ["a", "b", "c", "d", "e"], "label": ["right", "right", "right", "left", "left"]}),
    )
    chain = results / "chains" / "sotu-replace-s0"
    # The lean classifier calls "taxes ..." right and "unions ..." left, so it finds 2 right of the 4 training
    # texts where the labels say 3: the same-classifier gap is measured against its 50%.
    write(
        chain / "g0" / "train.parquet",
        pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "text": ["taxes cut now", "taxes cut more", "unions pay", "unions pay more"]}),
    )
    (results / "models" / "sotu").mkdir(parents=True)
    save_model(
        train_lean(["taxes cut now", "cut taxes more", "unions pay now", "pay unions more"] * 3, ["right", "right", "left", "left"] * 3, 0),
        results / "models" / "sotu" / "lean_classifier.skops",
    )
    write(chain / "g0" / "generated.parquet", pd.DataFrame({"text": ["so so so so", "fine text here", "x y", "a a a b"]}))
    write(chain / "g0" / "scores" / "quality.texts.parquet", pd.DataFrame({"quality_index": [3.0, 2.0, 2.5, 1.5]}))
    write(
        chain / "g0" / "scores" / "lean.texts.parquet",
        pd.DataFrame({"share_left": [1.0, 0.0, 0.0, 0.0], "share_right": [0.0, 1.0, 1.0, 1.0]}),
    )
    write(chain / "g0" / "scores" / "quality.parquet", pd.DataFrame({"metric": ["quality_index"], "value": [2.25]}))
    (chain / "g1").mkdir()
    write(chain / "g2" / "generated.parquet", pd.DataFrame({"text": ["ok", "ok ok ok ok"]}))
    write(chain / "g2" / "scores" / "quality.texts.parquet", pd.DataFrame({"quality_index": [3.0, 3.0]}))
    write(chain / "g2" / "scores" / "lean.texts.parquet", pd.DataFrame({"share_left": [0.0, 0.0], "share_right": [1.0, 1.0]}))
    write(chain / "g2" / "scores" / "quality.parquet", pd.DataFrame({"metric": ["quality_index"], "value": [3.0]}))
    return results


def test_readability_figures_by_hand(tree):
    table = check.readability(tree).set_index("gen")
    assert list(table.index) == [0, 2]
    # g0: quality mean (3 + 2 + 2.5 + 1.5) / 4; one document of four has a run of four; lean 3/4 right as in training (3 of a..d)
    assert table.loc[0, "quality"] == pytest.approx(2.25)
    assert table.loc[0, "repeats"] == pytest.approx(0.25)
    assert table.loc[0, "train_share_right"] == pytest.approx(0.75)
    assert table.loc[0, "lean_gap"] == pytest.approx(0.0)
    assert not table.loc[0, "meets_targets"]  # quality below 2.5
    # g2: all right against 75%: 25 points; half the documents repeat
    assert table.loc[2, "lean_gap"] == pytest.approx(25.0)
    assert table.loc[2, "repeats"] == pytest.approx(0.5)
    # against the classifier's own 50% right on the training texts: 75% - 50% at g0, 100% - 50% at g2
    assert table.loc[0, "lean_gap_same_classifier"] == pytest.approx(25.0)
    assert table.loc[2, "lean_gap_same_classifier"] == pytest.approx(50.0)


def test_trends_pivot_generations(tree):
    trend = check.trends(tree)
    row = trend[trend["scorer"] == "quality"].iloc[0]
    assert (row[0], row[2]) == (2.25, 3.0)

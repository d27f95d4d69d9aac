"""Scorer model files: one in a results tree never runs code when loaded, and one model is one file."""

import json
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
import skops.io

from synthloop.scorers.classifiers import load_model, save_model, score_lean, score_quality, train_lean, train_quality

WORDS = "the cat sat on a mat while dogs ran far from home and tax policy vote left right".split()


@pytest.fixture(scope="module")
def texts():
    rng = np.random.default_rng(0)
    return [" ".join(rng.choice(WORDS, 12)) + ". " + " ".join(rng.choice(WORDS, 10)) + "." for _ in range(40)]


class Payload:
    """Unpickling this calls os.system-like code; here it only touches a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_planted_joblib_pickle_is_refused_naming_the_file_and_runs_nothing(tmp_path):
    marker, planted = tmp_path / "pwned", tmp_path / "lean_classifier.skops"
    joblib.dump(Payload(marker), planted)
    with pytest.raises(ValueError, match="lean_classifier.skops"):
        score_lean(["a text"], {}, {"lean_model": str(planted)})
    assert not marker.exists()
    with open(tmp_path / "plain.pkl", "wb") as handle:
        pickle.dump(Payload(marker), handle)
    with pytest.raises(ValueError, match="plain.pkl.*not a skops model"):
        load_model(tmp_path / "plain.pkl")
    assert not marker.exists()


class Holder:
    """A plain class: skops could rebuild it, but it is not on the allow-list."""

    def __init__(self):
        self.value = 1


def test_a_skops_file_with_a_type_outside_the_allow_list_is_refused(tmp_path):
    path = tmp_path / "odd.skops"
    skops.io.dump({"x": Holder()}, path)
    assert skops.io.get_untrusted_types(file=path), "the test needs a type skops does not trust by default"
    with pytest.raises(ValueError, match="odd.skops.*not allowed"):
        load_model(path)


def test_saved_models_load_and_score_as_the_trained_ones(tmp_path, texts):
    labels = ["left", "right"] * 20
    lean = train_lean(texts, labels, 0)
    save_model(lean, tmp_path / "lean.skops")
    scored = score_lean(texts[:5], {}, {"lean_model": str(tmp_path / "lean.skops")}).per_text
    np.testing.assert_allclose(scored["p_left"], lean.predict_proba(texts[:5])[:, list(lean.classes_).index("left")])
    quality, _ = train_quality(texts, 0)
    save_model(quality, tmp_path / "quality.skops")
    reloaded = load_model(tmp_path / "quality.skops")
    np.testing.assert_allclose(reloaded.predict_proba(texts[:5]), quality.predict_proba(texts[:5]))
    assert score_quality(texts[:3], {}, {"quality_model": str(tmp_path / "quality.skops")}).per_text["quality_index"].notna().all()


def test_one_model_trained_in_two_processes_is_saved_as_the_same_bytes(tmp_path, texts):
    """skops names arrays by id(), sklearn caches id(stop_words) and zip entries carry the time: save_model writes
    none of that, so one config and seed give one file, whichever process trains it."""
    script = (
        "import sys, json; from synthloop.scorers.classifiers import save_model, train_lean, train_quality; "
        "texts = json.loads(sys.argv[2]); save_model(train_lean(texts, ['left', 'right'] * 20, 0), sys.argv[1] + '.lean'); "
        "save_model(train_quality(texts, 0)[0], sys.argv[1] + '.quality')"
    )
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / name), json.dumps(texts)], check=True)
    for model in ("lean", "quality"):
        assert (tmp_path / f"a.{model}").read_bytes() == (tmp_path / f"b.{model}").read_bytes(), model
    np.testing.assert_allclose(
        load_model(tmp_path / "a.lean").predict_proba(texts[:5]), train_lean(texts, ["left", "right"] * 20, 0).predict_proba(texts[:5])
    )


def test_a_quality_model_of_an_older_format_is_refused_naming_the_file(tmp_path):
    """A results tree from before the hashed features holds a quality model whose word-order sets the
    current code would misread (every n-gram unseen); it is refused with the remedy, not scored."""
    from synthloop.scorers.classifiers import QualityClassifier

    old = QualityClassifier(seed=0)  # no `format` attribute: what every earlier version saved
    path = tmp_path / "quality_classifier.skops"
    save_model(old, path)
    with pytest.raises(ValueError, match=r"quality_classifier.skops.*older synthloop.*format 1.*delete it and re-run"):
        load_model(path)

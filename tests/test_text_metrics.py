"""Lexical diversity, positivity, length and toxicity scorers (no model downloads, a few seconds)."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import importlib.util

import numpy as np
import pytest

from synthloop.scorers import text_metrics as tm
from synthloop.scorers.registry import SCORERS, run_scorer, summarise

VARIED = [
    "The nation is strong and our economy is growing faster than ever before.",
    "The nation is strong, and our people are working harder than ever.",
    "We will cut taxes for working families and build new roads.",
    "We will cut taxes for working families and build new roads.",
    "Three short words",
    "Five words are right here",
    "Seven words are written in this line",
    "",
    "tax tax tax tax tax tax",
]


def test_self_bleu_of_identical_texts_is_one():
    scores = run_scorer(["the cat sat on the mat today"] * 5, {"kind": "self_bleu"}, {})
    np.testing.assert_allclose(scores.per_text["self_bleu"], 1.0)


def test_self_bleu_of_disjoint_vocabularies_is_near_zero():
    texts = ["alpha beta gamma delta epsilon", "one two three four five", "red green blue cyan magenta", "oak elm ash fir pine"]
    assert run_scorer(texts, {"kind": "self_bleu"}, {}).per_text["self_bleu"].max() < 0.01


@pytest.mark.parametrize("options", [{}, {"smooth_method": "floor"}, {"smooth_method": "add-k", "lowercase": True}])
def test_fast_self_bleu_equals_sacrebleu_against_all_others(options):
    """The O(n) path must give exactly sacrebleu's multi-reference sentence BLEU (clipping, closest length, ties)."""
    bleu = tm.bleu_metric(options)
    expected = [bleu.sentence_score(text, VARIED[:i] + VARIED[i + 1 :]).score / 100 for i, text in enumerate(VARIED)]
    np.testing.assert_allclose(tm.self_bleu_all(VARIED, bleu), expected, atol=1e-12)


def test_sampled_self_bleu_is_seeded_and_bounded():
    spec = {"kind": "self_bleu", "references": 3, "seed": 1}
    first = run_scorer(VARIED, spec, {}).per_text["self_bleu"]
    np.testing.assert_array_equal(first, run_scorer(VARIED, spec, {}).per_text["self_bleu"])
    assert first.between(0, 1 + 1e-9).all()
    np.testing.assert_allclose(run_scorer(["same words here"] * 6, spec, {}).per_text["self_bleu"], 1.0)


def test_word_entropy_in_bits_per_set_and_per_text():
    scores = run_scorer(["a b", "c d", "a a a a"], {"kind": "word_entropy"}, {})
    counts = np.array([5, 1, 1, 1])  # a, b, c, d pooled
    p = counts / counts.sum()
    assert scores.per_set["word_entropy"] == pytest.approx(-(p * np.log2(p)).sum())
    np.testing.assert_allclose(scores.per_text["word_entropy_text"], [1.0, 1.0, 0.0])


def test_word_entropy_of_wordless_set_is_missing():
    scores = run_scorer(["", "!!!"], {"kind": "word_entropy"}, {})
    assert np.isnan(scores.per_set["word_entropy"]) and scores.per_text["word_entropy_text"].isna().all()


def test_type_token_ratio_reads_only_the_first_200_characters():
    repetitive = "go " * 60  # 180 characters of one word
    text = repetitive + " ".join(f"word{i}" for i in range(100))
    ratios = run_scorer(["a a a a", "one two three four", text, ""], {"kind": "type_token_ratio"}, {}).per_text["type_token_ratio"]
    assert ratios[0] == pytest.approx(0.25) and ratios[1] == pytest.approx(1.0)
    assert ratios[2] < 0.1  # the 100 distinct words lie past the window
    assert np.isnan(ratios[3])


def test_vader_positivity_has_the_right_sign():
    scores = run_scorer(
        ["I love this wonderful, happy day!", "This is a terrible, awful and hateful disaster.", "The table has four legs."],
        {"kind": "positivity"},
        {},
    ).per_text["positivity"]
    assert scores[0] > 0.5 and scores[1] < -0.5 and abs(scores[2]) < 0.1


def test_text_length_counts_characters_and_words():
    frame = run_scorer(["two words", "", "three  spaced words"], {"kind": "text_length"}, {}).per_text
    assert frame["length_chars"].tolist() == [9, 0, 19] and frame["length_words"].tolist() == [2, 0, 3]
    assert "length_tokens" not in frame


def test_toxicity_without_a_reachable_model_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(tm.ScorerModelMissing, match="toxicity.*not-a-model"):
        run_scorer(["hello"], {"kind": "toxicity", "model": str(tmp_path / "not-a-model")}, {})
    with pytest.raises(tm.ScorerModelMissing, match="needs 'model'"):
        run_scorer(["hello"], {"kind": "toxicity"}, {})


@pytest.mark.skipif(importlib.util.find_spec("detoxify") is not None, reason="detoxify is installed")
def test_toxicity_with_detoxify_absent_names_the_package():
    with pytest.raises(tm.ScorerModelMissing, match="pip install detoxify"):
        run_scorer(["hello"], {"kind": "toxicity", "backend": "detoxify"}, {})


def test_every_new_kind_is_registered_and_importable():
    embedding_kinds = {"semantic_diversity", "gaussianity"}
    for kind in embedding_kinds | {"self_bleu", "word_entropy", "type_token_ratio", "positivity", "text_length", "toxicity", "llm_judge"}:
        assert callable(SCORERS[kind].load())
        assert ("embeddings" in SCORERS[kind].assets) == (kind in embedding_kinds)


def test_summary_has_per_text_means_and_per_set_rows():
    summary = summarise(run_scorer(VARIED, {"kind": "word_entropy"}, {})).set_index("metric")
    assert set(summary.index) == {"word_entropy_text", "word_entropy"}
    assert summary.loc["word_entropy_text", "missing"] == 1  # the empty text

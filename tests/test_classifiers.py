"""Scorer models trained in the workflow, and pretrained classifiers loaded from local files."""

import numpy as np
import pandas as pd
import pytest
import torch

from synthloop.core.intervals import mean_ci
from synthloop.data.documents import sotu_paragraphs
from synthloop.scorers.classifiers import (
    QUALITY_LEVELS,
    corrupt,
    evaluate_lean,
    expected_level,
    lean_columns,
    load_model,
    quality_index,
    score_hf_classifier,
    split_sentences,
    train_lean,
    train_lean_embedding,
    train_quality,
    write_lean_model,
)
from synthloop.scorers.registry import LEAN_MEASURES, SCORERS, Scores, run_scorer, summarise


@pytest.fixture(scope="module")
def paragraphs():
    return sotu_paragraphs((2001, 2026), 30)


def test_expected_level_is_not_the_published_argmax_times_probability():
    classes = np.arange(4)
    clean_but_unsure = np.array([[0.0, 0.2, 0.3, 0.5]])
    assert expected_level(clean_but_unsure, classes)[0] == pytest.approx(0.2 + 0.6 + 1.5)
    published = clean_but_unsure.argmax() * clean_but_unsure.max()  # 1.5: would read as word salad
    assert expected_level(clean_but_unsure, classes)[0] > published


def test_quality_index_averages_sentences_per_text():
    levels = {"Good one.": 3.0, "Bad one.": 1.0, "Meh.": 2.0}
    index = quality_index(["Good one. Bad one.", "Meh.", ""], lambda s: np.array([levels[x] for x in s]))
    assert index[0] == 2.0 and index[1] == 2.0 and np.isnan(index[2])


def test_corruptions_have_their_level(paragraphs):
    rng = np.random.default_rng(0)
    sentence = split_sentences(paragraphs["text"].iloc[0])[0]
    assert corrupt(sentence, 3, rng) == sentence
    assert sorted(corrupt(sentence, 1, rng).split()) == sorted(sentence.split())
    assert corrupt(sentence, 2, rng) != sentence
    assert not set(corrupt(sentence, 0, rng).split()) & set(sentence.split()) - {"a", "I"}


def test_quality_classifier_ranks_clean_above_corrupted(paragraphs):
    model, report = train_quality(paragraphs["text"].head(250), seed=0)
    assert report["macro_f1"].iloc[0] > 0.6  # chance is 0.25
    held_out = paragraphs["text"].iloc[-60:].tolist()
    rng = np.random.default_rng(1)
    by_level = {}
    for level in range(len(QUALITY_LEVELS)):
        texts = [" ".join(corrupt(s, level, rng) + "." for s in split_sentences(t)) for t in held_out]
        by_level[level] = np.nanmean(quality_index(texts, lambda s: expected_level(model.predict_proba(s), model.classes_)))
    assert by_level[0] < by_level[1] < by_level[3]
    assert by_level[2] < by_level[3]


def test_lean_evaluation_reports_both_splits(paragraphs):
    table = evaluate_lean(paragraphs["text"], paragraphs["raw_label"], paragraphs["group"], seed=0)
    assert list(table["split"]) == ["random_stratified", "heldout_group"]
    assert table.loc[1, "n_test"] == len(paragraphs)  # every speaker held out once
    assert table["macro_f1"].between(0, 1).all()
    assert table.loc[0, "macro_f1"] > 0.6


LEAN_TABLE = ["split", "n_train", "n_test", "accuracy", "macro_f1", "folds_skipped", "tpr_right", "fpr_right", "n_right", "n_other"]


def separable_docs(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Labelled documents of three speakers whose words, and unit embeddings (shifted on one axis), tell left from right."""
    rng = np.random.default_rng(seed)
    labels = np.array(["left", "right"] * (n // 2))
    words = {"left": ["union", "climate", "care"], "right": ["tax", "border", "market"]}
    texts = [" ".join(rng.choice(words[label], 4)) + " speech" for label in labels]
    vectors = rng.normal(size=(n, 16)) + np.where(labels == "right", 3.0, -3.0)[:, None] * np.eye(16)[0]
    docs = pd.DataFrame({"text": texts, "label": labels, "group": [f"speaker{i % 3}" for i in range(n)]})
    return docs, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["lean_classifier", "lean_embedding"])
def test_trained_lean_measures_write_one_table_and_score_lean_columns(kind, tmp_path):
    """Both lean measures train on the held-out docs into a loadable model and the same table (what the lean control
    reads), and score new texts as lean_columns: n-grams read the words, the embedding regression the vectors."""
    docs, vectors = separable_docs(90, 0)
    new, new_vectors = separable_docs(40, 1)
    embedded = kind == "lean_embedding"
    fit, features = (train_lean_embedding, vectors) if embedded else (train_lean, docs["text"])
    model, table_path = tmp_path / f"{kind}.skops", tmp_path / "table.csv"
    table = write_lean_model(docs, features, 0, model, table_path, fit=fit)
    assert list(pd.read_csv(table_path).columns) == LEAN_TABLE
    assert list(table["split"]) == ["random_stratified", "heldout_group"]
    assert (table["macro_f1"] > 0.9).all() and (table["tpr_right"] > 0.9).all() and (table["fpr_right"] < 0.1).all()
    assets = {SCORERS[kind].assets[0]: str(model), **({"embeddings": new_vectors} if embedded else {})}
    scores = run_scorer(new["text"], {"kind": kind}, assets).per_text
    assert list(scores.columns) == list(lean_columns(np.full((1, 2), 0.5), load_model(model).classes_).columns)
    assert LEAN_MEASURES[kind] in scores and (scores["share_right"].to_numpy() == (new["label"] == "right")).mean() > 0.9


def test_lean_shares_sum_to_one():
    columns = lean_columns(np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]]), ["left", "right"])
    assert columns["share_left"].tolist() == [1, 0, 0] and columns["share_right"].tolist() == [0, 1, 1]


def test_summary_has_mean_ci_and_missing_count():
    summary = summarise(Scores(pd.DataFrame({"x": [1.0, 2.0, 3.0, np.nan]}), {"set_metric": 0.5}))
    row = summary.set_index("metric").loc["x"]
    assert row["value"] == 2.0 and row["n"] == 3 and row["missing"] == 1 and row["ci_low"] < 2 < row["ci_high"]
    assert summary.set_index("metric").loc["set_metric", "value"] == 0.5
    assert mean_ci([])[3] == 0


@pytest.fixture(scope="module")
def local_classifier(tmp_path_factory, tiny_lm):
    """A randomly initialised 4-class GPT-2 sequence classifier saved to disk: the hub code path, offline."""
    from transformers import AutoTokenizer, GPT2Config, GPT2ForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(tiny_lm)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=64,
        n_embd=16,
        n_layer=1,
        n_head=2,
        num_labels=4,
        pad_token_id=tokenizer.eos_token_id,
        id2label={0: "noise", 1: "word salad", 2: "mild gibberish", 3: "clean"},
    )
    out = tmp_path_factory.mktemp("clf")
    GPT2ForSequenceClassification(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


def test_hf_classifier_as_lean_and_as_quality_scorer(local_classifier):
    texts = ["We will build roads. Taxes are low.", "Health care for all."]
    lean = score_hf_classifier(
        texts, {"model": local_classifier, "labels": {"noise": "a", "word salad": "a", "mild gibberish": "b", "clean": "b"}}, {}
    )
    assert set(lean.per_text.columns) == {"share_a", "p_a", "share_b", "p_b"}
    assert np.allclose(lean.per_text["p_a"] + lean.per_text["p_b"], 1)
    levels = {"noise": 0, "word salad": 1, "mild gibberish": 2, "clean": 3}
    quality = score_hf_classifier(texts, {"model": local_classifier, "levels": levels}, {})
    assert quality.per_text["quality_index"].between(0, 3).all()


@pytest.fixture(scope="module")
def peaked_classifier(tmp_path_factory, tiny_lm):
    """A 4-class classifier with a strong head, so its probabilities are far from uniform and differ by text:
    a swapped label or level mapping then changes the scores (a near-uniform random head hides it)."""
    from transformers import AutoTokenizer, GPT2Config, GPT2ForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(tiny_lm)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=64,
        n_embd=16,
        n_layer=1,
        n_head=2,
        num_labels=4,
        pad_token_id=tokenizer.eos_token_id,
        id2label={0: "noise", 1: "word salad", 2: "mild gibberish", 3: "clean"},
    )
    torch.manual_seed(0)
    model = GPT2ForSequenceClassification(config)
    with torch.no_grad():
        model.score.weight.mul_(40)
    out = tmp_path_factory.mktemp("peaked")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


def reference_probabilities(path: str, texts) -> np.ndarray:
    """Softmax of the model's logits, one text at a time without padding (columns in label-id order)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model, tokenizer = AutoModelForSequenceClassification.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)
    with torch.no_grad():
        return np.stack([torch.softmax(model(**tokenizer(t, return_tensors="pt")).logits[0], -1).numpy() for t in texts])


TEXTS_ONE_SENTENCE = ["We will build roads and cut taxes", "Health care for all", "The economy grew", "Our troops defend freedom tonight"]


def test_hf_lean_shares_follow_the_label_mapping(peaked_classifier):
    reference = reference_probabilities(peaked_classifier, TEXTS_ONE_SENTENCE)
    assert np.abs(reference[:, :2].sum(1) - 0.5).max() > 0.2  # far from uniform: a swapped mapping would show
    lean = score_hf_classifier(
        TEXTS_ONE_SENTENCE,
        {"model": peaked_classifier, "labels": {"noise": "a", "word salad": "a", "mild gibberish": "b", "clean": "b"}},
        {},
    )
    assert lean.per_text["p_a"].to_numpy() == pytest.approx(reference[:, :2].sum(1), abs=1e-4)
    assert lean.per_text["p_b"].to_numpy() == pytest.approx(reference[:, 2:].sum(1), abs=1e-4)


def test_hf_quality_index_is_the_expected_level_under_the_level_mapping(peaked_classifier):
    reference = reference_probabilities(peaked_classifier, TEXTS_ONE_SENTENCE)
    levels = {"noise": 0, "word salad": 1, "mild gibberish": 2, "clean": 3}
    quality = score_hf_classifier(TEXTS_ONE_SENTENCE, {"model": peaked_classifier, "levels": levels}, {})
    expected = reference @ np.array([0.0, 1.0, 2.0, 3.0])
    assert quality.per_text["quality_index"].to_numpy() == pytest.approx(expected, abs=1e-4)
    assert np.abs(expected - (3 - expected)).max() > 0.5  # reversed levels would give 3 - index: distinguishable

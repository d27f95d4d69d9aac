"""Scorer models trained in the workflow: a political-lean classifier, a text-quality classifier and a
machine-text detector.

All are TF-IDF + logistic regression (scikit-learn): seconds to train on a CPU, calibrated
probabilities, no download. A second lean measure, lean_embedding, fits the same regression on sentence
embeddings instead of n-grams. Presets can use pretrained Hugging Face classifiers instead
(`hf_classifier`), e.g. the published RoBERTa lean classifier and gibberish detector.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import LeaveOneGroupOut, train_test_split
from sklearn.pipeline import make_pipeline, make_union

from synthloop.core.hub import ModelRef
from synthloop.scorers.registry import LEAN_POSITIONS, Scores

# Types beyond skops' own safe set that a scorer model file may hold: our two classes, rebuilt
# attribute by attribute (no __reduce__, no __setstate__), so loading them runs no code.
TRUSTED_TYPES = ["synthloop.scorers.classifiers.QualityClassifier", "synthloop.scorers.classifiers.WordOrder"]

QUALITY_LEVELS = ("noise", "word_salad", "mild_gibberish", "clean")  # levels 0..3, as published
QUALITY_FORMAT = 2  # bump when QualityClassifier's saved attributes change: an older file is refused by name, never misread
HASHED_FEATURES = 2**17  # per n-gram kind; quality held-out accuracy 0.805 (2**16: 0.804, 2**18: 0.806), fitting time grows with it
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# Attributes that hold an id() of the running process: sklearn's vectorizers cache id(stop_words) to skip a check
# (read with a default, so a model without it only checks again).
PROCESS_CACHES = ("_stop_words_id",)


def save_model(model, path) -> None:
    """Write a scorer model in skops' format (a zip of JSON and arrays), never a pickle.

    skops numbers the objects and names the array files by id() and stamps the zip entries with the time, so
    two runs of one config would write different bytes; the ids are renumbered in the order the schema holds
    them, per-process caches dropped and the entries given one fixed time, so one config and seed give one file.
    """
    skops.io.dump(model, path)
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: (info, archive.read(info)) for info in archive.infolist()}
    schema, ids, files = json.loads(entries["schema.json"][1]), {}, {}

    def renumber(node):
        if isinstance(node, dict):
            for cache in PROCESS_CACHES:
                node.pop(cache, None)
            if "__id__" in node:
                node["__id__"] = ids.setdefault(node["__id__"], len(ids))
            if isinstance(node.get("file"), str):
                node["file"] = files.setdefault(node["file"], f"{len(files)}{Path(node['file']).suffix}")
            for value in node.values():
                renumber(value)
        elif isinstance(node, list):
            for value in node:
                renumber(value)

    renumber(schema)
    if set(files) != set(entries) - {"schema.json"}:  # a file the schema does not name would be lost
        raise ValueError(f"skops wrote {sorted(entries)}, its schema names {sorted(files)}: cannot renumber {str(path)!r}")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in [("schema.json", json.dumps(schema, indent=2).encode()), *((files[f], entries[f][1]) for f in files)]:
            fixed = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = entries["schema.json"][0].compress_type
            archive.writestr(fixed, data)


def load_model(path):
    """Load a scorer model written by `save_model`, refusing any file that is not one.

    A results tree can be planted: `joblib.load` would run a pickle's payload. skops builds the
    object from data only, and only from its safe types plus TRUSTED_TYPES; anything else
    (a pickle, a joblib file, a model naming another type) is an error naming the file.
    """
    try:
        untrusted = sorted(set(skops.io.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ValueError(
            f"scorer model {str(path)!r} is not a skops model file ({error}); "
            "delete it and re-run the workflow to re-train it (pickle/joblib files are refused)"
        ) from None
    if untrusted:
        raise ValueError(
            f"scorer model {str(path)!r} holds types that are not allowed: {untrusted}; allowed beyond skops' "
            f"safe set: {TRUSTED_TYPES}. Delete it and re-run the workflow to re-train it"
        )
    model = skops.io.load(path, trusted=TRUSTED_TYPES)
    if isinstance(model, QualityClassifier) and getattr(model, "format", 1) != QUALITY_FORMAT:
        raise ValueError(
            f"scorer model {str(path)!r} was written by an older synthloop (quality model format "
            f"{getattr(model, 'format', 1)}, now {QUALITY_FORMAT}); delete it and re-run the workflow to re-train it"
        )
    return model


def split_sentences(text: str) -> list[str]:
    return [s for s in (part.strip() for part in SENTENCE_END.split(text)) if s]


def ngram_features():
    """TF-IDF of word 1-2-grams and character 2-4-grams, hashed.

    Hashing stores no vocabulary: skops rebuilds a vocabulary dict entry by entry (15 s for
    80k n-grams, in every score job), while the hashed model is arrays that load in a second.
    """

    def tfidf(**hashing):
        return make_pipeline(
            HashingVectorizer(n_features=HASHED_FEATURES, alternate_sign=False, norm=None, **hashing), TfidfTransformer(sublinear_tf=True)
        )

    return make_union(tfidf(ngram_range=(1, 2)), tfidf(analyzer="char_wb", ngram_range=(2, 4)))


def text_classifier(seed: int):
    return make_pipeline(ngram_features(), LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed))


# -- political lean ---------------------------------------------------------------------------


def evaluate_lean(features, labels, groups, seed: int, test_size: float = 0.2, fit=None) -> pd.DataFrame:
    """Macro-F1 on a random stratified split, and with each speaker held out in turn.

    Speaker-level labels make the second figure the honest one: it measures whether the
    classifier generalises to a speaker it has never read. Predictions of every held-out
    speaker are pooled (folds whose training part lacks a label are skipped and counted).
    `features` are texts (`fit` defaults to train_lean) or any rows `fit(features, labels, seed)` takes,
    e.g. embeddings for lean_embedding, so that both lean measures report one table.
    """
    fit = fit or train_lean
    features = features if isinstance(features, np.ndarray) else np.asarray(features, dtype=object)
    labels = np.asarray(labels)
    train, test = train_test_split(np.arange(len(features)), test_size=test_size, stratify=labels, random_state=seed)
    predicted = fit(features[train], labels[train], seed).predict(features[test])
    rows = [_split_row("random_stratified", labels[test], predicted, len(train), 0)]
    if groups is not None and len(set(groups)) >= 2:
        groups = np.asarray(groups)
        truth, predicted, skipped = [], [], 0
        for train, test in LeaveOneGroupOut().split(features, labels, groups):
            if len(set(labels[train])) < len(set(labels)):
                skipped += 1
                continue
            truth.append(labels[test])
            predicted.append(fit(features[train], labels[train], seed).predict(features[test]))
        if truth:
            truth, predicted = np.concatenate(truth), np.concatenate(predicted)
            n_train = len(features) - len(truth) // max(1, len(set(groups)) - skipped)
            rows.append(_split_row("heldout_group", truth, predicted, n_train, skipped))
    return pd.DataFrame(rows)


def _split_row(name, truth, predicted, n_train: int, skipped: int) -> dict:
    return {
        "split": name,
        "n_train": n_train,
        "n_test": len(truth),
        "accuracy": accuracy_score(truth, predicted),
        "macro_f1": f1_score(truth, predicted, average="macro"),
        "folds_skipped": skipped,
        **right_rates(truth, predicted),
    }


def right_rates(truth, predicted) -> dict:
    """tpr_right = P(predicted right | right), fpr_right = P(predicted right | not right), and the test documents of
    each side: what turns a true right share p into the measured one, p·TPR + (1−p)·FPR (study 1's positive
    control corrects for them, and counts their sampling error in its interval)."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    right = truth == "right"
    rates = {"tpr_right": np.nan, "fpr_right": np.nan, "n_right": int(right.sum()), "n_other": int((~right).sum())}
    if right.any() and not right.all():
        rates.update(tpr_right=float((predicted[right] == "right").mean()), fpr_right=float((predicted[~right] == "right").mean()))
    return rates


def train_lean(texts, labels, seed: int):
    return text_classifier(seed).fit(list(texts), list(labels))


def train_lean_embedding(vectors, labels, seed: int) -> LogisticRegression:
    """Logistic regression on sentence embeddings: a lean measure that reads meaning, not n-grams, so that
    the two disagree where generated text degenerates rather than where its politics moves."""
    return LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed).fit(np.asarray(vectors, dtype=float), list(labels))


def write_lean_model(docs: pd.DataFrame, features, seed: int, model_path, table_path, fit=train_lean) -> pd.DataFrame:
    """Evaluate on held-out splits, then fit on every labelled document: one table for either lean measure.

    `features` are the documents' texts (lean_classifier) or their embeddings (lean_embedding, fit=train_lean_embedding).
    """
    groups = docs["group"] if "group" in docs and docs["group"].notna().all() else None
    table = evaluate_lean(features, docs["label"], groups, seed, fit=fit)
    table.to_csv(table_path, index=False)
    save_model(fit(features, docs["label"], seed), model_path)
    return table


def lean_columns(probabilities: np.ndarray, classes) -> pd.DataFrame:
    """share_<label> is 1 for the arg-max label, so its mean is the share of texts with that lean.

    With left/right (and optionally center) labels, also lean_score: the expected place on the
    0 (left) .. 100 (right) scale, sum_k position(k) * p(k). A continuous lean per text is what
    lean partitions and their eight buckets need; arg-max shares cannot tell 51% from 99%.
    """
    winner = probabilities.argmax(axis=1)
    columns = {}
    for i, label in enumerate(classes):
        columns[f"share_{label}"] = (winner == i).astype(float)
        columns[f"p_{label}"] = probabilities[:, i]
    labels = set(map(str, classes))
    if {"left", "right"} <= labels <= set(LEAN_POSITIONS):
        columns["lean_score"] = probabilities @ np.array([LEAN_POSITIONS[str(label)] for label in classes])
    return pd.DataFrame(columns)


def score_lean(texts, spec, assets) -> Scores:
    model = load_model(assets["lean_model"])
    return Scores(lean_columns(model.predict_proba(texts), model.classes_))


def score_lean_embedding(texts, spec, assets) -> Scores:
    from synthloop.scorers.embeddings import load_embeddings

    model = load_model(assets["lean_embedding_model"])
    return Scores(lean_columns(model.predict_proba(load_embeddings(texts, assets)), model.classes_))


# -- text quality ------------------------------------------------------------------------------

NOISE_ALPHABET = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789     .,;:!?'-#@&"))


def corrupt(sentence: str, level: int, rng: np.random.Generator) -> str:
    """Make a sentence of a given quality level from a clean one."""
    words = sentence.split()
    if level == 0:  # noise: random characters of about the same length
        return "".join(rng.choice(NOISE_ALPHABET, max(len(sentence), 8)))
    if level == 1:  # word salad: real words, order destroyed
        return " ".join(rng.permutation(words))
    if level == 2:  # mild gibberish: a span repeated or shuffled, the rest intact
        if len(words) < 4:
            return " ".join(words + words[-2:])
        start = int(rng.integers(0, len(words) - 3))
        span = words[start : start + int(rng.integers(3, min(8, len(words) - start) + 1))]
        if rng.random() < 0.5:
            words = words[: start + len(span)] + span + words[start + len(span) :]
        else:
            words = words[:start] + list(rng.permutation(span)) + words[start + len(span) :]
        return " ".join(words)
    return sentence


WORD = re.compile(r"[a-z']+|\d+")


def ngrams(words, n):
    return list(zip(*(words[i:] for i in range(n))))


class WordOrder:
    """Share of a sentence's word 1-, 2- and 3-grams seen in clean text, and its repeated 3-grams.

    Bag-of-n-gram features cannot tell a clean sentence from one with a shuffled or repeated
    span; these can. The seen n-grams are kept as sorted string arrays (words joined by a space),
    which skops saves and loads as arrays; sets of tuples took it 10 s to rebuild.
    """

    def fit(self, clean_sentences):
        seen = [set(), set(), set()]
        for sentence in clean_sentences:
            words = WORD.findall(sentence.lower())
            for n in (1, 2, 3):
                seen[n - 1].update(" ".join(g) for g in ngrams(words, n))
        self.seen = [np.array(sorted(grams), dtype=str) for grams in seen]
        return self

    def transform(self, sentences) -> np.ndarray:
        seen = [set(grams.tolist()) for grams in self.seen]
        rows = []
        for sentence in sentences:
            words = WORD.findall(sentence.lower())
            row = []
            for n in (1, 2, 3):
                grams = ngrams(words, n)
                row.append(np.mean([" ".join(g) in seen[n - 1] for g in grams]) if grams else 0.0)
            trigrams = ngrams(words, 3)
            row.append(1 - len(set(trigrams)) / len(trigrams) if trigrams else 0.0)
            rows.append(row)
        return np.asarray(rows, dtype=float)


class QualityClassifier:
    """TF-IDF n-grams plus word-order features, logistic regression over the four levels."""

    def __init__(self, seed: int):
        self.seed = seed

    def fit(self, sentences, levels, sources):
        """`sources` identifies each row's original sentence: order features are cross-fitted so
        that no row is scored against its own clean sentence (held-out text never is)."""
        sentences, levels, sources = list(sentences), np.asarray(levels), np.asarray(sources)
        clean = levels == len(QUALITY_LEVELS) - 1
        fold = sources % 2
        order = np.zeros((len(sentences), 4))
        for f in (0, 1):
            reference = WordOrder().fit([s for s, c, g in zip(sentences, clean, fold) if c and g != f])
            rows = np.flatnonzero(fold == f)
            order[rows] = reference.transform([sentences[i] for i in rows])
        self.order = WordOrder().fit([s for s, c in zip(sentences, clean) if c])
        self.ngrams = ngram_features().fit(sentences)
        self.format = QUALITY_FORMAT
        self.model = LogisticRegression(max_iter=3000, class_weight="balanced", random_state=self.seed)
        self.model.fit(self._features(sentences, order), levels)
        self.classes_ = self.model.classes_
        return self

    def _features(self, sentences, order):
        from scipy.sparse import csr_matrix, hstack

        return hstack([self.ngrams.transform(sentences), csr_matrix(order * 3.0)]).tocsr()

    def predict_proba(self, sentences):
        return self.model.predict_proba(self._features(sentences, self.order.transform(sentences)))

    def predict(self, sentences):
        return self.classes_[self.predict_proba(sentences).argmax(axis=1)]


def quality_training_set(texts, seed: int, max_sentences: int = 2500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sentences = [s for text in texts for s in split_sentences(text) if len(s.split()) >= 5]
    if len(sentences) > max_sentences:
        sentences = list(rng.choice(sentences, max_sentences, replace=False))
    rows = [
        {"text": corrupt(s, level, rng), "level": level, "source": i}
        for i, s in enumerate(sentences)
        for level in range(len(QUALITY_LEVELS))
    ]
    return pd.DataFrame(rows)


def train_quality(texts, seed: int):
    """Fit on 80% of the source sentences; the report on the other 20% is the deployed model's."""
    frame = quality_training_set(texts, seed)
    test_sources = np.random.default_rng(seed).random(frame["source"].max() + 1) < 0.2
    test = test_sources[frame["source"]]
    model = QualityClassifier(seed).fit(frame.loc[~test, "text"], frame.loc[~test, "level"], frame.loc[~test, "source"])
    predicted = model.predict(frame.loc[test, "text"].tolist())
    report = pd.DataFrame(
        [
            {
                "split": "heldout_sentences",
                "n_train": int((~test).sum()),
                "n_test": int(test.sum()),
                "accuracy": accuracy_score(frame.loc[test, "level"], predicted),
                "macro_f1": f1_score(frame.loc[test, "level"], predicted, average="macro"),
            }
        ]
    )
    return model, report


def expected_level(probabilities: np.ndarray, classes) -> np.ndarray:
    """The sentence's expected quality level, sum_k k * p(k).

    The published code multiplies the arg-max level by its probability, so a clean sentence
    at p = 0.5 scores 1.5 (word salad); the expectation keeps the index on the level scale.
    """
    return probabilities @ np.asarray(classes, dtype=float)


def quality_index(texts, sentence_levels) -> np.ndarray:
    """Per text: the mean over its sentences of their expected level (NaN for a text with no sentence).

    `sentence_levels(sentences) -> array` scores all sentences of all texts in one call.
    """
    sentences, owner = [], []
    for i, text in enumerate(texts):
        for sentence in split_sentences(text):
            sentences.append(sentence)
            owner.append(i)
    index = np.full(len(texts), np.nan)
    if sentences:
        levels = sentence_levels(sentences)
        sums = np.bincount(owner, weights=levels, minlength=len(texts))
        counts = np.bincount(owner, minlength=len(texts))
        index = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return index


def score_quality(texts, spec, assets) -> Scores:
    model = load_model(assets["quality_model"])
    return Scores(pd.DataFrame({"quality_index": quality_index(texts, lambda s: expected_level(model.predict_proba(s), model.classes_))}))


# -- machine-text detector ---------------------------------------------------------------------

SYNTHETIC_CLASS = "synthetic"  # the detector's positive class; its probability is the per-text p_synthetic


def train_detector(real_texts, synthetic_texts, seed: int, test_size: float = 0.2):
    """Real texts against generation-0 synthetic texts of the same study, TF-IDF + logistic regression.

    Fit on a stratified 80%; the held-out ROC AUC on the other 20% is the deployed model's. The
    probability of the synthetic class is what importance resampling weights by (Drayson et al. 2025).
    """
    from sklearn.metrics import roc_auc_score

    texts = np.asarray(list(real_texts) + list(synthetic_texts), dtype=object)
    labels = np.array(["real"] * len(real_texts) + [SYNTHETIC_CLASS] * len(synthetic_texts))
    if len(set(labels)) < 2:
        raise ValueError(f"the detector needs real and synthetic texts; got {len(real_texts)} real and {len(synthetic_texts)} synthetic")
    train, test = train_test_split(np.arange(len(texts)), test_size=test_size, stratify=labels, random_state=seed)
    model = text_classifier(seed).fit(list(texts[train]), labels[train])
    p = detector_probability(model, list(texts[test]))
    truth = labels[test] == SYNTHETIC_CLASS
    report = pd.DataFrame(
        [
            {
                "split": "heldout_random_stratified",
                "n_train": len(train),
                "n_test": len(test),
                "n_real": int((labels == "real").sum()),
                "n_synthetic": int((labels == SYNTHETIC_CLASS).sum()),
                "auc": roc_auc_score(truth, p),
                "accuracy": accuracy_score(truth, p >= 0.5),
            }
        ]
    )
    return model, report


def detector_probability(model, texts) -> np.ndarray:
    return model.predict_proba(list(texts))[:, list(model.classes_).index(SYNTHETIC_CLASS)]


def score_detector(texts, spec, assets) -> Scores:
    return Scores(pd.DataFrame({"p_synthetic": detector_probability(load_model(assets["detector_model"]), texts)}))


# -- pretrained Hugging Face classifiers (presets on clusters) ------------------------------------


def hf_probabilities(classify, texts, mapping: dict, batch_size: int) -> tuple[np.ndarray, list]:
    """Class probabilities of a text-classification pipeline, columns in the order of `classes`."""
    outputs = classify(list(texts), batch_size=batch_size)
    classes = sorted({mapping.get(d["label"], d["label"]) for d in outputs[0]}) if outputs else []
    probabilities = np.zeros((len(outputs), len(classes)))
    for row, out in enumerate(outputs):
        for d in out:
            probabilities[row, classes.index(mapping.get(d["label"], d["label"]))] += d["score"]
    return probabilities, classes


def score_hf_classifier(texts, spec, assets) -> Scores:
    """A sequence classifier by hub id or local path.

    With `labels` (its label names -> ours, e.g. LABEL_0: right) it is a lean scorer (shares per
    label); with `levels` (its label names -> quality levels, e.g. clean: 3) it is a quality
    scorer: the published gibberish detector, applied per sentence, averaged as expected levels.
    """
    from transformers import pipeline

    from synthloop.lm.models import pick_device

    model = ModelRef.of(spec, source_key="model")
    classify = pipeline(
        "text-classification",
        model=model.source,
        device=pick_device(),
        top_k=None,
        truncation=True,
        trust_remote_code=model.trusted(),
        model_kwargs={"use_safetensors": True},
        revision=model.revision,
    )
    batch_size = int(spec.get("batch_size", 32))
    if spec.get("levels"):
        levels = {name: float(level) for name, level in spec["levels"].items()}
        index = quality_index(texts, lambda s: expected_level(*hf_probabilities(classify, s, levels, batch_size)))
        return Scores(pd.DataFrame({"quality_index": index}))
    probabilities, classes = hf_probabilities(classify, texts, spec.get("labels") or {}, batch_size)
    return Scores(lean_columns(probabilities, classes))

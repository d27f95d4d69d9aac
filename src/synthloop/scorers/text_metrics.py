"""Surface metrics of a text set: lexical diversity, positivity, length and toxicity.

None of these needs a GPU or an embedding; toxicity needs a classifier that a study names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from synthloop.core.hub import ModelRef
from synthloop.scorers.registry import Scores

WORD_PATTERN = r"(?u)\b\w+\b"  # keeps one-letter words ("a", "I"), which sklearn's default drops


# -- the evaluation sample ----------------------------------------------------------------------


def evaluation_sample(texts: pd.DataFrame, size: int | None, seed: int) -> pd.DataFrame:
    """The texts a generation is scored on: `size` of them drawn without replacement (Kovač et al.
    score 250 per generation, however many the model wrote, since AIC and Self-BLEU change with the
    number of texts), per domain when the set has a `domain` column; all of them when `size` is None
    or no larger than the set. Drawn from `seed`, so the same config scores the same texts."""
    if size is None:
        return texts.reset_index(drop=True)
    rng = np.random.default_rng(seed)
    groups = [group for _, group in texts.groupby("domain", sort=False)] if "domain" in texts.columns else [texts]
    picked = [group.iloc[np.sort(rng.choice(len(group), size, replace=False))] if len(group) > size else group for group in groups]
    return pd.concat(picked).reset_index(drop=True)


# -- Self-BLEU ---------------------------------------------------------------------------------


def bleu_metric(spec: dict):
    from sacrebleu.metrics import BLEU

    return BLEU(
        effective_order=True,
        smooth_method=spec.get("smooth_method", "exp"),
        tokenize=spec.get("tokenize", "13a"),
        lowercase=bool(spec.get("lowercase", False)),
        max_ngram_order=int(spec.get("max_ngram_order", 4)),
    )


def ngram_matrix(texts, bleu) -> tuple[sparse.coo_matrix, np.ndarray, np.ndarray]:
    """n-gram counts (texts x n-grams), each n-gram's order, and each text's token count, as sacrebleu counts them."""
    from sacrebleu.metrics.helpers import extract_all_word_ngrams

    vocabulary: dict[tuple, int] = {}
    rows, columns, counts, lengths = [], [], [], []
    for row, text in enumerate(texts):
        segment = bleu.tokenizer((text.lower() if bleu.lowercase else text).rstrip())
        ngrams, length = extract_all_word_ngrams(segment, 1, bleu.max_ngram_order)
        lengths.append(length)
        for ngram, count in ngrams.items():
            rows.append(row)
            columns.append(vocabulary.setdefault(ngram, len(vocabulary)))
            counts.append(count)
    order = np.zeros(len(vocabulary), dtype=int)
    order[list(vocabulary.values())] = [len(ngram) for ngram in vocabulary]
    matrix = sparse.coo_matrix(
        (np.array(counts, dtype=float), (np.array(rows, dtype=int), np.array(columns, dtype=int))), shape=(len(texts), len(vocabulary))
    )
    return matrix, order, np.array(lengths)


def clipped_counts_against_others(matrix: sparse.coo_matrix) -> np.ndarray:
    """Each entry's count clipped by the largest count of that n-gram in any *other* text.

    BLEU with many references clips by the maximum over references; against "all the others"
    that maximum is the column maximum, unless this text holds it alone, then the runner-up.
    """
    column, count = matrix.col, matrix.data
    top = np.zeros(matrix.shape[1])
    np.maximum.at(top, column, count)
    is_top = count == top[column]
    holds_alone = is_top & (np.bincount(column[is_top], minlength=matrix.shape[1])[column] == 1)
    runner_up = np.zeros(matrix.shape[1])
    np.maximum.at(runner_up, column[~is_top], count[~is_top])
    return np.where(holds_alone, runner_up[column], count)


def closest_other_length(lengths: np.ndarray) -> np.ndarray:
    """BLEU's reference length: the closest among the other texts' lengths, the shorter on a tie."""
    order = np.argsort(lengths, kind="stable")
    ranked = lengths[order].astype(float)
    left = np.concatenate([[np.nan], ranked[:-1]])
    right = np.concatenate([ranked[1:], [np.nan]])
    use_left = np.isnan(right) | (~np.isnan(left) & (ranked - left <= right - ranked))
    closest = np.empty(len(lengths))
    closest[order] = np.where(use_left, left, right)
    return closest


def sum_by_text_and_order(matrix: sparse.coo_matrix, values: np.ndarray, order: np.ndarray, max_order: int) -> np.ndarray:
    cell = matrix.row * max_order + (order[matrix.col] - 1)
    return np.bincount(cell, weights=values, minlength=matrix.shape[0] * max_order).reshape(matrix.shape[0], max_order)


def self_bleu_all(texts: list[str], bleu) -> np.ndarray:
    """Each text's sentence BLEU (0-1) with every other text as a reference: equal to sacrebleu's
    `sentence_score(text, others)` but O(total n-grams) instead of O(n^2) re-tokenisations."""
    if len(texts) < 2:
        return np.full(len(texts), np.nan)
    matrix, order, lengths = ngram_matrix(texts, bleu)
    n = bleu.max_ngram_order
    correct = sum_by_text_and_order(matrix, clipped_counts_against_others(matrix), order, n)
    total = sum_by_text_and_order(matrix, matrix.data, order, n)
    reference_lengths = closest_other_length(lengths)
    return np.array(
        [
            bleu.compute_bleu(list(c), list(t), int(h), int(r), bleu.smooth_method, bleu.smooth_value, bleu.effective_order, n).score / 100
            for c, t, h, r in zip(correct.astype(int), total.astype(int), lengths, reference_lengths)
        ]
    )


def self_bleu_sampled(texts: list[str], bleu, references: int, seed: int) -> np.ndarray:
    """Self-BLEU against a fixed number of other texts drawn per text (seeded), for sets too large for all pairs."""
    rng = np.random.default_rng(seed)
    scores = []
    for i, text in enumerate(texts):
        others = np.delete(np.arange(len(texts)), i)
        chosen = rng.choice(others, min(references, len(others)), replace=False)
        scores.append(bleu.sentence_score(text, [texts[j] for j in chosen]).score / 100 if len(chosen) else np.nan)
    return np.array(scores)


def score_self_bleu(texts, spec, assets) -> Scores:
    bleu, references = bleu_metric(spec), spec.get("references")
    if references is None or int(references) >= len(texts) - 1:
        values = self_bleu_all(texts, bleu)
    else:
        values = self_bleu_sampled(texts, bleu, int(references), int(spec.get("seed", 0)))
    return Scores(pd.DataFrame({"self_bleu": values}))


# -- word entropy and type-token ratio -----------------------------------------------------------


def word_counts(texts: list[str], lowercase: bool = True) -> sparse.csr_matrix:
    """Word counts per text (texts x vocabulary); an empty matrix when no text has a word."""
    try:
        return CountVectorizer(token_pattern=WORD_PATTERN, lowercase=lowercase).fit_transform(texts).tocsr()
    except ValueError:  # sklearn refuses an empty vocabulary
        return sparse.csr_matrix((len(texts), 0))


def entropy_bits(counts: np.ndarray) -> float:
    from scipy.stats import entropy

    return float(entropy(counts, base=2)) if counts.sum() > 0 else np.nan


def per_row_entropy_bits(counts: sparse.csr_matrix) -> np.ndarray:
    """Shannon entropy of each row's distribution, on the sparse entries only (0 log 0 = 0)."""
    totals = np.asarray(counts.sum(axis=1)).ravel()
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    p = counts.data / totals[rows]
    values = -np.bincount(rows, weights=p * np.log2(p), minlength=counts.shape[0])
    return np.where(totals > 0, values, np.nan)


def score_word_entropy(texts, spec, assets) -> Scores:
    """Set-level entropy of the pooled unigram distribution (what collapse shrinks) and each text's own."""
    counts = word_counts(texts, bool(spec.get("lowercase", True)))
    return Scores(
        pd.DataFrame({"word_entropy_text": per_row_entropy_bits(counts)}),
        {"word_entropy": entropy_bits(np.asarray(counts.sum(axis=0)).ravel())},
    )


def type_token_ratio(texts: list[str], characters: int = 200) -> np.ndarray:
    """Distinct words / words in each text's first characters; the fixed window keeps it independent of length."""
    counts = word_counts([text[:characters] for text in texts])
    tokens = np.asarray(counts.sum(axis=1)).ravel()
    types = counts.getnnz(axis=1)
    return np.where(tokens > 0, types / np.maximum(tokens, 1), np.nan)


def score_type_token_ratio(texts, spec, assets) -> Scores:
    return Scores(pd.DataFrame({"type_token_ratio": type_token_ratio(texts, int(spec.get("characters", 200)))}))


# -- positivity and length ------------------------------------------------------------------------


def vader_compound(texts: list[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return np.array([analyzer.polarity_scores(text)["compound"] for text in texts], dtype=float)


def score_positivity(texts, spec, assets) -> Scores:
    return Scores(pd.DataFrame({"positivity": vader_compound(texts)}))


def token_counts(texts: list[str], tokenizer: ModelRef | str) -> np.ndarray:
    from synthloop.lm.models import load_tokenizer

    tokenizer = load_tokenizer(tokenizer)  # a cached hub id loads under HF_HUB_OFFLINE=1 too
    return np.array([len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]], dtype=float)


def score_text_length(texts, spec, assets) -> Scores:
    columns = {
        "length_chars": np.array([len(text) for text in texts], dtype=float),
        "length_words": np.array([len(text.split()) for text in texts], dtype=float),
    }
    if spec.get("tokenizer"):
        columns["length_tokens"] = token_counts(texts, ModelRef.of(spec, source_key="tokenizer"))
    return Scores(pd.DataFrame(columns))


# -- toxicity ------------------------------------------------------------------------------------


class ScorerModelMissing(RuntimeError):
    """A scorer's model or package is not installed; raised only when a study asks for that scorer."""


def detoxify_toxicity(texts: list[str], spec: dict) -> np.ndarray:
    try:
        from detoxify import Detoxify
    except ImportError as error:
        raise ScorerModelMissing(
            "scorer kind 'toxicity' with backend 'detoxify' needs the detoxify package: pip install detoxify"
        ) from error
    return np.asarray(Detoxify(spec.get("model", "original")).predict(list(texts))[spec.get("label", "toxicity")], dtype=float)


def hf_toxicity(texts: list[str], spec: dict) -> np.ndarray:
    """Probability of the toxic label from a Hugging Face sequence classifier (hub id or local path)."""
    model = spec.get("model")
    if not model:
        raise ScorerModelMissing(
            "scorer kind 'toxicity' needs 'model': a Hugging Face classifier id or local path, e.g. unitary/toxic-bert"
        )
    from transformers import pipeline

    from synthloop.lm.models import hub_errors, pick_device

    try:
        with hub_errors(model, spec.get("revision")):
            classify = pipeline(
                "text-classification",
                model=model,
                device=pick_device(),
                top_k=None,
                truncation=True,
                model_kwargs={"use_safetensors": True},
                revision=spec.get("revision"),
            )
    except OSError as error:
        raise ScorerModelMissing(f"scorer kind 'toxicity': {error}") from None
    label = spec.get("label", "toxic")
    outputs = classify(list(texts), batch_size=int(spec.get("batch_size", 32)))
    return np.array([next((d["score"] for d in out if d["label"].lower() == label.lower()), np.nan) for out in outputs], dtype=float)


def score_toxicity(texts, spec, assets) -> Scores:
    backend = spec.get("backend", "hf")
    if backend not in ("hf", "detoxify"):
        raise ValueError(f"scorer kind 'toxicity': backend {backend!r} is not allowed; allowed values: ['detoxify', 'hf']")
    values = detoxify_toxicity(texts, spec) if backend == "detoxify" else hf_toxicity(texts, spec)
    return Scores(pd.DataFrame({"toxicity": values}))

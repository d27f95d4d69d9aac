"""Embedding and the embedding-based metrics; the metrics are tested on synthetic vectors (no UMAP)."""

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from synthloop.scorers import embeddings as em
from synthloop.scorers.registry import run_scorer


def unit_rows(matrix):
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def saved(tmp_path, vectors):
    path = tmp_path / "embeddings.npy"
    np.save(path, np.asarray(vectors, dtype=np.float32))
    return {"embeddings": str(path)}


def test_semantic_diversity_of_duplicates_is_zero(tmp_path):
    vectors = np.tile(unit_rows(np.array([[1.0, 2.0, 3.0]])), (6, 1))
    scores = run_scorer(["same"] * 6, {"kind": "semantic_diversity", "k": 3}, saved(tmp_path, vectors))
    assert scores.per_set["semantic_diversity"] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(scores.per_text["knn_cosine_distance"], 0.0, atol=1e-6)


def test_semantic_diversity_is_the_mean_pairwise_cosine_distance():
    vectors = unit_rows(np.random.default_rng(0).normal(size=(40, 16)))
    assert em.mean_pairwise_cosine_distance(vectors) == pytest.approx(pdist(vectors, "cosine").mean())
    assert em.mean_pairwise_cosine_distance(np.eye(5)) == pytest.approx(1.0)


def test_knn_distance_sees_local_neighbours_only():
    # two tight pairs far apart: each point's nearest neighbour is its twin
    vectors = unit_rows(np.array([[1.0, 0.0], [1.0, 0.01], [0.0, 1.0], [0.01, 1.0]]))
    near = em.knn_cosine_distance(vectors, k=1)
    assert near.max() < 1e-3
    assert em.knn_cosine_distance(vectors, k=3).min() > 0.3


def test_embeddings_that_do_not_match_the_texts_are_refused(tmp_path):
    with pytest.raises(ValueError, match="re-run the score job"):
        run_scorer(["one", "two"], {"kind": "semantic_diversity"}, saved(tmp_path, np.eye(3)))


def test_gaussian_aic_is_lower_for_gaussian_than_for_bimodal_points():
    rng = np.random.default_rng(0)
    gaussian = rng.normal(size=(500, 2))
    bimodal = np.concatenate([rng.normal(size=(250, 2)) + [4, 0], rng.normal(size=(250, 2)) - [4, 0]])
    assert em.gaussian_aic(gaussian) < em.gaussian_aic(bimodal)


def test_kl_entropy_matches_the_analytic_gaussian_entropy():
    covariance = np.array([[2.0, 0.6], [0.6, 0.5]])
    points = np.random.default_rng(1).multivariate_normal([0, 0], covariance, size=4000)
    analytic = 0.5 * np.log((2 * np.pi * np.e) ** 2 * np.linalg.det(covariance))
    for k in (1, 3, 5):
        assert em.kl_entropy(points, k) == pytest.approx(analytic, abs=0.06)


def test_kl_entropy_of_duplicates_is_very_low_but_finite():
    value = em.kl_entropy(np.zeros((50, 2)), k=3)
    assert np.isfinite(value) and value < -50


def test_gaussianity_of_a_tiny_set_is_missing_without_umap(tmp_path):
    scores = run_scorer(["a", "b", "c"], {"kind": "gaussianity"}, saved(tmp_path, unit_rows(np.eye(3))))
    assert np.isnan(scores.per_set["gaussianity_aic"]) and np.isnan(scores.per_set["kl_entropy"])
    assert len(scores.per_text) == 3 and scores.per_text.columns.empty


def test_minilm_is_resolved_to_the_packaged_copy():
    assert (Path(em.resolve_embedder("minilm")) / "model.safetensors").exists()
    assert em.resolve_embedder(None) == em.resolve_embedder("minilm")


def test_an_unreachable_embedder_is_a_clear_error_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache
    with pytest.raises(
        OSError, match=r"(?s)'someone/not-downloaded' could not be loaded \(HF_HUB_OFFLINE=1.*hf download someone/not-downloaded"
    ):
        em.load_embedder({"model": "someone/not-downloaded"})


def test_embed_texts_offline_gives_unit_float32_vectors_that_track_meaning():
    texts = ["The economy grew and jobs were created.", "Employment rose as the economy expanded.", "My cat sleeps on the warm windowsill."]
    vectors = em.embed_texts(texts, {"model": "minilm", "batch_size": 2})
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.2


def test_max_seq_length_truncates_long_texts():
    """A text and the same text with a long tail embed alike once the tail is cut off; not without the cap."""
    head = "The economy grew and jobs were created across the country. "
    tail = "My cat sleeps on the warm windowsill all afternoon. " * 20
    capped = em.embed_texts([head, head + tail], {"model": "minilm", "max_seq_length": 12})
    full = em.embed_texts([head, head + tail], {"model": "minilm"})
    assert capped[0] @ capped[1] > 0.999
    assert full[0] @ full[1] < 0.9

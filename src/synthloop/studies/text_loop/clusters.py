"""Clusters of a dataset that differ in their properties (study 2, Kovač et al.).

A dataset's embeddings are projected with UMAP at a few settings and clustered by k-means,
a Gaussian mixture, HDBSCAN and DBSCAN at several settings. Clusters of at least `min_size`
texts are candidates as they are; the smaller ones (and nothing else) are merged into clusters
of at least `min_size` in two ways, as the published code does:

random:   the small clusters in a seeded random order are concatenated until the running
          size reaches min_size, then the next merged cluster starts.
farthest: farthest-first. A merged cluster starts from the next small cluster in a seeded
          random order, then repeatedly adds the remaining small cluster whose centroid (in
          the 2-D projection) has the largest *summed* Euclidean distance to the centroids of
          the clusters already in it, until it reaches min_size. Such clusters join distant
          regions: high semantic diversity, poorly Gaussian.

Noise points (label −1 of DBSCAN/HDBSCAN) belong to no cluster. Leftover small clusters
whose total is below min_size are dropped. Identical member sets found by several settings
are kept once (the first setting in the configured order names them). Properties are
computed for every candidate; `n_clusters` are selected by greedy farthest-point selection
in the standardised property space (the first pick seeded), so that the regression of study 2
sees properties that spread widely; the published code picked 200 at random.

Set-level properties that grow with the number of texts (Self-BLEU, the Gaussian AIC, which
sums over points) are computed on a seeded sample of the same size for every candidate —
min(sample_size, min_size), which every candidate has — so that clusters of different sizes stay
comparable; per-text properties (positivity, length, quality) and semantic diversity (O(n·d))
use every member. Gaussianity is the AIC of a 2-D Gaussian fitted to the cluster's points in
ONE dataset-level UMAP (the first projection setting) rather than a UMAP refitted per cluster:
one fit instead of hundreds (each ~seconds), and every cluster measured in the same
coordinates — the published cluster evaluation also reads the cluster's coordinates from the
dataset-level projection.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from synthloop.core.config import ConfigError
from synthloop.core.seeds import stable_seed
from synthloop.loop.pool import real_texts_needed

DEFAULT_PROJECTIONS = (
    {"n_neighbors": 15, "min_dist": 0.0},
    {"n_neighbors": 5, "min_dist": 0.0001},  # the published default
    {"n_neighbors": 50, "min_dist": 0.1},
)
DEFAULT_CLUSTERINGS = (
    *({"method": "kmeans", "n_clusters": k} for k in (5, 10, 20, 40)),
    *({"method": "gmm", "n_components": k} for k in (5, 10, 20)),
    *({"method": "hdbscan", "min_cluster_size": f, "min_samples": 10} for f in (0.005, 0.02)),
    *({"method": "dbscan", "eps_quantile": q, "min_samples": 10} for q in (0.5, 0.8)),
)
MERGES = ("random", "farthest")
SELECTIONS = ("random", "spread")
PROPERTIES = ("semantic_diversity", "lexical_diversity", "gaussianity_aic", "quality", "positivity", "length_chars")  # the published six
EXTRA_PROPERTIES = ("self_bleu", "length_words")  # kept in the table, regressed on only when configured

Projector = Callable[[np.ndarray, dict, int], np.ndarray]


# -- projection and clustering -----------------------------------------------------------------


def setting_name(setting: dict) -> str:
    """'kmeans(n_clusters=5)': a readable, stable label for provenance columns."""
    method = setting.get("method", "umap")
    params = ",".join(f"{k}={v}" for k, v in sorted(setting.items()) if k != "method")
    return f"{method}({params})"


def umap_project(embeddings: np.ndarray, setting: dict, seed: int) -> np.ndarray:
    from synthloop.scorers.embeddings import umap_projection

    return umap_projection(embeddings, {"metric": "cosine", **setting, "seed": seed})


def resolve_count(value: float, n: int) -> int:
    """Sizes below 1 are fractions of the dataset, so one setting fits datasets of any size."""
    return max(2, int(round(value * n))) if value < 1 else int(value)


def dbscan_eps(points: np.ndarray, min_samples: int, quantile: float) -> float:
    """eps as a quantile of the distance to the min_samples-th neighbour: scale-free across projections."""
    from sklearn.neighbors import NearestNeighbors

    k = min(int(min_samples), len(points) - 1)
    distances = NearestNeighbors(n_neighbors=k).fit(points).kneighbors()[0][:, -1]
    return float(max(np.quantile(distances, quantile), 1e-12))


def cluster_labels(points: np.ndarray, setting: dict, seed: int) -> np.ndarray:
    """One label per point (−1: noise) from one clustering setting."""
    from sklearn.cluster import DBSCAN, HDBSCAN, KMeans
    from sklearn.mixture import GaussianMixture

    method, n = setting["method"], len(points)
    if method == "kmeans":
        return KMeans(n_clusters=min(int(setting["n_clusters"]), n), n_init=3, random_state=seed).fit_predict(points)
    if method == "gmm":
        return GaussianMixture(n_components=min(int(setting["n_components"]), n), random_state=seed).fit_predict(points)
    if method == "hdbscan":
        return HDBSCAN(
            min_cluster_size=resolve_count(setting["min_cluster_size"], n),
            min_samples=setting.get("min_samples"),
            cluster_selection_method=setting.get("cluster_selection_method", "eom"),
            cluster_selection_epsilon=float(setting.get("cluster_selection_epsilon", 0.0)),
            copy=True,
        ).fit_predict(points)
    if method == "dbscan":
        min_samples = int(setting.get("min_samples", 10))
        eps = setting.get("eps") or dbscan_eps(points, min_samples, float(setting.get("eps_quantile", 0.5)))
        return DBSCAN(eps=float(eps), min_samples=min_samples).fit_predict(points)
    raise ValueError(f"unknown clustering method {method!r}; allowed: ['dbscan', 'gmm', 'hdbscan', 'kmeans']")


def groups_of(labels: np.ndarray) -> list[np.ndarray]:
    """Member indices of each non-noise label, in label order."""
    order = np.argsort(labels, kind="stable")
    values, starts = np.unique(labels[order], return_index=True)
    return [members for value, members in zip(values, np.split(order, starts[1:])) if value != -1]


# -- merging small clusters --------------------------------------------------------------------


def merge_random(small: list[np.ndarray], min_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    order = rng.permutation(len(small))
    sizes = np.array([len(small[i]) for i in order])
    merged, start = [], 0
    for end in range(1, len(order) + 1):
        if sizes[start:end].sum() >= min_size:
            merged.append(np.concatenate([small[i] for i in order[start:end]]))
            start = end
    return merged


def merge_farthest(small: list[np.ndarray], points: np.ndarray, min_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Farthest-first merges: see the module docstring."""
    remaining = list(rng.permutation(len(small)))
    sizes = np.array([len(g) for g in small])
    centroids = np.array([points[g].mean(axis=0) for g in small]) if small else np.zeros((0, points.shape[1]))
    merged = []
    while remaining and sizes[remaining].sum() >= min_size:
        parts = [remaining.pop(0)]
        summed_distance = np.linalg.norm(centroids - centroids[parts[0]], axis=1)
        while sizes[parts].sum() < min_size:
            farthest = remaining.pop(int(np.argmax(summed_distance[remaining])))
            parts.append(farthest)
            summed_distance += np.linalg.norm(centroids - centroids[farthest], axis=1)
        merged.append(np.concatenate([small[i] for i in parts]))
    return merged


def merged_groups(groups: list[np.ndarray], points: np.ndarray, min_size: int, strategy: str, rng: np.random.Generator) -> list[np.ndarray]:
    small = [g for g in groups if len(g) < min_size]
    if strategy == "random":
        return merge_random(small, min_size, rng)
    if strategy == "farthest":
        return merge_farthest(small, points, min_size, rng)
    raise ValueError(f"unknown merge strategy {strategy!r}; allowed: {list(MERGES)}")


# -- candidates --------------------------------------------------------------------------------


def candidates_of_clustering(labels: np.ndarray, points: np.ndarray, min_size: int, merges, rng) -> list[tuple[np.ndarray, str]]:
    """(sorted members, merge strategy or 'none') for every cluster of ≥ min_size a clustering yields."""
    groups = groups_of(labels)
    found = [(np.sort(g), "none") for g in groups if len(g) >= min_size]
    for strategy in merges:
        found += [(np.sort(g), strategy) for g in merged_groups(groups, points, min_size, strategy, rng)]
    return found


def candidate_clusters(
    embeddings: np.ndarray,
    min_size: int,
    seed: int,
    projections=DEFAULT_PROJECTIONS,
    clusterings=DEFAULT_CLUSTERINGS,
    merges=MERGES,
    project: Projector = umap_project,
) -> tuple[pd.DataFrame, list[np.ndarray], list[np.ndarray]]:
    """Every distinct candidate: a provenance table (one row each), their member indices, and the projections."""
    rows, members, seen, layouts = [], [], set(), []
    for projection in projections:
        points = project(embeddings, dict(projection), stable_seed(seed, "umap", setting_name(projection)))
        layouts.append(points)
        for clustering in clusterings:
            setting = f"{setting_name(projection)}/{setting_name(clustering)}"
            labels = cluster_labels(points, clustering, stable_seed(seed, "cluster", setting))
            rng = np.random.default_rng(stable_seed(seed, "merge", setting))
            for group, merge in candidates_of_clustering(labels, points, min_size, merges, rng):
                key = group.tobytes()
                if key not in seen:
                    seen.add(key)
                    rows.append(
                        {"size": len(group), "projection": setting_name(projection), "clustering": setting_name(clustering), "merge": merge}
                    )
                    members.append(group)
    return pd.DataFrame(rows, columns=["size", "projection", "clustering", "merge"]), members, layouts


# -- properties --------------------------------------------------------------------------------


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def per_text_properties(texts: list[str], quality: np.ndarray | None = None) -> pd.DataFrame:
    """Per-text values computed once per dataset, then averaged per cluster (VADER and length reused from text_metrics)."""
    from synthloop.scorers.text_metrics import score_text_length, vader_compound

    lengths = score_text_length(texts, {}, {}).per_text
    values = pd.DataFrame(
        {
            "positivity": vader_compound(texts),
            "length_chars": lengths["length_chars"].to_numpy(),
            "length_words": lengths["length_words"].to_numpy(),
        }
    )
    if quality is not None:
        values["quality"] = np.asarray(quality, dtype=float)
    return values


def cluster_properties(
    members: np.ndarray,
    unit_vectors: np.ndarray,
    points: np.ndarray,
    texts: list[str],
    per_text: pd.DataFrame,
    sample_size: int,
    rng: np.random.Generator,
    bleu,
) -> dict[str, float]:
    from synthloop.scorers.embeddings import gaussian_aic, mean_pairwise_cosine_distance
    from synthloop.scorers.text_metrics import self_bleu_all

    """Lexical diversity is 1 − Self-BLEU, as the published analysis defines it (diversity_selfbleu);
    length is in characters as published (words kept as an extra column)."""
    sample = np.sort(rng.choice(members, min(sample_size, len(members)), replace=False))
    self_bleu = float(np.nanmean(self_bleu_all([texts[i] for i in sample], bleu)))
    values = {
        "semantic_diversity": mean_pairwise_cosine_distance(unit_vectors[members]),
        "lexical_diversity": 1.0 - self_bleu,
        "self_bleu": self_bleu,
        "gaussianity_aic": gaussian_aic(points[sample]),
    }
    values.update(per_text.iloc[members].mean().to_dict())
    return values


# -- selection ---------------------------------------------------------------------------------


def standardised(properties: pd.DataFrame) -> np.ndarray:
    """z-scores per column; constant or missing columns contribute nothing."""
    from sklearn.preprocessing import StandardScaler

    usable = properties.loc[:, properties.notna().any() & (properties.nunique() > 1)]
    if usable.shape[1] == 0:
        return np.zeros((len(properties), 1))
    return np.nan_to_num(StandardScaler().fit_transform(usable.fillna(usable.mean())))


def select_spread(properties: pd.DataFrame, n: int, seed: int) -> np.ndarray:
    """Greedy farthest-point selection: each pick maximises its distance to the nearest pick so far."""
    z = standardised(properties)
    picks = [int(np.random.default_rng(stable_seed(seed, "select")).integers(len(z)))]
    nearest = np.linalg.norm(z - z[picks[0]], axis=1)
    for _ in range(n - 1):
        nearest[picks] = -np.inf
        picks.append(int(np.argmax(nearest)))
        nearest = np.minimum(nearest, np.linalg.norm(z - z[picks[-1]], axis=1))
    return np.array(picks)


def select_random(count: int, n: int, seed: int) -> np.ndarray:
    """n of the `count` candidates drawn uniformly without replacement (the published selection: 200 at random)."""
    return np.sort(np.random.default_rng(stable_seed(seed, "select-random")).choice(count, n, replace=False))


def select_clusters(properties: pd.DataFrame, n: int, seed: int, selection: str = "random") -> np.ndarray:
    if selection == "random":
        return select_random(len(properties), n, seed)
    if selection == "spread":
        return select_spread(properties, n, seed)
    raise ValueError(f"unknown cluster selection {selection!r}; allowed: {list(SELECTIONS)}")


def check_real_supply(config: dict) -> None:
    """Before any job: every cluster (≥ min_size texts; a mixed cluster joins one per domain) must hold the
    real texts its pool chains consume without reuse: n0 plus n − round(n·r) after every generation but the last."""
    spec = config["chains"].get("clusters")
    if not spec:
        return
    mixed_domains = len((config["chains"].get("mixed") or {}).get("domains", []))
    supplies = ([spec["min_size"]] if config["chains"].get("dataset") else []) + (
        [spec["min_size"] * mixed_domains] if mixed_domains else []
    )
    supply = min(supplies or [spec["min_size"]])
    for name in config["chains"].get("strategies") or []:
        strategy = config["strategies"][name]
        if strategy["compose"] != "pool":
            continue
        for ratio in config["chains"].get("ratios") or []:
            needed = real_texts_needed(strategy["pool"]["n0"], strategy["pool"]["n"], ratio, config["generations"])
            if needed > supply:
                raise ConfigError(
                    f"config key 'chains.clusters.min_size': a cluster may hold only {supply} real texts, but strategy {name!r} at ratio {ratio} "
                    f"over {config['generations']} generations needs {needed} (n0 = {strategy['pool']['n0']} plus n·(1−r) fresh texts after each "
                    f"generation but the last): a shortfall of {needed - supply}; allowed: min_size >= {needed}, or smaller n0/n or fewer generations"
                )


QUALITY_COLUMNS = {"quality_classifier": "quality_index", "llm_judge": "judge_quality"}  # scorer kind -> its per-text quality


def quality_scorer(config: dict) -> str | None:
    """The study's quality scorer, which also gives the cluster property 'quality': the first configured
    quality_classifier, or llm_judge judging quality (published: the LLM judge); None if there is none."""
    for name, spec in config["scorers"].items():
        if spec["kind"] == "quality_classifier" or (spec["kind"] == "llm_judge" and "quality" in spec.get("aspects", ["quality"])):
            return name
    return None


def quality_scores(texts: list[str], quality: dict | None) -> np.ndarray | None:
    """Every document's quality from the configured scorer ({spec, assets}), or None without one."""
    if not quality:
        return None
    from synthloop.scorers.registry import run_scorer

    return run_scorer(texts, quality["spec"], quality["assets"]).per_text[QUALITY_COLUMNS[quality["spec"]["kind"]]].to_numpy(dtype=float)


# -- the whole construction --------------------------------------------------------------------


def build_clusters(
    documents: pd.DataFrame,
    embeddings: np.ndarray,
    n_clusters: int,
    min_size: int,
    seed: int,
    *,
    projections=DEFAULT_PROJECTIONS,
    clusterings=DEFAULT_CLUSTERINGS,
    merges=MERGES,
    quality: np.ndarray | None = None,
    sample_size: int = 500,
    project: Projector = umap_project,
    bleu_spec: dict | None = None,
    selection: str = "random",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The selected clusters (cluster_id, size, provenance, properties) and their members (cluster_id, doc_id).

    `quality`: one score per document from the study's quality scorer (averaged per cluster);
    `selection`: 'random' (published) or 'spread' (farthest-point in property space)."""
    from synthloop.scorers.text_metrics import bleu_metric

    if len(embeddings) != len(documents):
        raise ValueError(f"{len(embeddings)} embeddings for {len(documents)} documents")
    provenance, members, layouts = candidate_clusters(
        np.asarray(embeddings, dtype=np.float32), min_size, seed, projections, clusterings, merges, project
    )
    if len(members) < n_clusters:
        raise ValueError(
            f"only {len(members)} distinct candidate clusters of at least min_size={min_size} texts, but n_clusters={n_clusters} "
            f"(dataset of {len(documents)} texts; {len(projections)} projections x {len(clusterings)} clusterings, merges {list(merges)}): "
            "lower clusters.n_clusters or clusters.min_size, or add projection/clustering settings"
        )
    texts = documents["text"].astype(str).tolist()
    per_text = per_text_properties(texts, quality)
    unit_vectors, bleu = unit_rows(np.asarray(embeddings, dtype=np.float64)), bleu_metric(bleu_spec or {})
    rng = np.random.default_rng(stable_seed(seed, "properties"))
    sample_size = min(sample_size, min_size)  # one n for all: AIC and Self-BLEU grow with it
    with threadpool_limits(1):  # hundreds of tiny 2-D fits: thread start-up costs more than it saves
        properties = pd.DataFrame(
            [cluster_properties(m, unit_vectors, layouts[0], texts, per_text, sample_size, rng, bleu) for m in members]
        )
    picks = select_clusters(properties, n_clusters, seed, selection)
    return selected_tables(provenance, properties, members, picks, documents["doc_id"].to_numpy())


def selected_tables(provenance, properties, members, picks, doc_ids) -> tuple[pd.DataFrame, pd.DataFrame]:
    """cluster_id follows the selection order: c000 is the first pick."""
    ids = [f"c{i:03d}" for i in range(len(picks))]
    table = pd.concat([provenance.iloc[picks].reset_index(drop=True), properties.iloc[picks].reset_index(drop=True)], axis=1)
    table.insert(0, "cluster_id", ids)
    membership = pd.DataFrame(
        {"cluster_id": np.repeat(ids, [len(members[p]) for p in picks]), "doc_id": np.concatenate([doc_ids[members[p]] for p in picks])}
    )
    return table, membership

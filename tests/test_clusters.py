"""Cluster construction on small synthetic blobs; a stand-in projection except for one real UMAP run."""

import numpy as np
import pandas as pd
import pytest

from synthloop.scorers.embeddings import mean_pairwise_cosine_distance
from synthloop.studies.text_loop import clusters as cl

BLOB_SIZES = (90, 60, 40, 30, 25, 20, 15, 10, 6, 4)
WORDS = np.array("good bad happy sad sun rain city road cat dog music game food work home love hate time day night".split())
SMALL_CLUSTERINGS = (
    {"method": "kmeans", "n_clusters": 4},
    {"method": "kmeans", "n_clusters": 8},
    {"method": "gmm", "n_components": 6},
    {"method": "hdbscan", "min_cluster_size": 5},
    {"method": "dbscan", "eps_quantile": 0.7, "min_samples": 5},
)
STAND_IN_PROJECTIONS = ({"n_neighbors": 1, "min_dist": 0.0}, {"n_neighbors": 2, "min_dist": 0.0})


def blob_data(dim: int = 16, seed: int = 0):
    """Blobs of very different sizes (so small ones get merged) and texts whose vocabulary depends on the blob."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(len(BLOB_SIZES), dim))
    blob = np.repeat(np.arange(len(BLOB_SIZES)), BLOB_SIZES)
    vectors = centres[blob] + rng.normal(size=(len(blob), dim))
    texts = [" ".join(rng.choice(WORDS[(b * 2) % 16 : (b * 2) % 16 + 4 + b % 5], size=8 + b)) for b in blob]
    documents = pd.DataFrame({"doc_id": [f"d{i:03d}" for i in range(len(blob))], "text": texts, "quality": rng.uniform(0, 3, len(blob))})
    return documents, vectors.astype(np.float32)


def stand_in_projection(embeddings, setting, seed):
    """The first two coordinates, stretched by the setting: cheap, seeded-free, different per setting."""
    return embeddings[:, :2] * np.array([1.0, float(setting["n_neighbors"])])


def build(documents, vectors, **kwargs):
    options = dict(projections=STAND_IN_PROJECTIONS, clusterings=SMALL_CLUSTERINGS, project=stand_in_projection, sample_size=40)
    return cl.build_clusters(documents, vectors, **{"n_clusters": 8, "min_size": 30, "seed": 0, **options, **kwargs})


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny fits on a shared 2-core machine: BLAS/OpenMP threads only add overhead (10x here)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def data():
    return blob_data()


@pytest.fixture(scope="module")
def built(data):
    return build(*data, quality=data[0]["quality"].to_numpy())


def test_selected_clusters_are_non_empty_large_enough_and_as_many_as_asked(data, built):
    table, members = built
    assert len(table) == 8 and table["cluster_id"].tolist() == [f"c{i:03d}" for i in range(8)]
    sizes = members.groupby("cluster_id").size()
    assert (sizes >= 30).all() and sizes.to_dict() == table.set_index("cluster_id")["size"].to_dict()
    assert set(members["doc_id"]) <= set(data[0]["doc_id"])
    assert not members.duplicated().any()


def test_selected_member_sets_are_distinct(built):
    _, members = built
    sets = members.groupby("cluster_id")["doc_id"].apply(frozenset)
    assert sets.nunique() == len(sets)


def test_table_carries_provenance_and_properties(built):
    table, _ = built
    for column in ("projection", "clustering", "merge", *cl.PROPERTIES):
        assert column in table.columns
    assert table[list(cl.PROPERTIES)].notna().all().all()
    assert set(table["merge"]) <= {"none", "random", "farthest"}


def test_quality_is_optional(data):
    table, _ = build(*data, n_clusters=3)
    assert "quality" not in table.columns


def test_construction_is_deterministic_for_a_seed(data, built):
    again = build(*data, quality=data[0]["quality"].to_numpy())
    pd.testing.assert_frame_equal(built[0], again[0])
    pd.testing.assert_frame_equal(built[1], again[1])


def test_too_few_candidates_is_an_error_naming_the_config(data):
    with pytest.raises(ValueError, match=r"min_size=30 texts, but n_clusters=500"):
        build(*data, n_clusters=500)


def test_semantic_diversity_is_that_of_the_members(data, built):
    documents, vectors = data
    table, members = built
    first = members[members["cluster_id"] == "c000"]["doc_id"]
    rows = documents.index[documents["doc_id"].isin(first)]
    expected = mean_pairwise_cosine_distance(cl.unit_rows(vectors[rows].astype(float)))
    assert table.loc[0, "semantic_diversity"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("setting", SMALL_CLUSTERINGS, ids=cl.setting_name)
def test_every_algorithm_yields_candidates(data, setting):
    _, vectors = data
    provenance, members, _ = cl.candidate_clusters(vectors, 30, 0, STAND_IN_PROJECTIONS[:1], (setting,), cl.MERGES, stand_in_projection)
    assert len(members) >= 2 and all(len(m) >= 30 for m in members)
    assert provenance["clustering"].eq(cl.setting_name(setting)).all()


def test_unknown_clustering_method_is_named():
    with pytest.raises(ValueError, match="unknown clustering method 'spectral'"):
        cl.cluster_labels(np.zeros((5, 2)), {"method": "spectral"}, 0)


def test_noise_belongs_to_no_group():
    groups = cl.groups_of(np.array([1, -1, 0, 1, -1, 0, 2]))
    assert [g.tolist() for g in groups] == [[2, 5], [0, 3], [6]]


def small_clusters_on_a_line(count=10, size=3):
    """`count` clusters of `size` points at x = 0, 1, …; cluster i holds indices i*size … i*size+size-1."""
    points = np.column_stack([np.repeat(np.arange(count, dtype=float), size), np.zeros(count * size)])
    return [np.arange(i * size, (i + 1) * size) for i in range(count)], points


def test_random_merges_reach_min_size_from_disjoint_small_clusters():
    small, points = small_clusters_on_a_line(count=10, size=3)
    merged = cl.merge_random(small, 7, np.random.default_rng(0))
    assert len(merged) == 3 and all(len(m) >= 7 for m in merged)
    everything = np.concatenate(merged)
    assert len(everything) == len(set(everything))


def test_farthest_merges_add_the_farthest_remaining_cluster():
    small, points = small_clusters_on_a_line(count=10, size=3)
    merged = cl.merge_farthest(small, points, 6, np.random.default_rng(0))
    for group in merged:
        xs = np.unique(points[group, 0])
        assert len(xs) == 2
    # the first merged cluster joins its seed with the cluster at the far end of the line
    first = np.unique(points[merged[0], 0])
    start = first[np.isin(first, points[small[np.random.default_rng(0).permutation(10)[0]], 0])][0]
    assert set(first) - {start} == {9.0 if start < 4.5 else 0.0}


def test_large_clusters_are_not_merged():
    groups = [np.arange(0, 50), np.arange(50, 55), np.arange(55, 60)]
    points = np.zeros((60, 2))
    merged = cl.merged_groups(groups, points, 10, "random", np.random.default_rng(0))
    assert len(merged) == 1 and sorted(merged[0].tolist()) == list(range(50, 60))


def test_spread_selection_takes_the_extremes_first():
    properties = pd.DataFrame({"a": np.arange(100.0), "b": np.ones(100)})
    picks = cl.select_spread(properties, 3, seed=0)
    first, second, third = picks.tolist()
    assert second == (99 if first < 50 else 0)  # the farthest from the seeded first pick
    x = np.arange(100.0)
    assert third == int(np.argmax(np.minimum(abs(x - first), abs(x - second))))  # the middle of the widest gap
    assert (cl.select_spread(properties, 3, seed=0) == picks).all()


def test_spread_selection_beats_random_on_property_range():
    rng = np.random.default_rng(1)
    properties = pd.DataFrame(rng.normal(size=(300, 3)), columns=list("abc"))
    spread = properties.iloc[cl.select_spread(properties, 20, seed=0)].std().mean()
    random_pick = properties.sample(20, random_state=0).std().mean()
    assert spread > 1.5 * random_pick


def test_real_umap_on_a_small_dataset():
    documents, vectors = blob_data(dim=16, seed=2)
    documents, vectors = documents.iloc[:200].reset_index(drop=True), vectors[:200]
    table, members = cl.build_clusters(
        documents,
        vectors,
        n_clusters=4,
        min_size=25,
        seed=0,
        projections=({"n_neighbors": 10, "min_dist": 0.1},),
        clusterings=({"method": "kmeans", "n_clusters": 5}, {"method": "hdbscan", "min_cluster_size": 10}),
        sample_size=30,
    )
    assert len(table) == 4 and (members.groupby("cluster_id").size() >= 25).all()
    assert table["projection"].eq("umap(min_dist=0.1,n_neighbors=10)").all()


def test_set_properties_use_one_sample_size_for_every_cluster(data, monkeypatch):
    """The Gaussian AIC sums over points: clusters measured on different numbers of texts would differ by size alone."""
    import synthloop.scorers.embeddings

    sizes = []
    real = synthloop.scorers.embeddings.gaussian_aic
    monkeypatch.setattr(
        synthloop.scorers.embeddings, "gaussian_aic", lambda points, *a, **k: sizes.append(len(points)) or real(points, *a, **k)
    )
    build(*data, sample_size=400)
    assert sizes and set(sizes) == {30}  # min_size: every candidate has at least that many members

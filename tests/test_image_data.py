"""Colourised digits: colour ratios per class match the configuration; tables keep their images."""

import numpy as np
import pytest

from synthloop.data import images as im

COLOURISE = {
    "colours": ["red", "green", "blue"],
    "bias": "biased",
    "dominant_share": 0.8,
    "ratios": {"3": [0.5, 0.25, 0.25]},
    "test_bias": "unbiased",
}
SPEC = {"source": "digits", "size": 8, "test_fraction": 0.3, "colourise": COLOURISE}


@pytest.fixture(scope="module")
def tables():
    return im.prepare(SPEC, seed=0)


def shares(table):
    counts = table.groupby(["label", "subgroup"]).size().unstack(fill_value=0)[["red", "green", "blue"]]
    return counts, counts.sum(axis=1)


def test_training_colour_ratios_match_the_configuration(tables):
    train, _ = tables
    counts, sizes = shares(train)
    for c in range(10):
        expected = np.full(3, 0.1)
        expected[c % 3] = 0.8  # biased: class c's dominant colour is colours[c % 3]
        if c == 3:
            expected = np.array([0.5, 0.25, 0.25])  # the explicit override
        # largest-remainder quotas: every count within one image of n * share
        assert np.all(np.abs(counts.loc[c].to_numpy() - sizes[c] * expected) < 1), c


def test_test_split_is_unbiased(tables):
    _, test = tables
    counts, sizes = shares(test)
    assert np.all(np.abs(counts.to_numpy() - sizes.to_numpy()[:, None] / 3) < 1)


def test_a_biased_test_split_has_the_training_ratios_with_their_overrides():
    _, test = im.prepare({**SPEC, "colourise": {**COLOURISE, "test_bias": "biased"}}, seed=0)
    counts, sizes = shares(test)
    assert np.all(np.abs(counts.loc[3].to_numpy() - sizes[3] * np.array([0.5, 0.25, 0.25])) < 1)  # the override, not 0.8
    assert np.all(np.abs(counts.loc[4].to_numpy() - sizes[4] * np.array([0.1, 0.8, 0.1])) < 1)


def test_colour_is_in_the_pixels(tables):
    train, _ = tables
    pixels = im.images_of(train).reshape(len(train), -1, 3).sum(axis=1)  # per-channel totals
    channel = {"red": 0, "green": 1, "blue": 2}
    assert all(np.argmax(p) == channel[s] and (p > 0).sum() == 1 for p, s in zip(pixels, train["subgroup"]))


def test_split_sizes_and_stratification(tables):
    train, test = tables
    assert len(train) + len(test) == 1797
    assert abs(len(test) / 1797 - 0.3) < 0.01
    assert set(train["label"]) == set(test["label"]) == set(range(10))


def test_quota_is_exact_largest_remainder():
    assert list(im.quota(10, np.array([0.55, 0.25, 0.2]))) == [6, 2, 2]  # 5.5, 2.5, 2.0: the first .5 wins (stable order)
    assert im.quota(7, np.array([1 / 3] * 3)).sum() == 7


def test_unbiased_ratios_are_uniform():
    ratios = im.colour_ratios({**COLOURISE, "bias": "unbiased", "ratios": {}}, 4)
    assert np.allclose(ratios, 1 / 3)


def test_table_round_trip_keeps_shape(tmp_path, tables):
    train, _ = tables
    im.write(train, tmp_path / "t.parquet")
    back = im.read(tmp_path / "t.parquet")
    assert back.attrs["shape"] == [8, 8, 3]
    assert np.array_equal(im.images_of(back), im.images_of(train))


def test_upsampling(tmp_path):
    train, _ = im.prepare({**SPEC, "size": 16}, seed=0)
    assert train.attrs["shape"] == [16, 16, 3]


def test_hf_source_from_local_files(tmp_path):
    # The Hugging Face path (presets: MNIST, CIFAR-100) on a local parquet dataset with a fine-label subgroup column
    datasets = pytest.importorskip("datasets")
    from PIL import Image

    rng = np.random.default_rng(0)
    rows = {
        "img": [Image.fromarray(rng.integers(0, 255, (12, 12, 3), dtype=np.uint8)) for _ in range(8)],
        "coarse_label": [0, 0, 0, 0, 1, 1, 1, 1],
        "fine_label": [3, 3, 7, 7, 1, 1, 4, 4],
    }
    data = datasets.Dataset.from_dict(rows).cast_column("img", datasets.Image())
    data.to_parquet(str(tmp_path / "train.parquet"))
    data.to_parquet(str(tmp_path / "test.parquet"))
    spec = {
        "source": "hf",
        "path": "parquet",
        "name": None,
        "data_files": {"train": str(tmp_path / "train.parquet"), "test": str(tmp_path / "test.parquet")},
        "splits": {"train": "train", "test": "test"},
        "image_column": "img",
        "label_column": "coarse_label",
        "subgroup_column": "fine_label",
        "size": 8,
        "max_train_per_class": 3,
        "max_test_per_class": None,
        "colourise": None,
    }
    train, test = im.prepare(spec, seed=0)
    assert train.attrs["shape"] == [8, 8, 3] and len(train) == 6 and len(test) == 8
    assert set(test["subgroup"]) == {"3", "7", "1", "4"}

"""Training-set composition per strategy: sizes and synthetic shares."""

import numpy as np
import pandas as pd
import pytest

from synthloop.core.vocabulary import REAL_GENERATION
from synthloop.loop.compose import compose, real_set


@pytest.fixture
def real():
    docs = pd.DataFrame({"doc_id": [f"r{i}" for i in range(50)], "text": [f"real {i}" for i in range(50)], "label": ["left", "right"] * 25})
    return real_set(docs)


def generated(gen, n=50):
    return pd.DataFrame({"doc_id": [f"r{i}" for i in range(n)], "text": [f"synthetic g{gen} {i}" for i in range(n)], "generation": gen})


def test_replace_is_only_the_previous_output(real):
    out = compose("replace", real, real, generated(0), np.random.default_rng(0))
    assert len(out) == 50 and (out["origin"] == "synthetic").all() and (out["source_generation"] == 0).all()


def test_preserve_keeps_the_size_with_a_real_fraction(real):
    out = compose("preserve", real, real, generated(0), np.random.default_rng(0), real_fraction=0.1)
    assert len(out) == 50
    assert (out["origin"] == "real").sum() == 5
    assert out.loc[out["origin"] == "real", "text"].str.startswith("real").all()


def test_accumulate_grows_by_each_generation(real):
    rng = np.random.default_rng(0)
    train1 = compose("accumulate", real, real, generated(0), rng)
    train2 = compose("accumulate", real, train1, generated(1), rng)
    assert len(train1) == 100 and len(train2) == 150
    assert train2["source_generation"].value_counts().to_dict() == {REAL_GENERATION: 50, 0: 50, 1: 50}


def test_unknown_method_is_named(real):
    with pytest.raises(ValueError, match="unknown compose method 'mix'"):
        compose("mix", real, real, generated(0), np.random.default_rng(0))

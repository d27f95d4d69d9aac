"""Label subsets: a dataset of every document of some labels of another dataset.

Wang et al.'s alternative setup (Appendix I) fine-tunes generation 0 on 1,518 randomly sampled
center-labelled articles, not on the 506 center articles of the balanced set: a `label_subset`
dataset draws from all of its source's documents (`size` of them at random, or all), and its chains
run in the same study as the balanced set's, with the source's labels and scorer models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.core.config import ConfigError


def draw_label_subset(documents: pd.DataFrame, name: str, spec: dict, seed: int) -> pd.DataFrame:
    """The documents whose label is in spec['keep_labels']: all of them, or spec['size'] drawn at random
    (kept in the source's order). Fewer than `size` such documents is an error naming the key."""
    kept = documents[documents["label"].isin(spec["keep_labels"])]
    size = spec.get("size")
    if size is None:
        return kept.reset_index(drop=True)
    if size > len(kept):
        raise ConfigError(
            f"config key 'datasets.{name}.size': {size} documents wanted, but dataset {spec['from']!r} has only {len(kept)} "
            f"labelled {spec['keep_labels']}"
        )
    rows = np.sort(np.random.default_rng(seed).choice(len(kept), size, replace=False))
    return kept.iloc[rows].reset_index(drop=True)

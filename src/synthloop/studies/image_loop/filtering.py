"""Expert-guided filtering: drop the synthetic samples the previous generation's classifier is least sure of.

The score is the predictive entropy of the classifier's class probabilities (averaged over MC-dropout
passes when the classifier has dropout and `mc_samples` > 1, Gal & Ghahramani). A generation samples
n = ceil(S / (1 - r)) images and keeps the S with the lowest entropy, so the bottom r% by confidence
are dropped and every generation still adds S images to the queue (its capacity in generations stays
D/S). CLIP scoring (the paper's other expert) is not offline; `score` is where it would plug in.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special


def entropy(probabilities: np.ndarray) -> np.ndarray:
    """Predictive entropy (nats) of each row of class probabilities."""
    return special.entr(np.asarray(probabilities, dtype=float)).sum(axis=1)  # entr(0) = 0


def oversampled(per_generation: int, drop_share: float) -> int:
    """How many images to sample so that `per_generation` remain after dropping `drop_share` of them."""
    if not 0 <= drop_share < 1:
        raise ValueError(f"filter share {drop_share} must lie in [0, 1)")
    return int(math.ceil(per_generation / (1.0 - drop_share) - 1e-9))


def keep_most_certain(scores: np.ndarray, keep: int) -> np.ndarray:
    """A boolean mask keeping the `keep` rows of lowest uncertainty score (ties broken by row order)."""
    scores = np.asarray(scores, dtype=float)
    mask = np.zeros(len(scores), dtype=bool)
    mask[np.argsort(scores, kind="stable")[:keep]] = True
    return mask

"""Selection of a generation's synthetic data before it joins a training set or pool (both loop kinds).

A step scores every candidate item (any scorer's per-item value) and returns how many copies of each
item are kept (0: dropped):

threshold:     every item whose score is at or above `threshold` (`keep: highest`) or at or below it
               (`keep: lowest`) is kept once; how many pass is not known in advance.
top_fraction:  the round(fraction * n) items of highest (or lowest) score; ties go to the earlier row.
               With `oversample`, a generation samples oversampled(count, fraction) candidates and exactly
               `count` (its configured contribution) are kept, so the loop's arithmetic is unchanged
               (the image loop's uncertainty filter: the lowest-entropy S of ceil(S / (1 - r))).
importance:    `count` items drawn with replacement with probability proportional to (1 - p)^beta, where
               p is the scorer's probability that the item is synthetic (Drayson et al. 2025); beta = 0
               draws uniformly, larger beta favours the items least like machine text.
An item without a score (NaN, e.g. a text with no sentence to grade) passes no threshold and ranks last.
"""

from __future__ import annotations

import math

import numpy as np

MODES = ("threshold", "top_fraction", "importance")
KEEP = ("highest", "lowest")


def oversampled(count: int, fraction: float) -> int:
    """How many candidates to sample so that keeping `fraction` of them leaves `count`."""
    if not 0 < fraction <= 1:
        raise ValueError(f"kept fraction {fraction} must lie in (0, 1]")
    return int(math.ceil(count / fraction - 1e-9))


def candidates(spec: dict | None, count: int) -> int:
    """How many items a generation samples for a step that must leave `count` (no step, or no oversampling: count)."""
    if spec and spec["mode"] == "top_fraction" and spec.get("oversample"):
        return oversampled(count, spec["fraction"])
    return count


def importance_weights(p_synthetic: np.ndarray, beta: float) -> np.ndarray:
    """(1 - p)^beta per item: the unnormalised resampling weights."""
    p = np.asarray(p_synthetic, dtype=float)
    if np.any(np.isnan(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("importance resampling needs probabilities in [0, 1]; the scorer's column holds other values")
    if beta < 0:
        raise ValueError(f"importance exponent beta = {beta} must be >= 0")
    return (1.0 - p) ** beta


def ranked(scores: np.ndarray, keep: str) -> np.ndarray:
    """Row indices best first (lowest or highest score); a stable sort, so ties go to the earlier row."""
    scores = np.asarray(scores, dtype=float)
    if keep not in KEEP:
        raise ValueError(f"unknown keep {keep!r}; allowed: {list(KEEP)}")
    return np.argsort(scores if keep == "lowest" else -scores, kind="stable")


def copies(scores: np.ndarray, spec: dict, count: int | None, rng: np.random.Generator) -> np.ndarray:
    """Copies of each candidate the step keeps (0: dropped). `count` is the generation's configured
    contribution: top_fraction with `oversample` keeps exactly that many, importance draws that many."""
    scores = np.asarray(scores, dtype=float)
    n, mode, keep = len(scores), spec["mode"], spec.get("keep", "highest")
    out = np.zeros(n, dtype=int)
    if mode == "threshold":
        return ((scores >= spec["threshold"]) if keep == "highest" else (scores <= spec["threshold"])).astype(int)
    if mode == "top_fraction":
        wanted = count if spec.get("oversample") and count is not None else int(round(spec["fraction"] * n))
        if wanted > n:
            raise ValueError(f"top_fraction must keep {wanted} items but only {n} were sampled")
        out[ranked(scores, keep)[:wanted]] = 1
        return out
    if mode == "importance":
        draws = n if count is None else count
        weights = importance_weights(scores, spec.get("beta", 1.0))
        if n == 0 or draws == 0:
            return out
        if weights.sum() <= 0:
            raise ValueError("importance resampling: every item has weight 0 (each scored p_synthetic = 1)")
        picked = rng.choice(n, draws, replace=True, p=weights / weights.sum())
        return np.bincount(picked, minlength=n)
    raise ValueError(f"unknown selection mode {mode!r}; allowed: {list(MODES)}")


def expand(frame, kept_copies: np.ndarray):
    """The frame's rows repeated by their copies, in row order (dropped rows leave)."""
    return frame.iloc[np.repeat(np.arange(len(frame)), kept_copies)].reset_index(drop=True)

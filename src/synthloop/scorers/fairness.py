"""Subgroup fairness of a multi-class classifier (Zhang et al., eqs. 1-5), as pure functions of arrays.

Each test image has a class `y_true`, a prediction `y_pred` and a hidden subgroup. A group's rate
is P(f(x) = y | g = i): the share of the group's images classified correctly. That is the paper's
TPR_i in eqs. 2 and 4 and its positive-outcome rate in eq. 3, so MEO, MD and DI are computed from
one vector of rates.

Eqs. 2 and 3 sum over "i, j < G, i != j" and divide by C(G, 2). Both are read here with one index
set, the G(G - 1) ORDERED pairs (i, j), i != j (the printed condition i != j; DI's term is not
symmetric, and ordered pairs make it independent of how subgroups are numbered):

- MEO = 1 - sum_{i != j} |rate_i - rate_j| / N           (eq. 2)
- DI  = 1 - sum_{i != j} |rate_i / rate_j - 1| / N       (eq. 3)
- MD  = max_{i != j} |rate_i - rate_j|                    (eq. 4)
- Acc(k) = mean over classes of the class's k-th lowest subgroup accuracy (eq. 5)

with two normalisers, both reported: N = G(G - 1), the number of terms (`meo`, `di`: 1 - the mean
gap, so a perfectly fair classifier scores 1 and MEO stays in [0, 1]), and N = C(G, 2) as printed
(`meo_printed`, `di_printed`: twice the mean gap, since the sum has 2 C(G, 2) terms). DI is
undefined (NaN) when a group's rate is 0.
"""

from __future__ import annotations

from itertools import permutations
from math import comb

import numpy as np
import pandas as pd


def accuracy(y_true, y_pred) -> float:
    """Eq. 1's Acc: the share of correct predictions."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def group_rates(y_true, y_pred, group) -> pd.Series:
    """P(f(x) = y | g = i) for every group i, indexed by group, in sorted group order."""
    correct = pd.Series(np.asarray(y_true) == np.asarray(y_pred))
    return correct.groupby(np.asarray(group)).mean().sort_index()


NORMALISERS = ("pairs", "printed")  # N = G(G - 1), the number of ordered pairs; N = C(G, 2), as eqs. 2-3 print it


def _normaliser(n_groups: int, normaliser: str) -> int:
    if normaliser not in NORMALISERS:
        raise ValueError(f"unknown normaliser {normaliser!r}; allowed: {', '.join(NORMALISERS)}")
    return n_groups * (n_groups - 1) if normaliser == "pairs" else comb(n_groups, 2)


def meo(rates, normaliser: str = "pairs") -> float:
    """Multi-group equality of opportunity (eq. 2): 1 - the summed |TPR_i - TPR_j| over ordered pairs, over N."""
    rates = np.asarray(rates, dtype=float)
    if len(rates) < 2:
        return float("nan")
    return 1.0 - sum(abs(a - b) for a, b in permutations(rates, 2)) / _normaliser(len(rates), normaliser)


def disparate_impact(rates, normaliser: str = "pairs") -> float:
    """Multi-group disparate impact (eq. 3): 1 - the summed |rate_i / rate_j - 1| over ordered pairs, over N (NaN if a rate is 0)."""
    rates = np.asarray(rates, dtype=float)
    if len(rates) < 2 or np.any(rates == 0):
        return float("nan")
    return 1.0 - sum(abs(a / b - 1.0) for a, b in permutations(rates, 2)) / _normaliser(len(rates), normaliser)


def max_disparity(rates) -> float:
    """Maximum disparity (eq. 4): the largest TPR gap between two groups."""
    rates = np.asarray(rates, dtype=float)
    return float(rates.max() - rates.min()) if len(rates) >= 2 else float("nan")


def acc_k(y_true, y_pred, subgroup) -> np.ndarray:
    """Acc(k) for k = 1..G (eq. 5): each class's subgroup accuracies sorted ascending, averaged over classes rank by rank.

    A class with fewer than k subgroups in the test data does not count towards Acc(k).
    """
    frame = pd.DataFrame({"y": np.asarray(y_true), "s": np.asarray(subgroup), "ok": np.asarray(y_true) == np.asarray(y_pred)})
    per_class = [np.sort(g.groupby("s")["ok"].mean().to_numpy()) for _, g in frame.groupby("y")]
    depth = max(len(a) for a in per_class)
    return np.array([np.mean([a[k] for a in per_class if len(a) > k]) for k in range(depth)])


def groups_of(y_true, subgroup, pooling: str = "subgroup") -> np.ndarray:
    """The group of each image for MEO/DI/MD.

    subgroup: the paper's g in 1..G, pooled over classes. Subgroup names shared by classes (colours)
    pool by name; names unique to one class (CIFAR-100's fine classes within a superclass) pool by
    their rank within the class, in numeric order when every name is an integer (CIFAR's fine_label
    ids arrive as strings: 2 < 9 < 10, not "10" < "2" < "9"). class_subgroup: every (class,
    subgroup) cell is its own group.
    """
    y, s = np.asarray(y_true), np.asarray(subgroup).astype(str)
    if pooling == "class_subgroup":
        return np.char.add(np.char.add(y.astype(str), "/"), s)
    frame = pd.DataFrame({"y": y, "s": s})
    classes_per_name = frame.drop_duplicates().groupby("s")["y"].nunique()
    if (classes_per_name > 1).any():
        return s
    numeric = pd.Series(s).str.fullmatch(r"-?\d+").all()
    order = frame.drop_duplicates().assign(key=lambda f: f["s"].astype(int) if numeric else f["s"])
    rank = order.sort_values(["y", "key"]).drop(columns="key").assign(r=lambda f: f.groupby("y").cumcount())
    return frame.merge(rank, on=["y", "s"], how="left")["r"].to_numpy()


def fairness_metrics(y_true, y_pred, subgroup, pooling: str = "subgroup") -> dict:
    """Accuracy, MEO, DI, MD (and MEO, DI with the printed normaliser) and Acc(1..G) of one classifier's predictions."""
    rates = group_rates(y_true, y_pred, groups_of(y_true, subgroup, pooling))
    out = {
        "accuracy": accuracy(y_true, y_pred),
        "meo": meo(rates),
        "di": disparate_impact(rates),
        "md": max_disparity(rates),
        "meo_printed": meo(rates, "printed"),
        "di_printed": disparate_impact(rates, "printed"),
    }
    out.update({f"acc_{k + 1}": float(v) for k, v in enumerate(acc_k(y_true, y_pred, subgroup))})
    return out

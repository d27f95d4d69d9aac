"""Data stacking: a first-in-first-out queue of synthetic data (the image loop's training-set strategy).

The queue holds at most `capacity` rows (D). Each generation pushes its S synthetic rows; once the
queue is full the oldest rows leave first, so with S per generation at most D/S generations of
synthetic data are kept (a generation that only partly leaves keeps rows spread over all of it). Rows carry `source_generation`; arrival order is row order. A training set
is the real data plus the queue's content; it never carries a `subgroup` column: subgroups are
hidden from training and used only in evaluation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from synthloop.core.vocabulary import REAL, REAL_GENERATION, SYNTHETIC

HIDDEN = ("subgroup",)  # evaluation-only columns that must never reach a training set


def capacity_rows(capacity_generations: float | None, per_generation: int) -> int | None:
    """D in rows from the configured capacity in generations' worth of synthetic data (None: unbounded)."""
    if capacity_generations is None:
        return None
    if capacity_generations < 1:
        raise ValueError(f"FIFO capacity {capacity_generations} generations is below one generation")
    return int(math.floor(capacity_generations * per_generation))


def push(queue: pd.DataFrame, batch: pd.DataFrame, capacity: int | None) -> pd.DataFrame:
    """The queue after appending `batch` and evicting the oldest rows beyond `capacity` (None keeps all)."""
    if capacity is not None and capacity < len(batch):
        raise ValueError(f"FIFO capacity {capacity} is below one generation's synthetic data ({len(batch)} rows)")
    out = pd.concat([queue, batch], ignore_index=True) if len(queue) else batch.reset_index(drop=True)
    if capacity is not None and len(out) > capacity:
        out = evict(out, len(out) - capacity)
    out.attrs = dict(batch.attrs)  # e.g. the image shape of image tables
    return out


def evict(queue: pd.DataFrame, count: int) -> pd.DataFrame:
    """The queue without `count` of its oldest rows: whole generations leave first; of a generation that only
    partly leaves, the rows that stay are spread evenly over it (a generation's rows arrive in class order,
    so keeping its last rows would keep only its last classes). Arrival order is kept."""
    generations = queue["source_generation"].to_numpy()
    keep = np.ones(len(queue), dtype=bool)
    for generation in pd.unique(generations):
        if count == 0:
            break
        rows = np.flatnonzero(generations == generation)
        leaving = min(count, len(rows))
        keep[rows] = False
        if staying := len(rows) - leaving:
            keep[rows[((np.arange(staying) + 0.5) * len(rows) / staying).astype(int)]] = True
        count -= leaving
    return queue[keep].reset_index(drop=True)


def training_set(real: pd.DataFrame, queue: pd.DataFrame) -> pd.DataFrame:
    """Real rows plus the queue's synthetic rows, without any evaluation-only column."""
    parts = [real.drop(columns=[c for c in HIDDEN if c in real.columns]).assign(origin=REAL, source_generation=REAL_GENERATION)]
    if len(queue):
        parts.append(queue.drop(columns=[c for c in HIDDEN if c in queue.columns]).assign(origin=SYNTHETIC))
    out = pd.concat(parts, ignore_index=True)
    out.attrs = dict(real.attrs)
    return out


def queue_of(training: pd.DataFrame) -> pd.DataFrame:
    """The synthetic part of a training set: the queue it was composed from, in arrival order."""
    out = training[training["origin"] == SYNTHETIC].reset_index(drop=True)
    out.attrs = dict(training.attrs)
    return out

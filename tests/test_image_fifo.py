"""Data stacking: FIFO capacity and eviction order; training sets never carry subgroups."""

import pandas as pd
import pytest

from synthloop.core.vocabulary import REAL_GENERATION
from synthloop.loop import fifo


def batch(gen, n=2):
    return pd.DataFrame({"image_id": [f"g{gen}-{i}" for i in range(n)], "label": [0] * n, "source_generation": [gen] * n})


def test_capacity_keeps_the_newest_generations_oldest_leave_first():
    capacity = fifo.capacity_rows(3, 2)  # D/S = 3 generations of S = 2 rows
    assert capacity == 6
    queue = batch(0).iloc[:0]
    history = []
    for gen in range(1, 6):
        queue = fifo.push(queue, batch(gen), capacity)
        history.append(sorted(set(queue["source_generation"])))
    assert history == [[1], [1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]
    assert list(queue["image_id"]) == ["g3-0", "g3-1", "g4-0", "g4-1", "g5-0", "g5-1"]  # arrival order kept


def test_partial_capacity_evicts_the_oldest_rows_spread_over_their_generation():
    queue = fifo.push(fifo.push(batch(1, 3), batch(2, 3), 4), batch(3, 3), 4)
    assert list(queue["image_id"]) == ["g2-1", "g3-0", "g3-1", "g3-2"]  # g1 left whole; of g2, its middle row stays


def test_a_partly_evicted_generation_keeps_every_class():
    ordered = pd.DataFrame(
        {"image_id": [f"g1-{i}" for i in range(10)], "label": [c for c in range(5) for _ in range(2)], "source_generation": 1}
    )
    queue = fifo.push(ordered, batch(2, 5), 10)  # half of generation 1 leaves; its rows arrived in class order
    assert sorted(queue.loc[queue["source_generation"] == 1, "label"]) == [0, 1, 2, 3, 4]


def test_unbounded_queue_accumulates():
    queue = batch(1)
    for gen in range(2, 6):
        queue = fifo.push(queue, batch(gen), None)
    assert len(queue) == 10


def test_capacity_below_one_generation_is_refused():
    with pytest.raises(ValueError, match="below one generation"):
        fifo.capacity_rows(0.5, 10)
    with pytest.raises(ValueError, match="below one generation"):
        fifo.push(batch(1), batch(2, 5), 4)


def test_training_set_is_real_plus_queue_without_subgroups():
    real = pd.DataFrame({"image_id": [0, 1], "label": [0, 1], "subgroup": ["red", "blue"]})
    queue = batch(1).assign(subgroup="leak")
    train = fifo.training_set(real, queue)
    assert "subgroup" not in train.columns
    assert list(train["origin"]) == ["real", "real", "synthetic", "synthetic"]
    assert list(train["source_generation"]) == [REAL_GENERATION, REAL_GENERATION, 1, 1]
    assert list(fifo.queue_of(train)["image_id"]) == ["g1-0", "g1-1"]

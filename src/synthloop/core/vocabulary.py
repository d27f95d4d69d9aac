"""One vocabulary for every study kind: the ids of chains, arms and runs, and the generation numbers that are not generations.

Ids join their keys with '-': a ratio is `r<ratio>`, a seed `s<seed>`, a round `round<n>`; a generation is
`g<gen>` in paths. Tables number the base model and real texts with the constants below, the same in every kind.
"""

from __future__ import annotations

REAL = "real"  # real data: the origin of a real row, and the id part of what is trained on real data alone
SYNTHETIC = "synthetic"  # the origin of a row a model wrote
BASE_GENERATION = -1  # the generation number of the base model before any fine-tuning, in every table
REAL_GENERATION = -2  # the generation number of real texts in a table that puts them beside generations (the lean buckets)


def ratio_id(ratio: float) -> str:
    return f"r{ratio:g}"


def seed_id(seed: int) -> str:
    return f"s{seed}"


def round_id(number: int) -> str:
    return f"round{number}"


def chain_id(*parts: str | None) -> str:
    """An id from its parts, joined by '-' (parts that are None are left out): sotu-replace-s0, dcgan-r0.5-s0."""
    return "-".join(str(p) for p in parts if p is not None)

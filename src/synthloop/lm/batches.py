"""The one batch loop for running a model over many token sequences: length-sorted, padded batches.

Sorting by length keeps padding (wasted compute) small; each batch says which input rows it holds,
so callers put results back in input order. Generation pads on the left (every continuation
starts at the same column); scoring passes pad on the right (positions start at 0).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Prompt:
    """A token prompt and the document it belongs to (generation writes one text per document)."""

    doc: int  # index of the real document it came from
    ids: tuple[int, ...]


def strip_after_eos(ids: list[int], eos: int) -> list[int]:
    return ids[: ids.index(eos)] if eos in ids else ids


def padded_batches(
    sequences: Sequence[Sequence[int]], batch_size: int, pad_id: int, side: str = "right", device=None
) -> Iterator[tuple[list[int], torch.Tensor, torch.Tensor]]:
    """(row indices, input ids, attention mask) per batch of `batch_size` sequences of similar length."""
    if side not in ("left", "right"):
        raise ValueError(f"padding side must be 'left' or 'right', not {side!r}")
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = max(len(sequences[i]) for i in rows)
        ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for row, i in enumerate(rows):
            n = len(sequences[i])
            span = slice(width - n, width) if side == "left" else slice(0, n)
            ids[row, span] = torch.tensor(list(sequences[i]), dtype=torch.long)
            mask[row, span] = 1
        yield rows, ids.to(device) if device is not None else ids, mask.to(device) if device is not None else mask

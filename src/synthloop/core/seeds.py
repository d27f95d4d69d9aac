"""Every random choice comes from the configured seed: seeds derived from it and names."""

from __future__ import annotations

import hashlib


def stable_seed(*parts) -> int:
    """A seed derived from the configured seed and names, identical across runs and machines."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "little")

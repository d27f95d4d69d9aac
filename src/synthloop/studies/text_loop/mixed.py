"""Mixed multi-domain clusters of study 2: one cluster of each domain joined, each text with its domain's instruction."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthloop.core.seeds import stable_seed


def mixed_cluster(parts: dict[str, pd.DataFrame], instructions: dict[str, str] | None = None) -> pd.DataFrame:
    """One cluster from each domain combined; every text keeps its domain and its domain's instruction.

    doc_ids are prefixed by the domain so that ids from different datasets cannot collide.
    """
    instructions = instructions or {}
    missing = sorted(set(parts) - set(instructions))
    if missing:
        raise ValueError(f"no instruction for domain(s) {missing}; known: {sorted(instructions)}")
    frames = [
        part.assign(doc_id=[f"{domain}:{d}" for d in part["doc_id"]], domain=domain, instruction=instructions[domain])
        for domain, part in parts.items()
    ]
    return pd.concat(frames, ignore_index=True)


def mixed_cluster_triples(clusters: dict[str, list[str]], count: int, seed: int) -> list[dict[str, str]]:
    """`count` combinations of one cluster id per domain, seeded; each domain's clusters are used evenly (cycled permutations)."""
    rng = np.random.default_rng(stable_seed(seed, "mixed-clusters"))
    columns = {}
    for domain, ids in clusters.items():
        if not ids:
            raise ValueError(f"domain {domain!r} has no clusters")
        rounds = -(-count // len(ids))
        columns[domain] = np.concatenate([rng.permutation(ids) for _ in range(rounds)])[:count]
    return [{domain: str(columns[domain][i]) for domain in clusters} for i in range(count)]


def build_mixed_clusters(
    clusters: dict[str, dict[str, pd.DataFrame]], ids: list[str], seed: int, instructions: dict[str, str] | None = None
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every mixed cluster (one per id) from one cluster of each domain, and the table of which one
    (cluster_id, domain, component): the regression reads each component's properties from it."""
    triples = mixed_cluster_triples({domain: sorted(parts) for domain, parts in clusters.items()}, len(ids), seed)
    frames = {m: mixed_cluster({domain: clusters[domain][t[domain]] for domain in clusters}, instructions) for m, t in zip(ids, triples)}
    components = pd.DataFrame([{"cluster_id": m, "domain": d, "component": c} for m, t in zip(ids, triples) for d, c in t.items()])
    return frames, components

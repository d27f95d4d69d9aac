"""The chains of a text-loop study: datasets (or clusters, or mixed clusters) x strategies x ratios x seeds.

Chain keys are defined here once (`Chain.KEYS`); every table that carries them takes them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthloop.core.config import ConfigError
from synthloop.core.seeds import stable_seed
from synthloop.studies.base import chain_id, ratio_id, seed_id

MIXED = "mixed"  # the dataset name of mixed multi-domain chains (study 2); no configured dataset may use it
PARTITION = "lean_partition"  # the source of a dataset drawn from another by political lean
SUBSET = "label_subset"  # the source of a dataset of every document of some labels of another (study 1's center-only setup)
DERIVED = (PARTITION, SUBSET)  # datasets drawn from another: their labels and scorer models are their source's


@dataclass(frozen=True)
class Chain:
    """One recursive chain: a dataset (or one of its clusters), a strategy, a synthetic ratio, a seed.

    A branch (`parent`, `branch_at` = k) is the chain of strategy `parent` with the same dataset, cluster,
    ratio and seed up to generation k-1, whose files it reuses, and follows `strategy` from generation k on.
    """

    dataset: str
    strategy: str
    seed: int
    ratio: float | None = None  # pool strategies only
    cluster: str | None = None
    domains: tuple[str, ...] = ()  # a mixed chain's datasets (dataset is MIXED, cluster an id from mixed_ids)
    parent: str | None = None  # a branch's parent strategy (chains.branches[].from)
    branch_at: int | None = None  # the branch's first own generation k

    KEYS = ("dataset", "cluster", "strategy", "ratio", "seed")  # the columns that identify a chain in every table

    @property
    def datasets(self) -> tuple[str, ...]:
        """The configured datasets whose texts the chain holds: its domains (mixed) or its dataset."""
        return self.domains or (self.dataset,)

    @property
    def id(self) -> str:
        strategy = f"{self.parent}-g{self.branch_at}-{self.strategy}" if self.parent else self.strategy
        return chain_id(self.dataset, self.cluster, strategy, None if self.ratio is None else ratio_id(self.ratio), seed_id(self.seed))

    @property
    def parent_id(self) -> str | None:
        """The id of the chain whose generations < branch_at this branch shares; None for a root chain."""
        if not self.parent:
            return None
        return Chain(self.dataset, self.parent, self.seed, self.ratio, self.cluster, self.domains).id

    def keys(self, chain_id: bool = True) -> dict:
        """The chain's keys as a table row (with its id under `chain`); a branch adds branch_from and branch_at."""
        row = {key: getattr(self, key) for key in self.KEYS}
        if self.parent:
            row |= {"branch_from": self.parent, "branch_at": self.branch_at}
        return {"chain": self.id, **row} if chain_id else row


def chain_datasets(config: dict) -> list[str]:
    dataset = config["chains"]["dataset"]
    return [dataset] if isinstance(dataset, str) else list(dataset)


def mixed_domains(config: dict) -> list[str]:
    mixed = config["chains"].get("mixed")
    return list(mixed["domains"]) if mixed else []


def mixed_ids(config: dict) -> list[str]:
    """m000, m001, ...: one per mixed cluster (chains.mixed.count); none without chains.mixed."""
    mixed = config["chains"].get("mixed")
    return [f"m{i:03d}" for i in range(mixed["count"])] if mixed else []


def mixed_components(config: dict) -> list[tuple[str, str]]:
    """Every (domain, cluster) a mixed cluster may draw from, domain by domain."""
    return [(d, c) for d in mixed_domains(config) for c in cluster_ids(config) if c]


def cluster_ids(config: dict) -> list[str | None]:
    clusters = config["chains"].get("clusters")
    return [f"c{i:03d}" for i in range(clusters["n"])] if clusters else [None]


def partition_datasets(config: dict) -> list[str]:
    return [name for name, spec in config["datasets"].items() if spec["source"] == PARTITION]


def subset_datasets(config: dict) -> list[str]:
    return [name for name, spec in config["datasets"].items() if spec["source"] == SUBSET]


def root_dataset(config: dict, name: str) -> str:
    """The loaded dataset behind `name`: a lean partition's or a label subset's scorer models and labels are its source's.
    A name that is not a configured dataset (a mixed chain's 'mixed') is its own root."""
    spec = config["datasets"].get(name, {})
    return spec["from"] if spec.get("source") in DERIVED else name


def dataset_strategies(config: dict, dataset: str) -> list[str]:
    """The strategies a chain dataset runs: its entry in chains.dataset_strategies, else chains.strategies
    (study 1: the balanced articles run four setups, the center-only articles two)."""
    spec = config["chains"]
    return list((spec.get("dataset_strategies") or {}).get(dataset, spec["strategies"]))


def chains(config: dict) -> dict[str, Chain]:
    """Every chain of the study: datasets × clusters × strategies × ratios × seeds, then the mixed clusters × the same.
    A dataset listed in chains.dataset_strategies runs only its own strategies."""
    spec = config["chains"]
    starts = [(d, c, ()) for d in chain_datasets(config) for c in cluster_ids(config)]
    starts += [(MIXED, m, tuple(mixed_domains(config))) for m in mixed_ids(config)]
    out = {}
    for dataset, cluster, domains in starts:
        for strategy in dataset_strategies(config, dataset):
            pooled = config["strategies"][strategy]["compose"] == "pool"
            for ratio in spec["ratios"] if pooled else [None]:
                for seed in config["seeds"]:
                    chain = Chain(dataset, strategy, seed, ratio, cluster, domains)
                    out[chain.id] = chain
    for branch in spec.get("branches") or []:
        for root in [c for c in out.values() if c.strategy == branch["from"] and not c.parent]:
            chain = Chain(root.dataset, branch["strategy"], root.seed, root.ratio, root.cluster, root.domains, branch["from"], branch["at"])
            out[chain.id] = chain
    return out


def check_branches(config: dict) -> None:
    """chains.branches: each starts from a configured chain strategy at a generation the study has, and keeps
    its parent's ratio, so both strategies must be pool strategies or neither."""
    spec, seen = config["chains"], set()
    for i, branch in enumerate(spec.get("branches") or []):
        key = f"chains.branches[{i}]"
        if branch["from"] not in spec["strategies"]:
            raise ConfigError(f"config key '{key}.from': {branch['from']!r} is not a chain strategy; allowed: {spec['strategies']}")
        if branch["strategy"] not in config["strategies"]:
            raise ConfigError(
                f"config key '{key}.strategy': unknown strategy {branch['strategy']!r}; defined: {sorted(config['strategies'])}"
            )
        if not 1 <= branch["at"] < config["generations"]:
            raise ConfigError(
                f"config key '{key}.at': generation {branch['at']} has no earlier generation to share or is not run; "
                f"allowed: 1 .. {config['generations'] - 1}"
            )
        pooled = [config["strategies"][branch[k]]["compose"] == "pool" for k in ("from", "strategy")]
        if pooled[0] != pooled[1]:
            raise ConfigError(
                f"config key '{key}.strategy': a branch keeps its parent's synthetic ratio, so {branch['strategy']!r} and "
                f"{branch['from']!r} must both be pool strategies or neither"
            )
        if spec.get("clusters") or spec.get("mixed") or set(chain_datasets(config)) & set(partition_datasets(config)):
            raise ConfigError(
                f"config key '{key}': branches are not supported with chains.clusters, chains.mixed or lean-partition "
                "datasets (their regressions and lean tables group chains by keys without the branch)"
            )
        ident = (branch["from"], branch["at"], branch["strategy"])
        if ident in seen or branch["strategy"] == branch["from"]:
            raise ConfigError(f"config key '{key}': a duplicate branch, or one that keeps its parent's strategy {branch['from']!r}")
        seen.add(ident)


def finetune_params(config: dict, strategy: str) -> dict:
    """The study's fine-tuning recipe with the strategy's overrides (e.g. overfit: 25 epochs, no decay)."""
    return {**config["finetune"], **config["strategies"][strategy].get("finetune", {})}


def draw_base_model(candidates: list[str], chain_id: str, generation: int, seed: int) -> str:
    """A fresh base model per generation, as published, but drawn from (seed, chain, generation):
    the same on every re-run and different across seeds (the published code seeds from the clock)."""
    if not candidates:
        raise ConfigError("config key 'chains.base_models': no base model candidates configured")
    return candidates[stable_seed(seed, chain_id, generation, "base-model") % len(candidates)]

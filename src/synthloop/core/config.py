"""Study configuration: validation with messages that name the key, chain specs, seeds."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from synthloop.core.seeds import stable_seed

SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "config.schema.yaml"


MIXED = "mixed"  # the dataset name of mixed multi-domain chains (study 2); no configured dataset may use it


class ConfigError(ValueError):
    """A config value is wrong; the message names the key and what is allowed."""


def _key_path(path) -> str:
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    key = _key_path(error.absolute_path)
    if error.validator == "enum":
        return f"config key '{key}': {error.instance!r} is not allowed; allowed values: {error.validator_value}"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return f"config key '{key}': unknown key(s) {extra}; allowed keys: {allowed}"
    if error.validator == "required":
        return f"config key '{key}': {error.message}"
    return f"config key '{key}': {error.message}"


def validate(config: dict, schema_path: Path = SCHEMA) -> dict:
    """Validate against the JSON schema, fill schema defaults, then check cross-references.

    Returns a new dict; raises ConfigError naming the first offending key.
    """
    from snakemake.utils import validate as snakemake_validate

    config = copy.deepcopy(config)
    schema = yaml.safe_load(Path(schema_path).read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        raise ConfigError(_describe(best))
    resolve_partitions(config)
    snakemake_validate(config, str(schema_path), set_default=True)
    check_references(config)
    return config


PARTITION = "lean_partition"  # the source of a dataset drawn from another by political lean


def partition_datasets(config: dict) -> list[str]:
    return [name for name, spec in config["datasets"].items() if spec["source"] == PARTITION]


def root_dataset(config: dict, name: str) -> str:
    """The loaded dataset behind `name`: a lean partition's scorer models and labels are its source's.
    A name that is not a configured dataset (a mixed chain's 'mixed') is its own root."""
    spec = config["datasets"].get(name, {})
    return spec["from"] if spec.get("source") == PARTITION else name


def resolve_partitions(config: dict) -> None:
    """Check each lean partition's references and give it its source's labels and instruction.

    Runs before schema defaults are filled, so an instruction the partition leaves out is its
    source's, not the generic default. The scorer must give a 0-100 lean per text.
    """
    from synthloop.scorers.registry import LEAN_MEASURES, LEAN_POSITIONS

    datasets = config["datasets"]
    for name in partition_datasets(config):
        spec, key = datasets[name], f"datasets.{name}"
        source = spec["from"]
        if source not in datasets or datasets[source]["source"] == PARTITION:
            loaded = sorted(d for d in datasets if datasets[d]["source"] != PARTITION)
            raise ConfigError(f"config key '{key}.from': {source!r} is not a loaded dataset; loaded datasets: {loaded}")
        if spec["size"] > datasets[source]["finetune_size"]:
            raise ConfigError(
                f"config key '{key}.size': {spec['size']} texts are more than dataset {source!r} offers "
                f"(its finetune_size {datasets[source]['finetune_size']}, the texts partitions are drawn from)"
            )
        spec.setdefault("lean_scorer", "lean")
        scorer = config["scorers"].get(spec["lean_scorer"])
        if scorer is None or scorer.get("kind") not in LEAN_MEASURES:
            lean = sorted(n for n, s in config["scorers"].items() if s.get("kind") in LEAN_MEASURES)
            raise ConfigError(f"config key '{key}.lean_scorer': {spec['lean_scorer']!r} is not a lean scorer; lean scorers: {lean}")
        if scorer["kind"] == "llm_judge" and "lean" not in scorer.get("aspects", ["lean"]):
            raise ConfigError(f"config key 'scorers.{spec['lean_scorer']}.aspects': must include 'lean' to draw partition {name!r}")
        labels = set(((scorer.get("labels") or {}) if scorer["kind"] == "hf_classifier" else datasets[source]["labels"]).values())
        if scorer["kind"] != "llm_judge" and not {"left", "right"} <= labels <= set(LEAN_POSITIONS):
            where = f"scorers.{spec['lean_scorer']}.labels" if scorer["kind"] == "hf_classifier" else f"datasets.{source}.labels"
            raise ConfigError(f"config key '{where}': lean partitions need the labels left and right (and optionally center); got {sorted(labels)}")
        spec.setdefault("labels", datasets[source]["labels"])
        if "instruction" in datasets[source]:
            spec.setdefault("instruction", datasets[source]["instruction"])


def check_references(config: dict) -> None:
    """What the schema cannot express: names that must refer to other entries."""
    from synthloop.scorers.registry import SCORERS

    for dataset in chain_datasets(config):
        if dataset not in config["datasets"]:
            raise ConfigError(f"config key 'chains.dataset': {dataset!r} is not defined; defined datasets: {sorted(config['datasets'])}")
    check_mixed(config)
    for i, name in enumerate(config["chains"]["strategies"]):
        if name not in config["strategies"]:
            raise ConfigError(
                f"config key 'chains.strategies[{i}]': unknown strategy {name!r}; defined strategies: {sorted(config['strategies'])}"
            )
        if config["strategies"][name]["compose"] == "pool" and "pool" not in config["strategies"][name]:
            raise ConfigError(f"config key 'strategies.{name}.pool': required when compose is 'pool' (n0, n, mode)")
    uses_pool = any(config["strategies"][name]["compose"] == "pool" for name in config["chains"]["strategies"])
    if uses_pool and not config["chains"].get("ratios"):
        raise ConfigError("config key 'chains.ratios': required by pool strategies (synthetic ratios r in (0, 1])")
    if config["chains"]["init"] == "draw" and not config["chains"].get("base_models"):
        raise ConfigError("config key 'chains.base_models': required when chains.init is 'draw'")
    for name, spec in config["datasets"].items():
        if spec["source"] in ("file", "hf") and not spec.get("path"):
            raise ConfigError(f"config key 'datasets.{name}.path': required when source is {spec['source']!r}")
    wanted = config["chains"].get("generation0_labels") or []
    for dataset in (chain_datasets(config) or mixed_domains(config)) if wanted else []:
        known = set(config["datasets"][root_dataset(config, dataset)]["labels"].values())
        for i, label in enumerate(wanted):
            if label not in known:
                raise ConfigError(
                    f"config key 'chains.generation0_labels[{i}]': unknown label {label!r}; labels of dataset {dataset!r}: {sorted(known)}"
                )
    for name, spec in config["scorers"].items():
        if spec["kind"] not in SCORERS:
            raise ConfigError(f"config key 'scorers.{name}.kind': unknown scorer kind {spec['kind']!r}; allowed values: {sorted(SCORERS)}")
        if "embeddings" in SCORERS[spec["kind"]].assets and spec.get("embedder") not in config.get("embedders", {}):
            raise ConfigError(
                f"config key 'scorers.{name}.embedder': {spec.get('embedder')!r} is not defined; defined embedders: {sorted(config.get('embedders', {}))}"
            )


def check_mixed(config: dict) -> None:
    """Mixed chains need clustered, defined, distinct datasets; and some chains must exist at all."""
    mixed = config["chains"].get("mixed")
    if not mixed:
        if not chain_datasets(config):
            raise ConfigError("config key 'chains.dataset': empty; name at least one dataset or configure chains.mixed")
        return
    if not config["chains"].get("clusters"):
        raise ConfigError("config key 'chains.mixed': needs chains.clusters (a mixed cluster joins one cluster of each domain)")
    if MIXED in config["datasets"]:
        raise ConfigError(f"config key 'datasets.{MIXED}': the name is reserved for mixed chains (chains.mixed); rename the dataset")
    for i, domain in enumerate(mixed["domains"]):
        if domain not in config["datasets"]:
            raise ConfigError(f"config key 'chains.mixed.domains[{i}]': {domain!r} is not defined; defined datasets: {sorted(config['datasets'])}")
    if config["generate"]["mode"] != "instruction":
        raise ConfigError("config key 'generate.mode': mixed chains (chains.mixed) need 'instruction' (one instruction per domain)")


def load(path: str | Path) -> dict:
    return validate(yaml.safe_load(Path(path).read_text()))


@dataclass(frozen=True)
class Chain:
    """One recursive chain: a dataset (or one of its clusters), a strategy, a synthetic ratio, a seed."""

    dataset: str
    strategy: str
    seed: int
    ratio: float | None = None  # pool strategies only
    cluster: str | None = None
    domains: tuple[str, ...] = ()  # a mixed chain's datasets (dataset is MIXED, cluster an id from mixed_ids)

    @property
    def datasets(self) -> tuple[str, ...]:
        """The configured datasets whose texts the chain holds: its domains (mixed) or its dataset."""
        return self.domains or (self.dataset,)

    @property
    def id(self) -> str:
        parts = [self.dataset, self.cluster, self.strategy, None if self.ratio is None else f"r{self.ratio:g}", f"s{self.seed}"]
        return "-".join(p for p in parts if p is not None)


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


def cluster_ids(config: dict) -> list[str | None]:
    clusters = config["chains"].get("clusters")
    return [f"c{i:03d}" for i in range(clusters["n"])] if clusters else [None]


def chains(config: dict) -> dict[str, Chain]:
    """Every chain of the study: datasets × clusters × strategies × ratios × seeds, then the mixed clusters × the same."""
    spec = config["chains"]
    starts = [(d, c, ()) for d in chain_datasets(config) for c in cluster_ids(config)]
    starts += [(MIXED, m, tuple(mixed_domains(config))) for m in mixed_ids(config)]
    out = {}
    for dataset, cluster, domains in starts:
        for strategy in spec["strategies"]:
            pooled = config["strategies"][strategy]["compose"] == "pool"
            for ratio in (spec["ratios"] if pooled else [None]):
                for seed in config["seeds"]:
                    chain = Chain(dataset, strategy, seed, ratio, cluster, domains)
                    out[chain.id] = chain
    return out


def finetune_params(config: dict, strategy: str) -> dict:
    """The study's fine-tuning recipe with the strategy's overrides (e.g. overfit: 25 epochs, no decay)."""
    return {**config["finetune"], **config["strategies"][strategy].get("finetune", {})}


def draw_base_model(candidates: list[str], chain_id: str, generation: int, seed: int) -> str:
    """A fresh base model per generation, as published, but drawn from (seed, chain, generation):
    the same on every re-run and different across seeds (the published code seeds from the clock)."""
    if not candidates:
        raise ConfigError("config key 'chains.base_models': no base model candidates configured")
    return candidates[stable_seed(seed, chain_id, generation, "base-model") % len(candidates)]

"""What a text-loop config must satisfy beyond its schema: names that refer to other entries."""

from __future__ import annotations

import difflib
from pathlib import Path

from synthloop.core.config import ConfigError, schema_for
from synthloop.scorers.registry import LEAN_MEASURES, LEAN_POSITIONS, SCORERS
from synthloop.studies.base import check_job_count
from synthloop.studies.text_loop.chains import (
    DERIVED,
    MIXED,
    chain_datasets,
    check_branches,
    cluster_ids,
    dataset_strategies,
    mixed_ids,
    partition_datasets,
    subset_datasets,
)
from synthloop.studies.text_loop.clusters import check_real_supply
from synthloop.studies.text_loop.controls import check as check_controls
from synthloop.studies.text_loop.selection import check as check_selection
from synthloop.studies.text_loop.slices import check as check_slice

JOBS_PER_GENERATION = 4  # compose, fine-tune, generate, score: the jobs every chain has in every generation


def check(config: dict) -> None:
    """Every cross-reference check, run after the schema has filled its defaults."""
    check_references(config)
    check_branches(config)
    check_scorer_keys(config)
    check_remote_code(config)
    check_job_count(config, job_factors(config))
    check_real_supply(config)
    check_slice(config)
    check_selection(config)
    check_controls(config)


def prepare(config: dict) -> None:
    """Before defaults are filled: lean partitions and label subsets take their source's labels and instruction."""
    resolve_partitions(config)
    resolve_subsets(config)


def loaded_source(config: dict, name: str) -> str:
    """The `from` of a derived dataset, which must be a loaded (not a derived) dataset."""
    datasets, source = config["datasets"], config["datasets"][name]["from"]
    if source not in datasets or datasets[source]["source"] in DERIVED:
        loaded = sorted(d for d in datasets if datasets[d]["source"] not in DERIVED)
        raise ConfigError(f"config key 'datasets.{name}.from': {source!r} is not a loaded dataset; loaded datasets: {loaded}")
    return source


def resolve_subsets(config: dict) -> None:
    """A label subset (study 1's center-only setup) keeps labels its source has, and takes the source's
    labels and instruction; its scorer models are the source's (chains.root_dataset)."""
    datasets = config["datasets"]
    for name in subset_datasets(config):
        spec = datasets[name]
        source = loaded_source(config, name)
        known = sorted(set(datasets[source]["labels"].values()))
        for i, label in enumerate(spec["keep_labels"]):
            if label not in known:
                raise ConfigError(
                    f"config key 'datasets.{name}.keep_labels[{i}]': unknown label {label!r}; labels of dataset {source!r}: {known}"
                )
        spec.setdefault("labels", datasets[source]["labels"])
        if "instruction" in datasets[source]:
            spec.setdefault("instruction", datasets[source]["instruction"])


def resolve_partitions(config: dict) -> None:
    """Check each lean partition's references and give it its source's labels and instruction.

    Runs before schema defaults are filled, so an instruction the partition leaves out is its
    source's, not the generic default. The scorer must give a 0-100 lean per text.
    """
    datasets = config["datasets"]
    for name in partition_datasets(config):
        spec, key = datasets[name], f"datasets.{name}"
        source = loaded_source(config, name)
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
            raise ConfigError(
                f"config key '{where}': lean partitions need the labels left and right (and optionally center); got {sorted(labels)}"
            )
        spec.setdefault("labels", datasets[source]["labels"])
        if "instruction" in datasets[source]:
            spec.setdefault("instruction", datasets[source]["instruction"])


def check_references(config: dict) -> None:
    """What the schema cannot express: names that must refer to other entries."""
    for dataset in chain_datasets(config):
        if dataset not in config["datasets"]:
            raise ConfigError(f"config key 'chains.dataset': {dataset!r} is not defined; defined datasets: {sorted(config['datasets'])}")
    check_mixed(config)
    lists = [("chains.strategies", config["chains"]["strategies"])]
    lists += [(f"chains.dataset_strategies.{d}", names) for d, names in config["chains"]["dataset_strategies"].items()]
    for key, names in lists:
        for i, name in enumerate(names):
            if name not in config["strategies"]:
                raise ConfigError(f"config key '{key}[{i}]': unknown strategy {name!r}; defined strategies: {sorted(config['strategies'])}")
            if config["strategies"][name]["compose"] == "pool" and "pool" not in config["strategies"][name]:
                raise ConfigError(f"config key 'strategies.{name}.pool': required when compose is 'pool' (n0, n, mode)")
    uses_pool = any(config["strategies"][name]["compose"] == "pool" for _, names in lists for name in names)
    if uses_pool and not config["chains"].get("ratios"):
        raise ConfigError("config key 'chains.ratios': required by pool strategies (synthetic ratios r in (0, 1])")
    if config["chains"]["init"] == "draw" and not config["chains"].get("base_models"):
        raise ConfigError("config key 'chains.base_models': required when chains.init is 'draw'")
    for name, spec in config["datasets"].items():
        if spec["source"] in ("file", "hf") and not spec.get("path"):
            raise ConfigError(f"config key 'datasets.{name}.path': required when source is {spec['source']!r}")
        if spec["source"] == "file" and not Path(spec["path"]).is_file():
            raise ConfigError(
                f"config key 'datasets.{name}.path': data file {spec['path']!r} does not exist "
                f"(relative paths are read from the working directory, {str(Path.cwd())!r})"
            )
    check_dataset_strategies(config)
    for name, spec in config["scorers"].items():
        if spec["kind"] not in SCORERS:
            raise ConfigError(f"config key 'scorers.{name}.kind': unknown scorer kind {spec['kind']!r}; allowed values: {sorted(SCORERS)}")
        if "embeddings" in SCORERS[spec["kind"]].assets and spec.get("embedder") not in config.get("embedders", {}):
            raise ConfigError(
                f"config key 'scorers.{name}.embedder': {spec.get('embedder')!r} is not defined; defined embedders: {sorted(config.get('embedders', {}))}"
            )


def check_dataset_strategies(config: dict) -> None:
    """chains.dataset_strategies names chain datasets; the center-only setup of study 1 cannot be expressed any more
    by filtering generation 0's balanced set (chains.generation0_labels, removed): it is a label_subset dataset."""
    for dataset in config["chains"]["dataset_strategies"]:
        if dataset not in chain_datasets(config):
            raise ConfigError(
                f"config key 'chains.dataset_strategies.{dataset}': not a chain dataset; chain datasets: {chain_datasets(config)}"
            )
    for dataset in subset_datasets(config):
        if config["chains"].get("clusters") and dataset in chain_datasets(config):
            raise ConfigError(f"config key 'datasets.{dataset}': label_subset datasets run whole, not split by chains.clusters")


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
            raise ConfigError(
                f"config key 'chains.mixed.domains[{i}]': {domain!r} is not defined; defined datasets: {sorted(config['datasets'])}"
            )
    if config["generate"]["mode"] != "instruction":
        raise ConfigError("config key 'generate.mode': mixed chains (chains.mixed) need 'instruction' (one instruction per domain)")


def job_factors(config: dict) -> list[tuple[str, int]]:
    """The keys whose product sets the number of chain jobs, each with its count (the chains() expansion, uncounted)."""
    spec = config["chains"]
    used = {name for d in [*chain_datasets(config), MIXED] for name in dataset_strategies(config, d)}
    pooled = any(config["strategies"][name]["compose"] == "pool" for name in used)
    starts = len(chain_datasets(config)) * len(cluster_ids(config)) + len(mixed_ids(config))
    most = max(len(dataset_strategies(config, d)) for d in [*chain_datasets(config), MIXED])  # an upper bound per start
    factors = [
        ("seeds", len(config["seeds"])),
        ("chain starts (chains.dataset x chains.clusters.n + chains.mixed.count)", starts),
        ("chains.strategies" + " + chains.branches" * bool(spec.get("branches")), most + len(spec.get("branches") or [])),
    ]
    if pooled:
        factors.append(("chains.ratios", len(spec.get("ratios") or [])))
    selects = any(config["strategies"][name].get("select") for name in used)
    return [*factors, ("generations", config["generations"]), ("jobs per generation", JOBS_PER_GENERATION + selects)]


def scorer_keys(kind: str) -> list[str]:
    """The keys a scorer of this kind accepts: 'kind' plus its schema branch's (if/then cannot say additionalProperties)."""
    entry = schema_for("text_loop")["properties"]["scorers"]["additionalProperties"]
    keys = set(entry["properties"])
    for branch in entry["allOf"]:
        if branch["if"]["properties"]["kind"].get("const") == kind:
            keys |= set(branch["then"].get("properties", {}))
    return sorted(keys)


def check_scorer_keys(config: dict) -> None:
    """A misspelt scorer key (modle:, batch_sise:) would silently fall back to its default: refuse it."""
    for name, spec in config["scorers"].items():
        allowed = scorer_keys(spec["kind"])
        extra = sorted(set(spec) - set(allowed))
        if extra:
            hints = [f"{key!r} (did you mean {close[0]!r}?)" for key in extra if (close := difflib.get_close_matches(key, allowed, n=1))]
            hint = f"; {', '.join(hints)}" if hints else ""
            raise ConfigError(
                f"config key 'scorers.{name}': unknown key(s) {extra}{hint}; allowed keys for kind {spec['kind']!r}: {allowed}"
            )


def check_remote_code(config: dict) -> None:
    """One flag, the top-level trust_remote_code, governs every loader: no scorer or engine option may switch it on alone."""
    engine = config["generate"].get("vllm_engine") or {}
    if "trust_remote_code" in engine:
        raise ConfigError(
            "config key 'generate.vllm_engine.trust_remote_code': not allowed here; the top-level trust_remote_code governs every loader"
        )
    entries = [(f"scorers.{n}", s) for n, s in config["scorers"].items()] + [
        (f"embedders.{n}", s) for n, s in config.get("embedders", {}).items()
    ]
    for key, spec in entries:
        if spec.get("trust_remote_code") and not config["trust_remote_code"]:
            raise ConfigError(
                f"config key '{key}.trust_remote_code': true needs the top-level trust_remote_code: true (one flag governs every loader)"
            )

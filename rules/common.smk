"""Config validation, the path scheme, input functions and targets.

Kept cheap on purpose: every SLURM job re-parses the workflow, so nothing here imports torch
or reads data; input functions are dictionary look-ups.
"""

import os
import re
import sys
from pathlib import Path

SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)
# Scripts (and conda environments on clusters) import the library from the checkout.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)


envvars:
    "PYTHONPATH",


from synthloop.core import config as cfg
from synthloop.core.config import draw_base_model
from synthloop.scorers.registry import ALL_DOMAINS, SCORERS

try:
    _validated = cfg.validate(config)
except cfg.ConfigError as error:
    raise WorkflowError(f"invalid config: {error}") from None
config.clear()
config.update(_validated)

STUDY = config["study"]
CHAINS = cfg.chains(config)
GENERATIONS = list(range(config["generations"]))
SCORER_NAMES = list(config["scorers"])
EMBEDDERS_USED = sorted({s["embedder"] for s in config["scorers"].values() if "embeddings" in SCORERS[s["kind"]].assets})

RESULTS = f"results/{STUDY}"
PATHS = {
    "pretrain_corpus": "results/{study}/data/pretrain.parquet",
    "finetune_docs": "results/{study}/data/{dataset}/finetune.parquet",
    "heldout_docs": "results/{study}/data/{dataset}/heldout.parquet",
    "base_model": "results/{study}/models/base",
    "lean_model": "results/{study}/models/{dataset}/lean_classifier.joblib",
    "quality_model": "results/{study}/models/{dataset}/quality_classifier.joblib",
    "cluster_docs": "results/{study}/clusters/{dataset}/{cluster}.parquet",
    "cluster_properties": "results/{study}/clusters/{dataset}/properties.parquet",
    "cluster_members": "results/{study}/clusters/{dataset}/members.parquet",
    "train": "results/{study}/chains/{chain}/g{gen}/train.parquet",
    "pool": "results/{study}/chains/{chain}/g{gen}/pool.parquet",
    "model": "results/{study}/chains/{chain}/g{gen}/model",
    "generated": "results/{study}/chains/{chain}/g{gen}/generated.parquet",
    "embeddings": "results/{study}/chains/{chain}/g{gen}/embeddings/{embedder}.npy",
    "score": "results/{study}/chains/{chain}/g{gen}/scores/{scorer}.parquet",
    "score_texts": "results/{study}/chains/{chain}/g{gen}/scores/{scorer}.texts.parquet",
    "neurons": "results/{study}/chains/{chain}/g{gen}/neurons.npz",
    "neuron_results": "results/{study}/neurons/per_neuron.parquet",
    "neuron_set_sizes": "results/{study}/neurons/set_sizes.csv",
    "neuron_overlap": "results/{study}/neurons/overlap.csv",
    "neuron_venn": "results/{study}/neurons/overlap.png",
    "neuron_correlations": "results/{study}/neurons/correlations.png",
    "theory_table": "results/{study}/theory/{toy}.csv",
    "theory_figure": "results/{study}/theory/{toy}.png",
    "metrics": "results/{study}/metrics.parquet",
    "manifest": "results/{study}/manifest.json",
    "archive": "archives/{study}.tar.gz",
    "archive_log": "archives/{study}.log",
    "regression": "results/{study}/regression/{table}.csv",
    "table1": "results/{study}/regression/table1.md",
    "coefficients": "results/{study}/regression/coefficients.png",
    "mixed_figure": "results/{study}/regression/mixed_coefficients.png",
    "mixed_components": "results/{study}/clusters/mixed/components.parquet",
    "figure": "results/{study}/figures/{scorer}.png",
    "table": "results/{study}/tables/{table}.csv",
    "lean_scores": "results/{study}/data/{dataset}/lean.{scorer}.parquet",
    "lean_table": "results/{study}/lean/{table}.csv",
    "lean_figure": "results/{study}/lean/{table}.png",
    "log": "results/{study}/logs/{rule}/{job}.log",
    "benchmark": "results/{study}/benchmarks/{rule}/{job}.tsv",
}

def path(name, **wildcards):
    return PATHS[name].format(study=STUDY, **wildcards)


def log(rule, job="all"):
    return path("log", rule=rule, job=job)


def bench(rule, job="all"):
    return path("benchmark", rule=rule, job=job)


wildcard_constraints:
    chain="[A-Za-z0-9_.-]+",
    gen=r"\d+",
    dataset="[A-Za-z0-9_.-]+",
    scorer="[A-Za-z0-9_-]+",
    embedder="[A-Za-z0-9_-]+",
    cluster=r"c\d+",


# -- resources per kind of job, overridable under resources.<kind> in the config -------------------------

RESOURCE_DEFAULTS = {  # CPU-sized for the embedded default; presets ask for GPUs (gpu: 1) and more memory
    "finetune": {"mem_mb": 4000, "runtime": 240},
    "generate": {"mem_mb": 4000, "runtime": 120},
    "score": {"mem_mb": 3000, "runtime": 60},
    "analysis": {"mem_mb": 2000, "runtime": 30},
}


def resources_for(kind):
    return {**RESOURCE_DEFAULTS[kind], **config.get("resources", {}).get(kind, {})}


# -- input functions ---------------------------------------------------------------------------


def dataset_loading_spec(name):
    """Only what loading and splitting read, so that editing e.g. a dataset's instruction re-runs no data job."""
    return {k: v for k, v in config["datasets"][name].items() if k != "instruction"}


def chain_of(wildcards):
    return CHAINS[wildcards.chain]


def base_model_source():
    return model_source(config["base_model"]["source"])


def base_model_inputs():
    """The scratch base model is a workflow product; hub ids and local paths are not tracked."""
    return [path("base_model")] if config["base_model"]["source"] == "scratch" else []


def model_source(name):
    """'scratch' is the workflow's own base model; anything else is a hub id or a local path."""
    return path("base_model") if name == "scratch" else name


def init_model(wildcards):
    """Generation g starts from g-1's model (study 1), the base model, or a fresh base drawn per generation (study 2)."""
    gen, init = int(wildcards.gen), config["chains"]["init"]
    if init == "draw":
        chain = chain_of(wildcards)
        return model_source(draw_base_model(config["chains"]["base_models"], wildcards.chain, gen, chain.seed))
    if gen == 0 or init == "base":
        return base_model_source()
    return path("model", chain=wildcards.chain, gen=gen - 1)


def finetune_inputs(wildcards):
    init = init_model(wildcards)
    return {"train": path("train", **wildcards), "init": [init] if init.startswith(RESULTS) else []}


def real_docs(chain):
    """The human documents a chain starts from: its cluster's, or its dataset's fine-tuning set."""
    if chain.cluster:
        return path("cluster_docs", dataset=chain.dataset, cluster=chain.cluster)
    return path("finetune_docs", dataset=chain.dataset)


def compose_inputs(wildcards):
    """g0 reads the real documents; g > 0 reads g-1's pool and what g-1 wrote."""
    chain, gen = chain_of(wildcards), int(wildcards.gen)
    real = real_docs(chain)
    if gen == 0:
        return {"real": real}
    previous = {"chain": wildcards.chain, "gen": gen - 1}
    return {"real": real, "previous_pool": path("pool", **previous), "previous_generated": path("generated", **previous)}


def generation_count(wildcards):
    """Instruction mode: the n*r texts the next pool needs, and at least eval_size for scoring."""
    chain = chain_of(wildcards)
    strategy = config["strategies"][chain.strategy]
    needed = round(strategy["pool"]["n"] * chain.ratio) if strategy["compose"] == "pool" else 0
    return max(needed, config["generate"]["eval_size"])


def scorer_assets(spec, dataset, embeddings=None):
    """Where each asset the scorer kind declares comes from: a workflow product, a path or a hub id.
    Trained scorer models are those of `dataset`'s root (a lean partition's source); `embeddings`
    maps an embedder name to the text set's vectors file."""
    dataset = cfg.root_dataset(config, dataset)
    sources = {
        "lean_model": lambda: path("lean_model", dataset=dataset),
        "quality_model": lambda: path("quality_model", dataset=dataset),
        "causal_lm": lambda: base_model_source() if spec.get("model", "base") == "base" else spec["model"],
        "embeddings": lambda: embeddings(spec["embedder"]),
    }
    return {asset: sources[asset]() for asset in SCORERS[spec["kind"]].assets}


def workflow_products(paths):
    """The asset paths the workflow makes (inputs to track); hub ids and outside paths are not."""
    return sorted({p for p in paths if p.startswith(RESULTS)})


def score_assets(wildcards, dataset=None):
    """Every scorer's assets for one text set; `dataset` is a mixed chain's domain, by default the chain's dataset."""
    chain = chain_of(wildcards)

    def embeddings(embedder):
        return path("embeddings", chain=wildcards.chain, gen=wildcards.gen, embedder=embedder)

    return {name: scorer_assets(spec, dataset or chain.dataset, embeddings) for name, spec in config["scorers"].items()}


def scored_domains(wildcards):
    """The assets per scored group: the whole set ('all'), or each domain of a mixed chain on its own."""
    chain = chain_of(wildcards)
    if not chain.domains:
        return {ALL_DOMAINS: score_assets(wildcards)}
    return {domain: score_assets(wildcards, domain) for domain in chain.domains}


def score_inputs(wildcards):
    """The texts and the trained scorer models; embeddings are made by the score job itself."""
    groups = scored_domains(wildcards).values()
    made = workflow_products(p for group in groups for assets in group.values() for name, p in assets.items() if name != "embeddings")
    return {"texts": path("generated", chain=wildcards.chain, gen=wildcards.gen), "assets": made}


# -- study-specific settings with their defaults ---------------------------------------------------

NEURON_DEFAULTS = {
    "enabled": True,
    "probe_size": 64,  # real fine-tuning documents, the same for every chain and generation of a dataset
    "probe_max_length": 256,
    "batch_size": 16,
    "maxlags": 1,  # published: statsmodels HAC with maxlags=1
    "alpha": 0.05,
    "metrics": [{"scorer": "lean", "metric": "share_right"}, {"scorer": "quality", "metric": "quality_index"}],
}
NEURONS = {**NEURON_DEFAULTS, **config.get("neurons", {})}

def neuron_versions():
    """Every model version in chain and generation order, with its values file; mixed chains have
    per-domain metrics and no single probe set, so the neuron analysis leaves them out."""
    return [{"chain": cid, "generation": g, "path": path("neurons", chain=cid, gen=g)} for cid, c in CHAINS.items() if not c.domains for g in GENERATIONS]


def neuron_metrics():
    """The configured metrics whose scorer this study runs."""
    return [m for m in NEURONS["metrics"] if m["scorer"] in SCORER_NAMES]


def neuron_targets():
    if not NEURONS["enabled"]:
        return []
    return [path(name) for name in ("neuron_results", "neuron_set_sizes", "neuron_overlap", "neuron_venn", "neuron_correlations")]


THEORY = config.get("theory", {})
THEORY_TOYS = THEORY.get("toys", ["weighted_mle", "histogram_prior", "gaussian_collapse"])


def theory_targets():
    return [path(name, toy=toy) for toy in THEORY_TOYS for name in ("theory_table", "theory_figure")]


REGRESSION_DEFAULTS = {
    "last_k": 5,  # published: generations 15-19 of 20 against generation 0
    "responses": [],  # [{scorer, metric}]; default: every metric of the configured scorers
    "predictors": None,  # cluster properties; default: all of synthloop.studies.clusters.PROPERTIES
}
REGRESSION = {**REGRESSION_DEFAULTS, **config.get("regression", {})}


def regression_targets():
    """Single-domain cluster chains: Table 1 and its plot; mixed chains: each domain's shift on every domain's properties."""
    single = bool(config["chains"].get("clusters") and cfg.chain_datasets(config))
    mixed = bool(cfg.mixed_ids(config))
    return [path("regression", table="coefficients"), path("table1"), path("coefficients")] * single + [
        path("regression", table="mixed_coefficients"), path("mixed_figure")] * mixed


def domain_instructions(wildcards):
    """A mixed chain's instruction per domain (each text is trained and generated after its own); None otherwise."""
    chain = chain_of(wildcards)
    return {d: config["datasets"][d]["instruction"] for d in chain.domains} or None


def dataset_instruction(wildcards):
    """A one-dataset chain's instruction; None for mixed chains (domain_instructions)."""
    chain = chain_of(wildcards)
    return None if chain.domains else config["datasets"][chain.dataset]["instruction"]


# Political lean partitions (rules/lean.smk): datasets with source lean_partition that chains use.
LEAN_PARTITIONS = [d for d in cfg.chain_datasets(config) if d in cfg.partition_datasets(config)]
PARTITION_PATTERN = "|".join(map(re.escape, cfg.partition_datasets(config))) or "(?!)"  # (?!): matches nothing


def lean_scorer_assets(wildcards):
    """The lean scorer's assets for scoring a source dataset (its own lean classifier, if the kind needs one)."""
    return scorer_assets(config["scorers"][wildcards.scorer], wildcards.dataset)


def lean_scores_inputs(wildcards):
    return {"docs": path("finetune_docs", dataset=wildcards.dataset), "assets": workflow_products(lean_scorer_assets(wildcards).values())}


def lean_partition_input(wildcards):
    spec = config["datasets"][wildcards.dataset]
    return path("lean_scores", dataset=spec["from"], scorer=spec["lean_scorer"])


def lean_entries():
    """Per chain on a partition: its keys, its scorer's kind and its per-text scores, generation by generation."""
    entries = []
    for cid, c in CHAINS.items():
        if c.dataset in LEAN_PARTITIONS:
            spec = config["datasets"][c.dataset]
            entries.append({"chain": cid, "dataset": c.dataset, "cluster": c.cluster, "strategy": c.strategy, "ratio": c.ratio, "seed": c.seed,
                            "left_share": spec["left_share"], "kind": config["scorers"][spec["lean_scorer"]]["kind"],
                            "texts": [path("score_texts", chain=cid, gen=g, scorer=spec["lean_scorer"]) for g in GENERATIONS]})
    return entries


def lean_targets():
    if not LEAN_PARTITIONS:
        return []
    return [path(kind, table=table) for kind in ("lean_table", "lean_figure") for table in ("final_vs_initial", "buckets")]


# -- targets -----------------------------------------------------------------------------------


def score_entries():
    """Every (chain, generation, scorer) with its keys for the metrics table."""
    return [
        {"chain": cid, "dataset": c.dataset, "cluster": c.cluster, "strategy": c.strategy, "ratio": c.ratio, "seed": c.seed,
         "generation": g, "scorer": s, "path": path("score", chain=cid, gen=g, scorer=s)}
        for cid, c in CHAINS.items()
        for g in GENERATIONS
        for s in SCORER_NAMES
    ]


def classifier_tables():
    datasets = sorted({cfg.root_dataset(config, d) for c in CHAINS.values() for d in c.datasets})
    kinds = {config["scorers"][s]["kind"] for s in SCORER_NAMES}
    wanted = [k for k in ("lean_classifier", "quality_classifier") if k in kinds]
    return [path("table", table=f"{kind}_{d}") for kind in wanted for d in datasets]


def generated_texts():
    """Every generation's texts are targets: a deleted one is made again and its newer
    mtime re-runs exactly what depends on it (models stay intermediate and may be temporary)."""
    return [path("generated", chain=cid, gen=g) for cid in CHAINS for g in GENERATIONS]


def all_targets():
    return [
        path("metrics"),
        *generated_texts(),
        *[path("figure", scorer=s) for s in SCORER_NAMES],
        *classifier_tables(),
        *neuron_targets(),
        *theory_targets(),
        *regression_targets(),
        *lean_targets(),
    ]

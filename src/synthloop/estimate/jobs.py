"""How many jobs of each rule a study has, from the kind's own plan, without building Snakemake's DAG.

The per-chain jobs (millions in the full study 2) are counted from the plan's chains and generations; the
study-wide ones (data, scorer models, clusters, tables) from the products the plan's input functions name.
The counts are those of a dry run in a fresh directory (nothing made yet); tests/test_estimate.py checks them
against Snakemake's on the miniatures and on a slice of every full design. The plans need a path helper: this
one writes `<results>/@<name>?<wildcards>`, so a product can be read back as (name, wildcards).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from synthloop.studies import claims_module

WORKFLOW_RULES = {"manifest": 1, "all": 1}  # rules/provenance.smk and the Snakefile: every study has them


def path_helper(results: str) -> Callable[..., str]:
    def path(name: str, **wildcards) -> str:
        return f"{results}/@{name}?{urlencode(sorted(wildcards.items()))}"

    return path


def product(path: str) -> tuple[str, dict] | None:
    """(name, wildcards) of a path made by `path_helper`; None for anything else (a hub id, a local file)."""
    if "/@" not in path:
        return None
    name, _, query = path.split("/@", 1)[1].partition("?")
    return name, dict(parse_qsl(query))


def results_of(config: dict) -> str:
    return f"results/{config['study']}"


def counts(config: dict) -> dict[str, int]:
    """Jobs per rule for a validated config of any kind (zero-count rules left out)."""
    counters = {"text_loop": text_loop, "inheritance": inheritance, "image_loop": image_loop}
    found = counters[config["kind"]](config)
    found["claims"] = int(bool(config["claims"]) and claims_module(config["kind"]) is not None)  # rules/claims.smk, any kind
    return {rule: n for rule, n in {**found, **WORKFLOW_RULES}.items() if n}


# -- text_loop ------------------------------------------------------------------------------------------
def text_loop(config: dict) -> dict[str, int]:
    from synthloop.studies.text_loop.chains import chain_datasets, cluster_ids, mixed_domains, mixed_ids, root_dataset
    from synthloop.studies.text_loop.plan import Plan

    results = results_of(config)
    plan = Plan(config, path_helper(results), results)
    sliced = bool(config.get("slice"))
    owned = sum(plan.owns(cid, g) for cid in plan.chains for g in plan.generations)
    jobs = Counter({rule: owned for rule in ("compose_training_set", "finetune", "generate", "score")})
    jobs["chain_metrics"] = len(plan.chains)
    # A selecting chain's step runs before each generation after the first that the chain composes itself.
    jobs["select_synthetic"] = sum(plan.owns(cid, g) for cid in plan.chains if plan.selection(cid) for g in plan.generations[1:])
    base = plan.base_datasets()
    jobs["generate_base"] = jobs["score_base"] = len(base)

    # What the chain-level and study-wide jobs read, as paths: every chain of one set of datasets reads the same
    # scorer models, so one chain stands for them all.
    reads: set[str] = set()
    standing = {c.datasets + (c.cluster is None,): cid for cid, c in plan.chains.items()}
    for cid in standing.values():
        reads.update(plan.score_inputs(cid, 0)["assets"])
        reads.update(plan.products([plan.real_docs(cid)]))
    for cid in {c.datasets + (c.strategy,): cid for cid, c in plan.chains.items() if plan.selection(cid)}.values():
        reads.update(plan.select_inputs(cid, 1)["assets"])
    for dataset in base:
        reads.update(plan.base_score_inputs(dataset)["assets"])
        reads.update(plan.base_generate_inputs(dataset)["model"])
    reads.update(init_models(plan))
    jobs["lean_control"] = int(bool(plan.lean_control_scorers()))  # the positive controls are targets of a slice too
    jobs["cluster_control"] = int(bool(config["regression"].get("control")))
    reads.update(plan.lean_control_tables())

    clustered = {c.dataset for c in plan.chains.values() if c.cluster and not c.domains}
    clustered |= {d for c in plan.chains.values() if c.domains for d in c.domains}
    if not sliced:
        jobs["metrics"] = 1
        jobs["figure"] = len(plan.scorers)
        jobs["theory"] = len(config["theory"]["toys"])
        single, mixed = plan.regressions()
        jobs["regress"], jobs["regress_mixed"] = int(single), int(mixed)
        clustered |= {*(chain_datasets(config) if single else ()), *(mixed_domains(config) if mixed else ())}  # the regressions' properties
        reads.update(plan.classifier_tables())
        if plan.config["neurons"]["enabled"]:
            versions = plan.neuron_versions()
            jobs["neuron_analysis"] = 1
            jobs["neuron_values"] = len({v["chain"] for v in versions})
            reads.update(plan.neuron_probes(cid)[0] for cid in {v["chain"] for v in versions})
        if plan.selects():  # every chain's realised mix, and each selecting strategy against its unselected one
            jobs["chain_mix"] = len(plan.chains)
            jobs["selection_effect"] = int(bool(plan.selection_baselines()))
        if plan.partitions:
            jobs["lean_analysis"] = 1
            reads.update(plan.path("finetune_docs", dataset=d) for d in plan.partitions)
    jobs["mixed_clusters"] = int(any(c.domains for c in plan.chains.values()) and bool(mixed_ids(config)))
    jobs["clusters"] = len(clustered) if cluster_ids(config) != [None] else 0
    for dataset in clustered if jobs["clusters"] else ():
        reads.add(plan.path("finetune_docs", dataset=dataset))
        reads.update(plan.cluster_quality_inputs(dataset))

    made = [p for p in (product(r) for r in reads) if p]
    trainers = {
        "lean_model": "train_lean_classifier",
        "lean_embedding_model": "train_lean_embedding",
        "quality_model": "train_quality_classifier",
        "detector_model": "train_detector",
    }
    # (model, dataset, embedder): a lean_embedding model is one per embedder; its table is read only beside the model
    models = {(name, w["dataset"], w.get("embedder")) for name, w in made if name in trainers}
    for name, w in made:  # the classifier tables (lean_classifier_<dataset>) come with their models
        kind, _, dataset = w.get("table", "").partition("_classifier_")
        if name == "table" and f"{kind}_model" in trainers:
            models.add((f"{kind}_model", dataset, None))
    for model, rule in trainers.items():
        jobs[rule] = len({(d, e) for kind, d, e in models if kind == model})

    finetune_docs = {w["dataset"] for name, w in made if name == "finetune_docs"}
    partitions = finetune_docs & set(plan.partitions)
    jobs["lean_partition"] = len(partitions)
    lean_scores = {(root_dataset(config, d), config["datasets"][d]["lean_scorer"]) for d in partitions}
    jobs["lean_scores"] = len(lean_scores)
    for source, scorer in lean_scores:
        finetune_docs.add(source)
        reads.update(plan.products(plan.scorer_assets(config["scorers"][scorer], source).values()))
    subsets = finetune_docs & set(plan.subsets)
    jobs["label_subset"] = len(subsets)
    heldout = {d for _, d, _ in models}
    jobs["prepare_dataset"] = len((finetune_docs - partitions - subsets) | heldout)

    if uses_base_model(plan, reads):
        if config["base_model"].get("gguf_file"):
            jobs["convert_base_model"] = 1
        else:
            jobs["train_base_model"] = jobs["pretraining_corpus"] = 1
    return dict(jobs)


def init_models(plan) -> set[str]:
    """The models the fine-tunes start from that are not a chain's own: the base model, or each drawn base.
    A draw is evaluated only when a candidate is the workflow's own base model (else they are all hub ids)."""
    init = plan.config["chains"]["init"]
    if init != "draw":
        return {plan.base_source()}
    candidates = {plan.model_source(c) for c in plan.config["chains"]["base_models"]}
    own = {c for c in candidates if c.startswith(plan.results)}
    if not own:
        return candidates
    for cid in plan.chains:
        for g in plan.generations:
            if plan.init_model(cid, g) in own:
                return candidates
    return candidates - own


def uses_base_model(plan, reads: set[str]) -> bool:
    """Whether a job reads the study's own base model (trained from scratch, or converted from GGUF)."""
    own = plan.path("base_model")
    source = plan.base_source()
    return own in reads or (source.startswith(plan.results) and source in reads)


# -- inheritance ----------------------------------------------------------------------------------------
def inheritance(config: dict) -> dict[str, int]:
    from synthloop.studies.inheritance.plan import Plan

    results = results_of(config)
    plan = Plan(config, path_helper(results), results)
    runs = len(plan.arms) * len(plan.seeds)
    biases = {arm.bias for arm in plan.arms.values()}
    figures = Counter(
        next((k for k in ("by_ratio", "by_type_average") if name.endswith(f"_{k}")), "scaling" if name.startswith("scaling_") else name)
        for name in plan.figures()
    )
    return {
        "convert_model": int(plan.converts_model()),
        "gender_real": int("gender" in biases),
        "culture_real": int("culture" in biases),
        "augment": len(plan.augment_sets()) * len(plan.seeds),
        "compose": runs,
        "finetune": runs,
        "evaluate": runs,
        "metrics": 1,
        "figure_by_ratio": figures["by_ratio"],
        "figure_by_type_average": figures["by_type_average"],
        "figure_scaling": figures["scaling"],
        "scaling_real": int(plan.scaling_data()),
        "value_alignment": int(bool(plan.value_sets())),
        "figure_rounds": figures["rounds"],
        "figure_mitigations": figures["mitigations"],
        "unbiased_gender_shares": int(bool(plan.unbiased_sets())),
        "embeddings": sum(bool(plan.embedding_inputs(b)["augmentation"]) for b in config["biases"]),
        "control_table": int(plan.is_control()),
    }


# -- image_loop -----------------------------------------------------------------------------------------
def image_loop(config: dict) -> dict[str, int]:
    from synthloop.studies.image_loop.plan import Plan

    plan = Plan(config, path_helper(results_of(config)))
    synthesize = [(c, g) for c in plan.chains for g in plan.generations if g > 0]
    # One real data set (and FID feature net) per distinct one the jobs read: the study's, or one per bias arm.
    data_sets = {plan.classify_inputs(c, g)["test"] for c, g in plan.runs()}
    feature_nets = {plan.synthesize_inputs(c, 1).get("feature_net") for c in plan.chains} - {None} if len(plan.generations) > 1 else set()
    return {
        "prepare_images": len(data_sets),
        "train_feature_net": len(feature_nets),
        "synthesize": len(synthesize),
        "classify": len(plan.runs()),
        "image_metrics": 1,
        "image_figures": 1,
        **({"image_conjecture": 1} if plan.conjecture_enabled() else {}),
        "control_table": int(plan.is_control() and bool(plan.control_runs())),
    }

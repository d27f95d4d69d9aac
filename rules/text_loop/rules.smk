# Studies 1 and 2 (kind: text_loop): chains of generations of a language model.
# One chain = (dataset or cluster, strategy, ratio, seed); generation g reads g-1's files.
import re

from synthloop.core.seeds import stable_seed
from synthloop.studies.text_loop.chains import MIXED, chain_datasets, cluster_ids, mixed_components, mixed_domains, mixed_ids
from synthloop.studies.text_loop.plan import Plan

PLAN = Plan(config, path, RESULTS)
GENERATIONS = PLAN.generations


# Jobs of seconds run in the main Snakemake process (see rules/common.smk); data preparation also
# needs the hub, which login nodes reach.
localrules:
    compose_training_set,
    chain_metrics,
    metrics,
    figure,
    theory,
    pretraining_corpus,
    prepare_dataset,
    lean_partition,
    label_subset,
    lean_analysis,
    regress,
    regress_mixed,
    mixed_clusters,
    neuron_analysis,
    lean_control,
    cluster_control,


wildcard_constraints:
    dataset="[A-Za-z0-9_.-]+",
    chain="[A-Za-z0-9_.-]+",
    scorer="[A-Za-z0-9_-]+",


include: "data.smk"
include: "models.smk"
include: "chain.smk"
include: "score.smk"
include: "base.smk"
include: "analysis.smk"
include: "neurons.smk"
include: "theory.smk"
include: "clusters.smk"
include: "lean.smk"
include: "controls.smk"


TARGETS.extend(PLAN.targets())

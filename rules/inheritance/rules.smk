# Study 3 (kind: inheritance): bias inheritance in LLM data augmentation (Li et al.).
# One arm = (bias, bias type, ratio, mitigation, round) x seed: compose -> fine-tune -> evaluate.
# Which arms exist and what each reads: synthloop.studies.inheritance.plan.
from synthloop.studies.inheritance.plan import Plan

register_paths(
    base_model="results/{study}/models/base",
    real="results/{study}/data/{bias}/real.parquet",
    test="results/{study}/data/{bias}/test.parquet",
    augmentation="results/{study}/augment/{key}/s{seed}.parquet",
    train="results/{study}/arms/{arm}/s{seed}/train.parquet",
    model="results/{study}/arms/{arm}/s{seed}/model",
    evaluation="results/{study}/arms/{arm}/s{seed}/evaluation.parquet",
    replies="results/{study}/arms/{arm}/s{seed}/replies.parquet",
    metrics="results/{study}/metrics.parquet",
    embeddings="results/{study}/analysis/embeddings_{bias}.parquet",
    figure="results/{study}/figures/{figure}.png",
)

PLAN = Plan(config, path, RESULTS)


wildcard_constraints:
    bias="gender|culture",
    arm="[A-Za-z0-9_.-]+",
    key="[A-Za-z0-9_.-]+",
    seed=r"\d+",
    figure="[A-Za-z0-9_.-]+",


localrules:
    compose,
    metrics,
    figure_by_ratio,
    figure_rounds,
    figure_mitigations,
    unbiased_gender_shares,


include: "data.smk"
include: "arms.smk"
include: "analysis.smk"


TARGETS.extend(PLAN.targets())

# Study 3 (kind: inheritance): bias inheritance in LLM data augmentation (Li et al.).
# One arm = (bias, bias type, ratio, mitigation, round) x seed: compose -> fine-tune -> evaluate.
# Which arms exist and what each reads: synthloop.studies.inheritance.plan.
from synthloop.studies.inheritance.plan import Plan

PLAN = Plan(config, path, RESULTS)


wildcard_constraints:
    bias="gender|culture",
    arm="[A-Za-z0-9_.-]+",
    key="[A-Za-z0-9_.-]+",
    seed=r"\d+",
    figure="[A-Za-z0-9_.-]+",
    generator="[A-Za-z0-9]+",


localrules:
    compose,
    metrics,
    figure_by_ratio,
    figure_by_type_average,
    figure_rounds,
    figure_mitigations,
    figure_scaling,
    unbiased_gender_shares,
    value_alignment,
    control_table,


include: "data.smk"
include: "arms.smk"
include: "analysis.smk"
include: "controls.smk"


TARGETS.extend(PLAN.targets())

# Study 4 (kind: image_loop): self-consuming loops for image classifiers (Zhang et al.).
# One chain = (arm, generator, ratio, seed); generation g reads g-1's training set. Which jobs exist and
# what each reads: synthloop.studies.image_loop.plan.
from synthloop.studies.image_loop.plan import Plan, fid_features

PLAN = Plan(config, path)


wildcard_constraints:
    chain="[A-Za-z0-9_.-]+",
    bias="biased|unbiased",


# Jobs of seconds (data preparation needs the hub, which login nodes reach) run in the main Snakemake process.
localrules:
    prepare_images,
    image_metrics,
    image_figures,
    image_conjecture,
    control_table,


include: "data.smk"
include: "loop.smk"
include: "analysis.smk"
include: "controls.smk"


TARGETS.extend(PLAN.targets())

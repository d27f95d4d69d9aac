# synthloop: studies of models trained on what models wrote.
# Run with `make run` (local) or `snakemake --profile profiles/slurm` (cluster); see README.md.
from snakemake.utils import min_version

min_version("9.0")


# The embedded default, unless a preset or study config is given with --configfile:
# a preset replaces the default instead of being merged into it.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"



include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/models.smk"
include: "rules/chain.smk"
include: "rules/score.smk"
include: "rules/analysis.smk"
include: "rules/neurons.smk"
include: "rules/theory.smk"
include: "rules/clusters.smk"
include: "rules/lean.smk"
include: "rules/provenance.smk"


rule all:
    input:
        all_targets(),
        path("manifest"),
    default_target: True

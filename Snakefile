# synthloop: studies of models trained on what models wrote.
# Run with `make run` (local) or `snakemake --profile profiles/slurm` (cluster); see README.md.
from snakemake.utils import min_version

min_version("9.0")


report: "report/workflow.rst"


# The embedded default, unless a preset or study config is given with --configfile:
# a preset replaces the default instead of being merged into it.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


include: "rules/common.smk"
include: f"rules/{KIND}/rules.smk"
include: "rules/claims.smk"
include: "rules/provenance.smk"


rule all:
    default_target: True
    input:
        TARGETS,
        path("manifest"),

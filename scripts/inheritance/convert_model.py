from synthloop.core.jobs import start

log = start(snakemake)
from synthloop.studies.inheritance.pipeline import convert_model

convert_model(snakemake.params.model, snakemake.output[0])
log.info("converted %s to %s", snakemake.params.model, snakemake.output[0])

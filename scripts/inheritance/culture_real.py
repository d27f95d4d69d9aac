from synthloop.core.jobs import start

log = start(snakemake)
from synthloop.studies.inheritance.culture import load_opinions

real = load_opinions(snakemake.params.data)
real.to_parquet(snakemake.output.real)
log.info("%d real survey answers: %s", len(real), real["culture"].value_counts().to_dict())

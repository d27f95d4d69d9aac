from synthloop.core.jobs import start

log = start(snakemake)
from synthloop.studies.inheritance.realset import gender_real

p = snakemake.params
real, test = gender_real(p.data, p.slots, p.evaluation, p.seed)
real.to_parquet(snakemake.output.real)
test.to_parquet(snakemake.output.test)
log.info("%d real biographies, %d test biographies (%s)", len(real), len(test), p.data["source"])

from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.control import run_table

p = snakemake.params
table = run_table([(keys, pd.read_parquet(train)) for keys, train in zip(p.sets, snakemake.input)], p.template)
log.info("control:\n%s", table.to_string())
table.to_csv(snakemake.output[0], index=False)

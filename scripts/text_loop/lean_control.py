from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.text_loop.controls import classifier_rates, lean_control_table

p = snakemake.params
rates = {s: classifier_rates(pd.read_csv(t)) for s, t in zip(p.scorers, snakemake.input.tables)}
table = lean_control_table(pd.read_parquet(snakemake.input.metrics), p.control, p.generations, rates)
log.info("lean control:\n%s", table.to_string())
table.to_csv(snakemake.output[0], index=False)

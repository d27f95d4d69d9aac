from synthloop.core.jobs import start

start(snakemake)
import pandas as pd

from synthloop.analysis.metrics import metrics_table

table = metrics_table([(keys, pd.read_parquet(path)) for keys, path in zip(snakemake.params.entries, snakemake.input)])
table.to_parquet(snakemake.output[0])

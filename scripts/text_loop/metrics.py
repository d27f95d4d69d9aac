from synthloop.core.jobs import start

start(snakemake)
import pandas as pd

from synthloop.analysis.metrics import metrics_table

entries = snakemake.params.entries
table = metrics_table([({k: v for k, v in e.items() if k != "path"}, pd.read_parquet(e["path"])) for e in entries])
table.to_parquet(snakemake.output.table)
table.to_csv(snakemake.output.csv, index=False)

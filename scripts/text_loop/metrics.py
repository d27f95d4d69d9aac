from synthloop.core.jobs import start

start(snakemake)
import pandas as pd

# The chains' own tables (rule chain_metrics), in metrics_table's order.
table = pd.concat([pd.read_parquet(path) for path in snakemake.input], ignore_index=True)
table = table.sort_values(["chain", "generation", "scorer", "metric"], kind="stable").reset_index(drop=True)
table.to_parquet(snakemake.output.table)
table.to_csv(snakemake.output.csv, index=False)

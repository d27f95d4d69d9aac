from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.analysis import collect

metrics = collect([pd.read_parquet(path) for path in snakemake.input], snakemake.params.rows)
metrics.to_parquet(snakemake.output[0])
log.info("%d metric rows from %d evaluations", len(metrics), len(snakemake.input))

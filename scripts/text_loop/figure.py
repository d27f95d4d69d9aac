from synthloop.core.jobs import start

start(snakemake)
import pandas as pd

from synthloop.analysis.metrics import plot_scorer

plot_scorer(pd.read_parquet(snakemake.input[0]), snakemake.wildcards.scorer, snakemake.output[0])

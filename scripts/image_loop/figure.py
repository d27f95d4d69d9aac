from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.image_loop.report import plot_all

plot_all(
    snakemake.params.figures, pd.read_parquet(snakemake.input.metrics), pd.read_parquet(snakemake.input.fid), dict(snakemake.output.items())
)

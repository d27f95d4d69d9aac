from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.image_loop.report import plot

plot(snakemake.params.figure, pd.read_parquet(snakemake.input.metrics), pd.read_parquet(snakemake.input.fid), snakemake.output[0])

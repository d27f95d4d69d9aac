from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.analysis import figure

figure(snakemake.params.name, pd.read_parquet(snakemake.input[0]), snakemake.output[0])

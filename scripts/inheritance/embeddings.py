from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.analysis import plot_embeddings
from synthloop.studies.inheritance.embedding import project

p = snakemake.params
points = project(p.model, pd.read_parquet(snakemake.input.real), [pd.read_parquet(f) for f in snakemake.input.augmentation], p.embeddings, p.seed)
points.to_parquet(snakemake.output.points)
plot_embeddings(points, snakemake.output.figure)

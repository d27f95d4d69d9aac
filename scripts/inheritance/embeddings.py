from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.embedding import write_projection

p = snakemake.params
points = write_projection(
    p.model,
    pd.read_parquet(snakemake.input.real),
    [pd.read_parquet(f) for f in snakemake.input.augmentation],
    p.embeddings,
    p.seed,
    snakemake.output.points,
    snakemake.output.figure,
)
log.info("%d texts projected", len(points))

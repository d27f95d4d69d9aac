from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.pipeline import augment

p = snakemake.params
real = pd.read_parquet(snakemake.input.real) if "real" in snakemake.input.keys() else None
frame = augment(p.source, p.entry, p.slots, p.augment, p.backend, p.seed, real)
frame.to_parquet(snakemake.output[0])
log.info("%d augmented texts of %s by %s (%s); first: %r", len(frame), p.entry, p.source, p.backend, frame["text"].head(2).tolist())

from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.mix import compose

p = snakemake.params
augmentation = pd.read_parquet(snakemake.input.augmentation) if "augmentation" in snakemake.input.keys() else None
table = compose(p.arm, pd.read_parquet(snakemake.input.real), augmentation, p.total, p.slots, p.seed)
table.to_parquet(snakemake.output[0])
log.info("%s: %d examples, %d augmented", p.arm, len(table), int(table["augmented"].sum()))

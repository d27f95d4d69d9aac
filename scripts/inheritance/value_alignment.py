from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.values import write_value_alignment

sets = [pd.read_parquet(f) for f in snakemake.input.augmentation]
table = write_value_alignment(
    sets, snakemake.params.sets, pd.read_parquet(snakemake.input.real), snakemake.output.table, snakemake.output.figure
)
log.info("value alignment of %d sets over %d cultures", len(sets), table["culture"].nunique())

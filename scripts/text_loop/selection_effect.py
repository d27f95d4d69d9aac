from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.text_loop.selection import effect

table = effect(pd.read_parquet(snakemake.input[0]), snakemake.params.pairs)
log.info("selection against the unselected chains: %d rows", len(table))
table.to_csv(snakemake.output[0], index=False)

from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.text_loop.selection import select_generated

p = snakemake.params
table = select_generated(pd.read_parquet(snakemake.input.generated), p.step, p.scorer["spec"], p.scorer["assets"], p.keep_count, p.seed)
log.info("selection %s: %d of %d texts kept, %d copies", p.step["mode"], int(table["kept"].sum()), len(table), int(table["copies"].sum()))
table.to_parquet(snakemake.output[0])

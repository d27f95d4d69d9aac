from synthloop.core.jobs import start

log = start(snakemake)
import importlib

import pandas as pd

table = importlib.import_module(snakemake.params.module).claims(pd.read_parquet(snakemake.input[0]))
log.info("claims:\n%s", table.to_string())
table.to_csv(snakemake.output[0], index=False)

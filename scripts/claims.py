from synthloop.core.jobs import start

log = start(snakemake)
import importlib
from pathlib import Path

import pandas as pd

claims = importlib.import_module(snakemake.params.module)
if hasattr(claims, "claims_of_results"):  # findings that read more than the metrics (study 2: the clusters' properties)
    table = claims.claims_of_results(Path(snakemake.input[0]).parent, snakemake.config)
else:
    table = claims.claims(pd.read_parquet(snakemake.input[0]))
log.info("claims:\n%s", table.to_string())
table.to_csv(snakemake.output[0], index=False)

from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.analysis import write_unbiased_shares

shares = write_unbiased_shares([pd.read_parquet(path) for path in snakemake.input], snakemake.output.table, snakemake.output.figure)
log.info("\n%s", shares.to_string())

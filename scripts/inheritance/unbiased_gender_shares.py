from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.analysis import plot_unbiased_shares, unbiased_gender_shares

shares = unbiased_gender_shares([pd.read_parquet(path) for path in snakemake.input])
shares.to_csv(snakemake.output.table, index=False)
plot_unbiased_shares(shares, snakemake.output.figure)
log.info("\n%s", shares.to_string())

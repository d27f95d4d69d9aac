from synthloop.jobs import start

start(snakemake)
from synthloop.data import sotu_addresses

sotu_addresses()[["year", "president", "party", "text"]].to_parquet(snakemake.output[0])

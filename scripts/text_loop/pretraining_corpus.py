from synthloop.core.jobs import start

start(snakemake)
from synthloop.data.documents import sotu_addresses

addresses = sotu_addresses()
addresses[addresses["year"].between(*snakemake.params.years)][["year", "president", "party", "text"]].to_parquet(snakemake.output[0])

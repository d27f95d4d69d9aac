from synthloop.core.jobs import start

log = start(snakemake)
import json

from synthloop.studies.text_loop.selection import chain_mix

rows = []
for path in snakemake.input.rows:
    with open(path) as row:
        rows.append(json.load(row))
table = chain_mix(snakemake.params.chain_keys, rows)
log.info("realised mix:\n%s", table.to_string())
table.to_parquet(snakemake.output[0])

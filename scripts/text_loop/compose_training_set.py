from synthloop.core.jobs import start

log = start(snakemake)
import json

import pandas as pd

from synthloop.studies.text_loop.selection import compose

p, inputs = snakemake.params, snakemake.input
previous = [
    pd.read_parquet(inputs[name]) if name in inputs.keys() else None for name in ("previous_pool", "previous_generated", "selection")
]
train, pool, mix = compose(
    p.strategy, p.gen, pd.read_parquet(inputs.real), *previous, p.ratio, p.seed, p.real_seed, snakemake.wildcards.chain
)
log.info("training set: %d texts, %s; pool: %d texts; mix: %s", len(train), train["origin"].value_counts().to_dict(), len(pool), mix)
train.to_parquet(snakemake.output.train)
pool.to_parquet(snakemake.output.pool)
with open(snakemake.output.mix, "w") as out:  # NaN stays NaN: the chain's table reads it back as pandas wrote it
    json.dump(mix, out)

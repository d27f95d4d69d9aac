from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.loop.strategies import generation_training_set

p, inputs = snakemake.params, snakemake.input
previous = [pd.read_parquet(inputs[name]) if name in inputs.keys() else None for name in ("previous_pool", "previous_generated")]
train, pool = generation_training_set(p.strategy, p.gen, pd.read_parquet(inputs.real), *previous, p.ratio, p.seed, p.real_seed)
log.info("training set: %d texts, %s; pool: %d texts", len(train), train["origin"].value_counts().to_dict(), len(pool))
train.to_parquet(snakemake.output.train)
pool.to_parquet(snakemake.output.pool)

from synthloop.core.jobs import start

log = start(snakemake)
import numpy as np
import pandas as pd

from synthloop.loop import pool as pools
from synthloop.loop.compose import compose, real_set

strategy, gen, rng = snakemake.params.strategy, snakemake.params.gen, np.random.default_rng(snakemake.params.seed)
documents = pd.read_parquet(snakemake.input.real)
if strategy["compose"] == "pool":  # study 2: an accumulated pool of human and generated texts
    spec, seed = strategy["pool"], snakemake.params.human_seed
    if gen == 0:
        train, pool = pools.pool_generation0(documents, spec["n0"], seed), pools.empty_pool()  # g0's texts never enter the pool
    else:
        n_synthetic, n_fresh = pools.generation_counts(spec["n"], snakemake.params.ratio)
        generated = pools.first_generated(pd.read_parquet(snakemake.input.previous_generated), n_synthetic)
        fresh = pools.fresh_human_texts(documents, gen - 1, spec["n0"], n_fresh, seed)
        pool = pools.next_pool(pd.read_parquet(snakemake.input.previous_pool), generated, fresh, spec["mode"])
        train = pools.training_set(pool, spec["mode"], spec["n"], rng)
else:  # study 1: each generation's set from the previous one's output, by strategy
    real = real_set(documents, snakemake.params.generation0_labels)
    if gen == 0:
        train = pool = real
    else:
        previous = pd.read_parquet(snakemake.input.previous_pool), pd.read_parquet(snakemake.input.previous_generated)
        train = pool = compose(strategy["compose"], real, *previous, rng, strategy.get("real_fraction", 0.1))
log.info("training set: %d texts, %s; pool: %d texts", len(train), train["origin"].value_counts().to_dict(), len(pool))
train.to_parquet(snakemake.output.train)
pool.to_parquet(snakemake.output.pool)

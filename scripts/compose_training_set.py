from synthloop.jobs import start

log = start(snakemake)
import numpy as np
import pandas as pd

from synthloop.compose import compose, real_set

strategy = snakemake.params.strategy
real = real_set(pd.read_parquet(snakemake.input.real), snakemake.params.generation0_labels)
if snakemake.params.gen == 0:
    train = real
else:
    train = compose(
        strategy["compose"], real, pd.read_parquet(snakemake.input.previous_train), pd.read_parquet(snakemake.input.previous_generated),
        np.random.default_rng(snakemake.params.seed), strategy.get("real_fraction", 0.1),
    )
log.info("training set: %d texts, %s", len(train), train["origin"].value_counts().to_dict())
train.to_parquet(snakemake.output[0])

from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.text_loop.selection import chain_mix

p, i = snakemake.params, snakemake.input
selections = dict(zip(p.selected, map(pd.read_parquet, i.selection)))
generations = [{"generation": g, "train": pd.read_parquet(t), "pool": pd.read_parquet(q), "selection": selections.get(g)}
               for g, t, q in zip(p.generations, i.train, i.pool)]
table = chain_mix(p.chain_keys, p.strategy, p.ratio, generations)
log.info("realised mix:\n%s", table.to_string())
table.to_parquet(snakemake.output[0])

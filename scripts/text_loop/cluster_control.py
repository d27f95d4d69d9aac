from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.text_loop.controls import cluster_control

p = snakemake.params
properties = pd.concat([pd.read_parquet(path).assign(dataset=d) for d, path in zip(p.datasets, snakemake.input.properties)])
table = cluster_control(properties, p.regression, p.ratios, p.seeds, p.generations)
log.info("cluster control:\n%s", table.to_string())
table.to_csv(snakemake.output[0], index=False)

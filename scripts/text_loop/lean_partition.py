from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.text_loop.lean import draw_partition

partition = draw_partition(pd.read_parquet(snakemake.input[0]), snakemake.wildcards.dataset, snakemake.params.spec, snakemake.params.seed)
log.info("%d texts: %s; mean lean %.1f", len(partition), partition["side"].value_counts().to_dict(), partition["lean"].mean())
partition.to_parquet(snakemake.output[0])

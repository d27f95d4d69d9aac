from synthloop.core.jobs import start

log = start(snakemake)
import json

import pandas as pd

from synthloop.data import images
from synthloop.studies.image_loop.report import collect

i, out = snakemake.input, snakemake.output
summaries = [json.loads(open(f).read()) for f in i.synthesis]
tests = dict(zip(snakemake.params.test_keys, (images.read(f) for f in i.test)))
metrics, fid, table1 = collect(
    [pd.read_parquet(f) for f in i.predictions],
    snakemake.params.chain_keys,
    tests,
    snakemake.params.fairness,
    summaries,
    snakemake.params.synthesis_keys,
    snakemake.params.fid_features,
)
metrics.to_parquet(out.metrics, index=False)
fid.to_parquet(out.fid, index=False)
table1.to_csv(out.table1, index=False)

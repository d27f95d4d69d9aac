from synthloop.core.jobs import start

log = start(snakemake)
from pathlib import Path

import pandas as pd

from synthloop.data.domains import build_mixed_clusters

p, out = snakemake.params, snakemake.output
clusters = {domain: {} for domain in p.domains}
for path in snakemake.input.clusters:  # results/<study>/clusters/<domain>/<cluster>.parquet
    clusters[Path(path).parent.name][Path(path).stem] = pd.read_parquet(path)
frames, components = build_mixed_clusters(clusters, [Path(m).stem for m in out.clusters], p.seed, p.instructions)
log.info("mixed clusters:\n%s", components.pivot(index="cluster_id", columns="domain", values="component").to_string())
for path in out.clusters:
    frames[Path(path).stem].to_parquet(path)
components.to_parquet(out.components)

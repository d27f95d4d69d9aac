from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.text_loop.mixed import build_mixed_clusters

p, out = snakemake.params, snakemake.output
clusters = {domain: {} for domain in p.domains}
for (domain, cluster), path in zip(p.components, snakemake.input.clusters):
    clusters[domain][cluster] = pd.read_parquet(path)
frames, components = build_mixed_clusters(clusters, p.mixed_ids, p.seed, p.instructions)
log.info("mixed clusters:\n%s", components.pivot(index="cluster_id", columns="domain", values="component").to_string())
for mixed_id, path in zip(p.mixed_ids, out.clusters):
    frames[mixed_id].to_parquet(path)
components.to_parquet(out.components)

from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.scorers.embeddings import embed_texts
from synthloop.studies.text_loop.clusters import build_clusters, quality_scores

documents = pd.read_parquet(snakemake.input[0])
spec, texts = snakemake.params.spec, documents["text"].tolist()
properties, members = build_clusters(
    documents,
    embed_texts(texts, snakemake.params.embedder),
    spec["n"],
    spec["min_size"],
    snakemake.params.seed,
    quality=quality_scores(texts, snakemake.params.quality),
    selection=spec["selection"],
)
log.info("clusters:\n%s", properties.to_string())
properties.to_parquet(snakemake.output.properties)
members.to_parquet(snakemake.output.members)
for cluster, path in zip(snakemake.params.cluster_ids, snakemake.output.clusters):
    ids = members.loc[members["cluster_id"] == cluster, "doc_id"]
    documents[documents["doc_id"].isin(ids)].to_parquet(path)

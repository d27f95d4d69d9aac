from synthloop.core.jobs import start

log = start(snakemake)
from pathlib import Path

import pandas as pd

from synthloop.studies.clusters import build_clusters
from synthloop.scorers.embeddings import embed_texts

documents = pd.read_parquet(snakemake.input[0])
spec = snakemake.params.spec
properties, members = build_clusters(documents, embed_texts(documents["text"].tolist(), snakemake.params.embedder), spec["n"], spec["min_size"],
                                     snakemake.params.seed)
log.info("clusters:\n%s", properties.to_string())
properties.to_parquet(snakemake.output.properties)
members.to_parquet(snakemake.output.members)
for path in snakemake.output.clusters:
    ids = members.loc[members["cluster_id"] == Path(path).stem, "doc_id"]
    documents[documents["doc_id"].isin(ids)].to_parquet(path)

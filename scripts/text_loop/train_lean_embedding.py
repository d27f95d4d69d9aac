from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.scorers.classifiers import train_lean_embedding, write_lean_model
from synthloop.scorers.embeddings import embed_texts, load_embeddings

docs = pd.read_parquet(snakemake.input.docs)
texts = docs["text"].tolist()
vectors = load_embeddings(texts, {"embeddings": embed_texts(texts, snakemake.params.embedder)})  # normalised as when scoring
table = write_lean_model(docs, vectors, snakemake.params.seed, snakemake.output.model, snakemake.output.table, fit=train_lean_embedding)
log.info("lean embedding (%s):\n%s", snakemake.wildcards.embedder, table.to_string())

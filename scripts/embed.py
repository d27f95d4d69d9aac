from synthloop.jobs import start

log = start(snakemake)
import numpy as np
import pandas as pd

from synthloop.embeddings import embed_texts

vectors = embed_texts(pd.read_parquet(snakemake.input[0])["text"].tolist(), snakemake.params.spec)
log.info("embedded %d texts -> %s", len(vectors), vectors.shape)
np.save(snakemake.output[0], vectors)

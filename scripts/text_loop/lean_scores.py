from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.scorers.embeddings import embed_texts
from synthloop.scorers.registry import run_scorer
from synthloop.studies.text_loop.lean import lean_values

spec = snakemake.params.spec
documents = pd.read_parquet(snakemake.input.docs)
assets = snakemake.params.assets
if "embedder_spec" in spec:  # an embedding-based lean scorer (lean_embedding): this job embeds the texts itself
    assets = {**assets, "embeddings": embed_texts(documents["text"].tolist(), spec["embedder_spec"])}
scores = run_scorer(documents["text"].tolist(), spec, assets)
documents["lean"] = lean_values(scores.per_text, spec["kind"]).to_numpy()
log.info("%d texts, lean: %s", len(documents), documents["lean"].describe().to_dict())
documents.to_parquet(snakemake.output[0])

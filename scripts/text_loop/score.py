from synthloop.core.jobs import start

log = start(snakemake)
import numpy as np
import pandas as pd

from synthloop.scorers.embeddings import embed_texts
from synthloop.scorers.registry import score_by_domain
from synthloop.scorers.text_metrics import evaluation_sample

p, out = snakemake.params, snakemake.output
texts = evaluation_sample(pd.read_parquet(snakemake.input.texts), **p.eval_sample)  # eval_size texts per generation
for (embedder, spec), target in zip(p.embedders.items(), out.embeddings):
    np.save(target, embed_texts(texts["text"].tolist(), spec))
    log.info("embedded %d texts with %s", len(texts), embedder)
for scorer, summary_path, texts_path in zip(p.scorers, out.summaries, out.texts):
    per_text, summary = score_by_domain(texts, p.specs[scorer], {group: assets[scorer] for group, assets in p.assets.items()})
    log.info("%s:\n%s", scorer, summary.to_string())
    per_text.insert(0, "doc_id", texts["doc_id"].to_numpy())
    per_text.to_parquet(texts_path)
    summary.to_parquet(summary_path)

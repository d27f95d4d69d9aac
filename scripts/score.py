from synthloop.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.scoring import run_scorer, summarise

texts = pd.read_parquet(snakemake.input.texts)
scores = run_scorer(texts["text"].tolist(), snakemake.params.spec, snakemake.params.assets)
summary = summarise(scores)
log.info("%s:\n%s", snakemake.wildcards.scorer, summary.to_string())
scores.per_text.insert(0, "doc_id", texts["doc_id"].to_numpy())
scores.per_text.to_parquet(snakemake.output.texts)
summary.to_parquet(snakemake.output.summary)

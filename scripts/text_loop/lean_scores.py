from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.scorers.registry import run_scorer
from synthloop.studies.text_loop.lean import lean_values

spec = snakemake.params.spec
documents = pd.read_parquet(snakemake.input.docs)
scores = run_scorer(documents["text"].tolist(), spec, snakemake.params.assets)
documents["lean"] = lean_values(scores.per_text, spec["kind"]).to_numpy()
log.info("%d texts, lean: %s", len(documents), documents["lean"].describe().to_dict())
documents.to_parquet(snakemake.output[0])

from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.scorers.classifiers import evaluate_lean, save_model, train_lean

docs = pd.read_parquet(snakemake.input[0])
groups = docs["group"] if "group" in docs and docs["group"].notna().all() else None
table = evaluate_lean(docs["text"], docs["label"], groups, snakemake.params.seed)
log.info("lean classifier:\n%s", table.to_string())
table.to_csv(snakemake.output.table, index=False)
save_model(train_lean(docs["text"], docs["label"], snakemake.params.seed), snakemake.output.model)

from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.scorers.classifiers import write_lean_model

docs = pd.read_parquet(snakemake.input[0])
table = write_lean_model(docs, docs["text"], snakemake.params.seed, snakemake.output.model, snakemake.output.table)
log.info("lean classifier:\n%s", table.to_string())

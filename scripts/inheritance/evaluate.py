from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.pipeline import evaluate, save_replies

p = snakemake.params
test = pd.read_parquet(snakemake.input.test) if "test" in snakemake.input.keys() else None
metrics, replies = evaluate(snakemake.input.model, p.tasks, test, p.evaluation, p.slots, p.seed)
metrics.to_parquet(snakemake.output.evaluation)
save_replies(replies, snakemake.output.replies)
log.info("%s:\n%s", p.tasks, metrics.to_string())

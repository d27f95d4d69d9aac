from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.scorers.classifiers import save_model, train_quality

model, table = train_quality(pd.read_parquet(snakemake.input[0])["text"], snakemake.params.seed)
log.info("quality classifier:\n%s", table.to_string())
table.to_csv(snakemake.output.table, index=False)
save_model(model, snakemake.output.model)

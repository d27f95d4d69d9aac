from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.scorers.classifiers import save_model, train_detector

i = snakemake.input
synthetic = pd.concat([pd.read_parquet(f) for f in i.generated], ignore_index=True)["text"]
model, table = train_detector(pd.read_parquet(i.real)["text"], synthetic, snakemake.params.seed)
log.info("machine-text detector:\n%s", table.to_string())
table.to_csv(snakemake.output.table, index=False)
save_model(model, snakemake.output.model)

from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.lm.basemodel import train_base_model

texts = pd.read_parquet(snakemake.input[0])["text"].tolist()
report = train_base_model(texts, snakemake.output[0], snakemake.params.scratch, snakemake.params.seed)
log.info("base model: %s", report)

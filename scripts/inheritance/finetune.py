from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.inheritance.pipeline import finetune

p = snakemake.params
report = finetune(
    pd.read_parquet(snakemake.input.train), p.init, snakemake.output[0], p.train, p.seed, p.mitigation, p.loss_weight, p.loss_window
)
log.info("fine-tuned from %s (mitigation %s): %s", p.init, p.mitigation, report)

from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.lm.models import load_causal_lm
from synthloop.lm.training import fine_tune
from synthloop.studies.text_loop.generate import training_texts

p = snakemake.params
model, tokenizer = load_causal_lm(p.init)
texts = training_texts(pd.read_parquet(snakemake.input.train), tokenizer, p.instructions)
report = fine_tune(model, tokenizer, texts, snakemake.output[0], p.finetune, p.seed, p.init)
log.info("fine-tuned from %s: %s", p.init, report)

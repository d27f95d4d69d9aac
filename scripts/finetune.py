from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.lm.models import load_causal_lm
from synthloop.lm.training import fine_tune

model, tokenizer = load_causal_lm(snakemake.params.init, trust_remote_code=snakemake.params.trust_remote_code)
train = pd.read_parquet(snakemake.input.train)
texts = train["text"].tolist()
if snakemake.params.domain_instructions:  # a mixed chain: each text after its own domain's instruction
    from synthloop.data.domains import format_examples

    texts = format_examples(train, tokenizer, snakemake.params.domain_instructions)
elif snakemake.params.instruction:  # study 2: train on (instruction -> text), the format generation prompts with
    from synthloop.data.domains import format_example

    texts = [format_example(snakemake.params.instruction, text, tokenizer) for text in texts]
report = fine_tune(model, tokenizer, texts, snakemake.output[0], snakemake.params.finetune, snakemake.params.seed, snakemake.params.init)
log.info("fine-tuned from %s: %s", snakemake.params.init, report)

from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.lm.generation import load_generator
from synthloop.studies.text_loop.generate import generate_texts

p = snakemake.params
source = getattr(p, "model", None) or snakemake.input.model  # rule generate_base: the base model (a hub id or a directory)
model, tokenizer, continuations = load_generator(source, p.generate, p.seed)  # generate.backend: hf | vllm
out = generate_texts(model, tokenizer, p.generate, p.seed, p.gen, p.instructions, p.n_texts, pd.read_parquet(snakemake.input.prompts), continuations=continuations)
log.info("generated %d documents, mean %.0f words", len(out), out["text"].str.split().str.len().mean())
out.to_parquet(snakemake.output[0])

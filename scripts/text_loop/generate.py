from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.lm.generation import load_generator
from synthloop.studies.text_loop.controls import control_documents, planted_share
from synthloop.studies.text_loop.generate import generate_texts

p = snakemake.params
prompts = pd.read_parquet(snakemake.input.prompts)
if p.generate.get("backend") == "control":  # a positive control (docs/validation.md): real documents with a planted right share
    labels = pd.read_parquet(snakemake.input.labels, columns=["doc_id", "label"])
    out = control_documents(prompts.merge(labels, on="doc_id", how="left"), planted_share(p.generate["control"], p.gen), p.seed, p.gen)
else:
    source = getattr(p, "model", None) or snakemake.input.model  # rule generate_base: the base model (a hub id or a directory)
    model, tokenizer, continuations = load_generator(source, p.generate, p.seed)  # generate.backend: hf | vllm
    out = generate_texts(model, tokenizer, p.generate, p.seed, p.gen, p.instructions, p.n_texts, prompts, continuations=continuations)
log.info("generated %d documents, mean %.0f words", len(out), out["text"].str.split().str.len().mean())
out.to_parquet(snakemake.output[0])

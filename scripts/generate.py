from synthloop.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.generation import synthesize_documents
from synthloop.models import load_causal_lm

model, tokenizer = load_causal_lm(snakemake.input.model)
model.eval()
prompts = pd.read_parquet(snakemake.input.prompts)
titles = prompts["title"].tolist() if "title" in prompts else None
texts = synthesize_documents(model, tokenizer, prompts["text"].tolist(), snakemake.params.generate, snakemake.params.seed, titles)
out = pd.DataFrame({"doc_id": prompts["doc_id"], "text": texts, "generation": snakemake.params.gen})
log.info("generated %d documents, mean %.0f words", len(out), out["text"].str.split().str.len().mean())
out.to_parquet(snakemake.output[0])

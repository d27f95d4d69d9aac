from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.lm.generation import load_generator, sample_from_prompt, synthesize_documents

params, seed, gen = snakemake.params.generate, snakemake.params.seed, snakemake.params.gen
model, tokenizer, continuations = load_generator(snakemake.input.model, params, seed)  # generate.backend: hf | vllm
if params["mode"] == "instruction" and snakemake.params.domain_instructions:  # a mixed chain: every domain from its own instruction
    from synthloop.data.domains import domain_counts, sample_domains

    instructions = snakemake.params.domain_instructions
    counts = domain_counts(snakemake.params.n_texts, list(instructions), params["eval_size"])
    out = sample_domains(model, tokenizer, instructions, counts, params, seed, gen, continuations=continuations)
elif params["mode"] == "instruction":
    from synthloop.data.domains import format_prompt

    texts = sample_from_prompt(model, tokenizer, format_prompt(snakemake.params.instruction, tokenizer), snakemake.params.n_texts, params, seed, continuations=continuations)
    out = pd.DataFrame({"doc_id": [f"g{gen}-{i:05d}" for i in range(len(texts))], "text": texts, "generation": gen})
else:
    prompts = pd.read_parquet(snakemake.input.prompts)
    titles = prompts["title"].tolist() if "title" in prompts else None
    texts = synthesize_documents(model, tokenizer, prompts["text"].tolist(), params, seed, titles, continuations=continuations)
    out = pd.DataFrame({"doc_id": prompts["doc_id"], "text": texts, "generation": gen})
log.info("generated %d documents, mean %.0f words", len(out), out["text"].str.split().str.len().mean())
out.to_parquet(snakemake.output[0])
